package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;

/**
 * The type capability of a region ({@link Vfio#VFIO_REGION_INFO_CAP_TYPE}): what a device-specific
 * region (index 9 and up) holds.
 *
 * <p>Models {@code struct vfio_region_info_cap_type} of {@code include/uapi/linux/vfio.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code header} at 0, {@code type} at 8, {@code subtype}
 * at 12.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param header the capability header: {@code id}, {@code version}, {@code next} ({@code struct
 *     vfio_info_cap_header header} at offset 0)
 * @param type the region type, global per bus driver, e.g. {@link
 *     Vfio#VFIO_REGION_TYPE_PCI_VENDOR_TYPE} | vendor ({@code __u32 type} at offset 8)
 * @param subtype the type-specific subtype ({@code __u32 subtype} at offset 12)
 */
public record VfioRegionInfoCapType(VfioInfoCapHeader header, int type, int subtype) {

  /** {@code sizeof(struct vfio_region_info_cap_type)} on LP64: 16 bytes. */
  public static final int SIZE = 16;

  /**
   * Creates the struct.
   *
   * @param header the capability header
   * @param type the region type
   * @param subtype the type-specific subtype
   * @throws NullPointerException if {@code header} is null
   */
  public VfioRegionInfoCapType {
    Objects.requireNonNull(header, "header");
  }

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
    header.encode(out);
    out.putInt(type);
    out.putInt(subtype);
  }

  /**
   * Reads a {@code struct vfio_region_info_cap_type} from {@value #SIZE} little-endian bytes at the
   * buffer's position and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioRegionInfoCapType decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    VfioInfoCapHeader header = VfioInfoCapHeader.decode(in);
    int type = in.getInt();
    int subtype = in.getInt();
    return new VfioRegionInfoCapType(header, type, subtype);
  }
}
