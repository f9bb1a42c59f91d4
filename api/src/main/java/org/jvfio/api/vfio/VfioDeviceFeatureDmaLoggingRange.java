package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One IOVA range to log: an element of the user array that {@link
 * VfioDeviceFeatureDmaLoggingControl#ranges()} points to.
 *
 * <p>Models {@code struct vfio_device_feature_dma_logging_range} of {@code
 * include/uapi/linux/vfio.h}: {@value #SIZE} bytes on LP64 little-endian, with {@code iova} at 0
 * and {@code length} at 8.
 *
 * <p>START requires both fields to be multiples of the control's {@code page_size} ({@code
 * EINVAL}), {@code iova + length} to fit in 64 bits ({@code EOVERFLOW}) and the ranges not to
 * overlap ({@code EINVAL}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param iova the first IOVA of the range ({@code __aligned_u64 iova} at offset 0)
 * @param length the length of the range in bytes ({@code __aligned_u64 length} at offset 8)
 */
public record VfioDeviceFeatureDmaLoggingRange(long iova, long length) {

  /** {@code sizeof(struct vfio_device_feature_dma_logging_range)} on LP64: 16 bytes. */
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
    out.putLong(iova);
    out.putLong(length);
  }

  /**
   * Reads a {@code struct vfio_device_feature_dma_logging_range} from {@value #SIZE} little-endian
   * bytes at the buffer's position, whatever {@code buf.order()} is, and advances the position by
   * {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceFeatureDmaLoggingRange decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long iova = in.getLong();
    long length = in.getLong();
    return new VfioDeviceFeatureDmaLoggingRange(iova, length);
  }
}
