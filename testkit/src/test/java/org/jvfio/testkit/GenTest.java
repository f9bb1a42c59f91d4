package org.jvfio.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class GenTest {
  @Test
  void longs_stayInBounds_andReachBoth() {
    Set<Long> seen = new HashSet<>();
    Property.check(
        "longs in bounds",
        Gen.longs(-3, 3),
        x -> {
          assertTrue(x >= -3 && x <= 3, "out of bounds: " + x);
          seen.add(x);
        });
    assertEquals(7, seen.size());
  }

  @Test
  void unsignedLongs_stayInUnsignedBounds() {
    long min = 0x8000_0000_0000_0000L;
    long max = 0xFFFF_FFFF_FFFF_FFF0L;
    Property.check(
        "unsigned in bounds",
        Gen.unsignedLongs(min, max),
        x -> assertTrue(Long.compareUnsigned(x, min) >= 0 && Long.compareUnsigned(x, max) <= 0));
  }

  @Test
  void powersOfTwo_areInRange() {
    Property.check(
        "powers of two",
        Gen.powersOfTwo(3, 63),
        x -> {
          assertEquals(1, Long.bitCount(x));
          assertTrue(Long.numberOfTrailingZeros(x) >= 3);
        });
  }

  @Test
  void lists_respectSizeBounds_andCoverThem() {
    Set<Integer> sizes = new HashSet<>();
    Property.check(
        "list sizes",
        Gen.lists(Gen.booleans(), 2, 5),
        l -> {
          assertTrue(l.size() >= 2 && l.size() <= 5, "size " + l.size());
          sizes.add(l.size());
        });
    assertEquals(Set.of(2, 3, 4, 5), sizes);
  }

  @Test
  void frequency_respectsWeights() {
    int[] counts = new int[2];
    Property.named("weights")
        .withTries(2000)
        .forAll(
            Gen.frequency(Map.entry(9, Gen.constant(0)), Map.entry(1, Gen.constant(1))),
            i -> counts[i]++);
    assertTrue(counts[1] > 100 && counts[1] < 320, "counts " + counts[0] + "/" + counts[1]);
  }

  @Test
  void choose_oneOf_flatMap_compose() {
    Gen<String> g =
        Gen.choose(Gen.oneOf("a", "b"), Gen.ints(1, 3).flatMap(n -> Gen.constant("n" + n)));
    Property.check(
        "composed", g, s -> assertTrue(List.of("a", "b", "n1", "n2", "n3").contains(s), s));
  }

  @Test
  void factories_rejectBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> Gen.longs(2, 1));
    assertThrows(IllegalArgumentException.class, () -> Gen.unsignedLongs(-1L, 0));
    assertThrows(IllegalArgumentException.class, () -> Gen.powersOfTwo(0, 64));
    assertThrows(IllegalArgumentException.class, () -> Gen.oneOf(List.of()));
    assertThrows(IllegalArgumentException.class, () -> Gen.lists(Gen.booleans(), 3, 2));
    assertThrows(
        IllegalArgumentException.class, () -> Gen.frequency(Map.entry(0, Gen.constant(1))));
  }

  @Test
  void replay_ofTheRecordedChoices_regeneratesTheValue() {
    Gen<List<Long>> g = Gen.lists(Gen.unsignedLongs(), 0, 30);
    for (long seed = 0; seed < 50; seed++) {
      Source s = Source.random(new SplittableRandom(seed));
      List<Long> value = g.generate(s);
      assertEquals(value, g.generate(Source.replay(s.choices())));
    }
  }

  @Test
  void replay_beyondTheRecord_drawsTheSimplestChoices() {
    assertEquals(List.of(), Gen.lists(Gen.longs(5, 9), 0, 4).generate(Source.replay(new long[0])));
    assertEquals(
        List.of(5L, 5L), Gen.lists(Gen.longs(5, 9), 2, 4).generate(Source.replay(new long[0])));
  }

  @Test
  void shrinker_simpler_isShortlex() {
    assertTrue(Shrinker.simpler(new long[] {9}, new long[] {0, 0}));
    assertTrue(Shrinker.simpler(new long[] {1, 2}, new long[] {1, 3}));
    assertTrue(Shrinker.simpler(new long[] {1}, new long[] {-1L})); // unsigned
    assertTrue(!Shrinker.simpler(new long[] {1, 2}, new long[] {1, 2}));
  }
}
