package org.jvfio.core.vfio;

import org.jvfio.api.vfio.VfioDeviceFeatureMigDataSize;

/**
 * The answer of {@code VFIO_DEVICE_FEATURE_MIG_DATA_SIZE}: {@code struct
 * vfio_device_feature_mig_data_size}, the estimated number of bytes still needed to complete
 * STOP_COPY. Available in every device state.
 *
 * @param stopCopyLength the estimated data length in bytes (unsigned)
 */
public record MigDataSize(long stopCopyLength) {
  /**
   * Returns the size that {@code struct vfio_device_feature_mig_data_size} {@code s} holds.
   *
   * @param s the decoded struct
   * @return the typed size
   */
  public static MigDataSize fromStruct(VfioDeviceFeatureMigDataSize s) {
    return new MigDataSize(s.stopCopyLength());
  }

  /**
   * Returns this size as {@code struct vfio_device_feature_mig_data_size}.
   *
   * @return the struct to encode
   */
  public VfioDeviceFeatureMigDataSize toStruct() {
    return new VfioDeviceFeatureMigDataSize(stopCopyLength);
  }
}
