package org.jvfio.testkit.gen;

import java.util.List;
import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;

/**
 * A {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START} request, {@code struct
 * vfio_device_feature_dma_logging_control} with its array of ranges, and its outcome in the VFIO
 * core.
 *
 * @param pageSize the requested tracking page size ({@code page_size})
 * @param ranges the ranges, in user order; {@code num_ranges} is their number
 * @param expected the errno the core refuses the request with, or empty if it passes the core's
 *     checks (the driver may still refuse it, e.g. a second START)
 */
public record DmaLoggingStartCase(long pageSize, List<IovaRange> ranges, Optional<Errno> expected) {
  /**
   * Copies the ranges.
   *
   * @param pageSize the requested tracking page size ({@code page_size})
   * @param ranges the ranges, in user order; {@code num_ranges} is their number
   * @param expected the errno the core must refuse with, or empty if it must accept
   */
  public DmaLoggingStartCase {
    ranges = List.copyOf(ranges);
  }

  /**
   * Returns the request as core's typed record, for {@code VfioDevice.startDmaLogging}.
   *
   * @return the request as core's typed record, for {@code VfioDevice.startDmaLogging}
   */
  public DmaLoggingControl control() {
    return new DmaLoggingControl(
        pageSize, ranges.stream().map(r -> new DmaLoggingRange(r.iova(), r.length())).toList());
  }

  /**
   * Returns {@code num_ranges}.
   *
   * @return {@code num_ranges}
   */
  public int numRanges() {
    return ranges.size();
  }
}
