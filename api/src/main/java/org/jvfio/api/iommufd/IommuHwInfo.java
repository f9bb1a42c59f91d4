package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_GET_HW_INFO}: query the IOMMU behind a device, including whether it
 * can track dirty pages.
 *
 * <p>Models {@code struct iommu_hw_info} of {@code include/uapi/linux/iommufd.h}: {@value #SIZE}
 * bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4, {@code dev_id} at 8,
 * {@code data_len} at 12, {@code data_uptr} at 16, {@code in_data_type/out_data_type} at 24, {@code
 * out_max_pasid_log2} at 28, {@code __reserved[3]} at 29 and {@code out_capabilities} at 32.
 *
 * <p>This is the current layout. Offset 24 is an anonymous union of {@code __u32 in_data_type} and
 * {@code __u32 out_data_type}, modelled as the single component {@code dataType}: an input when
 * {@code flags} has {@link Iommufd#IOMMU_HW_INFO_FLAG_INPUT_TYPE}, and the type of the returned
 * data on output. The v6.7 layout had a {@code __u32 __reserved} at offset 28 where {@code
 * out_max_pasid_log2} and {@code __reserved[3]} now are; the size and the {@code out_capabilities}
 * offset did not change. {@code __reserved[3]} is kept as one little-endian 24-bit value ({@code
 * __reserved[0]} in bits 0 to 7).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request. A field narrower than 32 bits is an
 * {@code int} holding the zero-extended value; the constructor keeps only the field's width of
 * bits, so a record always equals what it decodes to.
 *
 * @param size the size of the struct as passed by the user, at least the kernel's minimum ({@code
 *     __u32 size} at offset 0)
 * @param flags 0 or {@link Iommufd#IOMMU_HW_INFO_FLAG_INPUT_TYPE} ({@code __u32 flags} at offset 4)
 * @param devId the device to query ({@code __u32 dev_id} at offset 8)
 * @param dataLen in: the length of the buffer at {@code data_uptr}; out: the length of the kernel's
 *     data ({@code __u32 data_len} at offset 12)
 * @param dataUptr the user address of the buffer for the type-specific data ({@code __aligned_u64
 *     data_uptr} at offset 16)
 * @param dataType the union of the requested type (input with {@link
 *     Iommufd#IOMMU_HW_INFO_FLAG_INPUT_TYPE}) and the returned type (output) ({@code union { __u32
 *     in_data_type; __u32 out_data_type; }} at offset 24)
 * @param outMaxPasidLog2 out: log2 of the number of PASIDs the device supports, 0 for none ({@code
 *     __u8 out_max_pasid_log2} at offset 28)
 * @param reserved the three reserved bytes as a little-endian 24-bit value; must be 0 ({@code
 *     EOPNOTSUPP} otherwise) ({@code __u8 __reserved[3]} at offset 29)
 * @param outCapabilities out: the {@code Iommufd.IOMMU_HW_CAP_*} bits, e.g. {@link
 *     Iommufd#IOMMU_HW_CAP_DIRTY_TRACKING} ({@code __aligned_u64 out_capabilities} at offset 32)
 */
public record IommuHwInfo(
    int size,
    int flags,
    int devId,
    int dataLen,
    long dataUptr,
    int dataType,
    int outMaxPasidLog2,
    int reserved,
    long outCapabilities) {

  /** {@code sizeof(struct iommu_hw_info)} on LP64: 40 bytes. */
  public static final int SIZE = 40;

  /**
   * Creates the struct, keeping only the C width of {@code outMaxPasidLog2} and {@code reserved}.
   *
   * @param size the {@code size} field
   * @param flags the {@code flags} field
   * @param devId the {@code dev_id} field
   * @param dataLen the {@code data_len} field
   * @param dataUptr the {@code data_uptr} field
   * @param dataType the {@code in_data_type/out_data_type} field
   * @param outMaxPasidLog2 the {@code out_max_pasid_log2} field
   * @param reserved the {@code __reserved[3]} field
   * @param outCapabilities the {@code out_capabilities} field
   */
  public IommuHwInfo {
    outMaxPasidLog2 &= 0xff;
    reserved &= 0xff_ffff;
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
    out.putInt(size);
    out.putInt(flags);
    out.putInt(devId);
    out.putInt(dataLen);
    out.putLong(dataUptr);
    out.putInt(dataType);
    out.put((byte) outMaxPasidLog2);
    Le.putU24(out, reserved);
    out.putLong(outCapabilities);
  }

  /**
   * Reads a {@code struct iommu_hw_info} from {@value #SIZE} little-endian bytes at the buffer's
   * position, whatever {@code buf.order()} is, and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwInfo decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int flags = in.getInt();
    int devId = in.getInt();
    int dataLen = in.getInt();
    long dataUptr = in.getLong();
    int dataType = in.getInt();
    int outMaxPasidLog2 = Byte.toUnsignedInt(in.get());
    int reserved = Le.getU24(in);
    long outCapabilities = in.getLong();
    return new IommuHwInfo(
        size,
        flags,
        devId,
        dataLen,
        dataUptr,
        dataType,
        outMaxPasidLog2,
        reserved,
        outCapabilities);
  }
}
