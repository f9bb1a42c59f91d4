package org.jvfio.bridge;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.api.iommufd.IommufdTest;
import org.jvfio.api.vfio.Vfio;

/**
 * The generator of {@code jvfio_uapi.h}, the C header of the uAPI that jvfio models, from the api
 * module's records and constants, so that the Java and the C layouts come from one source.
 *
 * <p>Each record with a {@code SIZE} and an {@code encode(ByteBuffer)} becomes a C struct named
 * after it ({@code IommuHwptGetDirtyBitmap} → {@code struct iommu_hwpt_get_dirty_bitmap}). The
 * layout is measured, not declared: for each component the generator encodes the record with that
 * component all ones and the others zero, and the bytes that come out non-zero give the field's
 * offset and width. Each struct is followed by {@code _Static_assert}s of its {@code sizeof} and of
 * every {@code offsetof}, so a C compiler rejects a header whose natural C layout differs from the
 * Java encoding. Every {@code public static final int} or {@code long} of {@link Vfio}, {@link
 * Iommufd} and {@link IommufdTest} becomes a {@code #define}.
 *
 * <p>The header stands in for both {@code <linux/vfio.h>} and {@code <linux/iommufd.h>} on hosts
 * whose kernel headers predate iommufd's dirty tracking; a client includes one or the other (see
 * {@code docs/bridge.md}). {@code UapiHeaderTest} fails when the committed header is stale.
 */
public final class UapiHeader {
  /** Field declarations whose C spelling the record's component name cannot give. */
  private static final Map<String, String> SPECIAL =
      Map.of(
          "IommuHwInfo.dataType",
              "union {\n\t\t__u32 in_data_type;\n\t\t__u32 out_data_type;\n\t};",
          "VfioDeviceBindIommufd.iommufd", "__s32 iommufd;",
          "IommuIoasMapFile.fd", "__s32 fd;");

  /** Flexible array members that end a struct (no bytes of their own in {@code SIZE}). */
  static final Map<String, String> FLEXIBLE =
      Map.of(
          "VfioDeviceFeature", "__u8 data[];",
          "VfioIommuType1DirtyBitmap", "__u8 data[];",
          "VfioIommuType1DmaUnmap", "__u8 data[];");

  private UapiHeader() {}

  /** The classes whose {@code int} and {@code long} constants the generated files define. */
  static final List<Class<?>> CONSTANTS = List.of(Vfio.class, Iommufd.class, IommufdTest.class);

