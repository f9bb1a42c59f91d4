package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PageTableMemoryTest {
  @Test
  void allocateFrame_isZeroedAlignedAndReusedAfterFree() {
    PageTableMemory m = new PageTableMemory();
    long a = m.allocateFrame();
    long b = m.allocateFrame();
    assertEquals(PageTableMemory.BASE, a);
    assertEquals(a + 4096, b);
    m.set(a + 8 * 511, -1L);
    m.freeFrame(a);
    assertEquals(1, m.framesInUse());
    long c = m.allocateFrame();
    assertEquals(a, c);
    assertEquals(0, m.get(c + 8 * 511));
  }

  @Test
  void atomics_actOnOneEntry() {
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    long e = f + 8 * 7;
    assertTrue(m.compareAndSet(e, 0, 0x41));
    assertFalse(m.compareAndSet(e, 0, 0x42));
    assertEquals(0x41, m.getAndBitwiseOr(e, 0x2));
    assertEquals(0x43, m.getAndBitwiseAnd(e, ~0x40L));
    assertEquals(0x3, m.getVolatile(e));
    assertEquals(0, m.get(e + 8));
  }

  @Test
  void bytesHeld_staysCloseToTheFramesForManyFrames() {
    PageTableMemory m = new PageTableMemory();
    for (int i = 0; i < 4 * 512; i++) {
      m.allocateFrame();
    }
    assertEquals(4L * 512 * 4096, m.bytesHeld()); // four full chunks, no slack
    assertThrows(IllegalArgumentException.class, () -> m.freeFrame(PageTableMemory.BASE + 8));
  }
}
