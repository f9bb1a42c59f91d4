package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_IOAS_MAP_FILE}: map a range of a file (a memfd) into an IOAS.
 *
 * <p>Models {@code struct iommu_ioas_map_file} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4, {@code ioas_id}
 * at 8, {@code fd} at 12, {@code start} at 16, {@code length} at 24 and {@code iova} at 32.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Long#compareUnsigned}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user ({@code __u32 size} at offset 0)
 * @param flags a combination of the {@code Iommufd.IOMMU_IOAS_MAP_*} bits; READABLE or WRITEABLE is
 *     required ({@code __u32 flags} at offset 4)
 * @param ioasId the IOAS to map into ({@code __u32 ioas_id} at offset 8)
 * @param fd the file descriptor of the file to map, in the caller's fd table ({@code __s32 fd} at
 *     offset 12)
 * @param start the byte offset in the file of the first byte to map ({@code __aligned_u64 start} at
 *     offset 16)
 * @param length the length of the range in bytes ({@code __aligned_u64 length} at offset 24)
 * @param iova in with {@link Iommufd#IOMMU_IOAS_MAP_FIXED_IOVA}: where to map; otherwise out: the
 *     IOVA the kernel chose ({@code __aligned_u64 iova} at offset 32)
 */
public record IommuIoasMapFile(
    int size, int flags, int ioasId, int fd, long start, long length, long iova) {

  /** {@code sizeof(struct iommu_ioas_map_file)} on LP64: 40 bytes. */
  public static final int SIZE = 40;

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
    out.putInt(size);
    out.putInt(flags);
    out.putInt(ioasId);
    out.putInt(fd);
    out.putLong(start);
    out.putLong(length);
    out.putLong(iova);
  }

  /**
   * Reads a {@code struct iommu_ioas_map_file} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuIoasMapFile decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int flags = in.getInt();
    int ioasId = in.getInt();
    int fd = in.getInt();
    long start = in.getLong();
    long length = in.getLong();
    long iova = in.getLong();
    return new IommuIoasMapFile(size, flags, ioasId, fd, start, length, iova);
  }
}
