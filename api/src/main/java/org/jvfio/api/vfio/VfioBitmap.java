package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * A user dirty-bitmap descriptor of the legacy type1 container API: page size, bitmap size and
 * bitmap address.
 *
 * <p>Models {@code struct vfio_bitmap} of {@code include/uapi/linux/vfio.h}: {@value #SIZE} bytes
 * on LP64 little-endian, with {@code pgsize} at 0, {@code size} at 8 and {@code data} at 16.
 *
 * <p>The fields are plain {@code __u64} and {@code data} is a native {@code __u64 __user *}, so the
 * struct is 24 bytes only on 64-bit user space; this record models LP64. The user must hand in
 * zeroed memory.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param pgsize the page size one bit stands for, in bytes ({@code __u64 pgsize} at offset 0)
 * @param size the size of the bitmap memory in bytes ({@code __u64 size} at offset 8)
 * @param data the user address of the bitmap, one bit per page (an 8-byte pointer) ({@code __u64
 *     __user * data} at offset 16)
 */
public record VfioBitmap(long pgsize, long size, long data) {

  /** {@code sizeof(struct vfio_bitmap)} on LP64: 24 bytes. */
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
    out.putLong(pgsize);
    out.putLong(size);
    out.putLong(data);
  }

  /**
   * Reads a {@code struct vfio_bitmap} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioBitmap decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long pgsize = in.getLong();
    long size = in.getLong();
    long data = in.getLong();
    return new VfioBitmap(pgsize, size, data);
  }
}
