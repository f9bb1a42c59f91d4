package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;

/**
 * The fixed part of the IOVA-range capability of {@code VFIO_IOMMU_GET_INFO}: how many usable IOVA
 * ranges follow.
 *
 * <p>Models {@code struct vfio_iommu_type1_info_cap_iova_range} of {@code
 * include/uapi/linux/vfio.h}: {@value #SIZE} bytes on LP64 little-endian, with {@code header} at 0,
 * {@code nr_iovas} at 8 and {@code reserved} at 12. The flexible {@code iova_ranges[]} member at
 * offset 16 is not part of this record: {@code nr_iovas} {@link VfioIovaRange}s follow, so the
 * capability occupies {@code 16 + 16 * nr_iovas} bytes.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing
 * is validated: this is the C struct, not a checked request.
 *
 * @param header the chain header, id {@link Vfio#VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE} ({@code
 *     struct vfio_info_cap_header header} at offset 0)
 * @param nrIovas the number of ranges that follow ({@code __u32 nr_iovas} at offset 8)
 * @param reserved written as 0 by the kernel ({@code __u32 reserved} at offset 12)
 */
public record VfioIommuType1InfoCapIovaRange(VfioInfoCapHeader header, int nrIovas, int reserved) {

  /** {@code sizeof(struct vfio_iommu_type1_info_cap_iova_range)} on LP64: 16 bytes. */
  public static final int SIZE = 16;

  /**
   * Creates the struct.
   *
   * @param header the {@code header} field
   * @param nrIovas the {@code nr_iovas} field
   * @param reserved the {@code reserved} field
   * @throws NullPointerException if {@code header} is null
   */
  public VfioIommuType1InfoCapIovaRange {
    Objects.requireNonNull(header, "header");
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
    header.encode(out);
    out.putInt(nrIovas);
    out.putInt(reserved);
  }

  /**
   * Reads a {@code struct vfio_iommu_type1_info_cap_iova_range} from {@value #SIZE} little-endian
   * bytes at the buffer's position, whatever {@code buf.order()} is, and advances the position by
   * {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIommuType1InfoCapIovaRange decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    VfioInfoCapHeader header = VfioInfoCapHeader.decode(in);
    int nrIovas = in.getInt();
    int reserved = in.getInt();
    return new VfioIommuType1InfoCapIovaRange(header, nrIovas, reserved);
  }
}
