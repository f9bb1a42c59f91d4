package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_MIG_GET_PRECOPY_INFO} on a migration data fd: how much pre-copy data
 * the device still has.
 *
 * <p>Models {@code struct vfio_precopy_info} of {@code include/uapi/linux/vfio.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code initial_bytes}
 * at 8 and {@code dirty_bytes} at 16.
 *
 * <p>This is a standalone ioctl argument on the data fd (not a feature payload), valid only in the
 * PRE_COPY states. {@code flags} was reserved and drivers echoed the user's value back; after the
 * 2026 opt-in {@link Vfio#VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2} it may carry {@link
 * Vfio#VFIO_PRECOPY_INFO_REINIT} as an output (from a February 2026 patch series by Yishai Hadas;
 * whether it merged in this form is unverified).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param argsz the size of this struct as passed by the user ({@code __u32 argsz} at offset 0)
 * @param flags reserved, or {@link Vfio#VFIO_PRECOPY_INFO_REINIT} as an output after the v2 opt-in
 *     ({@code __u32 flags} at offset 4)
 * @param initialBytes out: initial pre-copy data still to read; starts non-zero and decreases
 *     ({@code __aligned_u64 initial_bytes} at offset 8)
 * @param dirtyBytes out: device state changed since it was read; starts at zero ({@code
 *     __aligned_u64 dirty_bytes} at offset 16)
 */
public record VfioPrecopyInfo(int argsz, int flags, long initialBytes, long dirtyBytes) {

  /** {@code sizeof(struct vfio_precopy_info)} on LP64: 24 bytes. */
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
    out.putInt(argsz);
    out.putInt(flags);
    out.putLong(initialBytes);
    out.putLong(dirtyBytes);
  }

  /**
   * Reads a {@code struct vfio_precopy_info} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioPrecopyInfo decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    long initialBytes = in.getLong();
    long dirtyBytes = in.getLong();
    return new VfioPrecopyInfo(argsz, flags, initialBytes, dirtyBytes);
  }
}
