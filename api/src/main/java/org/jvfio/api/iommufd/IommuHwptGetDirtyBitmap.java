package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_HWPT_GET_DIRTY_BITMAP}: read (and by default clear) the dirty bits
 * of a paging HWPT over an IOVA range into a user bitmap.
 *
 * <p>Models {@code struct iommu_hwpt_get_dirty_bitmap} of {@code include/uapi/linux/iommufd.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code hwpt_id} at 4, {@code
 * flags} at 8, {@code __reserved} at 12, {@code iova} at 16, {@code length} at 24, {@code
 * page_size} at 32 and {@code data} at 40.
 *
 * <p>Note the field order differs from {@link IommuHwptSetDirtyTracking}: here {@code hwpt_id} is
 * at offset 4 and {@code flags} at offset 8. {@code data} is a user address: bit {@code i}
 * (little-endian {@code u64} words, {@code i = (addr - iova) / page_size}) reports one {@code
 * page_size} unit of IOVA.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user, at least the kernel's minimum ({@code
 *     __u32 size} at offset 0)
 * @param hwptId the paging HWPT ({@code __u32 hwpt_id} at offset 4)
 * @param flags 0 or {@link Iommufd#IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR} ({@code __u32 flags} at
 *     offset 8)
 * @param reserved must be 0 ({@code EOPNOTSUPP} otherwise) ({@code __u32 __reserved} at offset 12)
 * @param iova the first IOVA of the range; bit 0 stands for it ({@code __aligned_u64 iova} at
 *     offset 16)
 * @param length the length of the range in bytes ({@code __aligned_u64 length} at offset 24)
 * @param pageSize the IOVA covered by one bit ({@code __aligned_u64 page_size} at offset 32)
 * @param data the user address of the output bitmap, an array of {@code u64} ({@code __aligned_u64
 *     data} at offset 40)
 */
public record IommuHwptGetDirtyBitmap(
    int size,
    int hwptId,
    int flags,
    int reserved,
    long iova,
    long length,
    long pageSize,
    long data) {

  /** {@code sizeof(struct iommu_hwpt_get_dirty_bitmap)} on LP64: 48 bytes. */
  public static final int SIZE = 48;

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
    out.putInt(hwptId);
    out.putInt(flags);
    out.putInt(reserved);
    out.putLong(iova);
    out.putLong(length);
    out.putLong(pageSize);
    out.putLong(data);
  }

  /**
   * Reads a {@code struct iommu_hwpt_get_dirty_bitmap} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptGetDirtyBitmap decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int hwptId = in.getInt();
    int flags = in.getInt();
    int reserved = in.getInt();
    long iova = in.getLong();
    long length = in.getLong();
    long pageSize = in.getLong();
    long data = in.getLong();
    return new IommuHwptGetDirtyBitmap(size, hwptId, flags, reserved, iova, length, pageSize, data);
  }
}
