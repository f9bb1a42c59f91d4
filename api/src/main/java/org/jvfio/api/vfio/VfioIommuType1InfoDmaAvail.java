package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;

/**
 * The DMA-available capability of {@code VFIO_IOMMU_GET_INFO}: how many more {@code
 * VFIO_IOMMU_MAP_DMA} mappings the container accepts.
 *
 * <p>Models {@code struct vfio_iommu_type1_info_dma_avail} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code header} at 0 and {@code avail} at 8. In
 * the chain it occupies 16 bytes: the kernel rounds every capability up to 8 bytes and writes the
 * padding as zeros ({@code drivers/vfio/vfio_main.c}, {@code vfio_info_cap_add}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: widen {@code avail} with
 * {@link Integer#toUnsignedLong} (iommufd's compatibility layer reports {@code U32_MAX}). Nothing
 * is validated: this is the C struct, not a checked request.
 *
 * @param header the chain header, id {@link Vfio#VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL} ({@code struct
 *     vfio_info_cap_header header} at offset 0)
 * @param avail the number of mappings still available ({@code __u32 avail} at offset 8)
 */
public record VfioIommuType1InfoDmaAvail(VfioInfoCapHeader header, int avail) {

  /** {@code sizeof(struct vfio_iommu_type1_info_dma_avail)} on LP64: 12 bytes. */
  public static final int SIZE = 12;

  /**
   * Creates the struct.
   *
   * @param header the {@code header} field
   * @param avail the {@code avail} field
   * @throws NullPointerException if {@code header} is null
   */
  public VfioIommuType1InfoDmaAvail {
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
    out.putInt(avail);
  }

  /**
   * Reads a {@code struct vfio_iommu_type1_info_dma_avail} from {@value #SIZE} little-endian bytes
   * at the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIommuType1InfoDmaAvail decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    VfioInfoCapHeader header = VfioInfoCapHeader.decode(in);
    int avail = in.getInt();
    return new VfioIommuType1InfoDmaAvail(header, avail);
  }
}
