package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One usable IOVA range of a type1 container, with an inclusive end.
 *
 * <p>Models {@code struct vfio_iova_range} of {@code include/uapi/linux/vfio.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code start} at 0 and {@code end} at 8. An array of them
 * follows a {@link VfioIommuType1InfoCapIovaRange}.
 *
 * <p>Components are the C fields in C order and carry their raw bits: addresses with the top bit
 * set are negative here, so compare them with {@link Long#compareUnsigned}. Nothing is validated:
 * this is the C struct, not a checked request.
 *
 * @param start the first usable IOVA ({@code __u64 start} at offset 0)
 * @param end the last usable IOVA, inclusive ({@code __u64 end} at offset 8)
 */
public record VfioIovaRange(long start, long end) {

  /** {@code sizeof(struct vfio_iova_range)} on LP64: 16 bytes. */
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
    out.putLong(end);
  }

  /**
   * Reads a {@code struct vfio_iova_range} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIovaRange decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long start = in.getLong();
    long end = in.getLong();
    return new VfioIovaRange(start, end);
  }
}
