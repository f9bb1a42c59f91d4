package org.jvfio.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The contract every uAPI struct record satisfies, checked against a layout table taken from the
 * {@code include/uapi/linux/vfio.h} and {@code iommufd.h}: a subclass lists one {@link Layout} per
 * struct and inherits the tests.
 *
 * <p>The table is the oracle. Each row pins one C field (a path through nested records, its byte
 * offset and width), holes are listed explicitly, and the rows plus holes must tile {@code [0,
 * SIZE)} and name every leaf component of the record, so a record cannot gain, lose or move a field
 * without a table change. Random round trips encode through the record and compare with an
 * independent encoding computed from the table. Seeded by {@code -Djvfio.seed} (default {@code
 * 0x5EEDF00D}); at least 500 tries per struct, more with {@code -Djvfio.tries}.
 *
 * <p>The test factories are public: this package is exported but not opened to JUnit (surefire
 * opens only the packages that hold concrete test classes).
 */
// "exports": the public factories return JUnit types, which the api module does not read.
@SuppressWarnings("exports")
public abstract class StructRecordContract {

  /** The seed of the random round trips: {@code -Djvfio.seed} (Long.decode), or 0x5EEDF00D. */
  protected static final long SEED = seed();

  /** Random round trips per struct. */
  protected static final int TRIES = Math.max(500, Integer.getInteger("jvfio.tries", 0));

  private static long seed() {
    String s = System.getProperty("jvfio.seed");
    return s == null || s.isBlank() ? 0x5EEDF00DL : Long.decode(s.trim());
  }

  /** The layout table of this package: one entry per struct record. */
  protected abstract List<Layout> layouts();

  /** One part of a struct's layout: a field or a hole. */
  public sealed interface Part permits Field, Hole {
    /** Byte offset in the struct. */
    int offset();

    /** Width in bytes. */
    int width();
  }

  /**
   * A C field: {@code path} names the record component (dotted through nested records).
   *
   * @param path component path, e.g. {@code bitmap.pgsize}
   * @param offset byte offset in the outermost struct
   * @param width width in bytes
   */
  public record Field(String path, int offset, int width) implements Part {}

  /**
   * Padding that must be encoded as zeros.
   *
   * @param offset byte offset in the struct
   * @param width width in bytes
   */
  public record Hole(int offset, int width) implements Part {}

  /**
   * The spec's layout of one struct.
   *
   * @param type the record class
   * @param size the spec's {@code sizeof}
   * @param parts fields and holes
   */
  public record Layout(Class<?> type, int size, List<Part> parts) {
    @Override
    public String toString() {
      return type.getSimpleName();
    }

    List<Field> fields() {
      return parts.stream().filter(p -> p instanceof Field).map(p -> (Field) p).toList();
    }
  }

  protected static Layout struct(Class<?> type, int size, Part... parts) {
    return new Layout(type, size, List.of(parts));
  }

  protected static Field field(String path, int offset, int width) {
    return new Field(path, offset, width);
  }

  protected static Hole hole(int offset, int width) {
    return new Hole(offset, width);
  }

  // --- tests ----------------------------------------------------------------------------------

  @TestFactory
  public Stream<DynamicTest> size_matchesSpec() {
    return layouts().stream()
        .map(
            l ->
                DynamicTest.dynamicTest(
                    l + " SIZE == " + l.size(),
                    () -> {
                      java.lang.reflect.Field f = l.type().getField("SIZE");
                      assertTrue(Modifier.isStatic(f.getModifiers()));
                      assertTrue(Modifier.isFinal(f.getModifiers()));
                      assertEquals(l.size(), f.getInt(null), l + ".SIZE");
                    }));
  }

