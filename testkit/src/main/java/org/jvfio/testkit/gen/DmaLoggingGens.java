package org.jvfio.testkit.gen;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.Vfio;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Source;

/**
 * Generators of DMA-logging START and REPORT requests, valid and invalid.
 *
 * <p>Page sizes of valid requests are powers of two from 4 KiB ({@link PageSizeGens#powersOfTwo}),
 * lengths are positive multiples of the page size. Not generated, because the core does not check
 * them and a model should refuse them rather than imitate the kernel: a START page size that is
 * zero or not a power of two, a zero range length.
 */
public final class DmaLoggingGens {
  private DmaLoggingGens() {}

  /** REPORT ranges span at most this many pages, so that bitmaps stay small. */
  private static final long MAX_REPORT_PAGES = 1024;

  /** START ranges span at most this many pages each. */
  private static final long MAX_RANGE_PAGES = 64;

  /**
   * Returns START requests the core accepts: 1 to {@code maxRanges} (at most {@link
   * Vfio#LOG_MAX_RANGES}) aligned, disjoint (possibly adjacent) ranges in shuffled order, sometimes
   * reaching just below the top of the IOVA space (a range ending at {@code 2^64 - 1} overflows,
   * see {@link #invalidStarts}).
   *
   * @param maxRanges the most ranges
   * @return START requests the core accepts: 1 to {@code maxRanges} (at most {@link
   *     Vfio#LOG_MAX_RANGES}) aligned, disjoint (possibly adjacent) ranges in shuffled order,
   *     sometimes reaching just below the top of the IOVA space (a range ending at {@code 2^64 - 1}
   *     overflows, see {@link #invalidStarts})
   * @throws IllegalArgumentException unless {@code 1 <= maxRanges <= 256}
   */
  public static Gen<DmaLoggingStartCase> validStarts(int maxRanges) {
    if (maxRanges < 1 || maxRanges > Vfio.LOG_MAX_RANGES) {
      throw new IllegalArgumentException("maxRanges must be in [1, 256]: " + maxRanges);
    }
    return src -> {
      long pageSize = PageSizeGens.powersOfTwo().generate(src);
      List<IovaRange> ranges = disjoint(src, pageSize, src.nextInt(1, maxRanges), true);
      IovaGens.shuffle(ranges, src);
      return new DmaLoggingStartCase(pageSize, ranges, Optional.empty());
    };
  }

  /**
   * Returns START requests the core refuses, each for exactly one reason: {@code num_ranges == 0}
   * ({@code EINVAL}), {@code num_ranges > 256} ({@code E2BIG}), one range whose iova or length is
   * not a multiple of {@code page_size} ({@code EINVAL}), one range where {@code iova + length}
   * overflows 64 bits, including ranges ending exactly at {@code 2^64 - 1} ({@code EOVERFLOW}), or
   * one range overlapping another ({@code EINVAL}).
   *
   * @return START requests the core refuses, each for exactly one reason: {@code num_ranges == 0}
   *     ({@code EINVAL}), {@code num_ranges > 256} ({@code E2BIG}), one range whose iova or length
   *     is not a multiple of {@code page_size} ({@code EINVAL}), one range where {@code iova +
   *     length} overflows 64 bits, including ranges ending exactly at {@code 2^64 - 1} ({@code
   *     EOVERFLOW}), or one range overlapping another ({@code EINVAL})
   */
  public static Gen<DmaLoggingStartCase> invalidStarts() {
    Gen<DmaLoggingStartCase> noRanges =
        src ->
            new DmaLoggingStartCase(
                PageSizeGens.powersOfTwo().generate(src), List.of(), Optional.of(Errno.EINVAL));
    Gen<DmaLoggingStartCase> tooMany =
        src -> {
          long pageSize = PageSizeGens.powersOfTwo().generate(src);
          int n = src.nextInt(Vfio.LOG_MAX_RANGES + 1, 300);
          return new DmaLoggingStartCase(
              pageSize, disjoint(src, pageSize, n, true), Optional.of(Errno.E2BIG));
        };
    Gen<DmaLoggingStartCase> misaligned =
        src -> {
          long pageSize = PageSizeGens.powersOfTwo().generate(src);
          List<IovaRange> ranges = disjoint(src, pageSize, src.nextInt(1, 16), false);
          int i = src.nextInt(0, ranges.size() - 1);
          IovaRange r = ranges.get(i);
          // Stay inside r, so that the range still overlaps nothing: raise iova and/or shorten.
          long iovaOff = src.nextBoolean() ? src.nextLong(1, pageSize - 1) : 0;
          long lengthOff = iovaOff == 0 ? src.nextLong(1, pageSize - 1) : iovaOff;
          ranges.set(i, new IovaRange(r.iova() + iovaOff, r.length() - lengthOff));
          IovaGens.shuffle(ranges, src);
          return new DmaLoggingStartCase(pageSize, ranges, Optional.of(Errno.EINVAL));
        };
    Gen<DmaLoggingStartCase> overflow =
        src -> {
          long pageSize = PageSizeGens.powersOfTwo().generate(src);
          List<IovaRange> ranges = disjoint(src, pageSize, src.nextInt(0, 15), false);
          // The last m pages of the space followed by j more: ends at 2^64 - 1 when j == 0, else
          // wraps to [0, j * pageSize), below every other range (which start at 4 pages or more).
          long m = src.nextLong(1, 4);
          long j = src.nextLong(0, 3);
          IovaRange top = new IovaRange(-(m * pageSize), (m + j) * pageSize);
          ranges.add(src.nextInt(0, ranges.size()), top);
          return new DmaLoggingStartCase(pageSize, ranges, Optional.of(Errno.EOVERFLOW));
        };
    Gen<DmaLoggingStartCase> overlapping =
        src -> {
          long pageSize = PageSizeGens.powersOfTwo().generate(src);
          List<IovaRange> ranges = disjoint(src, pageSize, src.nextInt(1, 16), false);
          IovaRange r = ranges.get(src.nextInt(0, ranges.size() - 1));
          long pages = r.length() / pageSize;
          long start = r.iova() + src.nextLong(0, pages - 1) * pageSize;
          IovaRange dup = new IovaRange(start, src.nextLong(1, MAX_RANGE_PAGES) * pageSize);
          ranges.add(src.nextInt(0, ranges.size()), dup);
          return new DmaLoggingStartCase(pageSize, ranges, Optional.of(Errno.EINVAL));
        };
    return Gen.choose(noRanges, tooMany, misaligned, overflow, overlapping);
  }

