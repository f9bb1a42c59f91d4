package org.jvfio.core.vfio;

/**
 * The answer of {@code VFIO_DEVICE_FEATURE_MIG_DATA_SIZE}: {@code struct
 * vfio_device_feature_mig_data_size} (spec {@code uapi.md} §2.7), the estimated number of bytes
 * still needed to complete STOP_COPY. Available in every device state.
 *
 * @param stopCopyLength the estimated data length in bytes (unsigned)
 */
public record MigDataSize(long stopCopyLength) {}
