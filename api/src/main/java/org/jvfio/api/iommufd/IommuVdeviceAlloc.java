package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_VDEVICE_ALLOC}: give a device its virtual id (vSID, vRID, vDeviceID)
 * in a vIOMMU.
 *
 * <p>Models {@code struct iommu_vdevice_alloc} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code viommu_id} at 4, {@code
 * dev_id} at 8, {@code out_vdevice_id} at 12, {@code virt_id} at 16.
 *
 * <p>The kernel needs all {@value #SIZE} bytes ({@code drivers/iommu/iommufd/viommu.c}, {@code
 * iommufd_vdevice_alloc_ioctl}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user ({@code __u32 size} at offset 0)
 * @param viommuId the vIOMMU ({@code __u32 viommu_id} at offset 4)
 * @param devId the physical device ({@code __u32 dev_id} at offset 8)
 * @param outVdeviceId out: the id of the new vDEVICE ({@code __u32 out_vdevice_id} at offset 12)
 * @param virtId the device's id in the vIOMMU, e.g. the vSID of an SMMUv3 ({@code __aligned_u64
 *     virt_id} at offset 16)
 */
public record IommuVdeviceAlloc(int size, int viommuId, int devId, int outVdeviceId, long virtId) {

  /** {@code sizeof(struct iommu_vdevice_alloc)} on LP64: 24 bytes. */
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
    out.putInt(size);
    out.putInt(viommuId);
    out.putInt(devId);
    out.putInt(outVdeviceId);
    out.putLong(virtId);
  }

  /**
   * Reads a {@code struct iommu_vdevice_alloc} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuVdeviceAlloc decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommuVdeviceAlloc(in.getInt(), in.getInt(), in.getInt(), in.getInt(), in.getLong());
  }
}
