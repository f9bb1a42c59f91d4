package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The driver data of a nested {@code IOMMU_HWPT_ALLOC} for Intel VT-d: the guest's first-stage
 * (stage-1) page table.
 *
 * <p>Models {@code struct iommu_hwpt_vtd_s1} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code flags} at 0, {@code pgtbl_addr} at 8, {@code
 * addr_width} at 16, {@code __reserved} at 20.
 *
 * <p>Passed with {@code data_type} {@link Iommufd#IOMMU_HWPT_DATA_VTD_S1}; the kernel copies it
 * with {@code iommu_copy_struct_from_user} ({@code drivers/iommu/intel/nested.c}, {@code
 * intel_nested_domain_alloc}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param flags {@code Iommufd.IOMMU_VTD_S1_*}: SRE, EAFE, WPE ({@code __aligned_u64 flags} at
 *     offset 0)
 * @param pgtblAddr the guest-physical address of the stage-1 root table ({@code __aligned_u64
 *     pgtbl_addr} at offset 8)
 * @param addrWidth the input address width of the stage-1 table: 48 (4 levels) or 57 (5 levels)
 *     ({@code __u32 addr_width} at offset 16)
 * @param reserved must be 0 ({@code __u32 __reserved} at offset 20)
 */
public record IommuHwptVtdS1(long flags, long pgtblAddr, int addrWidth, int reserved) {

  /** {@code sizeof(struct iommu_hwpt_vtd_s1)} on LP64: 24 bytes. */
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
    out.putLong(flags);
    out.putLong(pgtblAddr);
    out.putInt(addrWidth);
    out.putInt(reserved);
  }

  /**
   * Reads a {@code struct iommu_hwpt_vtd_s1} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptVtdS1 decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommuHwptVtdS1(in.getLong(), in.getLong(), in.getInt(), in.getInt());
  }
}
