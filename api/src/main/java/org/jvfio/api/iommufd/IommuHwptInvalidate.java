package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_HWPT_INVALIDATE}: an array of cache invalidation requests for a
 * nested HWPT or a vIOMMU.
 *
 * <p>Models {@code struct iommu_hwpt_invalidate} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code hwpt_id} at 4, {@code
 * data_uptr} at 8, {@code data_type} at 16, {@code entry_len} at 20, {@code entry_num} at 24,
 * {@code __reserved} at 28.
 *
 * <p>The kernel needs all {@value #SIZE} bytes. {@code entry_num} is also an output: the number of
 * requests handled, written back even when the call fails ({@code
 * drivers/iommu/iommufd/hw_pagetable.c}, {@code iommufd_hwpt_invalidate}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user ({@code __u32 size} at offset 0)
 * @param hwptId a nested HWPT or a vIOMMU ({@code __u32 hwpt_id} at offset 4)
 * @param dataUptr the user address of the request array ({@code __aligned_u64 data_uptr} at offset
 *     8)
 * @param dataType {@code Iommufd.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1} or {@code
 *     IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3} ({@code __u32 data_type} at offset 16)
 * @param entryLen the size of one request in bytes ({@code __u32 entry_len} at offset 20)
 * @param entryNum in: the number of requests; out: the number handled ({@code __u32 entry_num} at
 *     offset 24)
 * @param reserved must be 0 ({@code __u32 __reserved} at offset 28)
 */
public record IommuHwptInvalidate(
    int size, int hwptId, long dataUptr, int dataType, int entryLen, int entryNum, int reserved) {

  /** {@code sizeof(struct iommu_hwpt_invalidate)} on LP64: 32 bytes. */
  public static final int SIZE = 32;

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
    out.putLong(dataUptr);
    out.putInt(dataType);
    out.putInt(entryLen);
    out.putInt(entryNum);
    out.putInt(reserved);
  }

  /**
   * Reads a {@code struct iommu_hwpt_invalidate} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptInvalidate decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommuHwptInvalidate(
        in.getInt(), in.getInt(), in.getLong(), in.getInt(), in.getInt(), in.getInt(), in.getInt());
  }
}
