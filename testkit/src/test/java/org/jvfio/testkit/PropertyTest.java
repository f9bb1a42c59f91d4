package org.jvfio.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.ThrowingConsumer;
import org.opentest4j.AssertionFailedError;

class PropertyTest {
  private static final Gen<List<Long>> LISTS = Gen.lists(Gen.longs(0, 1000), 0, 20);

  private static <T> AssertionFailedError failure(
      Property p, Gen<T> gen, ThrowingConsumer<? super T> property) {
    return assertThrows(AssertionFailedError.class, () -> p.forAll(gen, property));
  }

  private static String shrunk(AssertionFailedError e) {
    Matcher m = Pattern.compile("evaluations\\): (.*)\n").matcher(e.getMessage());
    assertTrue(m.find(), e.getMessage());
    return m.group(1);
  }

  @Test
  void sample_sameSeed_sameValues() {
    for (long seed = 0; seed < 20; seed++) {
      assertEquals(
          LISTS.sample(new SplittableRandom(seed)), LISTS.sample(new SplittableRandom(seed)));
    }
  }

  @Test
  void forAll_sameSeed_seesSameValuesInSameOrder() {
    List<List<Long>> first = new ArrayList<>();
    List<List<Long>> second = new ArrayList<>();
    List<List<Long>> other = new ArrayList<>();
    Property.named("record").withSeed(7).withTries(50).forAll(LISTS, first::add);
    Property.named("record").withSeed(7).withTries(50).forAll(LISTS, second::add);
    Property.named("record").withSeed(8).withTries(50).forAll(LISTS, other::add);
    assertEquals(first, second);
    assertNotEquals(first, other);
    assertEquals(50, first.size());
  }

  @Test
  void forAll_fewerTries_seesAPrefixOfTheValues() {
    List<List<Long>> many = new ArrayList<>();
    List<List<Long>> few = new ArrayList<>();
    Property.named("record").withSeed(3).withTries(40).forAll(LISTS, many::add);
    Property.named("record").withSeed(3).withTries(10).forAll(LISTS, few::add);
    assertEquals(many.subList(0, 10), few);
  }

  @Test
  void shrink_listWithElementAbove100_shrinksToSingleton101() {
    for (long seed = 0; seed < 20; seed++) {
      AssertionFailedError e =
          failure(
              Property.named("no element > 100").withSeed(seed),
              LISTS,
              l -> assertTrue(l.stream().allMatch(x -> x <= 100), "too big: " + l));
      assertEquals("[101]", shrunk(e), "seed " + seed);
    }
  }

  @Test
  void shrink_sumOfTwoLongs_shrinksToTheBoundary() {
    for (long seed = 0; seed < 20; seed++) {
      AssertionFailedError e =
          failure(
              Property.named("sum < 1000").withSeed(seed),
              Gen.zip(Gen.longs(0, 10_000), Gen.longs(0, 10_000), List::of),
              p -> assertTrue(p.get(0) + p.get(1) < 1000));
      String[] parts = shrunk(e).replaceAll("[\\[\\] ]", "").split(",");
      assertEquals(1000, Long.parseLong(parts[0]) + Long.parseLong(parts[1]), shrunk(e));
    }
  }

  @Test
  void shrink_negativeRange_shrinksTowardZero() {
    AssertionFailedError e =
        failure(Property.named("x > -5"), Gen.longs(-1000, 1000), x -> assertTrue(x > -5));
    assertEquals("-5", shrunk(e));
  }

  @Test
  void shrink_unsignedLongs_findsTheSmallestFailingValue() {
    AssertionFailedError e =
        failure(
            Property.named("below 2^63"),
            Gen.unsignedLongs(),
            x -> assertTrue(x >= 0, Long.toUnsignedString(x)));
    assertEquals(Long.toString(Long.MIN_VALUE), shrunk(e));
  }

  @Test
  void shrink_differentException_isNotAccepted() {
    // Values above 500 throw IllegalStateException, those in (100, 500] AssertionError: shrinking
    // must stay with the original kind of failure.
    AssertionFailedError e =
        failure(
            Property.named("kinds").withSeed(1),
            Gen.longs(501, 1000),
            x -> {
              if (x > 500) {
                throw new IllegalStateException("big " + x);
              }
            });
    assertEquals("501", shrunk(e));
    assertInstanceOf(IllegalStateException.class, e.getCause());
  }

