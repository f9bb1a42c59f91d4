package org.jvfio.core.vfio;

import com.google.common.collect.ImmutableList;
import java.util.List;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * {@link DmaTracker#mlx5Like}: the admission rules of mlx5vf_start_page_tracker() and
 * mlx5vf_create_tracker() in {@code drivers/vfio/pci/mlx5/cmd.c}. The ranges are merged down to
 * {@code maxRanges}; the page size is clamped (the supported-size mask is the contiguous window, so
 * "nearest" is the clamp); the sum of the merged lengths, rounded up to a power of two, must have a
 * log2 within the address-space window, else EOPNOTSUPP (the Feb-2023 fixed computation).
 */
final class Mlx5LikeTracker extends AbstractDmaTracker {
  private final int maxRanges;
  private final int logMinAddrSpace;
  private final int logMaxAddrSpace;

  Mlx5LikeTracker(
      int maxRanges,
      int logMinPageSize,
      int logMaxPageSize,
      int logMinAddrSpace,
      int logMaxAddrSpace) {
    super(mask(logMinPageSize, logMaxPageSize));
    this.maxRanges = maxRanges;
    this.logMinAddrSpace = logMinAddrSpace;
    this.logMaxAddrSpace = logMaxAddrSpace;
  }

  private static long mask(int logMin, int logMax) {
    long mask = 0;
    for (int i = logMin; i <= logMax; i++) {
      mask |= 1L << i;
    }
    return mask;
  }

  @Override
  List<DmaLoggingRange> admit(List<DmaLoggingRange> requested, long pageSize) {
    ImmutableList<DmaLoggingRange> merged = IovaRanges.combine(requested, maxRanges);
    long total = 0;
    for (DmaLoggingRange r : merged) {
      total += r.length(); // disjoint ranges below 2^64: the sum cannot wrap
    }
    // ilog2(roundup_pow_of_two(total)); a total above 2^63 rounds up to 2^64.
    int log = total == 1 ? 0 : 64 - Long.numberOfLeadingZeros(total - 1);
    UapiException.check(
        log >= logMinAddrSpace && log <= logMaxAddrSpace,
        Errno.EOPNOTSUPP,
        "log2 of tracked address space "
            + log
            + " outside ["
            + logMinAddrSpace
            + ", "
            + logMaxAddrSpace
            + "]");
    return merged;
  }

  @Override
  public String toString() {
    return "DmaTracker.mlx5Like[pageSize=" + pageSize() + ", ranges=" + effectiveRanges() + "]";
  }
}
