package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One entry of an {@code IOMMU_HWPT_INVALIDATE} array for a VT-d nested HWPT: invalidate the
 * stage-1 caches for a range of guest IOVA.
 *
 * <p>Models {@code struct iommu_hwpt_vtd_s1_invalidate} of {@code include/uapi/linux/iommufd.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code addr} at 0, {@code npages} at 8, {@code
 * flags} at 16, {@code __reserved} at 20.
 *
 * <p>Used with {@code data_type} {@link Iommufd#IOMMU_HWPT_INVALIDATE_DATA_VTD_S1}. {@code addr} 0
 * with {@code npages} {@code U64_MAX} invalidates everything ({@code drivers/iommu/intel/nested.c},
 * {@code intel_nested_cache_invalidate_user}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param addr the first guest IOVA, 4 KiB aligned ({@code __aligned_u64 addr} at offset 0)
 * @param npages the number of 4 KiB pages ({@code __aligned_u64 npages} at offset 8)
 * @param flags {@link Iommufd#IOMMU_VTD_INV_FLAGS_LEAF} or 0 ({@code __u32 flags} at offset 16)
 * @param reserved must be 0 ({@code __u32 __reserved} at offset 20)
 */
public record IommuHwptVtdS1Invalidate(long addr, long npages, int flags, int reserved) {

  /** {@code sizeof(struct iommu_hwpt_vtd_s1_invalidate)} on LP64: 24 bytes. */
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
    out.putLong(addr);
    out.putLong(npages);
    out.putInt(flags);
    out.putInt(reserved);
  }

  /**
   * Reads a {@code struct iommu_hwpt_vtd_s1_invalidate} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptVtdS1Invalidate decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommuHwptVtdS1Invalidate(in.getLong(), in.getLong(), in.getInt(), in.getInt());
  }
}
