package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One IOVA range with an inclusive end: an element of the user arrays of {@code
 * IOMMU_IOAS_IOVA_RANGES} and {@code IOMMU_IOAS_ALLOW_IOVAS}.
 *
 * <p>Models {@code struct iommu_iova_range} of {@code include/uapi/linux/iommufd.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code start} at 0 and {@code last} at 8.
 *
 * <p>{@code last} is inclusive, so a range can end at the top of the 64-bit space.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param start the first IOVA of the range ({@code __aligned_u64 start} at offset 0)
 * @param last the last IOVA of the range (inclusive) ({@code __aligned_u64 last} at offset 8)
 */
public record IommuIovaRange(long start, long last) {

  /** {@code sizeof(struct iommu_iova_range)} on LP64: 16 bytes. */
  public static final int SIZE = 16;

  /**
   * Writes this struct as {@value #SIZE} little-endian bytes at the buffer's position, whatever
   * {@code buf.order()} is, and advances the position by {@value #SIZE}. The buffer's byte order is
   * left unchanged.
   *
   * @param buf the destination
   * @throws BufferOverflowException if fewer than {@value #SIZE} bytes remain (nothing is written)
   * @throws ReadOnlyBufferException if {@code buf} is read-only
   */
  public void encode(ByteBuffer buf) {
    ByteBuffer out = Le.out(buf, SIZE);
    out.putLong(start);
    out.putLong(last);
  }

  /**
   * Reads a {@code struct iommu_iova_range} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuIovaRange decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long start = in.getLong();
    long last = in.getLong();
    return new IommuIovaRange(start, last);
  }
}
