package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_IOAS_UNMAP}: unmap every mapping inside an IOVA range of an IOAS.
 *
 * <p>Models {@code struct iommu_ioas_unmap} of {@code include/uapi/linux/iommufd.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code size} at 0, {@code ioas_id} at 4, {@code iova} at 8 and
 * {@code length} at 16.
 *
 * <p>{@code iova == 0} with {@code length == -1L} (all ones, {@code U64_MAX}) unmaps everything.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user, at least the kernel's minimum ({@code
 *     __u32 size} at offset 0)
 * @param ioasId the IOAS to unmap from ({@code __u32 ioas_id} at offset 4)
 * @param iova the first IOVA of the range ({@code __aligned_u64 iova} at offset 8)
 * @param length in: the length of the range; out: the number of bytes unmapped ({@code
 *     __aligned_u64 length} at offset 16)
 */
public record IommuIoasUnmap(int size, int ioasId, long iova, long length) {

  /** {@code sizeof(struct iommu_ioas_unmap)} on LP64: 24 bytes. */
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
    out.putInt(size);
    out.putInt(ioasId);
    out.putLong(iova);
    out.putLong(length);
  }

  /**
   * Reads a {@code struct iommu_ioas_unmap} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuIoasUnmap decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int ioasId = in.getInt();
    long iova = in.getLong();
    long length = in.getLong();
    return new IommuIoasUnmap(size, ioasId, iova, length);
  }
}
