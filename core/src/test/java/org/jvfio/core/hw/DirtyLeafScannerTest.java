package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DirtyLeafScannerTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);

  // An x86-like format: P (0) present, A (5), D (6), bit 7 marks a non-leaf ("odd") entry.
  private static final long P = 1;
  private static final long A = 1L << 5;
  private static final long D = 1L << 6;
  private static final long ODD = 1L << 7;
  private static final DirtyLeafScanner.Format SKIP_HOLES =
      new DirtyLeafScanner.Format(P | ODD, P, P, D, D, ~D, 0, A);
  // An Arm-like format: holes stop the scan; dirty = bit 51 set and bit 7 clear, cleaned by OR.
  private static final long DBM = 1L << 51;
  private static final long RDONLY = 1L << 7;
  private static final DirtyLeafScanner.Format STOP_AT_HOLES =
      new DirtyLeafScanner.Format(3, 3, 0, DBM | RDONLY, DBM, -1L, RDONLY, 1L << 10);

  @Test
  void readAndClear_x86Example_recordsDirtyLeavesAndStopsAtTheFirstOddEntry() {
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    m.set(f, P | D | A); // 0: dirty, settled
    m.set(f + 8, P); // 1: clean
    // 2: hole, skipped
    m.set(f + 24, P | D); // 3: dirty, not settled (A clear): cleaned by CAS
    m.set(f + 32, P | ODD | D); // 4: odd: the scan stops here
    m.set(f + 40, P | D);
    DirtyLeafScanner s = SKIP_HOLES.scanner(m);
    assertEquals(0b1001, s.readAndClear(f, 64, true));
    assertEquals(4, s.consumed());
    assertEquals(P | A, m.get(f));
    assertEquals(P, m.get(f + 24));
    assertEquals(P | ODD | D, m.get(f + 32));
    assertEquals(P | D, m.get(f + 40));
    assertEquals(0b1, s.readAndClear(f + 40, 2, false));
    assertEquals(2, s.consumed());
    assertEquals(P | D, m.get(f + 40));
  }

  @Test
  void readAndClear_dirtyRunEndingAtAnOddEntry_leavesTheRestAlone() {
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    for (int i = 0; i < 3; i++) {
      m.set(f + 8L * i, P | A | D); // dirty and settled: cleaned in one copy
    }
    m.set(f + 24, P | ODD | A | D); // odd: the scan stops here
    m.set(f + 32, P | A | D); // after the stop: untouched
    DirtyLeafScanner s = SKIP_HOLES.scanner(m);
    assertEquals(0b111, s.readAndClear(f, 5, true));
    assertEquals(3, s.consumed());
    for (int i = 0; i < 3; i++) {
      assertEquals(P | A, m.get(f + 8L * i), "entry " + i);
    }
    assertEquals(P | ODD | A | D, m.get(f + 24));
    assertEquals(P | A | D, m.get(f + 32));
  }

  @Test
  void readAndClear_holeInAFormatThatStopsAtHoles_stopsThere() {
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    m.set(f, 3 | DBM); // dirty page
    m.set(f + 8, 3 | DBM | RDONLY); // clean page
    m.set(f + 24, 3 | DBM); // after the hole: untouched
    DirtyLeafScanner s = STOP_AT_HOLES.scanner(m);
    assertEquals(0b1, s.readAndClear(f, 4, true));
    assertEquals(2, s.consumed());
    assertEquals(3 | DBM | RDONLY, m.get(f));
    assertEquals(3 | DBM, m.get(f + 24));
  }

  @Test
  void readAndClear_badCount_refused() {
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    DirtyLeafScanner s = SKIP_HOLES.scanner(m);
    assertThrows(IllegalArgumentException.class, () -> s.readAndClear(f, 0, true));
    assertThrows(IllegalArgumentException.class, () -> s.readAndClear(f, 65, true));
    assertThrows(IllegalArgumentException.class, () -> s.readAndClear(f, 513, true, new long[8]));
    assertThrows(IllegalArgumentException.class, () -> s.readAndClear(f, 65, true, new long[1]));
  }

  /**
   * Property: the kernel agrees with a one-entry-at-a-time oracle on random tables, through both
   * the 64-entry call and the span call, at every density of dirty leaves (so that clean blocks are
   * skipped, others read for the exact mask, all-dirty ones cleaned in one pass) with and without
   * holes and entries that stop the scan.
   */
  @Test
  void readAndClear_randomEntries_matchPerEntryOracle() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    for (int trial = 0; trial < TRIES; trial++) {
      boolean arm = rnd.nextBoolean();
      DirtyLeafScanner.Format fmt = arm ? STOP_AT_HOLES : SKIP_HOLES;
      long[] before = new long[512];
      int density = rnd.nextInt(4); // 0 clean, 1 sparse, 2 random, 3 every leaf dirty and settled
      boolean others = rnd.nextBoolean(); // holes and entries that stop the scan
      for (int i = 0; i < 512; i++) {
        int kind = others ? rnd.nextInt(arm ? 400 : 200) : 2;
        long e = rnd.nextLong() & ((1L << 52) - 1) & ~3L & (arm ? -1L : ~ODD);
        if (kind == 0) {
          e |= 0; // a hole: skipped (x86) or the end of the scan (Arm)
        } else if (kind == 1) {
          e |= arm ? 1 : 3 | ODD; // not a leaf of the format: the scan stops
        } else {
          e |= 3;
          boolean dirty =
              density == 3
                  || density == 2 && rnd.nextBoolean()
                  || density == 1 && rnd.nextInt(40) == 0;
          if (dirty) {
            e =
                arm
                    ? (e | DBM | (density == 3 ? 1L << 10 : 0)) & ~RDONLY
                    : e | D | (density == 3 ? A : 0);
          } else {
            e = arm ? e | RDONLY : e & ~D;
          }
        }
        before[i] = e;
        m.set(f + 8L * i, e);
      }
      boolean span = rnd.nextBoolean();
      int from = rnd.nextInt(512);
      int count = 1 + rnd.nextInt(Math.min(span ? 512 : 64, 512 - from));
      boolean clear = rnd.nextBoolean();
      long[] expectedMasks = new long[8];
      int expectedConsumed = count;
      long[] after = before.clone();
      for (int k = 0; k < count; k++) {
        long e = before[from + k];
        boolean leaf = (e & fmt.leafMask()) == fmt.leafValue();
        boolean hole = fmt.holeMask() != 0 && (e & fmt.holeMask()) == 0;
        if (!leaf && !hole) {
          expectedConsumed = k;
          break;
        }
        if (leaf && (e & fmt.dirtyMask()) == fmt.dirtyValue()) {
          expectedMasks[k >>> 6] |= 1L << k;
          if (clear) {
            after[from + k] = (e & fmt.cleanAndMask()) | fmt.cleanOrMask();
          }
        }
      }
      DirtyLeafScanner s = fmt.scanner(m);
      String where =
          String.format(
              "seed=0x%x trial=%d arm=%s density=%d span=%s from=%d count=%d clear=%s",
              SEED, trial, arm, density, span, from, count, clear);
      if (span) {
        long[] masks = new long[8];
        assertEquals(expectedConsumed, s.readAndClear(f + 8L * from, count, clear, masks), where);
        for (int w = 0; w < (expectedConsumed + 63) >>> 6; w++) {
          assertEquals(expectedMasks[w], masks[w], where + " block " + w);
        }
      } else {
        assertEquals(expectedMasks[0], s.readAndClear(f + 8L * from, count, clear), where);
      }
      assertEquals(expectedConsumed, s.consumed(), where);
      for (int i = 0; i < 512; i++) {
        assertEquals(after[i], m.get(f + 8L * i), where + " entry " + i);
      }
    }
  }

  /**
   * A "hardware" thread sets D (with or without A) and A by compare-and-swap, as the IOMMU's
   * interlocked update does, while the harvester scans and clears: every D the hardware set is
   * harvested exactly once, none is lost to the harvester's plain stores.
   */
  @Test
  void readAndClear_concurrentHardwareUpdates_noDirtyBitLost() throws InterruptedException {
    raceHardware(64);
  }

  /** The same race over a whole table through the span call (mostly clean and sparse blocks). */
  @Test
  void readAndClearSpan_concurrentHardwareUpdates_noDirtyBitLost() throws InterruptedException {
    raceHardware(512);
  }

  private static void raceHardware(int entries) throws InterruptedException {
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    for (int i = 0; i < entries; i++) {
      m.set(f + 8L * i, P);
    }
    AtomicLong sets = new AtomicLong();
    int updates = 200_000;
    Thread hardware =
        new Thread(
            () -> {
              SplittableRandom rnd = new SplittableRandom(SEED);
              for (int n = 0; n < updates; n++) {
                long slot = f + 8L * rnd.nextInt(entries);
                long cur = m.getVolatile(slot);
                if (rnd.nextBoolean()) {
                  if ((cur & A) == 0) {
                    m.compareAndSet(slot, cur, cur | A);
                  }
                } else if ((cur & D) == 0
                    && m.compareAndSet(slot, cur, cur | D | (rnd.nextBoolean() ? A : 0))) {
                  sets.incrementAndGet();
                }
              }
            });
    DirtyLeafScanner s = SKIP_HOLES.scanner(m);
    long harvested = 0;
    hardware.start();
    long[] masks = new long[8];
    while (hardware.isAlive()) {
      harvested += harvestOnce(s, f, entries, masks);
    }
    hardware.join();
    harvested += harvestOnce(s, f, entries, masks);
    assertEquals(sets.get(), harvested, "seed=0x" + Long.toHexString(SEED));
  }

  private static long harvestOnce(DirtyLeafScanner s, long f, int entries, long[] masks) {
    if (entries <= 64) {
      return Long.bitCount(s.readAndClear(f, entries, true));
    }
    long n = 0;
    s.readAndClear(f, entries, true, masks);
    for (long w : masks) {
      n += Long.bitCount(w);
    }
    return n;
  }

  @Test
  void format_leafAndDirtyBitsMustBeDisjointMasks() {
    new DirtyLeafScanner.Format(1, 1, 1, 2, 2, ~2L, 0, 0); // leaf bit 0, dirty bit 1: fine
    assertThrows(
        IllegalArgumentException.class,
        () -> new DirtyLeafScanner.Format(3, 1, 1, 2, 2, ~2L, 0, 0)); // bit 1 in both masks
    assertThrows(
        IllegalArgumentException.class,
        () -> new DirtyLeafScanner.Format(1, 3, 1, 2, 2, ~2L, 0, 0)); // leaf value outside mask
    assertThrows(
        IllegalArgumentException.class,
        () -> new DirtyLeafScanner.Format(1, 1, 1, 2, 6, ~2L, 0, 0)); // dirty value outside mask
  }

  @Test
  void readAndClear_allLeaves_consumesExactlyCount_andNeverLooksPastIt() {
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    for (int i = 0; i < 64; i++) {
      m.set(f + 8L * i, P | A | (i % 3 == 0 ? D : 0));
    }
    m.set(f + 8L * 64, P | ODD); // the entry after the range: not the scan's business
    DirtyLeafScanner s = SKIP_HOLES.scanner(m);
    long every3rd = 0;
    for (int i = 0; i < 64; i += 3) {
      every3rd |= 1L << i;
    }
    assertEquals(0b1001001001, s.readAndClear(f, 10, false));
    assertEquals(10, s.consumed());
    assertEquals(every3rd, s.readAndClear(f, 64, true));
    assertEquals(64, s.consumed());
    for (int i = 0; i < 64; i++) {
      assertEquals(P | A, m.get(f + 8L * i), "entry " + i);
    }
  }

  @Test
  void readAndClear_settledRunWithCleanEntries_changesOnlyTheDirtyOnes() {
    PageTableMemory m = new PageTableMemory();
    long f = m.allocateFrame();
    long settled = 1L << 10;
    long[] entries = {
      3 | DBM | settled, // dirty
      3 | settled, // writable without DBM: never dirty, never made read-only
      3 | DBM | RDONLY | settled, // clean
      3 | DBM | settled // dirty
    };
    for (int i = 0; i < entries.length; i++) {
      m.set(f + 8L * i, entries[i]);
    }
    DirtyLeafScanner s = STOP_AT_HOLES.scanner(m);
    assertEquals(0b1001, s.readAndClear(f, 4, true));
    assertEquals(4, s.consumed());
    assertEquals(3 | DBM | RDONLY | settled, m.get(f));
    assertEquals(3 | settled, m.get(f + 8));
    assertEquals(3 | DBM | RDONLY | settled, m.get(f + 16));
    assertEquals(3 | DBM | RDONLY | settled, m.get(f + 24));
  }
}
