package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The payload of {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}: the tracking page size and the user
 * array of IOVA ranges to log.
 *
 * <p>Models {@code struct vfio_device_feature_dma_logging_control} of {@code
 * include/uapi/linux/vfio.h}: {@value #SIZE} bytes on LP64 little-endian, with {@code page_size} at
 * 0, {@code num_ranges} at 8, {@code __reserved} at 12 and {@code ranges} at 16.
 *
 * <p>The kernel copies the whole struct back after a successful start, so {@code page_size} is
 * in/out. {@code ranges} is a user address, not inline data: the {@code num_ranges} {@link
 * VfioDeviceFeatureDmaLoggingRange} structs live in user memory. The core refuses {@code
 * num_ranges} 0 ({@code EINVAL}) and above {@link Vfio#LOG_MAX_RANGES} ({@code E2BIG}); it checks
 * neither {@code __reserved} nor that {@code page_size} is a power of two.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param pageSize in: the tracking granularity hint; out: the page size the device chose ({@code
 *     __aligned_u64 page_size} at offset 0)
 * @param numRanges the number of range structs at {@code ranges} ({@code __u32 num_ranges} at
 *     offset 8)
 * @param reserved reserved, not checked by the core ({@code __u32 __reserved} at offset 12)
 * @param ranges the user address of an array of {@code num_ranges} 16-byte {@link
 *     VfioDeviceFeatureDmaLoggingRange} structs ({@code __aligned_u64 ranges} at offset 16)
 */
public record VfioDeviceFeatureDmaLoggingControl(
    long pageSize, int numRanges, int reserved, long ranges) {

  /** {@code sizeof(struct vfio_device_feature_dma_logging_control)} on LP64: 24 bytes. */
  public static final int SIZE = 24;

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
    out.putLong(pageSize);
    out.putInt(numRanges);
    out.putInt(reserved);
    out.putLong(ranges);
  }

  /**
   * Reads a {@code struct vfio_device_feature_dma_logging_control} from {@value #SIZE}
   * little-endian bytes at the buffer's position, whatever {@code buf.order()} is, and advances the
   * position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceFeatureDmaLoggingControl decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long pageSize = in.getLong();
    int numRanges = in.getInt();
    int reserved = in.getInt();
    long ranges = in.getLong();
    return new VfioDeviceFeatureDmaLoggingControl(pageSize, numRanges, reserved, ranges);
  }
}
