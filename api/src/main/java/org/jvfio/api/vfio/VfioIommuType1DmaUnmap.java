package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The fixed 24-byte part of the {@code VFIO_IOMMU_UNMAP_DMA} argument of a type1 container.
 *
 * <p>Models {@code struct vfio_iommu_type1_dma_unmap} of {@code include/uapi/linux/vfio.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code iova} at
 * 8 and {@code size} at 16.
 *
 * <p>The flexible {@code __u8 data[]} member at offset 24 is not part of this record. With {@link
 * Vfio#VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP} a {@link VfioBitmap} follows at offset 24 and {@code
 * argsz} must be at least 48; that flag cannot be combined with {@link
 * Vfio#VFIO_DMA_UNMAP_FLAG_ALL} or {@link Vfio#VFIO_DMA_UNMAP_FLAG_VADDR} ({@code EINVAL}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param argsz the size of this part plus whatever follows in {@code data[]} ({@code __u32 argsz}
 *     at offset 0)
 * @param flags a combination of the {@code Vfio.VFIO_DMA_UNMAP_FLAG_*} bits ({@code __u32 flags} at
 *     offset 4)
 * @param iova the IO virtual address to unmap from ({@code __u64 iova} at offset 8)
 * @param size the size of the mapping to unmap, in bytes ({@code __u64 size} at offset 16)
 */
public record VfioIommuType1DmaUnmap(int argsz, int flags, long iova, long size) {

  /** {@code sizeof(struct vfio_iommu_type1_dma_unmap)} on LP64: 24 bytes. */
  public static final int SIZE = 24;

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
    out.putInt(argsz);
    out.putInt(flags);
    out.putLong(iova);
    out.putLong(size);
  }

  /**
   * Reads a {@code struct vfio_iommu_type1_dma_unmap} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIommuType1DmaUnmap decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    long iova = in.getLong();
    long size = in.getLong();
    return new VfioIommuType1DmaUnmap(argsz, flags, iova, size);
  }
}
