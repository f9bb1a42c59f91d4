package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The header before each event read from a vEVENTQ fd; a header with {@code
 * IOMMU_VEVENTQ_FLAG_LOST_EVENTS} stands for events the full queue lost and has no data after it.
 *
 * <p>Models {@code struct iommufd_vevent_header} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code flags} at 0, {@code sequence} at 4.
 *
 * <p>The kernel writes it ({@code drivers/iommu/iommufd/eventq.c}, {@code
 * iommufd_veventq_fops_read}); {@code sequence} counts the queue's events and lost-event headers
 * from 0 and wraps from {@code INT_MAX} to 0.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param flags {@code IOMMU_VEVENTQ_FLAG_*} ({@code __u32 flags} at offset 0)
 * @param sequence the event's place in the queue's sequence ({@code __u32 sequence} at offset 4)
 */
public record IommufdVeventHeader(int flags, int sequence) {

  /** {@code sizeof(struct iommufd_vevent_header)} on LP64: 8 bytes. */
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
    out.putInt(sequence);
  }

  /**
   * Reads a {@code struct iommufd_vevent_header} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommufdVeventHeader decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommufdVeventHeader(in.getInt(), in.getInt());
  }
}