  @Test
  void failure_message_hasNameSeedTryCounterexamplesAndReproductionFlag() {
    AssertionFailedError e =
        failure(
            Property.named("no element > 100").withSeed(0x5EEDF00DL),
            LISTS,
            l -> assertTrue(l.stream().allMatch(x -> x <= 100), "too big: " + l));
    String m = e.getMessage();
    assertTrue(m.startsWith("Property 'no element > 100' (seed 0x5EEDF00D, try "), m);
    assertTrue(m.contains("shrink steps"), m);
    assertTrue(m.contains("Original counterexample: ["), m);
    assertTrue(m.contains("Original failure: org.opentest4j.AssertionFailedError: too big: ["), m);
    assertTrue(
        m.contains("Shrunk failure: org.opentest4j.AssertionFailedError: too big: [101]"), m);
    assertTrue(m.endsWith("Reproduce with: -Djvfio.seed=0x5EEDF00D"), m);
    assertEquals("too big: [101] ==> expected: <true> but was: <false>", e.getCause().getMessage());
  }

  @Test
  void failure_withShrinkingOff_reportsTheOriginal() {
    AssertionFailedError e =
        failure(
            Property.named("x").withSeed(5).withMaxShrinks(0),
            Gen.longs(0, 1000),
            x -> assertTrue(x < 0));
    assertTrue(e.getMessage().contains("(0 shrink steps, 0 evaluations)"), e.getMessage());
  }

  @Test
  void named_readsTriesAndSeedFromSystemProperties() {
    String oldTries = System.getProperty("jvfio.tries");
    String oldSeed = System.getProperty("jvfio.seed");
    try {
      System.setProperty("jvfio.tries", "17");
      System.setProperty("jvfio.seed", "0xFFFFFFFFFFFFFFFF");
      Property p = Property.named("x");
      assertEquals(17, p.tries());
      assertEquals(-1L, p.seed());
      int[] calls = {0};
      p.forAll(Gen.longs(0, 1), x -> calls[0]++);
      assertEquals(17, calls[0]);
      AssertionFailedError e = failure(p, Gen.longs(0, 1), x -> assertTrue(x < 0));
      assertTrue(e.getMessage().contains("-Djvfio.seed=0xFFFFFFFFFFFFFFFF"), e.getMessage());
      System.setProperty("jvfio.seed", "1234");
      assertEquals(1234L, Property.named("x").seed());
      System.setProperty("jvfio.tries", "0");
      assertThrows(IllegalArgumentException.class, () -> Property.named("x"));
      System.setProperty("jvfio.tries", "many");
      assertThrows(IllegalArgumentException.class, () -> Property.named("x"));
    } finally {
      restore("jvfio.tries", oldTries);
      restore("jvfio.seed", oldSeed);
    }
  }

  private static void restore(String key, String value) {
    if (value == null) {
      System.clearProperty(key);
    } else {
      System.setProperty(key, value);
    }
  }

  @Test
  void filter_exhausted_isReportedClearly() {
    Gen<Long> impossible = Gen.longs(0, 10).filter(x -> x > 100);
    IllegalStateException direct =
        assertThrows(IllegalStateException.class, () -> impossible.sample(new SplittableRandom(1)));
    assertTrue(direct.getMessage().startsWith("filter rejected 100 values in a row"));
    AssertionFailedError e = failure(Property.named("impossible"), impossible, x -> {});
    assertTrue(e.getMessage().contains("could not generate a value: filter rejected 100"));
    assertTrue(e.getMessage().contains("try 1 of"), e.getMessage());
    assertTrue(e.getMessage().contains("-Djvfio.seed="), e.getMessage());
  }

  @Test
  void filter_keepsOnlyMatchingValues_andShrinksWithinThem() {
    Gen<Long> even = Gen.longs(0, 10_000).filter(x -> x % 2 == 0);
    Property.named("even").forAll(even, x -> assertEquals(0, x % 2));
    AssertionFailedError e = failure(Property.named("small even"), even, x -> assertTrue(x < 300));
    assertEquals("300", shrunk(e));
  }
}
