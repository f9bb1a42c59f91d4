package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One area of a region that may be mmapped, an element of {@link VfioRegionInfoCapSparseMmap}'s
 * {@code areas[]}.
 *
 * <p>Models {@code struct vfio_region_sparse_mmap_area} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code offset} at 0, {@code size} at 8.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param offset the area's offset within the region ({@code __u64 offset} at offset 0)
 * @param size the area's size in bytes ({@code __u64 size} at offset 8)
 */
public record VfioRegionSparseMmapArea(long offset, long size) {

  /** {@code sizeof(struct vfio_region_sparse_mmap_area)} on LP64: 16 bytes. */
  public static final int SIZE = 16;

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
    out.putLong(offset);
    out.putLong(size);
  }

  /**
   * Reads a {@code struct vfio_region_sparse_mmap_area} from {@value #SIZE} little-endian bytes at
   * the buffer's position and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioRegionSparseMmapArea decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    long offset = in.getLong();
    long size = in.getLong();
    return new VfioRegionSparseMmapArea(offset, size);
  }
}
