package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One entry of an {@code IOMMU_HWPT_INVALIDATE} array for an Arm SMMUv3 vIOMMU: a 128-bit
 * command-queue command.
 *
 * <p>Models {@code struct iommu_viommu_arm_smmuv3_invalidate} of {@code
 * include/uapi/linux/iommufd.h}: {@value #SIZE} bytes on LP64 little-endian, with {@code cmd[0]} at
 * 0, {@code cmd[1]} at 8.
 *
 * <p>Used with {@code data_type} {@link Iommufd#IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3} on a
 * vIOMMU id; the C field is {@code __aligned_le64 cmd[2]} ({@code
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c}, {@code arm_vsmmu_cache_invalidate}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param cmd0 command word 0 (opcode in bits 7:0) ({@code __aligned_le64 cmd[0]} at offset 0)
 * @param cmd1 command word 1 ({@code __aligned_le64 cmd[1]} at offset 8)
 */
public record IommuViommuArmSmmuv3Invalidate(long cmd0, long cmd1) {

  /** {@code sizeof(struct iommu_viommu_arm_smmuv3_invalidate)} on LP64: 16 bytes. */
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
    out.putLong(cmd0);
    out.putLong(cmd1);
  }

  /**
   * Reads a {@code struct iommu_viommu_arm_smmuv3_invalidate} from {@value #SIZE} little-endian
   * bytes at the buffer's position, whatever {@code buf.order()} is, and advances the position by
   * {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuViommuArmSmmuv3Invalidate decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommuViommuArmSmmuv3Invalidate(in.getLong(), in.getLong());
  }
}
