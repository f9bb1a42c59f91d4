package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.vfio.DmaTrackerTest.control;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.bitmap.IovaBitmap;

/**
 * The trackers at the ends of their ranges: the page-size search at bits 0 and 63, granules so
 * large that a run of them does not fit in 64 bits, a report ending on a range's first byte, the
 * dirty records a report emits, mlx5's address-space window at its lower edge and the pds-like
 * driver's one-word and one-bit windows.
 */
class DmaTrackerEdgesTest {
  private static final long K4 = 4096;

  /** The dirty records a report hands its sink, as {iova, length} pairs. */
  private static List<List<Long>> records(DmaTracker t, long iova, long length) {
    List<List<Long>> out = new ArrayList<>();
    ((AbstractDmaTracker) t).readAndClear(iova, length, (lo, len) -> out.add(List.of(lo, len)));
    return out;
  }

  @Test
  void exact_noSupportedPageSize_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> DmaTracker.exact(0));
  }

  /** {supported sizes, hint, chosen}: the nearest in log2 distance, the smaller on a tie. */
  @Test
  void choosePageSize_searchReachingBit0OrBit63_findsTheNearest() {
    long[][] cases = {
      {1L << 40 | 1L << 63, K4, 1L << 40}, // the downward search must stop at bit 0
      {K4 | 1L << 40, 1L << 63, 1L << 40}, // the upward search must stop at bit 63
      {1L << 63, K4, 1L << 63}, // bit 63 is a page size
      {1L << 63, 1, 1L << 63},
      {1L, 1L << 63, 1L}, // bit 0 is a page size
      {1L | 4L, 2L, 1L} // a tie at bit 0 goes to the smaller
    };
    for (long[] c : cases) {
      AbstractDmaTracker t = (AbstractDmaTracker) DmaTracker.exact(c[0]);
      assertEquals(
          c[2],
          t.choosePageSize(c[1]),
          "sizes 0x" + Long.toHexString(c[0]) + " hint 0x" + Long.toHexString(c[1]));
    }
  }

  /**
   * Granules of 2^58 bytes: 64 of them span 2^64, so a run is reported one granule at a time (a
   * whole run's length would wrap to 0). The range [0, 2^64 - 4 KiB) needs all 64.
   */
  @Test
  void report_granulesOf2To58_everyDirtyGranuleReportedOnce() {
    long granule = 1L << 58;
    DmaTracker t = DmaTracker.exact(granule);
    assertEquals(granule, t.start(control(K4, 0, -K4)).pageSize());
    t.recordWrite(0, -K4);
    IovaBitmap all = IovaBitmap.allocate(0, -K4, granule);
    t.readAndClear(0, -K4, all);
    assertEquals(64, all.cardinality());
    t.recordWrite(granule + 5, granule);
    assertEquals(
        List.of(List.of(granule, granule), List.of(2 * granule, granule)), records(t, 0, -K4));
  }

  /** A run of dirty granules inside one word is one record; a clean granule splits runs. */
  @Test
  void report_adjacentDirtyGranules_oneRecordPerRun() {
    DmaTracker t = DmaTracker.exact();
    t.start(control(K4, 0, 64 * K4));
    t.recordWrite(K4, 3 * K4);
    t.recordWrite(5 * K4 + 7, 1);
    assertEquals(List.of(List.of(K4, 3 * K4), List.of(5 * K4, K4)), records(t, 0, 64 * K4));
    assertEquals(List.of(), records(t, 0, 64 * K4));
  }

  /** A report whose last byte is the first byte of a range reports that range's first page. */
  @Test
  void report_endingOnTheFirstByteOfARange_reportsItsFirstPage() {
    DmaTracker t = DmaTracker.exact();
    t.start(control(K4, 0, K4, 2 * K4, K4));
    t.recordWrite(2 * K4 + 100, 1);
    IovaBitmap bm = IovaBitmap.allocate(0, 2 * K4 + 1, K4);
    t.readAndClear(0, 2 * K4 + 1, bm);
    assertEquals(1, bm.cardinality());
    assertTrue(bm.isDirty(2 * K4));
  }

  /**
   * mlx5's window [2^20, 2^30] includes its lower edge: a total of 1 MiB, or anything that rounds
   * up to it, is tracked; 512 KiB is EOPNOTSUPP.
   */
  @Test
  void mlx5Like_totalAtTheWindowsLowerEdge_isAdmitted() {
    for (long[] ok : new long[][] {{0, 1L << 20}, {0, K4, 1L << 30, (1L << 19) + K4}}) {
      assertEquals(K4, DmaTracker.mlx5Like(4, 12, 21, 20, 30).start(control(K4, ok)).pageSize());
    }
    assertErrno(
        Errno.EOPNOTSUPP,
        () -> DmaTracker.mlx5Like(4, 12, 21, 20, 30).start(control(K4, 0, 1L << 19)));
  }

  /**
   * pds: a report of one page still reads (and clears) the whole first bitmap word, as
   * pds_vfio_dirty_sync() does: the page is reported, the rest of the word's pages are lost.
   */
  @Test
  void pdsLike_reportOfOnePage_readsAndClearsItsWholeWord() {
    long start = 0x100000;
    DmaTracker t = DmaTracker.pdsLike();
    t.start(control(K4, start, 64 * K4));
    t.recordWrite(start, 1);
    t.recordWrite(start + 5 * K4, 1);
    IovaBitmap one = IovaBitmap.allocate(start, K4, K4);
    t.readAndClear(start, K4, one);
    assertEquals(1, one.cardinality());
    IovaBitmap rest = IovaBitmap.allocate(start, 64 * K4, K4);
    t.readAndClear(start, 64 * K4, rest);
    assertEquals(0, rest.cardinality());
  }

  /**
   * pds: a region of 65 pages has a host bitmap of 8 bytes; a report of its last page starts at bit
   * 64, the region's last, and reads that one bit.
   */
  @Test
  void pdsLike_reportOfTheLastPageOfA65PageRegion_readsItsOneBit() {
    long start = 0x100000;
    long last = start + 64 * K4;
    DmaTracker t = DmaTracker.pdsLike();
    t.start(control(K4, start, 65 * K4));
    t.recordWrite(last, 1);
    IovaBitmap bm = IovaBitmap.allocate(last, K4, K4);
    t.readAndClear(last, K4, bm);
    assertTrue(bm.isDirty(last));
  }
}
