package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_IOAS_ALLOC}: create an IO address space.
 *
 * <p>Models {@code struct iommu_ioas_alloc} of {@code include/uapi/linux/iommufd.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4 and {@code out_ioas_id}
 * at 8.
 *
 * <p>The struct is 12 bytes: three {@code __u32}, no tail padding.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user, at least the kernel's minimum ({@code
 *     __u32 size} at offset 0)
 * @param flags must be 0 ({@code EOPNOTSUPP} otherwise) ({@code __u32 flags} at offset 4)
 * @param outIoasId out: the id of the new IOAS ({@code __u32 out_ioas_id} at offset 8)
 */
public record IommuIoasAlloc(int size, int flags, int outIoasId) {

  /** {@code sizeof(struct iommu_ioas_alloc)} on LP64: 12 bytes. */
  public static final int SIZE = 12;

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
    out.putInt(size);
    out.putInt(flags);
    out.putInt(outIoasId);
  }

  /**
   * Reads a {@code struct iommu_ioas_alloc} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuIoasAlloc decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int flags = in.getInt();
    int outIoasId = in.getInt();
    return new IommuIoasAlloc(size, flags, outIoasId);
  }
}
