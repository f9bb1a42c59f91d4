package org.jvfio.testkit.gen;

/**
 * An IOVA range {@code [iova, iova + length)} with unsigned 64-bit fields, as in {@code struct
 * vfio_device_feature_dma_logging_range} and the iova/length pairs of the report and dirty-bitmap
 * requests. May describe a range whose end does not fit in 64 bits (see {@link #endOverflows} and
 * {@link #lastOverflows}), since invalid requests need them.
 *
 * @param iova the first IOVA (unsigned)
 * @param length the length in bytes (unsigned)
 */
public record IovaRange(long iova, long length) {
  /**
   * Returns the last IOVA, {@code iova + length - 1}, modulo 2^64.
   *
   * @return the last IOVA, {@code iova + length - 1}, modulo 2^64
   */
  public long last() {
    return iova + length - 1;
  }

  /**
   * Returns whether {@code iova + length} carries out of 64 bits: the {@code EOVERFLOW} condition
   * of DMA-logging START and REPORT. True for a range ending exactly at {@code 2^64-1}.
   *
   * @return whether {@code iova + length} carries out of 64 bits: the {@code EOVERFLOW} condition
   *     of DMA-logging START and REPORT
   */
  public boolean endOverflows() {
    return Long.compareUnsigned(iova + length, iova) < 0;
  }

  /**
   * Returns whether {@code iova + (length - 1)} carries out of 64 bits: the {@code EOVERFLOW}
   * condition of {@code IOMMU_HWPT_GET_DIRTY_BITMAP}. False for a range ending exactly at {@code
   * 2^64-1}; true for {@code length == 0} unless {@code iova == 0}.
   *
   * @return whether {@code iova + (length - 1)} carries out of 64 bits: the {@code EOVERFLOW}
   *     condition of {@code IOMMU_HWPT_GET_DIRTY_BITMAP}
   */
  public boolean lastOverflows() {
    return Long.compareUnsigned(iova + (length - 1), iova) < 0;
  }

  /**
   * Returns whether {@code iova} and {@code length} are both multiples of {@code alignment}, the
   * kernel's {@code IS_ALIGNED} with a power-of-two {@code alignment}.
   *
   * @param alignment the alignment in bytes, a power of two
   * @return whether {@code iova} and {@code length} are both multiples of {@code alignment}, the
   *     kernel's {@code IS_ALIGNED} with a power-of-two {@code alignment}
   */
  public boolean isAlignedTo(long alignment) {
    return ((iova | length) & (alignment - 1)) == 0;
  }

  /**
   * Returns whether this range and {@code other} share an IOVA; both must have a non-zero length
   * and a last IOVA that does not overflow.
   *
   * @param other another range
   * @return whether this range and {@code other} share an IOVA; both must have a non-zero length
   *     and a last IOVA that does not overflow
   */
  public boolean overlaps(IovaRange other) {
    return Long.compareUnsigned(iova, other.last()) <= 0
        && Long.compareUnsigned(other.iova, last()) <= 0;
  }

  /** Returns {@code [0x<iova>+0x<length>]}. */
  @Override
  public String toString() {
    return "[0x" + Long.toHexString(iova) + "+0x" + Long.toHexString(length) + "]";
  }
}
