package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_FAULT_QUEUE_ALLOC}: allocate a fault queue ({@code
 * IOMMUFD_OBJ_FAULT}) and the fd its page faults are read from and answered through.
 *
 * <p>Models {@code struct iommu_fault_alloc} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4, {@code
 * out_fault_id} at 8 and {@code out_fault_fd} at 12.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} and widen a
 * {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is validated: this is the C struct,
 * not a checked request.
 *
 * @param size the size of the struct as passed by the user ({@code __u32 size} at offset 0)
 * @param flags must be 0 ({@code __u32 flags} at offset 4)
 * @param outFaultId out: the id of the fault object ({@code __u32 out_fault_id} at offset 8)
 * @param outFaultFd out: the fd of the queue ({@code __u32 out_fault_fd} at offset 12)
 */
public record IommuFaultAlloc(int size, int flags, int outFaultId, int outFaultFd) {

  /** {@code sizeof(struct iommu_fault_alloc)} on LP64: 16 bytes. */
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
    out.putInt(size);
    out.putInt(flags);
    out.putInt(outFaultId);
    out.putInt(outFaultFd);
  }

  /**
   * Reads a {@code struct iommu_fault_alloc} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuFaultAlloc decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int flags = in.getInt();
    int outFaultId = in.getInt();
    int outFaultFd = in.getInt();
    return new IommuFaultAlloc(size, flags, outFaultId, outFaultFd);
  }
}
