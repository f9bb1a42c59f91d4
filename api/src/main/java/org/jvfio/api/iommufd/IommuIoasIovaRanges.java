package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_IOAS_IOVA_RANGES}: list the IOVA ranges usable for mapping in an
 * IOAS.
 *
 * <p>Models {@code struct iommu_ioas_iova_ranges} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code ioas_id} at 4, {@code
 * num_iovas} at 8, {@code __reserved} at 12, {@code allowed_iovas} at 16 and {@code
 * out_iova_alignment} at 24.
 *
 * <p>The kernel always writes the total count and the alignment back; when the total exceeds the
 * capacity it copies the struct back and then fails with {@code EMSGSIZE}.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user, at least the kernel's minimum ({@code
 *     __u32 size} at offset 0)
 * @param ioasId the IOAS to query ({@code __u32 ioas_id} at offset 4)
 * @param numIovas in: the capacity of the array at {@code allowed_iovas}; out: the total number of
 *     ranges ({@code __u32 num_iovas} at offset 8)
 * @param reserved must be 0 ({@code EOPNOTSUPP} otherwise) ({@code __u32 __reserved} at offset 12)
 * @param allowedIovas the user address of an array of {@link IommuIovaRange} ({@code __aligned_u64
 *     allowed_iovas} at offset 16)
 * @param outIovaAlignment out: the alignment mapped IOVAs and lengths need, between 1 and the
 *     system page size ({@code __aligned_u64 out_iova_alignment} at offset 24)
 */
public record IommuIoasIovaRanges(
    int size, int ioasId, int numIovas, int reserved, long allowedIovas, long outIovaAlignment) {

  /** {@code sizeof(struct iommu_ioas_iova_ranges)} on LP64: 32 bytes. */
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
    out.putInt(size);
    out.putInt(ioasId);
    out.putInt(numIovas);
    out.putInt(reserved);
    out.putLong(allowedIovas);
    out.putLong(outIovaAlignment);
  }

  /**
   * Reads a {@code struct iommu_ioas_iova_ranges} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuIoasIovaRanges decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int ioasId = in.getInt();
    int numIovas = in.getInt();
    int reserved = in.getInt();
    long allowedIovas = in.getLong();
    long outIovaAlignment = in.getLong();
    return new IommuIoasIovaRanges(
        size, ioasId, numIovas, reserved, allowedIovas, outIovaAlignment);
  }
}
