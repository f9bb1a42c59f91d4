package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_VIOMMU_ALLOC}: allocate a virtual IOMMU on a nesting-parent HWPT for
 * a device's physical IOMMU.
 *
 * <p>Models {@code struct iommu_viommu_alloc} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4, {@code type} at
 * 8, {@code dev_id} at 12, {@code hwpt_id} at 16, {@code out_viommu_id} at 20, {@code data_len} at
 * 24, {@code __reserved} at 28, {@code data_uptr} at 32.
 *
 * <p>The kernel needs the first 24 bytes (up to {@code out_viommu_id}) ({@code
 * drivers/iommu/iommufd/viommu.c}, {@code iommufd_viommu_alloc_ioctl}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user ({@code __u32 size} at offset 0)
 * @param flags must be 0 ({@code __u32 flags} at offset 4)
 * @param type {@code Iommufd.IOMMU_VIOMMU_TYPE_*} ({@code __u32 type} at offset 8)
 * @param devId a device behind the physical IOMMU ({@code __u32 dev_id} at offset 12)
 * @param hwptId the nesting-parent HWPT (stage 2) ({@code __u32 hwpt_id} at offset 16)
 * @param outViommuId out: the id of the new vIOMMU ({@code __u32 out_viommu_id} at offset 20)
 * @param dataLen the length of the type-specific data ({@code __u32 data_len} at offset 24)
 * @param reserved reserved ({@code __u32 __reserved} at offset 28)
 * @param dataUptr the user address of the type-specific data ({@code __aligned_u64 data_uptr} at
 *     offset 32)
 */
public record IommuViommuAlloc(
    int size,
    int flags,
    int type,
    int devId,
    int hwptId,
    int outViommuId,
    int dataLen,
    int reserved,
    long dataUptr) {

  /** {@code sizeof(struct iommu_viommu_alloc)} on LP64: 40 bytes. */
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
    out.putInt(type);
    out.putInt(devId);
    out.putInt(hwptId);
    out.putInt(outViommuId);
    out.putInt(dataLen);
    out.putInt(reserved);
    out.putLong(dataUptr);
  }

  /**
   * Reads a {@code struct iommu_viommu_alloc} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuViommuAlloc decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommuViommuAlloc(
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getLong());
  }
}
