package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One request of {@code IOMMU_HWPT_INVALIDATE} with {@link
 * IommufdTest#IOMMU_HWPT_INVALIDATE_DATA_SELFTEST} on a mock nested HWPT, on a kernel built with
 * {@code CONFIG_IOMMUFD_TEST}: clear one entry of the mock IOTLB, or all of them.
 *
 * <p>Models {@code struct iommu_hwpt_invalidate_selftest} of {@code
 * drivers/iommu/iommufd/iommufd_test.h} (not a uapi header): {@value #SIZE} bytes, with {@code
 * flags} at 0 and {@code iotlb_id} at 4. The kernel copies each entry with {@code
 * iommu_copy_struct_from_user_array} up to {@code iotlb_id}, so {@code entry_len} must be exactly
 * {@value #SIZE}.
 *
 * <p>Components are the C fields in C order and carry their raw bits. Nothing is validated: this is
 * the C struct, not a checked request.
 *
 * @param flags {@link IommufdTest#IOMMU_TEST_INVALIDATE_FLAG_ALL} or 0 ({@code __u32 flags} at
 *     offset 0)
 * @param iotlbId the entry to clear, 0 to {@link IommufdTest#MOCK_NESTED_DOMAIN_IOTLB_ID_MAX},
 *     ignored with {@code FLAG_ALL} ({@code __u32 iotlb_id} at offset 4)
 */
public record IommuHwptInvalidateSelftest(int flags, int iotlbId) {

  /** {@code sizeof(struct iommu_hwpt_invalidate_selftest)}: 8 bytes. */
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
    out.putInt(flags);
    out.putInt(iotlbId);
  }

  /**
   * Reads a {@code struct iommu_hwpt_invalidate_selftest} from {@value #SIZE} little-endian bytes
   * at the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptInvalidateSelftest decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int flags = in.getInt();
    int iotlbId = in.getInt();
    return new IommuHwptInvalidateSelftest(flags, iotlbId);
  }
}
