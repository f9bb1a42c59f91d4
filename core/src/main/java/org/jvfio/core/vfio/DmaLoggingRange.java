package org.jvfio.core.vfio;

import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingRange;

/**
 * One IOVA range to log: {@code struct vfio_device_feature_dma_logging_range}, the exclusive range
 * {@code [iova, iova + length)}.
 *
 * <p>Both components are unsigned 64-bit values as in C. The record accepts any value; the uAPI
 * checks (alignment, overflow, overlap) are made by {@link VfioDevice#startDmaLogging}.
 *
 * @param iova the first IOVA of the range
 * @param length the length in bytes (unsigned)
 */
public record DmaLoggingRange(long iova, long length) {
  /**
   * Returns the last IOVA of the range, {@code iova + length - 1} (unsigned; meaningful only for a
   * range that passed the uAPI checks).
   *
   * @return the inclusive end IOVA
   */
  public long last() {
    return iova + length - 1;
  }

  /**
   * Returns the range that {@code struct vfio_device_feature_dma_logging_range} {@code s} holds.
   *
   * @param s the decoded struct
   * @return the typed range
   */
  public static DmaLoggingRange fromStruct(VfioDeviceFeatureDmaLoggingRange s) {
    return new DmaLoggingRange(s.iova(), s.length());
  }

  /**
   * Returns this range as {@code struct vfio_device_feature_dma_logging_range}.
   *
   * @return the struct to encode
   */
  public VfioDeviceFeatureDmaLoggingRange toStruct() {
    return new VfioDeviceFeatureDmaLoggingRange(iova, length);
  }

  @Override
  public String toString() {
    return "[0x" + Long.toHexString(iova) + ", +0x" + Long.toHexString(length) + ")";
  }
}
