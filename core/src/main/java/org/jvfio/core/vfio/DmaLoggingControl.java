package org.jvfio.core.vfio;

import com.google.common.collect.ImmutableList;
import java.util.List;

/**
 * The input and output of {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}: {@code struct
 * vfio_device_feature_dma_logging_control} with its {@code ranges} array inlined (spec {@code
 * uapi.md} §3.1–§3.3).
 *
 * <p>As input, {@code pageSize} is the tracking granularity the user hints and {@code ranges} the
 * IOVA ranges to log. As output of {@link VfioDevice#startDmaLogging}, {@code pageSize} is the page
 * size the driver chose (the uAPI writes it back) and {@code ranges} the ranges the device really
 * tracks, which may be a superset of the request (merged neighbours, one covering region).
 *
 * <p>The record refuses only what cannot be represented (null); the uAPI checks are made by {@link
 * VfioDevice#startDmaLogging}.
 *
 * @param pageSize the tracking page size (unsigned)
 * @param ranges the ranges, as an immutable copy
 */
public record DmaLoggingControl(long pageSize, List<DmaLoggingRange> ranges) {
  /**
   * Copies {@code ranges} into an immutable list.
   *
   * @throws NullPointerException if {@code ranges} or one of its elements is null
   */
  public DmaLoggingControl {
    ranges = ImmutableList.copyOf(ranges);
  }
}
