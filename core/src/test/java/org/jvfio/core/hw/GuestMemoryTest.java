package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class GuestMemoryTest {
  private static final long BASE = 0x7000_0000_0000L;

  @Test
  void write_givesEveryTouchedPageAFreshToken() {
    GuestMemory m = GuestMemory.create(BASE, 1L << 30, 1);
    assertEquals(0, m.token(BASE));
    m.write(BASE + 4095, 2); // straddles pages 0 and 1
    long t0 = m.token(BASE);
    long t1 = m.token(BASE + 4096);
    assertNotEquals(0, t0);
    assertNotEquals(t0, t1);
    assertEquals(0, m.token(BASE + 8192));
    m.write(BASE, 1);
    assertNotEquals(t0, m.token(BASE));
  }

  @Test
  void copyFrom_makesMemoriesEqual_andDiffFindsTheStalePage() {
    GuestMemory src = GuestMemory.create(BASE, 64L << 20, 1);
    GuestMemory dst = GuestMemory.create(BASE, 64L << 20, 2);
    src.write(BASE + (3L << 20), 5 * 4096);
    assertEquals(5, dst.diffCount(src));
    dst.copyFrom(src, BASE, 64L << 20);
    assertEquals(0, dst.diffCount(src));
    assertEquals(-1, dst.firstDifference(src));
    src.write(BASE + (40L << 20) + 4096, 1);
    assertEquals(1, dst.diffCount(src));
    assertEquals(BASE + (40L << 20) + 4096, dst.firstDifference(src));
  }

  @Test
  void write_outsideMemory_isRefused() {
    GuestMemory m = GuestMemory.create(BASE, 1L << 20, 1);
    assertThrows(IllegalArgumentException.class, () -> m.write(BASE - 4096, 4096));
    assertThrows(IllegalArgumentException.class, () -> m.write(BASE + (1L << 20) - 1, 2));
    assertThrows(IllegalArgumentException.class, () -> m.write(BASE, 0));
  }

  @Test
  void create_badLayouts_areRefused() {
    assertThrows(IllegalArgumentException.class, () -> GuestMemory.create(BASE + 512, 4096, 1));
    assertThrows(IllegalArgumentException.class, () -> GuestMemory.create(0, 0, 1));
    assertThrows(IllegalArgumentException.class, () -> GuestMemory.create(BASE, 6144, 1));
    assertThrows(IllegalArgumentException.class, () -> GuestMemory.create(BASE, -4096, 1));
    // past the top of the 64-bit address space, including across the sign bit's neighbour
    assertThrows(IllegalArgumentException.class, () -> GuestMemory.create(-4096, 8192, 1));
    // 2^50 pages: more chunks than an array holds
    assertThrows(IllegalArgumentException.class, () -> GuestMemory.create(0, 1L << 62, 1));
  }

  @Test
  void create_rangesUpToTheTopOfTheAddressSpace_areAccepted() {
    GuestMemory top = GuestMemory.create(-8192, 8192, 1);
    top.write(-4096, 4096);
    assertNotEquals(0, top.token(-1));
    assertEquals(0, top.token(-8192));
    GuestMemory acrossSignBit = GuestMemory.create(Long.MAX_VALUE - 4095, 8192, 1);
    acrossSignBit.write(Long.MIN_VALUE, 1);
    assertNotEquals(0, acrossSignBit.token(Long.MIN_VALUE));
    assertEquals(8192, acrossSignBit.size());
  }

  @Test
  void write_tokensAreFreshAcrossWritesAndMemoriesOfOtherSeeds() {
    GuestMemory a = GuestMemory.create(BASE, 4L << 20, 1);
    GuestMemory b = GuestMemory.create(BASE, 4L << 20, 2);
    Set<Long> seen = new HashSet<>();
    long[][] writes = {{0, 2}, {5, 1}, {7, 600}, {0, 1}, {1023, 1}, {100, 3}};
    for (long[] w : writes) {
      for (GuestMemory m : List.of(a, b)) {
        m.write(BASE + w[0] * 4096, w[1] * 4096);
        for (long p = w[0]; p < w[0] + w[1]; p++) {
          assertTrue(seen.add(m.token(BASE + p * 4096)), "token reused at page " + p);
        }
      }
    }
    assertEquals(0, a.token(BASE + 1022 * 4096));
  }

  @Test
  void copyFrom_copiesWrittenAndUnwrittenPagesExactly() {
    GuestMemory src = GuestMemory.create(BASE, 8L << 20, 1);
    GuestMemory dst = GuestMemory.create(BASE, 8L << 20, 2);
    src.write(BASE + 4096, 4096);
    dst.copyFrom(src, BASE + 4096, 4096); // one written page into a chunk dst never wrote
    assertEquals(src.token(BASE + 4096), dst.token(BASE + 4096));
    dst.write(BASE + (3L << 20), 4096); // a page src never wrote, in a chunk src lacks
    dst.write(BASE + 8192, 4096); // and one in a chunk both have
    assertEquals(2, dst.diffCount(src));
    assertEquals(2, src.diffCount(dst));
    dst.copyFrom(src, BASE, 8L << 20);
    assertEquals(0, dst.token(BASE + (3L << 20)));
    assertEquals(0, dst.token(BASE + 8192));
    assertEquals(0, src.diffCount(dst));
  }

  @Test
  void firstDifference_isTheLowestDifferingPage() {
    GuestMemory a = GuestMemory.create(BASE, 8L << 20, 1);
    GuestMemory b = GuestMemory.create(BASE, 8L << 20, 2);
    a.write(BASE + (5L << 20), 4096);
    a.write(BASE + 3 * 4096, 4096);
    assertEquals(BASE + 3 * 4096, a.firstDifference(b));
    assertEquals(BASE + 3 * 4096, b.firstDifference(a));
  }

  @Test
  void copyAndCompare_differentLayouts_areRefused() {
    GuestMemory a = GuestMemory.create(BASE, 8L << 20, 1);
    GuestMemory otherSize = GuestMemory.create(BASE, 4L << 20, 1);
    GuestMemory otherBase = GuestMemory.create(BASE + 4096, 8L << 20, 1);
    for (GuestMemory o : List.of(otherSize, otherBase)) {
      assertThrows(IllegalArgumentException.class, () -> a.copyFrom(o, BASE + 8192, 4096));
      assertThrows(IllegalArgumentException.class, () -> a.diffCount(o));
    }
    GuestMemory same = GuestMemory.create(BASE, 8L << 20, 2);
    assertThrows(IllegalArgumentException.class, () -> a.copyFrom(same, BASE + (8L << 20), 4096));
    assertThrows(IllegalArgumentException.class, () -> a.copyFrom(same, BASE - 4096, 4096));
  }
}
