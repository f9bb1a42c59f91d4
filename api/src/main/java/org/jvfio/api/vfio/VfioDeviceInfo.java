package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_DEVICE_GET_INFO}: what kind of device this is and how many regions
 * and interrupts it has.
 *
 * <p>Models {@code struct vfio_device_info} of {@code include/uapi/linux/vfio.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code num_regions} at
 * 8, {@code num_irqs} at 12, {@code cap_offset} at 16.
 *
 * <p>{@code minsz} is {@code offsetofend(num_irqs)} = 16: a user struct of 16–19 bytes gets no
 * {@code cap_offset} back (drivers/vfio/pci/vfio_pci_core.c, {@code vfio_pci_ioctl_get_info}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param argsz in: the size of the user's buffer; out: the size needed for every capability when it
 *     was too small ({@code __u32 argsz} at offset 0)
 * @param flags out: {@code VFIO_DEVICE_FLAGS_*}, e.g. {@link Vfio#VFIO_DEVICE_FLAGS_PCI} ({@code
 *     __u32 flags} at offset 4)
 * @param numRegions out: the largest region index + 1 ({@code __u32 num_regions} at offset 8)
 * @param numIrqs out: the largest IRQ index + 1 ({@code __u32 num_irqs} at offset 12)
 * @param capOffset out: the offset of the first capability from the start of this struct, 0 if none
 *     was copied ({@code __u32 cap_offset} at offset 16)
 */
public record VfioDeviceInfo(int argsz, int flags, int numRegions, int numIrqs, int capOffset) {

  /** {@code sizeof(struct vfio_device_info)} on LP64: 20 bytes. */
  public static final int SIZE = 20;

  /**
   * Writes this struct as {@value #SIZE} little-endian bytes at the buffer's position and advances
   * the position by {@value #SIZE}; the buffer's byte order is left unchanged.
   *
   * @param buf the destination
   * @throws BufferOverflowException if fewer than {@value #SIZE} bytes remain (nothing is written)
   * @throws ReadOnlyBufferException if {@code buf} is read-only
   */
  public void encode(ByteBuffer buf) {
    ByteBuffer out = Le.out(buf, SIZE);
    out.putInt(argsz);
    out.putInt(flags);
    out.putInt(numRegions);
    out.putInt(numIrqs);
    out.putInt(capOffset);
  }

  /**
   * Reads a {@code struct vfio_device_info} from {@value #SIZE} little-endian bytes at the buffer's
   * position and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceInfo decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    int numRegions = in.getInt();
    int numIrqs = in.getInt();
    int capOffset = in.getInt();
    return new VfioDeviceInfo(argsz, flags, numRegions, numIrqs, capOffset);
  }
}