  /**
   * Writes the header to the file named by the first argument, or to standard output, and with a
   * second argument the Rust module of the same uAPI ({@code uapi.rs} of the bridge's Rust client,
   * with the same measured layouts) to that file.
   *
   * @param args an optional output path for the header, then one for the Rust module
   * @throws IOException if a file cannot be written
   */
  public static void main(String[] args) throws IOException {
    String text = render();
    if (args.length > 0) {
      Files.writeString(Path.of(args[0]), text, StandardCharsets.UTF_8);
    } else {
      System.out.print(text);
    }
    if (args.length > 1) {
      Files.writeString(Path.of(args[1]), UapiRust.render(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Returns the text of {@code jvfio_uapi.h}.
   *
   * @return the whole header, starting with its SPDX license line
   */
  public static String render() {
    StringBuilder out = new StringBuilder();
    out.append("/* SPDX-License-Identifier: Apache-2.0 */\n")
        .append("/*\n")
        .append(
            " * jvfio_uapi.h: the VFIO and iommufd uAPI that jvfio models, generated from the\n")
        .append(
            " * jvfio-api records by org.jvfio.bridge.UapiHeader. Do not edit: regenerate with\n")
        .append(
            " * bridge/src/test/c/regenerate-header.sh (UapiHeaderTest fails when it is stale).\n")
        .append(" * It replaces <linux/vfio.h> and <linux/iommufd.h>; include one or the other.\n")
        .append(" */\n")
        .append("#ifndef JVFIO_UAPI_H\n#define JVFIO_UAPI_H\n\n")
        .append("#include <linux/types.h>\n#include <stddef.h>\n\n");
    for (Class<?> c : CONSTANTS) {
      out.append("/* ").append(c.getName()).append(" */\n");
      constants(c)
          .forEach(
              (name, v) ->
                  out.append(
                      String.format(
                          Locale.ROOT,
                          v instanceof Long ? "#define %s 0x%xULL%n" : "#define %s 0x%xU%n",
                          name,
                          v)));
      out.append('\n');
    }
    for (Class<?> r : records()) {
      struct(r, out);
    }
    out.append("#endif /* JVFIO_UAPI_H */\n");
    return out.toString();
  }

  /** The {@code static final int} (Integer) and {@code long} (Long) constants of {@code c}. */
  static Map<String, Number> constants(Class<?> c) {
    Map<String, Number> out = new LinkedHashMap<>();
    for (Field f : c.getFields()) {
      int m = f.getModifiers();
      if (!Modifier.isStatic(m) || !Modifier.isFinal(m)) {
        continue;
      }
      try {
        if (f.getType() == int.class) {
          out.put(f.getName(), f.getInt(null));
        } else if (f.getType() == long.class) {
          out.put(f.getName(), f.getLong(null));
        }
      } catch (IllegalAccessException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  /** The api's struct records (those with SIZE), nested ones before their users, by name. */
  static List<Class<?>> records() {
    List<Class<?>> out = new ArrayList<>();
    for (String name : apiClassNames()) {
      try {
        Class<?> c = Class.forName(name, false, UapiHeader.class.getClassLoader());
        if (c.isRecord() && sizeOf(c) > 0) {
          out.add(c);
        }
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
    out.sort(
        (a, b) -> {
          int da = depth(a);
          int db = depth(b);
          return da != db ? Integer.compare(da, db) : a.getName().compareTo(b.getName());
        });
    return out;
  }

  private static int depth(Class<?> r) {
    int d = 0;
    for (RecordComponent rc : r.getRecordComponents()) {
      if (rc.getType().isRecord()) {
        d = Math.max(d, 1 + depth(rc.getType()));
      }
    }
    return d;
  }

  private static List<String> apiClassNames() {
    try {
      Path root =
          Path.of(IommuDestroy.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      if (Files.isDirectory(root)) {
        return classNames(root);
      }
      try (FileSystem jar = FileSystems.newFileSystem(root)) {
        return classNames(jar.getPath("/"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> classNames(Path root) throws IOException {
    Path api = root.resolve("org/jvfio/api");
    try (Stream<Path> files = Files.walk(api)) {
      return files
          .map(p -> root.relativize(p).toString())
          .filter(s -> s.endsWith(".class") && !s.contains("$"))
          .map(s -> s.substring(0, s.length() - 6).replace('/', '.'))
          .sorted()
          .collect(Collectors.toList());
    }
  }

  static int sizeOf(Class<?> r) {
    try {
      return r.getField("SIZE").getInt(null);
    } catch (NoSuchFieldException e) {
      return 0;
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void struct(Class<?> r, StringBuilder out) {
    String name = snake(r.getSimpleName());
    int size = sizeOf(r);
    List<String> asserts = new ArrayList<>();
    out.append("struct ").append(name).append(" {\n");
    RecordComponent[] comps = r.getRecordComponents();
    for (int i = 0; i < comps.length; i++) {
      RecordComponent rc = comps[i];
      int[] at = measure(r, i);
      String field = cName(rc.getName());
      String decl = SPECIAL.get(r.getSimpleName() + "." + rc.getName());
      if (decl == null) {
        decl = declaration(rc.getType(), field, at[1]);
      } else if (decl.startsWith("union")) {
        field = "in_data_type";
      }
      out.append('\t').append(decl).append('\n');
      asserts.add(String.format(Locale.ROOT, "offsetof(struct %s, %s) == %d", name, field, at[0]));
    }
    String flexible = FLEXIBLE.get(r.getSimpleName());
    if (flexible != null) {
      out.append('\t').append(flexible).append('\n');
    }
    out.append("};\n");
    out.append(
        String.format(
            Locale.ROOT, "_Static_assert(sizeof(struct %s) == %d, \"%s\");%n", name, size, name));
    for (String a : asserts) {
      out.append("_Static_assert(").append(a).append(", \"").append(name).append("\");\n");
    }
    out.append('\n');
  }

  private static String declaration(Class<?> type, String field, int width) {
    if (type.isRecord()) {
      return "struct " + snake(type.getSimpleName()) + " " + field + ";";
    }
    switch (width) {
      case 1:
        return "__u8 " + field + ";";
      case 2:
        return "__u16 " + field + ";";
      case 4:
        return "__u32 " + field + ";";
      case 8:
        return "__aligned_u64 " + field + ";";
      default:
        return "__u8 " + field + "[" + width + "];";
    }
  }

  /** {offset, width} of component {@code index}: the bytes that it alone makes non-zero. */
  static int[] measure(Class<?> r, int index) {
    byte[] bytes = encode(r, index);
    int first = -1;
    int last = -1;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] != 0) {
        first = first < 0 ? i : first;
        last = i;
      }
    }
    if (first < 0) {
      throw new IllegalStateException(
          r.getSimpleName() + " component " + index + " encodes no bits");
    }
    return new int[] {first, last - first + 1};
  }

  private static byte[] encode(Class<?> r, int ones) {
    ByteBuffer buf = ByteBuffer.allocate(sizeOf(r));
    try {
      r.getMethod("encode", ByteBuffer.class).invoke(instance(r, ones), buf);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
    return buf.array();
  }

  /** The record with component {@code ones} all ones (every component if -2), the rest zero. */
  private static Object instance(Class<?> r, int ones) {
    RecordComponent[] comps = r.getRecordComponents();
    Class<?>[] types = new Class<?>[comps.length];
    Object[] values = new Object[comps.length];
    for (int i = 0; i < comps.length; i++) {
      types[i] = comps[i].getType();
      boolean set = ones == -2 || ones == i;
      if (types[i] == int.class) {
        values[i] = set ? -1 : 0;
      } else if (types[i] == long.class) {
        values[i] = set ? -1L : 0L;
      } else if (types[i].isRecord()) {
        values[i] = instance(types[i], set ? -2 : -1);
      } else {
        throw new IllegalStateException(r.getSimpleName() + ": unsupported type " + types[i]);
      }
    }
    try {
      Constructor<?> c = r.getDeclaredConstructor(types);
      return c.newInstance(values);
    } catch (InvocationTargetException
        | InstantiationException
        | IllegalAccessException
        | NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code reserved} → {@code __reserved}, {@code pgsizeBitmap} → {@code pgsize_bitmap}. */
  static String cName(String component) {
    String s = snake(component);
    return s.startsWith("reserved") ? "__" + s : s;
  }

  static String snake(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
  }
}
