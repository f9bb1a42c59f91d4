package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_IOAS_COPY}: map pages already mapped in one IOAS into another,
 * sharing the pins.
 *
 * <p>Models {@code struct iommu_ioas_copy} of {@code include/uapi/linux/iommufd.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4, {@code dst_ioas_id} at
 * 8, {@code src_ioas_id} at 12, {@code length} at 16, {@code dst_iova} at 24 and {@code src_iova}
 * at 32.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user, at least the kernel's minimum ({@code
 *     __u32 size} at offset 0)
 * @param flags a combination of the {@code Iommufd.IOMMU_IOAS_MAP_*} bits, as for MAP ({@code __u32
 *     flags} at offset 4)
 * @param dstIoasId the IOAS to map into ({@code __u32 dst_ioas_id} at offset 8)
 * @param srcIoasId the IOAS to copy from ({@code __u32 src_ioas_id} at offset 12)
 * @param length the length of the range in bytes ({@code __aligned_u64 length} at offset 16)
 * @param dstIova in with {@link Iommufd#IOMMU_IOAS_MAP_FIXED_IOVA}: where to map; otherwise out:
 *     the IOVA the kernel chose ({@code __aligned_u64 dst_iova} at offset 24)
 * @param srcIova the first IOVA of the source range ({@code __aligned_u64 src_iova} at offset 32)
 */
public record IommuIoasCopy(
    int size, int flags, int dstIoasId, int srcIoasId, long length, long dstIova, long srcIova) {

  /** {@code sizeof(struct iommu_ioas_copy)} on LP64: 40 bytes. */
  public static final int SIZE = 40;

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
    out.putInt(dstIoasId);
    out.putInt(srcIoasId);
    out.putLong(length);
    out.putLong(dstIova);
    out.putLong(srcIova);
  }

  /**
   * Reads a {@code struct iommu_ioas_copy} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuIoasCopy decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int flags = in.getInt();
    int dstIoasId = in.getInt();
    int srcIoasId = in.getInt();
    long length = in.getLong();
    long dstIova = in.getLong();
    long srcIova = in.getLong();
    return new IommuIoasCopy(size, flags, dstIoasId, srcIoasId, length, dstIova, srcIova);
  }
}
