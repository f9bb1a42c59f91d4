package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The header of one capability in a VFIO info capability chain: its id, version and the offset of
 * the next one.
 *
 * <p>Models {@code struct vfio_info_cap_header} of {@code include/uapi/linux/vfio.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code id} at 0, {@code version} at 2 and {@code next}
 * at 4.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request. A field narrower than 32 bits is an
 * {@code int} holding the zero-extended value; the constructor keeps only the field's width of
 * bits, so a record always equals what it decodes to.
 *
 * @param id the capability id, e.g. {@link Vfio#VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION} ({@code __u16
 *     id} at offset 0)
 * @param version the version of that capability's layout ({@code __u16 version} at offset 2)
 * @param next the offset of the next capability from the start of the info buffer, 0 for the last
 *     ({@code __u32 next} at offset 4)
 */
public record VfioInfoCapHeader(int id, int version, int next) {

  /** {@code sizeof(struct vfio_info_cap_header)} on LP64: 8 bytes. */
  public static final int SIZE = 8;

  /**
   * Creates the struct, keeping only the C width of {@code id} and {@code version}.
   *
   * @param id the {@code id} field
   * @param version the {@code version} field
   * @param next the {@code next} field
   */
  public VfioInfoCapHeader {
    id &= 0xffff;
    version &= 0xffff;
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
    out.putShort((short) id);
    out.putShort((short) version);
    out.putInt(next);
  }

  /**
   * Reads a {@code struct vfio_info_cap_header} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioInfoCapHeader decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int id = Short.toUnsignedInt(in.getShort());
    int version = Short.toUnsignedInt(in.getShort());
    int next = in.getInt();
    return new VfioInfoCapHeader(id, version, next);
  }
}
