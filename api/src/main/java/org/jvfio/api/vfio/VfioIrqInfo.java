package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_DEVICE_GET_IRQ_INFO}: one interrupt index of the device and how many
 * vectors it has.
 *
 * <p>Models {@code struct vfio_irq_info} of {@code include/uapi/linux/vfio.h}: {@value #SIZE} bytes
 * on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code index} at 8, {@code
 * count} at 12.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param argsz in: the size of the user's buffer ({@code __u32 argsz} at offset 0)
 * @param flags out: {@code VFIO_IRQ_INFO_*}, e.g. {@link Vfio#VFIO_IRQ_INFO_EVENTFD} ({@code __u32
 *     flags} at offset 4)
 * @param index in: the IRQ index, e.g. {@link Vfio#VFIO_PCI_MSIX_IRQ_INDEX} ({@code __u32 index} at
 *     offset 8)
 * @param count out: the number of vectors at that index ({@code __u32 count} at offset 12)
 */
public record VfioIrqInfo(int argsz, int flags, int index, int count) {

  /** {@code sizeof(struct vfio_irq_info)} on LP64: 16 bytes. */
  public static final int SIZE = 16;

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
    out.putInt(count);
  }

  /**
   * Reads a {@code struct vfio_irq_info} from {@value #SIZE} little-endian bytes at the buffer's
   * position and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIrqInfo decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    int index = in.getInt();
    int count = in.getInt();
    return new VfioIrqInfo(argsz, flags, index, count);
  }
}