  /**
   * Returns REPORT requests the core accepts: a power-of-two page size from 4 KiB and a range
   * aligned to it, of up to 1024 pages, whose end {@code iova + length} fits in 64 bits (sometimes
   * just below the top of the space).
   *
   * @return REPORT requests the core accepts: a power-of-two page size from 4 KiB and a range
   *     aligned to it, of up to 1024 pages, whose end {@code iova + length} fits in 64 bits
   *     (sometimes just below the top of the space)
   */
  public static Gen<DmaLoggingReportCase> validReports() {
    return PageSizeGens.powersOfTwo()
        .flatMap(
            ps ->
                IovaGens.fitting(ps, MAX_REPORT_PAGES)
                    .map(
                        r -> new DmaLoggingReportCase(r.iova(), r.length(), ps, Optional.empty())));
  }

  /**
   * Returns REPORT requests the core refuses, each for exactly one reason: a page size below 4 KiB
   * or not a power of two ({@code EINVAL}) with a fitting range, or a valid page size with a range
   * where {@code iova + length} overflows, including one ending exactly at {@code 2^64 - 1} ({@code
   * EOVERFLOW}).
   *
   * @return REPORT requests the core refuses, each for exactly one reason: a page size below 4 KiB
   *     or not a power of two ({@code EINVAL}) with a fitting range, or a valid page size with a
   *     range where {@code iova + length} overflows, including one ending exactly at {@code 2^64 -
   *     1} ({@code EOVERFLOW})
   */
  public static Gen<DmaLoggingReportCase> invalidReports() {
    Gen<DmaLoggingReportCase> badPageSize =
        Gen.zip(
            PageSizeGens.invalid(),
            IovaGens.fitting(PageSizeGens.SZ_4K, MAX_REPORT_PAGES),
            (ps, r) ->
                new DmaLoggingReportCase(r.iova(), r.length(), ps, Optional.of(Errno.EINVAL)));
    Gen<DmaLoggingReportCase> overflow =
        PageSizeGens.powersOfTwo()
            .flatMap(
                ps ->
                    Gen.choose(
                            IovaGens.endingAtTop(ps, MAX_REPORT_PAGES)
                                .filter(IovaRange::endOverflows),
                            IovaGens.wrapping(ps, MAX_REPORT_PAGES))
                        .map(
                            r ->
                                new DmaLoggingReportCase(
                                    r.iova(), r.length(), ps, Optional.of(Errno.EOVERFLOW))));
    return Gen.choose(badPageSize, overflow);
  }

  /**
   * Draws {@code n} disjoint aligned ranges of 1..64 pages in increasing order, starting at page 4
   * or above, with gaps of 0 to 3 pages; if {@code mayMoveToTop}, sometimes moved up to end just
   * below the top of the space (the end {@code iova + length} still fits in 64 bits).
   */
  private static List<IovaRange> disjoint(Source src, long pageSize, int n, boolean mayMoveToTop) {
    long maxPages = Math.min(MAX_RANGE_PAGES, Long.divideUnsigned(-1L, pageSize) / (4L * n + 8));
    List<IovaRange> ranges = new ArrayList<>(n);
    long cursor = 4 * pageSize;
    for (int i = 0; i < n; i++) {
      cursor += src.nextLong(0, 3) * pageSize;
      long length = src.nextLong(1, Math.max(1, maxPages)) * pageSize;
      ranges.add(new IovaRange(cursor, length));
      cursor += length;
    }
    if (mayMoveToTop && src.nextBoolean()) {
      long end = -(src.nextLong(1, 3) * pageSize); // the new end, a page or more below 2^64
      if (Long.compareUnsigned(cursor, end) <= 0) {
        long shift = end - cursor;
        ranges.replaceAll(r -> new IovaRange(r.iova() + shift, r.length()));
      }
    }
    return ranges;
  }
}
