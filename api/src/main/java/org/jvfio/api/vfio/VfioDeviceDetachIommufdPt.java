package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_DEVICE_DETACH_IOMMUFD_PT} on a VFIO device cdev: detach the device
 * (or one PASID) from its address space.
 *
 * <p>Models {@code struct vfio_device_detach_iommufd_pt} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4 and
 * {@code pasid} at 8.
 *
 * <p>This is the current 12-byte layout (three {@code __u32}, no tail padding); older kernels
 * define only the first 8 bytes (no {@code pasid}). After the detach the device or PASID blocks
 * DMA.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param argsz the size of the struct as passed by the user ({@code __u32 argsz} at offset 0)
 * @param flags 0 or {@link Vfio#VFIO_DEVICE_DETACH_PASID} ({@code __u32 flags} at offset 4)
 * @param pasid the PASID to detach; used only with {@link Vfio#VFIO_DEVICE_DETACH_PASID} ({@code
 *     __u32 pasid} at offset 8)
 */
public record VfioDeviceDetachIommufdPt(int argsz, int flags, int pasid) {

  /** {@code sizeof(struct vfio_device_detach_iommufd_pt)} on LP64: 12 bytes. */
  public static final int SIZE = 12;

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
    out.putInt(pasid);
  }

  /**
   * Reads a {@code struct vfio_device_detach_iommufd_pt} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceDetachIommufdPt decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    int pasid = in.getInt();
    return new VfioDeviceDetachIommufdPt(argsz, flags, pasid);
  }
}
