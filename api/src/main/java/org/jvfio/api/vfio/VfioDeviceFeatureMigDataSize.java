package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The payload of a {@code VFIO_DEVICE_FEATURE_MIG_DATA_SIZE} GET: the estimated length of the
 * stop-copy data.
 *
 * <p>Models {@code struct vfio_device_feature_mig_data_size} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code stop_copy_length} at 0.
 *
 * <p>It can be read in any migration state.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param stopCopyLength out: the estimated number of bytes needed to complete stop-copy ({@code
 *     __aligned_u64 stop_copy_length} at offset 0)
 */
public record VfioDeviceFeatureMigDataSize(long stopCopyLength) {

  /** {@code sizeof(struct vfio_device_feature_mig_data_size)} on LP64: 8 bytes. */
  public static final int SIZE = 8;

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
    out.putLong(stopCopyLength);
  }

  /**
   * Reads a {@code struct vfio_device_feature_mig_data_size} from {@value #SIZE} little-endian
   * bytes at the buffer's position, whatever {@code buf.order()} is, and advances the position by
   * {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceFeatureMigDataSize decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long stopCopyLength = in.getLong();
    return new VfioDeviceFeatureMigDataSize(stopCopyLength);
  }
}
