package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_DEVICE_GET_REGION_INFO}: one region of the device file, where it
 * lives in the fd's offsets and what may be done with it.
 *
 * <p>Models {@code struct vfio_region_info} of {@code include/uapi/linux/vfio.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code index} at 8,
 * {@code cap_offset} at 12, {@code size} at 16, {@code offset} at 24.
 *
 * <p>{@code minsz} is the whole struct; a {@code cap_offset} the kernel does not set is echoed from
 * the user's input (drivers/vfio/pci/vfio_pci_core.c, {@code vfio_pci_ioctl_get_region_info}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param argsz in: the size of the user's buffer; out: the size needed for every capability when it
 *     was too small ({@code __u32 argsz} at offset 0)
 * @param flags out: {@code VFIO_REGION_INFO_FLAG_*} ({@code __u32 flags} at offset 4)
 * @param index in: the region index, e.g. {@link Vfio#VFIO_PCI_BAR2_REGION_INDEX} ({@code __u32
 *     index} at offset 8)
 * @param capOffset out: the offset of the first capability from the start of this struct ({@code
 *     __u32 cap_offset} at offset 12)
 * @param size out: the region's size in bytes ({@code __u64 size} at offset 16)
 * @param offset out: the region's offset from the start of the device fd ({@code __u64 offset} at
 *     offset 24)
 */
public record VfioRegionInfo(
    int argsz, int flags, int index, int capOffset, long size, long offset) {

  /** {@code sizeof(struct vfio_region_info)} on LP64: 32 bytes. */
  public static final int SIZE = 32;

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
    out.putInt(index);
    out.putInt(capOffset);
    out.putLong(size);
    out.putLong(offset);
  }

  /**
   * Reads a {@code struct vfio_region_info} from {@value #SIZE} little-endian bytes at the buffer's
   * position and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioRegionInfo decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    int index = in.getInt();
    int capOffset = in.getInt();
    long size = in.getLong();
    long offset = in.getLong();
    return new VfioRegionInfo(argsz, flags, index, capOffset, size, offset);
  }
}
