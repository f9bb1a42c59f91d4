package org.jvfio.core.vfio;

/**
 * One IOVA range to log: {@code struct vfio_device_feature_dma_logging_range} (spec {@code uapi.md}
 * §3.1), the exclusive range {@code [iova, iova + length)}.
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
   */
  public long last() {
    return iova + length - 1;
  }

  @Override
  public String toString() {
    return "[0x" + Long.toHexString(iova) + ", +0x" + Long.toHexString(length) + ")";
  }
}
