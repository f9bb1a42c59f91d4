package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_VFIO_IOAS}: get, set or clear the IOAS that the VFIO type1 ioctls on
 * this iommufd act on (the compatibility IOAS).
 *
 * <p>Models {@code struct iommu_vfio_ioas} of {@code include/uapi/linux/iommufd.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code size} at 0, {@code ioas_id} at 4, {@code op} ({@code
 * __u16}) at 8 and {@code __reserved} ({@code __u16}) at 10. The kernel copies the struct back only
 * for {@link Iommufd#IOMMU_VFIO_IOAS_GET}, with {@code ioas_id} set.
 *
 * <p>Components are the C fields in C order and carry their raw bits: the two {@code __u16} fields
 * are held in the low 16 bits of an {@code int} (encoding keeps only those bits, decoding
 * zero-extends), unsigned values with the top bit set are negative here, so compare them with
 * {@link Integer#compareUnsigned}. Nothing is validated: this is the C struct, not a checked
 * request.
 *
 * @param size the size of the struct as passed by the user ({@code __u32 size} at offset 0)
 * @param ioasId the IOAS to set (SET), or the compatibility IOAS read back (GET) ({@code __u32
 *     ioas_id} at offset 4)
 * @param op {@link Iommufd#IOMMU_VFIO_IOAS_GET}, {@link Iommufd#IOMMU_VFIO_IOAS_SET} or {@link
 *     Iommufd#IOMMU_VFIO_IOAS_CLEAR} ({@code __u16 op} at offset 8)
 * @param reserved must be 0 ({@code __u16 __reserved} at offset 10)
 */
public record IommuVfioIoas(int size, int ioasId, int op, int reserved) {

  /** {@code sizeof(struct iommu_vfio_ioas)} on LP64: 12 bytes. */
  public static final int SIZE = 12;

  /**
   * Creates the struct, keeping only the C width (16 bits) of {@code op} and {@code reserved}.
   *
   * @param size the {@code size} field
   * @param ioasId the {@code ioas_id} field
   * @param op the {@code op} field; bits above 16 are dropped
   * @param reserved the {@code __reserved} field; bits above 16 are dropped
   */
  public IommuVfioIoas {
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
    out.putInt(ioasId);
    out.putShort((short) op);
    out.putShort((short) reserved);
  }

  /**
   * Reads a {@code struct iommu_vfio_ioas} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuVfioIoas decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int ioasId = in.getInt();
    int op = Short.toUnsignedInt(in.getShort());
    int reserved = Short.toUnsignedInt(in.getShort());
    return new IommuVfioIoas(size, ioasId, op, reserved);
  }
}
