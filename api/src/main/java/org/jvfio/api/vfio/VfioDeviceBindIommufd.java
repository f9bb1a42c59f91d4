package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_DEVICE_BIND_IOMMUFD} on a VFIO device cdev: bind the device to an
 * iommufd.
 *
 * <p>Models {@code struct vfio_device_bind_iommufd} of {@code include/uapi/linux/vfio.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code iommufd}
 * at 8, {@code out_devid} at 12 and {@code token_uuid_ptr} at 16.
 *
 * <p>This is the current 24-byte layout. Kernels before the 2025 VF-token addition define only the
 * first 16 bytes (no {@code token_uuid_ptr}); the kernel reads at least up to {@code out_devid}, so
 * a 16-byte {@code argsz} stays valid.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param argsz the size of the struct as passed by the user ({@code __u32 argsz} at offset 0)
 * @param flags 0 or {@link Vfio#VFIO_DEVICE_BIND_FLAG_TOKEN} ({@code __u32 flags} at offset 4)
 * @param iommufd the fd of an open {@code /dev/iommu} ({@code __s32 iommufd} at offset 8)
 * @param outDevid out: the id of the device object in that iommufd ({@code __u32 out_devid} at
 *     offset 12)
 * @param tokenUuidPtr the user address of a 16-byte UUID, in the format of {@link
 *     Vfio#VFIO_DEVICE_FEATURE_PCI_VF_TOKEN}; read only with {@link
 *     Vfio#VFIO_DEVICE_BIND_FLAG_TOKEN} ({@code __aligned_u64 token_uuid_ptr} at offset 16)
 */
public record VfioDeviceBindIommufd(
    int argsz, int flags, int iommufd, int outDevid, long tokenUuidPtr) {

  /** {@code sizeof(struct vfio_device_bind_iommufd)} on LP64: 24 bytes. */
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
    out.putInt(argsz);
    out.putInt(flags);
    out.putInt(iommufd);
    out.putInt(outDevid);
    out.putLong(tokenUuidPtr);
  }

  /**
   * Reads a {@code struct vfio_device_bind_iommufd} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceBindIommufd decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    int iommufd = in.getInt();
    int outDevid = in.getInt();
    long tokenUuidPtr = in.getLong();
    return new VfioDeviceBindIommufd(argsz, flags, iommufd, outDevid, tokenUuidPtr);
  }
}
