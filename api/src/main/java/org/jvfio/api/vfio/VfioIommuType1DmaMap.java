package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code VFIO_IOMMU_MAP_DMA} on a type1 container: map {@code size} bytes of the
 * process's memory at {@code vaddr} to {@code iova}.
 *
 * <p>Models {@code struct vfio_iommu_type1_dma_map} of {@code include/uapi/linux/vfio.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code argsz} at 0, {@code flags} at 4, {@code vaddr} at
 * 8, {@code iova} at 16 and {@code size} at 24. With {@link Vfio#VFIO_DMA_MAP_FLAG_VADDR} (and
 * neither READ nor WRITE) it gives an existing mapping whose user address was invalidated a new
 * {@code vaddr}.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Long#compareUnsigned} and widen a {@code
 * __u32} with {@link Integer#toUnsignedLong}. Nothing is validated: this is the C struct, not a
 * checked request.
 *
 * @param argsz the size of the struct, at least 32 ({@code __u32 argsz} at offset 0)
 * @param flags a combination of the {@code Vfio.VFIO_DMA_MAP_FLAG_*} bits ({@code __u32 flags} at
 *     offset 4)
 * @param vaddr the process virtual address of the memory ({@code __u64 vaddr} at offset 8)
 * @param iova the IO virtual address to map it at ({@code __u64 iova} at offset 16)
 * @param size the size of the mapping in bytes ({@code __u64 size} at offset 24)
 */
public record VfioIommuType1DmaMap(int argsz, int flags, long vaddr, long iova, long size) {

  /** {@code sizeof(struct vfio_iommu_type1_dma_map)} on LP64: 32 bytes. */
  public static final int SIZE = 32;

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
    out.putLong(vaddr);
    out.putLong(iova);
    out.putLong(size);
  }

  /**
   * Reads a {@code struct vfio_iommu_type1_dma_map} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioIommuType1DmaMap decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int argsz = in.getInt();
    int flags = in.getInt();
    long vaddr = in.getLong();
    long iova = in.getLong();
    long size = in.getLong();
    return new VfioIommuType1DmaMap(argsz, flags, vaddr, iova, size);
  }
}
