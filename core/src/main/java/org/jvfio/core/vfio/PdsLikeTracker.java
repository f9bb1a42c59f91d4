package org.jvfio.core.vfio;

import java.util.List;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * {@link DmaTracker#pdsLike}: the behaviour of pds_vfio_dirty_enable() and pds_vfio_dirty_sync() in
 * {@code drivers/vfio/pci/pds/dirty.c}. One region covers every requested range
 * (vfio_combine_iova_ranges to 1); the hinted page size is used as is; the region has {@code
 * page_count = ceil(size / page_size)} bits but the host bitmap holds {@code page_count / 8} bytes.
 *
 * <p>A report must lie inside the region; its length, in region pages, must fill whole 64-bit
 * bitmap words the way the driver computes them ({@code ALIGN(DIV_ROUND_UP(length / page_size, 8),
 * 8)} must equal {@code round_up(ceil(length / page_size), 64) / 8}) and fit in the host bitmap,
 * else EINVAL. The driver then reads and clears whole words starting at byte {@code
 * DIV_ROUND_UP((iova - start) / page_size, 8)}: a report that does not start on an 8-page boundary
 * reads a window shifted up from the requested one, and granules of that window past the report's
 * end are cleared without being reported, exactly as the real driver loses them. A report aligned
 * to 64 region pages (or the whole region) is exact. Unlike the driver, a report below the region
 * start is refused even when the driver's wrapping arithmetic would let it through.
 */
final class PdsLikeTracker extends AbstractDmaTracker {
  PdsLikeTracker() {
    super(-1L << 12);
  }

  @Override
  List<DmaLoggingRange> admit(List<DmaLoggingRange> requested, long pageSize) {
    return IovaRanges.combine(requested, 1);
  }

  @Override
  void checkReport(Log l, long iova, long length) {
    DmaLoggingRange r = l.ranges.get(0);
    long start = r.iova();
    long size = r.length();
    long pageCount = ((size - 1) >>> l.shift) + 1;
    long hostBytes = pageCount / 8;
    UapiException.check(length != 0, Errno.EINVAL, "report length 0");
    UapiException.check(
        Long.compareUnsigned(iova, start) >= 0
            && Long.compareUnsigned(length, size) <= 0
            && Long.compareUnsigned(iova - start, size - length) <= 0,
        Errno.EINVAL,
        "report outside the tracked region");
    long bmpBytes = bitmapBytes(l.shift, length);
    UapiException.check(
        bmpBytes == ((((length - 1) >>> l.shift) + 1 + 63) >>> 6) * 8,
        Errno.EINVAL,
        "report length does not fill whole bitmap words");
    UapiException.check(
        Long.compareUnsigned(bmpBytes, hostBytes) <= 0,
        Errno.EINVAL,
        "report larger than the region's host bitmap");
  }

  /** {@code ALIGN(DIV_ROUND_UP(length / page_size, 8), 8)}: the bytes the driver reads. */
  private static long bitmapBytes(int shift, long length) {
    return (((length >>> shift) + 7) / 8 + 7) & -8L;
  }

  @Override
  void readAndClear(Log l, long iova, long length, DirtySink dirty) {
    Segment region = l.segments[0];
    long start = l.ranges.get(0).iova();
    long firstBit = (((iova - start) >>> l.shift) + 7) / 8 * 8;
    long lastBit = Math.min(firstBit + bitmapBytes(l.shift, length) * 8, region.bits) - 1;
    if (firstBit <= lastBit) {
      region.readAndClear(firstBit, lastBit, dirty, iova);
    }
  }

  @Override
  public String toString() {
    return "DmaTracker.pdsLike[pageSize=" + pageSize() + ", ranges=" + effectiveRanges() + "]";
  }
}
