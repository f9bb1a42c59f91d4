package org.jvfio.core.vfio;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.List;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingControl;

/**
 * The input and output of {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}: {@code struct
 * vfio_device_feature_dma_logging_control} with its {@code ranges} array inlined.
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
   * @param pageSize the requested tracking granule in bytes ({@code page_size}; a hint)
   * @param ranges the ranges to track ({@code ranges}, {@code num_ranges} of them)
   * @throws NullPointerException if {@code ranges} or one of its elements is null
   */
  public DmaLoggingControl {
    ranges = ImmutableList.copyOf(ranges);
  }

  /**
   * Returns the control that {@code s} describes, with {@code ranges} the {@code s.numRanges()}
   * entries of the array its {@code ranges} pointer addresses (the caller has read them from user
   * memory). {@code __reserved} is not represented.
   *
   * @param s the struct as decoded from the feature payload
   * @param ranges the {@code num_ranges} ranges read from {@code s.ranges()}
   * @return the typed control
   * @throws IllegalArgumentException if {@code ranges} does not have {@code s.numRanges()}
   *     (unsigned) entries
   */
  public static DmaLoggingControl fromStruct(
      VfioDeviceFeatureDmaLoggingControl s, List<DmaLoggingRange> ranges) {
    Preconditions.checkArgument(
        Integer.toUnsignedLong(s.numRanges()) == ranges.size(),
        "num_ranges %s but %s ranges",
        Integer.toUnsignedString(s.numRanges()),
        ranges.size());
    return new DmaLoggingControl(s.pageSize(), ranges);
  }

  /**
   * Returns this control as {@code struct vfio_device_feature_dma_logging_control}, with {@code
   * num_ranges} the number of ranges, {@code __reserved} 0 and {@code ranges} the user address
   * {@code rangesAddress}, where the caller puts {@code ranges()} as an array of {@code struct
   * vfio_device_feature_dma_logging_range}.
   *
   * @param rangesAddress the user address where the caller put the range array
   * @return the struct to encode
   */
  public VfioDeviceFeatureDmaLoggingControl toStruct(long rangesAddress) {
    return new VfioDeviceFeatureDmaLoggingControl(pageSize, ranges.size(), 0, rangesAddress);
  }
}
