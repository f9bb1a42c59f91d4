package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The 8-byte header of the {@code VFIO_IOMMU_DIRTY_PAGES} argument of a type1 container.
 *
 * <p>Models {@code struct vfio_iommu_type1_dirty_bitmap} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code argsz} at 0 and {@code flags} at 4.
 *
 * <p>The flexible {@code __u8 data[]} member at offset 8 is not part of this record. With {@link
 * Vfio#VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP} a {@link VfioIommuType1DirtyBitmapGet} follows at
 * offset 8; {@code argsz} then counts it (48 in total) but not the bitmap memory. Exactly one of
 * the START, STOP and GET_BITMAP flags may be set.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param argsz the size of this header plus the payload in {@code data[]} ({@code __u32 argsz} at
 *     offset 0)
 * @param flags one of the {@code Vfio.VFIO_IOMMU_DIRTY_PAGES_FLAG_*} bits ({@code __u32 flags} at
 *     offset 4)
 */
public record VfioIommuType1DirtyBitmap(int argsz, int flags) {

  /** {@code sizeof(struct vfio_iommu_type1_dirty_bitmap)} on LP64: 8 bytes. */
  public static final int SIZE = 8;

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
  }

  /**
   * Reads a {@code struct vfio_iommu_type1_dirty_bitmap} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIommuType1DirtyBitmap decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    return new VfioIommuType1DirtyBitmap(argsz, flags);
  }
}
