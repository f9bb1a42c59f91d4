package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_HWPT_ALLOC}: allocate a hardware page table for a device, backed by
 * an IOAS, a parent HWPT or a vIOMMU.
 *
 * <p>Models {@code struct iommu_hwpt_alloc} of {@code include/uapi/linux/iommufd.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4, {@code dev_id} at 8,
 * {@code pt_id} at 12, {@code out_hwpt_id} at 16, {@code __reserved} at 20, {@code data_type} at
 * 24, {@code data_len} at 28, {@code data_uptr} at 32, {@code fault_id} at 40 and {@code
 * __reserved2} at 44.
 *
 * <p>This is the current 48-byte layout. The kernel needs only the first 24 bytes (up to {@code
 * __reserved}); everything from {@code data_type} on is an optional tail that reads as zero when
 * {@code size} stops short.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user, at least the kernel's minimum ({@code
 *     __u32 size} at offset 0)
 * @param flags a combination of the {@code Iommufd.IOMMU_HWPT_ALLOC_*} bits and {@link
 *     Iommufd#IOMMU_HWPT_FAULT_ID_VALID} ({@code __u32 flags} at offset 4)
 * @param devId the device the page table is for ({@code __u32 dev_id} at offset 8)
 * @param ptId the IOAS, parent HWPT or vIOMMU to build on ({@code __u32 pt_id} at offset 12)
 * @param outHwptId out: the id of the new HWPT ({@code __u32 out_hwpt_id} at offset 16)
 * @param reserved must be 0 ({@code EOPNOTSUPP} otherwise) ({@code __u32 __reserved} at offset 20)
 * @param dataType the type of the driver data, {@code Iommufd.IOMMU_HWPT_DATA_*} ({@code __u32
 *     data_type} at offset 24)
 * @param dataLen the length of the driver data; 0 exactly when {@code data_type} is NONE ({@code
 *     __u32 data_len} at offset 28)
 * @param dataUptr the user address of the driver data ({@code __aligned_u64 data_uptr} at offset
 *     32)
 * @param faultId a FAULT object id, read only with {@link Iommufd#IOMMU_HWPT_FAULT_ID_VALID}
 *     ({@code __u32 fault_id} at offset 40)
 * @param reserved2 reserved ({@code __u32 __reserved2} at offset 44)
 */
public record IommuHwptAlloc(
    int size,
    int flags,
    int devId,
    int ptId,
    int outHwptId,
    int reserved,
    int dataType,
    int dataLen,
    long dataUptr,
    int faultId,
    int reserved2) {

  /** {@code sizeof(struct iommu_hwpt_alloc)} on LP64: 48 bytes. */
  public static final int SIZE = 48;

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
    out.putInt(devId);
    out.putInt(ptId);
    out.putInt(outHwptId);
    out.putInt(reserved);
    out.putInt(dataType);
    out.putInt(dataLen);
    out.putLong(dataUptr);
    out.putInt(faultId);
    out.putInt(reserved2);
  }

  /**
   * Reads a {@code struct iommu_hwpt_alloc} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptAlloc decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int flags = in.getInt();
    int devId = in.getInt();
    int ptId = in.getInt();
    int outHwptId = in.getInt();
    int reserved = in.getInt();
    int dataType = in.getInt();
    int dataLen = in.getInt();
    long dataUptr = in.getLong();
    int faultId = in.getInt();
    int reserved2 = in.getInt();
    return new IommuHwptAlloc(
        size, flags, devId, ptId, outHwptId, reserved, dataType, dataLen, dataUptr, faultId,
        reserved2);
  }
}
