package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_OPTION}: get or set an option of the iommufd ({@code
 * IOMMU_OPTION_RLIMIT_MODE}) or of one of its objects ({@code IOMMU_OPTION_HUGE_PAGES} of an IOAS).
 *
 * <p>Models {@code struct iommu_option} of {@code include/uapi/linux/iommufd.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code size} at 0, {@code option_id} at 4, {@code op} ({@code
 * __u16}) at 8, {@code __reserved} ({@code __u16}) at 10, {@code object_id} at 12 and {@code val64}
 * at 16. The kernel copies only {@code val64} back, and only when the call succeeds.
 *
 * <p>Components are the C fields in C order and carry their raw bits: the two {@code __u16} fields
 * are held in the low 16 bits of an {@code int} (encoding keeps only those bits, decoding
 * zero-extends), unsigned values with the top bit set are negative here, so compare them with
 * {@link Integer#compareUnsigned} or {@link Long#compareUnsigned}. Nothing is validated: this is
 * the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user ({@code __u32 size} at offset 0)
 * @param optionId {@link Iommufd#IOMMU_OPTION_RLIMIT_MODE} or {@link
 *     Iommufd#IOMMU_OPTION_HUGE_PAGES} ({@code __u32 option_id} at offset 4)
 * @param op {@link Iommufd#IOMMU_OPTION_OP_SET} or {@link Iommufd#IOMMU_OPTION_OP_GET} ({@code
 *     __u16 op} at offset 8)
 * @param reserved must be 0 ({@code __u16 __reserved} at offset 10)
 * @param objectId the object the option applies to, 0 for the iommufd itself ({@code __u32
 *     object_id} at offset 12)
 * @param val64 the value to set, or the value read back ({@code __aligned_u64 val64} at offset 16)
 */
public record IommuOption(int size, int optionId, int op, int reserved, int objectId, long val64) {

  /** {@code sizeof(struct iommu_option)} on LP64: 24 bytes. */
  public static final int SIZE = 24;

  /**
   * Creates the struct, keeping only the C width (16 bits) of {@code op} and {@code reserved}.
   *
   * @param size the {@code size} field
   * @param optionId the {@code option_id} field
   * @param op the {@code op} field; bits above 16 are dropped
   * @param reserved the {@code __reserved} field; bits above 16 are dropped
   * @param objectId the {@code object_id} field
   * @param val64 the {@code val64} field
   */
  public IommuOption {
    op &= 0xffff;
    reserved &= 0xffff;
  }

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
    out.putInt(optionId);
    out.putShort((short) op);
    out.putShort((short) reserved);
    out.putInt(objectId);
    out.putLong(val64);
  }

  /**
   * Reads a {@code struct iommu_option} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuOption decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int optionId = in.getInt();
    int op = Short.toUnsignedInt(in.getShort());
    int reserved = Short.toUnsignedInt(in.getShort());
    int objectId = in.getInt();
    long val64 = in.getLong();
    return new IommuOption(size, optionId, op, reserved, objectId, val64);
  }
}
