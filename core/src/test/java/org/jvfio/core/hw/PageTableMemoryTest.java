package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
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
    assertEquals(4L * 512 * 4096, m.bytesHeld()); // whole chunks, no slack
    assertThrows(IllegalArgumentException.class, () -> m.freeFrame(PageTableMemory.BASE + 8));
  }

  @Test
  void allocateFrames_isContiguousNaturallyAlignedZeroedAndInOneChunk() {
    PageTableMemory m = new PageTableMemory();
    long single = m.allocateFrame(); // frame 0: the run must skip to frame 16
    long run = m.allocateFrames(16);
    assertEquals(PageTableMemory.BASE + 16 * 4096L, run);
    assertEquals(0, (run - PageTableMemory.BASE) % (16 * 4096L));
    assertEquals(17, m.framesInUse());
    for (int i = 0; i < 16 * 512; i++) {
      assertEquals(0, m.get(run + 8L * i), "entry " + i);
      m.set(run + 8L * i, i + 1); // one table of 8192 entries spanning 16 frames
    }
    assertEquals(8192, m.get(run + 8L * 8191));
    // The frames skipped for alignment (1..15) serve single-frame allocations.
    long skipped = m.allocateFrame();
    assertTrue(skipped > single && skipped < run, Long.toHexString(skipped));
    m.freeFrames(run, 16);
    assertEquals(2, m.framesInUse());
    long again = m.allocateFrames(16);
    assertEquals(run, again);
    assertEquals(0, m.get(again + 8L * 8191));
  }

  @Test
  void allocateFrames_manyRunsNeverStraddleAChunk() {
    PageTableMemory m = new PageTableMemory();
    m.allocateFrame();
    for (int i = 0; i < 100; i++) {
      int count = 1 << (i % 7);
      long pa = m.allocateFrames(count);
      long first = (pa - PageTableMemory.BASE) / 4096;
      assertEquals(0, first % count, "run " + i + " misaligned");
      assertEquals(
          first / PageTableMemory.FRAMES_PER_CHUNK,
          (first + count - 1) / PageTableMemory.FRAMES_PER_CHUNK,
          "run " + i + " crosses a chunk");
      m.set(pa + 8L * (count * 512 - 1), 1); // last entry of the run is addressable
    }
  }

  @Test
  void allocateFrames_rejectsBadCountsAndFreeFramesBadRuns() {
    PageTableMemory m = new PageTableMemory();
    assertThrows(IllegalArgumentException.class, () -> m.allocateFrames(3));
    assertThrows(IllegalArgumentException.class, () -> m.allocateFrames(0));
    assertThrows(IllegalArgumentException.class, () -> m.allocateFrames(128));
    long run = m.allocateFrames(4);
    assertThrows(IllegalArgumentException.class, () -> m.freeFrames(run + 4096, 4));
    assertEquals(4, m.framesInUse());
  }

  @Test
  void allocateFrames_alignedRunsWasteNoFrame_andCountInFramesInUse() {
    PageTableMemory m = new PageTableMemory();
    long f0 = m.allocateFrame();
    m.allocateFrame();
    m.allocateFrame();
    long run = m.allocateFrames(4); // frames 4..7: frame 3, skipped to align, joins the free list
    assertEquals(f0 + 4 * 4096, run);
    assertEquals(f0 + 3 * 4096, m.allocateFrame());
    assertEquals(f0 + 8 * 4096, m.allocateFrame());
    assertEquals(9, m.framesInUse());
    m.freeFrames(run, 4);
    assertEquals(5, m.framesInUse());
    assertEquals(run, m.allocateFrames(4)); // a freed run is reused, and counted again
    assertEquals(9, m.framesInUse());
  }

  @Test
  void freeFrames_aRunAtTheFirstFrame_isAccepted() {
    PageTableMemory m = new PageTableMemory();
    long run = m.allocateFrames(8);
    assertEquals(PageTableMemory.BASE, run);
    m.freeFrames(run, 8);
    assertEquals(0, m.framesInUse());
    assertThrows(
        IllegalArgumentException.class, () -> m.freeFrames(PageTableMemory.BASE - 8 * 4096, 8));
  }

  @Test
  void freeFrames_manyRunsOfOneSize_areAllReused() {
    PageTableMemory m = new PageTableMemory();
    Set<Long> runs = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      runs.add(m.allocateFrames(2));
    }
    long held = m.bytesHeld();
    for (long run : runs) {
      m.freeFrames(run, 2);
    }
    assertEquals(0, m.framesInUse());
    Set<Long> again = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      again.add(m.allocateFrames(2));
    }
    assertEquals(runs, again);
    assertEquals(held, m.bytesHeld());
  }

  @Test
  void allocateFrame_beyondSixteenChunks_growsTheChunkTable() {
    PageTableMemory m = new PageTableMemory();
    int frames = 17 * 64 + 1;
    long first = m.allocateFrame();
    for (int i = 1; i < frames; i++) {
      assertEquals(first + i * 4096L, m.allocateFrame());
    }
    long last = first + (frames - 1) * 4096L;
    m.set(last + 8, 42);
    assertEquals(42, m.get(last + 8));
    assertEquals(0, m.get(first + 8));
    assertEquals(frames, m.framesInUse());
  }

  @Test
  void freeFrame_firstFrame_isAccepted_aFrameNeverHandedOut_isRefused() {
    PageTableMemory m = new PageTableMemory();
    long first = m.allocateFrame();
    assertTrue(m.contains(first));
    assertFalse(m.contains(first + 4096));
    assertFalse(m.contains(first - 4096));
    assertThrows(IllegalArgumentException.class, () -> m.freeFrame(first + 4096));
    m.freeFrame(first);
    assertEquals(0, m.framesInUse());
  }
}
