package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
}
