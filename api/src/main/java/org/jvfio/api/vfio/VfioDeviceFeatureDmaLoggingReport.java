package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The payload of {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT}: read and clear the device's DMA
 * log for an IOVA range into a user bitmap.
 *
 * <p>Models {@code struct vfio_device_feature_dma_logging_report} of {@code
 * include/uapi/linux/vfio.h}: {@value #SIZE} bytes on LP64 little-endian, with {@code iova} at 0,
 * {@code length} at 8, {@code page_size} at 16 and {@code bitmap} at 24.
 *
 * <p>REPORT is a GET although every field is an input. {@code bitmap} is a user address: bit {@code
 * i} (little-endian {@code u64} words, {@code i = (addr - iova) / page_size}) reports one {@code
 * page_size} unit of IOVA; the formula printed in vfio.h is wrong. The driver only sets bits and
 * never clears or initialises the buffer, so the user zeroes it.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param iova the first IOVA of the range; bit 0 of the bitmap stands for it ({@code __aligned_u64
 *     iova} at offset 0)
 * @param length the length of the range in bytes ({@code __aligned_u64 length} at offset 8)
 * @param pageSize the IOVA covered by one bit: a power of two of at least 4096, independent of the
 *     size given to START ({@code __aligned_u64 page_size} at offset 16)
 * @param bitmap the user address of the output bitmap, an array of {@code u64} ({@code
 *     __aligned_u64 bitmap} at offset 24)
 */
public record VfioDeviceFeatureDmaLoggingReport(
    long iova, long length, long pageSize, long bitmap) {

  /** {@code sizeof(struct vfio_device_feature_dma_logging_report)} on LP64: 32 bytes. */
  public static final int SIZE = 32;

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
    out.putLong(pageSize);
    out.putLong(bitmap);
  }

  /**
   * Reads a {@code struct vfio_device_feature_dma_logging_report} from {@value #SIZE} little-endian
   * bytes at the buffer's position, whatever {@code buf.order()} is, and advances the position by
   * {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceFeatureDmaLoggingReport decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long iova = in.getLong();
    long length = in.getLong();
    long pageSize = in.getLong();
    long bitmap = in.getLong();
    return new VfioDeviceFeatureDmaLoggingReport(iova, length, pageSize, bitmap);
  }
}
