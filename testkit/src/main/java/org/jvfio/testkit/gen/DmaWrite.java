package org.jvfio.testkit.gen;

/**
 * One DMA write by a device: {@code length} bytes at {@code iova}, not necessarily page aligned (a
 * write may straddle page boundaries).
 *
 * @param iova the first IOVA written
 * @param length the number of bytes written, positive
 */
public record DmaWrite(long iova, long length) {
  /**
   * Validates the write.
   *
   * @param iova the first IOVA written
   * @param length the length of the range in bytes
   * @throws IllegalArgumentException if {@code length} is not positive or the write crosses {@code
   *     2^64}
   */
  public DmaWrite {
    if (length <= 0 || new IovaRange(iova, length).lastOverflows()) {
      throw new IllegalArgumentException("bad DMA write " + new IovaRange(iova, length));
    }
  }

  /** Returns {@code write[0x<iova>+0x<length>]}. */
  @Override
  public String toString() {
    return "write" + new IovaRange(iova, length);
  }
}
