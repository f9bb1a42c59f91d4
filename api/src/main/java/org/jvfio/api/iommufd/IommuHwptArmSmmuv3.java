package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The driver data of a nested {@code IOMMU_HWPT_ALLOC} for Arm SMMUv3: the first two little-endian
 * double words of the guest's stream table entry (the vSTE).
 *
 * <p>Models {@code struct iommu_hwpt_arm_smmuv3} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code ste[0]} at 0, {@code ste[1]} at 8.
 *
 * <p>Passed with {@code data_type} {@link Iommufd#IOMMU_HWPT_DATA_ARM_SMMUV3} on a vIOMMU ({@code
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c}, {@code arm_vsmmu_alloc_domain_nested}); the
 * C field is {@code __aligned_le64 ste[2]}.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param ste0 STE word 0: V, Cfg, S1Fmt, S1ContextPtr, S1CDMax ({@code __aligned_le64 ste[0]} at
 *     offset 0)
 * @param ste1 STE word 1: EATS, S1DSS, S1CIR, S1COR, S1CSH, S1STALLD ({@code __aligned_le64 ste[1]}
 *     at offset 8)
 */
public record IommuHwptArmSmmuv3(long ste0, long ste1) {

  /** {@code sizeof(struct iommu_hwpt_arm_smmuv3)} on LP64: 16 bytes. */
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
    out.putLong(ste0);
    out.putLong(ste1);
  }

  /**
   * Reads a {@code struct iommu_hwpt_arm_smmuv3} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptArmSmmuv3 decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommuHwptArmSmmuv3(in.getLong(), in.getLong());
  }
}
