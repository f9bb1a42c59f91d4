package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The argument of {@code IOMMU_HWPT_SET_DIRTY_TRACKING}: switch dirty tracking of a paging HWPT on
 * or off.
 *
 * <p>Models {@code struct iommu_hwpt_set_dirty_tracking} of {@code include/uapi/linux/iommufd.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code size} at 0, {@code flags} at 4, {@code
 * hwpt_id} at 8 and {@code __reserved} at 12.
 *
 * <p>Note the field order differs from {@link IommuHwptGetDirtyBitmap}: here {@code flags} is at
 * offset 4.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param size the size of the struct as passed by the user, at least the kernel's minimum ({@code
 *     __u32 size} at offset 0)
 * @param flags {@link Iommufd#IOMMU_HWPT_DIRTY_TRACKING_ENABLE} to enable, 0 to disable ({@code
 *     __u32 flags} at offset 4)
 * @param hwptId the paging HWPT ({@code __u32 hwpt_id} at offset 8)
 * @param reserved reserved; the kernel does not check it ({@code __u32 __reserved} at offset 12)
 */
public record IommuHwptSetDirtyTracking(int size, int flags, int hwptId, int reserved) {

  /** {@code sizeof(struct iommu_hwpt_set_dirty_tracking)} on LP64: 16 bytes. */
  public static final int SIZE = 16;

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
    out.putInt(hwptId);
    out.putInt(reserved);
  }

  /**
   * Reads a {@code struct iommu_hwpt_set_dirty_tracking} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptSetDirtyTracking decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int size = in.getInt();
    int flags = in.getInt();
    int hwptId = in.getInt();
    int reserved = in.getInt();
    return new IommuHwptSetDirtyTracking(size, flags, hwptId, reserved);
  }
}
