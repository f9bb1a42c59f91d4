package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The driver data of {@code IOMMU_HWPT_ALLOC} with {@link IommufdTest#IOMMU_HWPT_DATA_SELFTEST} on
 * a kernel built with {@code CONFIG_IOMMUFD_TEST}: the mock IOMMU's default IOTLB value and the
 * page-table type of the domain.
 *
 * <p>Models {@code struct iommu_hwpt_selftest} of {@code drivers/iommu/iommufd/iommufd_test.h} (not
 * a uapi header): {@value #SIZE} bytes, with {@code iotlb} at 0 and {@code pagetable_type} at 4.
 * The kernel copies it with {@code iommu_copy_struct_from_user} up to {@code iotlb}, so a {@code
 * data_len} of 4 is a shorter, older version ({@code pagetable_type} 0).
 *
 * <p>Components are the C fields in C order and carry their raw bits. Nothing is validated: this is
 * the C struct, not a checked request.
 *
 * @param iotlb the default mock IOTLB value, {@code IOMMU_TEST_IOTLB_DEFAULT} ({@code __u32 iotlb}
 *     at offset 0)
 * @param pagetableType {@link IommufdTest#MOCK_IOMMUPT_DEFAULT}, {@link
 *     IommufdTest#MOCK_IOMMUPT_HUGE} or {@link IommufdTest#MOCK_IOMMUPT_AMDV1} ({@code __u32
 *     pagetable_type} at offset 4)
 */
public record IommuHwptSelftest(int iotlb, int pagetableType) {

  /** {@code sizeof(struct iommu_hwpt_selftest)}: 8 bytes. */
  public static final int SIZE = 8;

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
    out.putInt(iotlb);
    out.putInt(pagetableType);
  }

  /**
   * Reads a {@code struct iommu_hwpt_selftest} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptSelftest decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int iotlb = in.getInt();
    int pagetableType = in.getInt();
    return new IommuHwptSelftest(iotlb, pagetableType);
  }
}
