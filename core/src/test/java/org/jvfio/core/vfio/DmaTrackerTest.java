package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.bitmap.IovaBitmap;

/** The mlx5-like and pds-like tracker profiles and the lock-free log. */
class DmaTrackerTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final long K4 = 4096;

  static DmaLoggingControl control(long pageSize, long... iovaLength) {
    List<DmaLoggingRange> ranges = new ArrayList<>();
    for (int i = 0; i < iovaLength.length; i += 2) {
      ranges.add(new DmaLoggingRange(iovaLength[i], iovaLength[i + 1]));
    }
    return new DmaLoggingControl(pageSize, ranges);
  }

  private static VfioDevice device(DmaTracker t) {
    return VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(t)));
  }

  @Test
  void exact_choosesTheSupportedPageSizeNearestTheHint() {
    long sizes = K4 | (1L << 21) | (1L << 30);
    long[][] cases = {
      {K4, K4},
      {1L << 16, K4},
      {1L << 18, 1L << 21},
      {1L << 20, 1L << 21},
      {1L << 25, 1L << 21},
      {1L << 26, 1L << 30},
      {1L << 40, 1L << 30},
      {1024, K4}
    };
    for (long[] c : cases) {
      DmaTracker t = DmaTracker.exact(sizes);
      assertEquals(c[1], t.start(control(c[0], 0, 1L << 31)).pageSize(), "hint " + c[0]);
    }
    // A tie goes to the smaller page (finer tracking, no over-report).
    assertEquals(
        K4, DmaTracker.exact(K4 | (1L << 14)).start(control(1L << 13, 0, 1L << 14)).pageSize());
  }

  @Test
  void mlx5Like_badConfiguration_isRefused() {
    int[][] bad = {
      {0, 12, 21, 20, 30}, // no range
      {4, 22, 21, 20, 30}, // smallest page above the largest
      {4, -1, 21, 20, 30},
      {4, 12, 64, 20, 30},
      {4, 12, 21, 31, 30}, // smallest address space above the largest
      {4, 12, 21, -1, 30},
      {4, 12, 21, 20, 64}
    };
    for (int[] b : bad) {
      assertThrows(
          IllegalArgumentException.class,
          () -> DmaTracker.mlx5Like(b[0], b[1], b[2], b[3], b[4]),
          java.util.Arrays.toString(b));
    }
    assertEquals(K4, DmaTracker.mlx5Like(1, 12, 12, 0, 63).start(control(K4, 0, K4)).pageSize());
  }

  /** Oracle: merging keeps every other gap, so remove the n - k smallest gaps (lowest first). */
  private static List<DmaLoggingRange> mergeOracle(List<DmaLoggingRange> sorted, int k) {
    int n = sorted.size();
    if (n <= k) {
      return sorted;
    }
    List<Integer> gaps = new ArrayList<>();
    for (int i = 1; i < n; i++) {
      gaps.add(i);
    }
    gaps.sort(
        Comparator.comparingLong((Integer i) -> sorted.get(i).iova() - sorted.get(i - 1).last())
            .thenComparingInt(i -> i));
    boolean[] merged = new boolean[n];
    for (int j = 0; j < n - k; j++) {
      merged[gaps.get(j)] = true;
    }
    List<DmaLoggingRange> out = new ArrayList<>();
    long start = sorted.get(0).iova();
    for (int i = 1; i <= n; i++) {
      if (i == n || !merged[i]) {
        out.add(new DmaLoggingRange(start, sorted.get(i - 1).last() - start + 1));
        if (i < n) {
          start = sorted.get(i).iova();
        }
      }
    }
    return out;
  }

  /** Brute force: the least total covered length over every way to keep k - 1 of the gaps. */
  private static long bruteForceMinCover(List<DmaLoggingRange> sorted, int k) {
    int n = sorted.size();
    long best = Long.MAX_VALUE;
    for (int mask = 0; mask < 1 << (n - 1); mask++) {
      if (Integer.bitCount(mask) != Math.min(k, n) - 1) {
        continue; // bit i set: the gap before range i + 1 stays open
      }
      long total = 0;
      long start = sorted.get(0).iova();
      for (int i = 1; i <= n; i++) {
        if (i == n || (mask & (1 << (i - 1))) != 0) {
          total += sorted.get(i - 1).last() - start + 1;
          if (i < n) {
            start = sorted.get(i).iova();
          }
        }
      }
      best = Math.min(best, total);
    }
    return best;
  }

  private static List<DmaLoggingRange> randomRanges(SplittableRandom r, int n) {
    List<DmaLoggingRange> ranges = new ArrayList<>();
    long at = r.nextInt(16) * K4;
    for (int i = 0; i < n; i++) {
      long len = (1 + r.nextInt(r.nextBoolean() ? 4 : 64)) * K4;
      ranges.add(new DmaLoggingRange(at, len));
      at += len + (r.nextInt(3) == 0 ? 0 : (1 + r.nextInt(r.nextBoolean() ? 4 : 64))) * K4;
    }
    return ranges;
  }

  @Test
  void combine_matchesGapOracleAndBruteForceMinimum() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES; t++) {
      long caseSeed = rnd.nextLong();
      SplittableRandom r = new SplittableRandom(caseSeed);
      int n = 1 + r.nextInt(r.nextBoolean() ? 12 : 256);
      List<DmaLoggingRange> ranges = randomRanges(r, n);
      int k = 1 + r.nextInt(n + 2);
      String where = "seed=0x" + Long.toHexString(SEED) + " case=0x" + Long.toHexString(caseSeed);
      List<DmaLoggingRange> got = IovaRanges.combine(ranges, k);
      assertEquals(mergeOracle(ranges, k), got, where + " ranges=" + ranges + " k=" + k);
      if (n <= 12) {
        long cover = got.stream().mapToLong(DmaLoggingRange::length).sum();
        assertEquals(bruteForceMinCover(ranges, k), cover, where);
      }
    }
  }

  @Test
  void mlx5Like_mergesToMaxRangesAndOverReportsTheGaps() {
    DmaTracker t = DmaTracker.mlx5Like(2, 12, 21, 12, 42);
    VfioDevice dev = device(t);
    DmaLoggingControl eff =
        dev.startDmaLogging(control(K4, 0, K4, 0x10000, K4, 0x12000, K4, 0x100000, K4));
    assertEquals(
        List.of(new DmaLoggingRange(0, 0x13000), new DmaLoggingRange(0x100000, K4)), eff.ranges());
    assertEquals(eff.ranges(), t.effectiveRanges());
    t.recordWrite(0x8000, 1); // in a merged gap: tracked although not requested
    t.recordWrite(0x50000, 1); // in the remaining gap: not tracked
    IovaBitmap bm = IovaBitmap.allocate(0, 0x101000, K4);
    dev.reportDmaLogging(new DmaLoggingReport(0, 0x101000, K4), bm);
    assertTrue(bm.isDirty(0x8000));
    assertEquals(1, bm.cardinality());
  }

  @Test
  void mlx5Like_addressSpaceWindow_eopnotsupp() {
    // Window [20, 30]: the total tracked length rounded up to a power of two.
    assertErrno(
        Errno.EOPNOTSUPP, () -> DmaTracker.mlx5Like(4, 12, 21, 20, 30).start(control(K4, 0, K4)));
    DmaTracker t = DmaTracker.mlx5Like(4, 12, 21, 20, 30);
    assertErrno(Errno.EOPNOTSUPP, () -> t.start(control(K4, 0, 1L << 30, 1L << 31, K4)));
    assertFalse(t.isLogging());
    // Exactly 2^30 in total is inside the window.
    assertEquals(2, t.start(control(K4, 0, 1L << 29, 1L << 31, 1L << 29)).ranges().size());
    // After merging, the merged (larger) length counts: two 1 MiB ranges 1 GiB apart, one range.
    assertErrno(
        Errno.EOPNOTSUPP,
        () ->
            DmaTracker.mlx5Like(1, 12, 21, 20, 30)
                .start(control(K4, 0, 1L << 20, 1L << 30, 1L << 20)));
  }

  @Test
  void mlx5Like_pageSizeClamped() {
    assertEquals(
        1L << 16,
        DmaTracker.mlx5Like(4, 12, 16, 0, 63).start(control(1L << 21, 0, 1L << 21)).pageSize());
    assertEquals(K4, DmaTracker.mlx5Like(4, 12, 16, 0, 63).start(control(1024, 0, K4)).pageSize());
    assertEquals(
        1L << 14,
        DmaTracker.mlx5Like(4, 12, 16, 0, 63).start(control(1L << 14, 0, K4 * 4)).pageSize());
  }

  @Test
  void pdsLike_oneRegionAndReportChecks() {
    DmaTracker t = DmaTracker.pdsLike();
    VfioDevice dev = device(t);
    long start = 0x100000;
    // 256 pages from the first range to the end of the last.
    DmaLoggingControl eff = dev.startDmaLogging(control(K4, start, K4, start + 255 * K4, K4));
    assertEquals(List.of(new DmaLoggingRange(start, 256 * K4)), eff.ranges());
    assertEquals(K4, eff.pageSize());
    t.recordWrite(start + 100 * K4, 1); // in the gap: tracked by the region
    t.recordWrite(start + 255 * K4 + 1, 1);
    t.recordWrite(start - 1, 1); // outside
    // Outside the region, empty, or not whole words: EINVAL, nothing cleared.
    for (long[] bad :
        new long[][] {
          {start - K4, 64 * K4},
          {start, 257 * K4},
          {start + 256 * K4, K4},
          {start, 64 * K4 + 1},
          {start, K4 / 2}
        }) {
      assertErrno(
          Errno.EINVAL,
          () ->
              dev.reportDmaLogging(
                  new DmaLoggingReport(bad[0], bad[1], K4),
                  IovaBitmap.allocate(bad[0], bad[1], K4)));
    }
    IovaBitmap bm = IovaBitmap.allocate(start, 256 * K4, K4);
    dev.reportDmaLogging(new DmaLoggingReport(start, 256 * K4, K4), bm);
    assertEquals(2, bm.cardinality());
    assertTrue(bm.isDirty(start + 100 * K4));
    assertTrue(bm.isDirty(start + 255 * K4));
  }

  @Test
  void pdsLike_hostBitmapOfWholeBytes_refusesAReportOneWordLarger() {
    // 63 pages: a host bitmap of 7 bytes; reporting them all reads one 8-byte word.
    DmaTracker t = DmaTracker.pdsLike();
    t.start(control(K4, 0, 63 * K4));
    assertErrno(
        Errno.EINVAL, () -> t.readAndClear(0, 63 * K4, IovaBitmap.allocate(0, 63 * K4, K4)));
    // 64 pages: 8 bytes, exactly one word; the report may end on the region's last byte.
    DmaTracker full = DmaTracker.pdsLike();
    full.start(control(K4, 0x10000, 64 * K4));
    full.recordWrite(0x10000 + 63 * K4, 1);
    IovaBitmap bm = IovaBitmap.allocate(0x10000, 64 * K4, K4);
    full.readAndClear(0x10000, 64 * K4, bm);
    assertTrue(bm.isDirty(0x10000 + 63 * K4));
    assertErrno(
        Errno.EINVAL,
        () -> full.readAndClear(0x10000 + K4, 64 * K4, IovaBitmap.allocate(0x10000, 65 * K4, K4)));
  }

  @Test
  void pdsLike_smallRegion_hostBitmapTooSmall_einval() {
    // 16 pages: the host bitmap is 2 bytes, a report needs a whole 8-byte word.
    DmaTracker t = DmaTracker.pdsLike();
    t.start(control(K4, 0, 16 * K4));
    assertErrno(
        Errno.EINVAL, () -> t.readAndClear(0, 16 * K4, IovaBitmap.allocate(0, 16 * K4, K4)));
  }

  @Test
  void pdsLike_reportNotOnAnEightPageBoundary_readsAShiftedWindowAsTheDriverDoes() {
    DmaTracker t = DmaTracker.pdsLike();
    t.start(control(K4, 0, 256 * K4));
    t.recordWrite(3 * K4, 1); // below the window pds reads: stays in the log
    t.recordWrite(10 * K4, 1); // inside: reported
    t.recordWrite(67 * K4, 1); // in the window read but past the report: cleared, not reported
    IovaBitmap bm = IovaBitmap.allocate(3 * K4, 64 * K4, K4);
    t.readAndClear(3 * K4, 64 * K4, bm);
    assertEquals(1, bm.cardinality());
    assertTrue(bm.isDirty(10 * K4));
    IovaBitmap all = IovaBitmap.allocate(0, 256 * K4, K4);
    t.readAndClear(0, 256 * K4, all);
    assertEquals(1, all.cardinality());
    assertTrue(all.isDirty(3 * K4));
  }

  @Test
  void fail_reportsEioUntilStopped_andIsIgnoredWhenNotLogging() {
    DmaTracker t = DmaTracker.exact();
    t.fail();
    assertFalse(t.isFailed());
    t.start(control(K4, 0, K4));
    t.fail();
    assertTrue(t.isFailed());
    assertErrno(Errno.EIO, () -> t.readAndClear(0, K4, IovaBitmap.allocate(0, K4, K4)));
    t.stop();
    assertFalse(t.isFailed());
    assertEquals(0, t.pageSize());
    assertEquals(List.of(), t.effectiveRanges());
  }

  @Test
  void recordWrite_ignoredWhenNotLogging_andLogClearedByRestart() {
    DmaTracker t = DmaTracker.exact();
    t.recordWrite(0, K4);
    t.start(control(K4, 0, 16 * K4));
    t.recordWrite(K4, 1);
    t.recordWrite(-1L, 10); // wraps past 2^64: clipped, outside anyway
    t.stop();
    t.recordWrite(2 * K4, 1);
    t.start(control(K4, 0, 16 * K4));
    IovaBitmap bm = IovaBitmap.allocate(0, 16 * K4, K4);
    t.readAndClear(0, 16 * K4, bm);
    assertEquals(0, bm.cardinality());
  }

  @Test
  void start_logTooLarge_enomem() {
    DmaTracker t = DmaTracker.exact();
    assertErrno(Errno.ENOMEM, () -> t.start(control(K4, 0, 1L << 50)));
    assertFalse(t.isLogging());
  }

  @Test
  void concurrentWritesAndReports_noWriteIsLost() throws Exception {
    for (DmaTracker t : List.of(DmaTracker.exact(), DmaTracker.mlx5Like(2, 12, 12, 0, 63))) {
      long pages = 1 << 14;
      t.start(control(K4, 0, pages * K4 / 2, pages * K4 / 2 + K4, pages * K4 / 2 - K4));
      int writers = 3;
      int writes = 40_000;
      BitSet[] written = new BitSet[writers];
      AtomicBoolean done = new AtomicBoolean();
      BitSet reported = new BitSet();
      Thread reporter =
          new Thread(
              () -> {
                while (!done.get()) {
                  reportInto(t, pages, reported);
                }
              });
      reporter.start();
      Thread[] threads = new Thread[writers];
      for (int w = 0; w < writers; w++) {
        BitSet mine = new BitSet();
        written[w] = mine;
        SplittableRandom r = new SplittableRandom(SEED + w);
        threads[w] =
            new Thread(
                () -> {
                  for (int i = 0; i < writes; i++) {
                    long page = r.nextLong(pages);
                    int n = r.nextInt(8) == 0 ? 1 + r.nextInt(3) : 1;
                    t.recordWrite(page * K4 + r.nextInt(4096), 1 + (n - 1) * K4);
                    for (long p = page; p < page + n && p < pages; p++) {
                      mine.set((int) p);
                    }
                  }
                });
        threads[w].start();
      }
      for (Thread th : threads) {
        th.join();
      }
      done.set(true);
      reporter.join();
      reportInto(t, pages, reported);
      BitSet expected = new BitSet();
      for (BitSet b : written) {
        expected.or(b);
      }
      expected.clear((int) (pages / 2)); // the one page between the two ranges is not tracked
      BitSet lost = (BitSet) expected.clone();
      lost.andNot(reported);
      BitSet extra = (BitSet) reported.clone();
      extra.andNot(expected);
      String where = t + " seed=0x" + Long.toHexString(SEED);
      assertTrue(lost.isEmpty(), where + " lost pages " + lost.stream().limit(20).boxed().toList());
      assertTrue(
          extra.isEmpty(), where + " extra pages " + extra.stream().limit(20).boxed().toList());
      assertTrue(expected.cardinality() > pages / 2, where);
      t.stop();
    }
  }

  private static void reportInto(DmaTracker t, long pages, BitSet into) {
    IovaBitmap bm = IovaBitmap.allocate(0, pages * K4, K4);
    t.readAndClear(0, pages * K4, bm);
    bm.forEachDirty(iova -> into.set((int) (iova / K4)));
  }

  @Test
  void toString_namesTheProfileItsPageSizeAndRanges() {
    DmaTracker exact = DmaTracker.exact();
    DmaTracker mlx5 = DmaTracker.mlx5Like(4, 12, 30, 0, 63);
    DmaTracker pds = DmaTracker.pdsLike();
    for (DmaTracker t : List.of(exact, mlx5, pds)) {
      t.start(control(K4, 0x10000, 2 * K4));
    }
    assertEquals("DmaTracker.exact[pageSize=4096, ranges=[[0x10000, +0x2000)]]", exact.toString());
    assertEquals(
        "DmaTracker.mlx5Like[pageSize=4096, ranges=[[0x10000, +0x2000)]]", mlx5.toString());
    assertEquals("DmaTracker.pdsLike[pageSize=4096, ranges=[[0x10000, +0x2000)]]", pds.toString());
    assertEquals(
        "VfioDevice[flags=none, state=RUNNING, tracker=" + pds + "]", device(pds).toString());
    assertEquals(
        "VfioDevice[flags=none, state=RUNNING, tracker=none]",
        VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.empty())).toString());
    VfioDevice migrating =
        VfioDevice.create(
            ReferenceMigrationDriver.seeded(
                java.util.EnumSet.of(MigrationFlag.STOP_COPY), SEED, 16));
    assertTrue(
        migrating.toString().startsWith("VfioDevice[flags=[STOP_COPY], state=RUNNING"),
        migrating::toString);
  }
}
