package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The 8-byte header of every {@code VFIO_DEVICE_FEATURE} ioctl argument: the total size and the
 * feature selector.
 *
 * <p>Models {@code struct vfio_device_feature} of {@code include/uapi/linux/vfio.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code argsz} at 0 and {@code flags} at 4.
 *
 * <p>The flexible {@code __u8 data[]} member at offset 8 is not part of this record: the feature
 * payload (for instance a {@link VfioDeviceFeatureDmaLoggingControl}) is encoded right after the
 * header. {@code argsz} counts the header <em>plus</em> the payload; the core hands {@code argsz -
 * 8} to the feature handler as the payload size. A probe needs no payload.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param argsz the size of this header plus the payload, in bytes ({@code __u32 argsz} at offset 0)
 * @param flags the feature index in the low 16 bits ({@link Vfio#VFIO_DEVICE_FEATURE_MASK}), or-ed
 *     with {@link Vfio#VFIO_DEVICE_FEATURE_GET}, {@link Vfio#VFIO_DEVICE_FEATURE_SET} and/or {@link
 *     Vfio#VFIO_DEVICE_FEATURE_PROBE} ({@code __u32 flags} at offset 4)
 */
public record VfioDeviceFeature(int argsz, int flags) {

  /** {@code sizeof(struct vfio_device_feature)} on LP64: 8 bytes. */
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
    out.putInt(argsz);
    out.putInt(flags);
  }

  /**
   * Reads a {@code struct vfio_device_feature} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceFeature decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    return new VfioDeviceFeature(argsz, flags);
  }
}
