package org.jvfio.core.vfio;

import java.util.List;

/** {@link DmaTracker#exact}: tracks exactly the requested ranges at the chosen granule. */
final class ExactTracker extends AbstractDmaTracker {
  ExactTracker(long supportedPageSizes) {
    super(supportedPageSizes);
  }

  @Override
  List<DmaLoggingRange> admit(List<DmaLoggingRange> requested, long pageSize) {
    return requested;
  }

  @Override
  public String toString() {
    return "DmaTracker.exact[pageSize=" + pageSize() + ", ranges=" + effectiveRanges() + "]";
  }
}
