package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_GROUP_GET_STATUS} on a group fd: whether the group is viable and
 * whether it is set to a container.
 *
 * <p>Models {@code struct vfio_group_status} of {@code include/uapi/linux/vfio.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code argsz} at 0 and {@code flags} at 4. The kernel writes
 * back both fields ({@code drivers/vfio/group.c}, {@code vfio_group_ioctl_get_status}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} and widen a
 * {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is validated: this is the C struct,
 * not a checked request.
 *
 * @param argsz the size of the struct the user passes, at least 8 ({@code __u32 argsz} at offset 0)
 * @param flags {@link Vfio#VFIO_GROUP_FLAGS_VIABLE} and {@link Vfio#VFIO_GROUP_FLAGS_CONTAINER_SET}
 *     ({@code __u32 flags} at offset 4)
 */
public record VfioGroupStatus(int argsz, int flags) {

  /** {@code sizeof(struct vfio_group_status)} on LP64: 8 bytes. */
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
   * Reads a {@code struct vfio_group_status} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioGroupStatus decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    return new VfioGroupStatus(argsz, flags);
  }
}
