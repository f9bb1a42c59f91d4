package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The fixed part of the {@code VFIO_IOMMU_GET_INFO} argument of a type1 container: the supported
 * IOMMU page sizes and where the capability chain starts.
 *
 * <p>Models {@code struct vfio_iommu_type1_info} of {@code include/uapi/linux/vfio.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code
 * iova_pgsizes} at 8, {@code cap_offset} at 16 and a 4-byte tail hole at 20 (the struct is padded
 * to the alignment of its {@code __u64}).
 *
 * <p>The capability chain follows in the same user buffer: each capability starts with a {@link
 * VfioInfoCapHeader} whose {@code next} is an offset from the start of this struct. Type1 chains
 * {@link VfioIommuType1InfoCapMigration}, {@link VfioIommuType1InfoDmaAvail} and {@link
 * VfioIommuType1InfoCapIovaRange}, in that order, each rounded up to 8 bytes ({@code
 * drivers/vfio/vfio_iommu_type1.c}, {@code vfio_iommu_type1_get_info}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Long#compareUnsigned} and widen a {@code
 * __u32} with {@link Integer#toUnsignedLong}. Nothing is validated: this is the C struct, not a
 * checked request.
 *
 * @param argsz the size of the user buffer, or on return the size needed for every capability
 *     ({@code __u32 argsz} at offset 0)
 * @param flags {@link Vfio#VFIO_IOMMU_INFO_PGSIZES} and {@link Vfio#VFIO_IOMMU_INFO_CAPS} ({@code
 *     __u32 flags} at offset 4)
 * @param iovaPgsizes the supported IOMMU page sizes, one bit per size ({@code __u64 iova_pgsizes}
 *     at offset 8)
 * @param capOffset the offset of the first capability from the start of this struct, 0 if none was
 *     written ({@code __u32 cap_offset} at offset 16)
 */
public record VfioIommuType1Info(int argsz, int flags, long iovaPgsizes, int capOffset) {

  /** {@code sizeof(struct vfio_iommu_type1_info)} on LP64: 24 bytes. */
  public static final int SIZE = 24;

  /**
   * Writes this struct as {@value #SIZE} little-endian bytes at the buffer's position, whatever
   * {@code buf.order()} is, and advances the position by {@value #SIZE}; the tail hole is written
   * as zeros. The buffer's byte order is left unchanged.
   *
   * @param buf the destination
   * @throws BufferOverflowException if fewer than {@value #SIZE} bytes remain (nothing is written)
   * @throws ReadOnlyBufferException if {@code buf} is read-only
   */
  public void encode(ByteBuffer buf) {
    ByteBuffer out = Le.out(buf, SIZE);
    out.putInt(argsz);
    out.putInt(flags);
    out.putLong(iovaPgsizes);
    out.putInt(capOffset);
    Le.zeros(out, 4); // tail padding at offset 20
  }

  /**
   * Reads a {@code struct vfio_iommu_type1_info} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIommuType1Info decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    long iovaPgsizes = in.getLong();
    int capOffset = in.getInt();
    Le.skip(in, 4); // tail padding at offset 20
    return new VfioIommuType1Info(argsz, flags, iovaPgsizes, capOffset);
  }
}
