package org.jvfio.core.vfio;

import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.List;

/**
 * Range arithmetic shared by the trackers.
 *
 * <p>{@link #combine} is {@code vfio_combine_iova_ranges()} of vfio_main.c: while there are more
 * ranges than allowed, merge the two neighbours separated by the smallest gap ({@code next.iova -
 * prev.last}; the lowest pair wins a tie). Merging never changes the other gaps, so the result is
 * also "remove the n - k smallest gaps", which the tests use as an oracle.
 */
final class IovaRanges {
  private IovaRanges() {}

  /**
   * Merges sorted, disjoint {@code ranges} until at most {@code maxRanges} remain (one range from
   * the first IOVA to the last when {@code maxRanges == 1}).
   */
  static ImmutableList<DmaLoggingRange> combine(List<DmaLoggingRange> ranges, int maxRanges) {
    int n = ranges.size();
    long[] start = new long[n];
    long[] last = new long[n];
    for (int i = 0; i < n; i++) {
      start[i] = ranges.get(i).iova();
      last[i] = ranges.get(i).last();
    }
    while (n > maxRanges) {
      int best = 1;
      for (int i = 2; i < n; i++) {
        if (Long.compareUnsigned(start[i] - last[i - 1], start[best] - last[best - 1]) < 0) {
          best = i;
        }
      }
      last[best - 1] = last[best];
      System.arraycopy(start, best + 1, start, best, n - best - 1);
      System.arraycopy(last, best + 1, last, best, n - best - 1);
      n--;
    }
    List<DmaLoggingRange> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new DmaLoggingRange(start[i], last[i] - start[i] + 1));
    }
    return ImmutableList.copyOf(out);
  }
}
