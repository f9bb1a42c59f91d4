package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT} on a bound VFIO device cdev: attach the
 * device (or one PASID) to an IOAS or HWPT.
 *
 * <p>Models {@code struct vfio_device_attach_iommufd_pt} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code
 * pt_id} at 8 and {@code pasid} at 12.
 *
 * <p>This is the current 16-byte layout; older kernels define only the first 12 bytes (no {@code
 * pasid}). Attaching again without a detach replaces the attached HWPT. The call fails with {@code
 * EBUSY} while the device or a sibling in its IOMMU group is resetting.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param argsz the size of the struct as passed by the user ({@code __u32 argsz} at offset 0)
 * @param flags 0 or {@link Vfio#VFIO_DEVICE_ATTACH_PASID} ({@code __u32 flags} at offset 4)
 * @param ptId in: an IOAS or HWPT id; out: the attached HWPT id (possibly one the kernel created
 *     for the IOAS) or the IOAS id ({@code __u32 pt_id} at offset 8)
 * @param pasid the PASID to attach; used only with {@link Vfio#VFIO_DEVICE_ATTACH_PASID} ({@code
 *     __u32 pasid} at offset 12)
 */
public record VfioDeviceAttachIommufdPt(int argsz, int flags, int ptId, int pasid) {

  /** {@code sizeof(struct vfio_device_attach_iommufd_pt)} on LP64: 16 bytes. */
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
    out.putInt(argsz);
    out.putInt(flags);
    out.putInt(ptId);
    out.putInt(pasid);
  }

  /**
   * Reads a {@code struct vfio_device_attach_iommufd_pt} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceAttachIommufdPt decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    int ptId = in.getInt();
    int pasid = in.getInt();
    return new VfioDeviceAttachIommufdPt(argsz, flags, ptId, pasid);
  }
}
