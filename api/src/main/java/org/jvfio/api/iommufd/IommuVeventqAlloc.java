package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_VEVENTQ_ALLOC}: allocate a vIOMMU event queue of one type and the fd
 * its events are read from.
 *
 * <p>Models {@code struct iommu_veventq_alloc} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4, {@code viommu_id}
 * at 8, {@code type} at 12, {@code veventq_depth} at 16, {@code out_veventq_id} at 20, {@code
 * out_veventq_fd} at 24, {@code __reserved} at 28.
 *
 * <p>The kernel needs all {@value #SIZE} bytes ({@code drivers/iommu/iommufd/eventq.c}, {@code
 * iommufd_veventq_alloc}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user ({@code __u32 size} at offset 0)
 * @param flags must be 0 ({@code __u32 flags} at offset 4)
 * @param viommuId the vIOMMU whose events the queue receives ({@code __u32 viommu_id} at offset 8)
 * @param type the event type, {@code IOMMU_VEVENTQ_TYPE_*} ({@code __u32 type} at offset 12)
 * @param veventqDepth the most events the queue holds before it loses them ({@code __u32
 *     veventq_depth} at offset 16)
 * @param outVeventqId out: the id of the new vEVENTQ ({@code __u32 out_veventq_id} at offset 20)
 * @param outVeventqFd out: the fd its events are read from ({@code __u32 out_veventq_fd} at offset
 *     24)
 * @param reserved must be 0 ({@code __u32 __reserved} at offset 28)
 */
public record IommuVeventqAlloc(
    int size,
    int flags,
    int viommuId,
    int type,
    int veventqDepth,
    int outVeventqId,
    int outVeventqFd,
    int reserved) {

  /** {@code sizeof(struct iommu_veventq_alloc)} on LP64: 32 bytes. */
  public static final int SIZE = 32;

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
    out.putInt(viommuId);
    out.putInt(type);
    out.putInt(veventqDepth);
    out.putInt(outVeventqId);
    out.putInt(outVeventqFd);
    out.putInt(reserved);
  }

  /**
   * Reads a {@code struct iommu_veventq_alloc} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuVeventqAlloc decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    return new IommuVeventqAlloc(
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt(),
        in.getInt());
  }
}