  @TestFactory
  public Stream<DynamicTest> table_tilesStructAndNamesEveryComponent() {
    return layouts().stream()
        .map(
            l ->
                DynamicTest.dynamicTest(
                    l.toString(),
                    () -> {
                      List<Part> sorted = new ArrayList<>(l.parts());
                      sorted.sort(Comparator.comparingInt(Part::offset));
                      int next = 0;
                      for (Part p : sorted) {
                        assertEquals(next, p.offset(), l + ": gap or overlap before " + p);
                        next += p.width();
                      }
                      assertEquals(l.size(), next, l + ": parts do not end at SIZE");
                      List<String> tablePaths = l.fields().stream().map(Field::path).toList();
                      assertEquals(
                          List.copyOf(leafTypes(l.type(), "").keySet()),
                          tablePaths,
                          l + ": table rows vs record components (C order)");
                      for (Field f : l.fields()) {
                        Class<?> t = leafTypes(l.type(), "").get(f.path());
                        int maxWidth = t == long.class ? 8 : 4;
                        assertTrue(f.width() <= maxWidth, f + " too wide for " + t);
                      }
                    }));
  }

  @TestFactory
  public Stream<DynamicTest> field_encodesAtSpecOffsetOnly() {
    return layouts().stream()
        .flatMap(
            l ->
                l.fields().stream()
                    .map(
                        f ->
                            DynamicTest.dynamicTest(
                                l + "." + f.path() + " @" + f.offset() + "+" + f.width(),
                                () -> checkSingleField(l, f))));
  }

  private static void checkSingleField(Layout l, Field f) throws Exception {
    // Bytes 0xA1, 0xA2, ... in memory order: the value has its top bit set and pins byte order.
    long value = 0;
    for (int i = 0; i < f.width(); i++) {
      value |= (0xA1L + i) << (8 * i);
    }
    final long v = value;
    Object rec = build(l.type(), "", p -> p.equals(f.path()) ? v : 0L);
    assertEquals(v, bits(get(rec, f.path())), "accessor of " + f.path());

    int start = 5;
    ByteBuffer buf = ByteBuffer.allocate(start + l.size() + 3).order(ByteOrder.BIG_ENDIAN);
    Arrays.fill(buf.array(), (byte) 0x5A); // junk: holes and other fields must come out zero
    buf.position(start);
    encode(rec, buf);
    assertEquals(start + l.size(), buf.position(), "position after encode");
    assertEquals(ByteOrder.BIG_ENDIAN, buf.order(), "order after encode");

    byte[] expected = new byte[l.size()];
    for (int i = 0; i < f.width(); i++) {
      expected[f.offset() + i] = (byte) (0xA1 + i);
    }
    byte[] actual = Arrays.copyOfRange(buf.array(), start, start + l.size());
    assertArrayEquals(expected, actual, () -> l + "." + f.path() + ": " + hex(actual));
    assertEquals((byte) 0x5A, buf.array()[start - 1], "byte before the struct");
    assertEquals((byte) 0x5A, buf.array()[start + l.size()], "byte after the struct");

    buf.position(start);
    assertEquals(rec, decode(l.type(), buf), "decode of the single-field encoding");

    if (f.width() < 4) {
      // A C field narrower than its int component keeps only its own width.
      Object all = build(l.type(), "", p -> p.equals(f.path()) ? -1L : 0L);
      assertEquals((1L << (8 * f.width())) - 1, bits(get(all, f.path())), f.path() + " masked");
    }
  }

  @TestFactory
  public Stream<DynamicTest> roundTrip_randomValues_bigEndianBufferAtOffset() {
    return layouts().stream()
        .map(l -> DynamicTest.dynamicTest(l + " x" + TRIES, () -> roundTrips(l)));
  }

