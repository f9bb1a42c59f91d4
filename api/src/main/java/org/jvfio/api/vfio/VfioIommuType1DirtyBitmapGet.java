package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;

/**
 * The payload of a {@code VFIO_IOMMU_DIRTY_PAGES} GET_BITMAP: the IOVA range and the bitmap to
 * fill.
 *
 * <p>Models {@code struct vfio_iommu_type1_dirty_bitmap_get} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code iova} at 0, {@code size} at 8 and {@code
 * bitmap} at 16.
 *
 * <p>The embedded {@code struct vfio_bitmap} occupies offsets 16 to 39; its {@code pgsize} must be
 * the container's smallest IOMMU page size.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param iova the first IOVA of the range ({@code __u64 iova} at offset 0)
 * @param size the size of the IOVA range in bytes ({@code __u64 size} at offset 8)
 * @param bitmap the bitmap descriptor (24 bytes) ({@code struct vfio_bitmap bitmap} at offset 16)
 */
public record VfioIommuType1DirtyBitmapGet(long iova, long size, VfioBitmap bitmap) {

  /** {@code sizeof(struct vfio_iommu_type1_dirty_bitmap_get)} on LP64: 40 bytes. */
  public static final int SIZE = 40;

  /**
   * Creates the struct.
   *
   * @param iova the {@code iova} field
   * @param size the {@code size} field
   * @param bitmap the {@code bitmap} field
   * @throws NullPointerException if {@code bitmap} is null
   */
  public VfioIommuType1DirtyBitmapGet {
    Objects.requireNonNull(bitmap, "bitmap");
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
    out.putLong(iova);
    out.putLong(size);
    bitmap.encode(out);
  }

  /**
   * Reads a {@code struct vfio_iommu_type1_dirty_bitmap_get} from {@value #SIZE} little-endian
   * bytes at the buffer's position, whatever {@code buf.order()} is, and advances the position by
   * {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIommuType1DirtyBitmapGet decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long iova = in.getLong();
    long size = in.getLong();
    VfioBitmap bitmap = VfioBitmap.decode(in);
    return new VfioIommuType1DirtyBitmapGet(iova, size, bitmap);
  }
}
