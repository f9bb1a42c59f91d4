package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;

/**
 * The migration capability of a type1 container's {@code VFIO_IOMMU_GET_INFO}: the container can
 * log dirty pages.
 *
 * <p>Models {@code struct vfio_iommu_type1_info_cap_migration} of {@code
 * include/uapi/linux/vfio.h}: {@value #SIZE} bytes on LP64 little-endian, with {@code header} at 0,
 * {@code flags} at 8, a 4-byte hole at 12, {@code pgsize_bitmap} at 16 and {@code
 * max_dirty_bitmap_size} at 24.
 *
 * <p>On LP64 a 4-byte hole follows {@code flags} (offsets 12 to 15); it is written as zeros and
 * ignored on decode. The last two fields are plain {@code __u64}, so i386 lays the struct out as 28
 * bytes without the hole; this record models LP64 only. The kernel fills {@code flags = 0}, only
 * the smallest IOMMU page size in {@code pgsize_bitmap}, 256 MiB in {@code max_dirty_bitmap_size}
 * and header version 1.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param header the chain header, id {@link Vfio#VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION} ({@code
 *     struct vfio_info_cap_header header} at offset 0)
 * @param flags no flags are defined; the kernel writes 0 ({@code __u32 flags} at offset 8)
 * @param pgsizeBitmap the page sizes supported for dirty logging, one bit per size ({@code __u64
 *     pgsize_bitmap} at offset 16)
 * @param maxDirtyBitmapSize the largest dirty bitmap supported, in bytes ({@code __u64
 *     max_dirty_bitmap_size} at offset 24)
 */
public record VfioIommuType1InfoCapMigration(
    VfioInfoCapHeader header, int flags, long pgsizeBitmap, long maxDirtyBitmapSize) {

  /** {@code sizeof(struct vfio_iommu_type1_info_cap_migration)} on LP64: 32 bytes. */
  public static final int SIZE = 32;

  /**
   * Creates the struct.
   *
   * @param header the {@code header} field
   * @param flags the {@code flags} field
   * @param pgsizeBitmap the {@code pgsize_bitmap} field
   * @param maxDirtyBitmapSize the {@code max_dirty_bitmap_size} field
   * @throws NullPointerException if {@code header} is null
   */
  public VfioIommuType1InfoCapMigration {
    Objects.requireNonNull(header, "header");
  }

  /**
   * Writes this struct as {@value #SIZE} little-endian bytes at the buffer's position, whatever
   * {@code buf.order()} is, and advances the position by {@value #SIZE}; holes are written as
   * zeros. The buffer's byte order is left unchanged.
   *
   * @param buf the destination
   * @throws BufferOverflowException if fewer than {@value #SIZE} bytes remain (nothing is written)
   * @throws ReadOnlyBufferException if {@code buf} is read-only
   */
  public void encode(ByteBuffer buf) {
    ByteBuffer out = Le.out(buf, SIZE);
    header.encode(out);
    out.putInt(flags);
    Le.zeros(out, 4); // hole at offset 12
    out.putLong(pgsizeBitmap);
    out.putLong(maxDirtyBitmapSize);
  }

  /**
   * Reads a {@code struct vfio_iommu_type1_info_cap_migration} from {@value #SIZE} little-endian
   * bytes at the buffer's position, whatever {@code buf.order()} is, and advances the position by
   * {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIommuType1InfoCapMigration decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    VfioInfoCapHeader header = VfioInfoCapHeader.decode(in);
    int flags = in.getInt();
    Le.skip(in, 4); // hole at offset 12
    long pgsizeBitmap = in.getLong();
    long maxDirtyBitmapSize = in.getLong();
    return new VfioIommuType1InfoCapMigration(header, flags, pgsizeBitmap, maxDirtyBitmapSize);
  }
}