  private static void roundTrips(Layout l) throws Exception {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      Object rec = build(l.type(), "", p -> randomBits(rnd));
      int iteration = i;
      Function<String, String> msg =
          what ->
              String.format(
                  "%s (seed=%#x, iteration %d, value=%s)", what, SEED, iteration, rec.toString());

      int start = 1 + rnd.nextInt(16);
      int capacity = start + l.size() + rnd.nextInt(9);
      ByteBuffer buf =
          rnd.nextBoolean() ? ByteBuffer.allocate(capacity) : ByteBuffer.allocateDirect(capacity);
      buf.order(ByteOrder.BIG_ENDIAN);
      byte[] junk = new byte[capacity];
      rnd.nextBytes(junk);
      buf.put(0, junk);

      buf.position(start);
      encode(rec, buf);
      assertEquals(start + l.size(), buf.position(), () -> msg.apply("position after encode"));
      assertEquals(capacity, buf.limit(), () -> msg.apply("limit after encode"));
      assertEquals(ByteOrder.BIG_ENDIAN, buf.order(), () -> msg.apply("order after encode"));

      byte[] all = new byte[capacity];
      buf.get(0, all);
      byte[] expected = referenceEncoding(l, rec);
      byte[] actual = Arrays.copyOfRange(all, start, start + l.size());
      assertArrayEquals(
          expected,
          actual,
          () -> msg.apply("bytes " + hex(actual) + " != table encoding " + hex(expected)));
      assertArrayEquals(
          Arrays.copyOfRange(junk, 0, start),
          Arrays.copyOfRange(all, 0, start),
          () -> msg.apply("bytes before the struct changed"));
      assertArrayEquals(
          Arrays.copyOfRange(junk, start + l.size(), capacity),
          Arrays.copyOfRange(all, start + l.size(), capacity),
          () -> msg.apply("bytes after the struct changed"));

      buf.position(start);
      Object back = decode(l.type(), buf);
      assertEquals(rec, back, () -> msg.apply("decode(encode(x)) != x"));
      assertEquals(start + l.size(), buf.position(), () -> msg.apply("position after decode"));
      assertEquals(ByteOrder.BIG_ENDIAN, buf.order(), () -> msg.apply("order after decode"));
    }
  }

  @TestFactory
  public Stream<DynamicTest> shortOrReadOnlyBuffer_throwsAndLeavesBufferUnchanged() {
    return layouts().stream()
        .map(
            l ->
                DynamicTest.dynamicTest(
                    l.toString(),
                    () -> {
                      Object rec = build(l.type(), "", p -> -1L);
                      ByteBuffer shortBuf = ByteBuffer.allocate(l.size() + 2);
                      shortBuf.position(3);
                      assertThrows(BufferOverflowException.class, () -> encode(rec, shortBuf));
                      assertEquals(3, shortBuf.position());
                      assertArrayEquals(new byte[l.size() + 2], shortBuf.array(), "written");
                      assertThrows(
                          BufferUnderflowException.class, () -> decode(l.type(), shortBuf));
                      assertEquals(3, shortBuf.position());

                      ByteBuffer ro = ByteBuffer.allocate(l.size()).asReadOnlyBuffer();
                      assertThrows(ReadOnlyBufferException.class, () -> encode(rec, ro));
                      assertEquals(0, ro.position());
                      assertEquals(
                          build(l.type(), "", p -> 0L), decode(l.type(), ro), "decode read-only");
                    }));
  }

  @TestFactory
  public Stream<DynamicTest> nullNestedStruct_isRejected() {
    return layouts().stream()
        .filter(
            l ->
                Arrays.stream(l.type().getRecordComponents()).anyMatch(c -> c.getType().isRecord()))
        .map(
            l ->
                DynamicTest.dynamicTest(
                    l.toString(),
                    () -> {
                      RecordComponent[] comps = l.type().getRecordComponents();
                      Object[] args = new Object[comps.length];
                      for (int i = 0; i < comps.length; i++) {
                        Class<?> t = comps[i].getType();
                        args[i] =
                            t == int.class ? (Object) 0 : t == long.class ? (Object) 0L : null;
                      }
                      Constructor<?> ctor = canonical(l.type());
                      InvocationTargetException e =
                          assertThrows(
                              InvocationTargetException.class, () -> ctor.newInstance(args));
                      assertTrue(
                          e.getCause() instanceof NullPointerException, e.getCause().toString());
                    }));
  }

  // --- the table's own encoding ---------------------------------------------------------------

  private static byte[] referenceEncoding(Layout l, Object rec) throws Exception {
    byte[] b = new byte[l.size()];
    for (Field f : l.fields()) {
      long v = bits(get(rec, f.path()));
      for (int i = 0; i < f.width(); i++) {
        b[f.offset() + i] = (byte) (v >>> (8 * i));
      }
    }
    return b;
  }

  private static final long[] EDGES = {
    0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE, 0x8000_0000L, 0xFFFF_FFFFL, 0xFFFF, 0xFF, 0x80
  };

  private static long randomBits(SplittableRandom rnd) {
    return rnd.nextInt(4) == 0 ? EDGES[rnd.nextInt(EDGES.length)] : rnd.nextLong();
  }

  // --- reflection -------------------------------------------------------------------------------

  /** Leaf component paths of a record in C (declaration) order, with their Java types. */
  private static Map<String, Class<?>> leafTypes(Class<?> type, String prefix) {
    Map<String, Class<?>> out = new LinkedHashMap<>();
    for (RecordComponent c : type.getRecordComponents()) {
      String path = prefix + c.getName();
      if (c.getType().isRecord()) {
        out.putAll(leafTypes(c.getType(), path + "."));
      } else {
        out.put(path, c.getType());
      }
    }
    return out;
  }

  /** Builds a record whose int/long leaves get {@code bits.apply(path)} (truncated for ints). */
  private static Object build(Class<?> type, String prefix, Function<String, Long> bits)
      throws Exception {
    RecordComponent[] comps = type.getRecordComponents();
    Object[] args = new Object[comps.length];
    for (int i = 0; i < comps.length; i++) {
      String path = prefix + comps[i].getName();
      Class<?> t = comps[i].getType();
      if (t == int.class) {
        args[i] = (int) (long) bits.apply(path);
      } else if (t == long.class) {
        args[i] = bits.apply(path);
      } else if (t.isRecord()) {
        args[i] = build(t, path + ".", bits);
      } else {
        fail(type + "." + path + ": unexpected component type " + t);
      }
    }
    return unwrap(() -> canonical(type).newInstance(args));
  }

  private static Constructor<?> canonical(Class<?> type) throws NoSuchMethodException {
    Class<?>[] types =
        Arrays.stream(type.getRecordComponents())
            .map(RecordComponent::getType)
            .toArray(Class<?>[]::new);
    return type.getDeclaredConstructor(types);
  }

  private static Object get(Object rec, String path) throws Exception {
    Object cur = rec;
    for (String name : path.split("\\.", -1)) {
      Method m = cur.getClass().getMethod(name);
      cur = m.invoke(cur);
    }
    return cur;
  }

  private static long bits(Object v) {
    if (v instanceof Integer i) {
      return Integer.toUnsignedLong(i);
    }
    return (Long) v;
  }

  private static void encode(Object rec, ByteBuffer buf) throws Exception {
    Method m = rec.getClass().getMethod("encode", ByteBuffer.class);
    unwrap(() -> m.invoke(rec, buf));
  }

  private static Object decode(Class<?> type, ByteBuffer buf) throws Exception {
    Method m = type.getMethod("decode", ByteBuffer.class);
    assertTrue(Modifier.isStatic(m.getModifiers()), type + ".decode is static");
    assertEquals(type, m.getReturnType(), type + ".decode return type");
    return unwrap(() -> m.invoke(null, buf));
  }

  private interface Reflective {
    Object call() throws Exception;
  }

  /** Rethrows what a reflectively called method threw, so assertThrows sees it. */
  private static Object unwrap(Reflective call) throws Exception {
    try {
      return call.call();
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  private static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x & 0xff));
    }
    return sb.toString();
  }
}
