package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;

/**
 * The fixed part of the sparse-mmap capability of a region ({@link
 * Vfio#VFIO_REGION_INFO_CAP_SPARSE_MMAP}): which parts of the region may be mmapped.
 *
 * <p>Models {@code struct vfio_region_info_cap_sparse_mmap} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code header} at 0, {@code nr_areas} at 8,
 * {@code reserved} at 12.
 *
 * <p>{@code nr_areas} {@link VfioRegionSparseMmapArea}s follow it in the chain ({@code areas[]}, a
 * flexible array), so the capability occupies {@code 16 + 16 * nr_areas} bytes.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param header the capability header: {@code id}, {@code version}, {@code next} ({@code struct
 *     vfio_info_cap_header header} at offset 0)
 * @param nrAreas the number of areas that follow ({@code __u32 nr_areas} at offset 8)
 * @param reserved reserved, 0 ({@code __u32 reserved} at offset 12)
 */
public record VfioRegionInfoCapSparseMmap(VfioInfoCapHeader header, int nrAreas, int reserved) {

  /** {@code sizeof(struct vfio_region_info_cap_sparse_mmap)} on LP64: 16 bytes. */
  public static final int SIZE = 16;

  /**
   * Creates the struct.
   *
   * @param header the capability header
   * @param nrAreas the number of areas that follow
   * @param reserved reserved, 0
   * @throws NullPointerException if {@code header} is null
   */
  public VfioRegionInfoCapSparseMmap {
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
    out.putInt(nrAreas);
    out.putInt(reserved);
  }

  /**
   * Reads a {@code struct vfio_region_info_cap_sparse_mmap} from {@value #SIZE} little-endian bytes
   * at the buffer's position and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioRegionInfoCapSparseMmap decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    VfioInfoCapHeader header = VfioInfoCapHeader.decode(in);
    int nrAreas = in.getInt();
    int reserved = in.getInt();
    return new VfioRegionInfoCapSparseMmap(header, nrAreas, reserved);
  }
}
