package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The payload of a {@code VFIO_DEVICE_FEATURE_MIGRATION} GET: which optional migration states a
 * device supports.
 *
 * <p>Models {@code struct vfio_device_feature_migration} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code flags} at 0.
 *
 * <p>RUNNING and ERROR are always supported when the GET succeeds; at least {@link
 * Vfio#VFIO_MIGRATION_STOP_COPY} is set. The field is an {@code __aligned_u64}.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param flags a combination of {@link Vfio#VFIO_MIGRATION_STOP_COPY}, {@link
 *     Vfio#VFIO_MIGRATION_P2P} and {@link Vfio#VFIO_MIGRATION_PRE_COPY} ({@code __aligned_u64
 *     flags} at offset 0)
 */
public record VfioDeviceFeatureMigration(long flags) {

  /** {@code sizeof(struct vfio_device_feature_migration)} on LP64: 8 bytes. */
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
    out.putLong(flags);
  }

  /**
   * Reads a {@code struct vfio_device_feature_migration} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceFeatureMigration decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long flags = in.getLong();
    return new VfioDeviceFeatureMigration(flags);
  }
}
