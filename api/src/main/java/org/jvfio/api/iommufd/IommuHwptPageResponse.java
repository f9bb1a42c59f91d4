package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One answer to a page fault group, as {@code write(2)} to a fault queue's fd takes it.
 *
 * <p>Models {@code struct iommu_hwpt_page_response} of {@code include/uapi/linux/iommufd.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code cookie} at 0 and {@code code} at 4.
 *
 * <p>Components are the C fields in C order and carry their raw bits. Nothing is validated: this is
 * the C struct, not a checked request.
 *
 * @param cookie the {@code cookie} of the group's faults ({@code __u32 cookie} at offset 0)
 * @param code {@link Iommufd#IOMMUFD_PAGE_RESP_SUCCESS} or {@link
 *     Iommufd#IOMMUFD_PAGE_RESP_INVALID} ({@code __u32 code} at offset 4)
 */
public record IommuHwptPageResponse(int cookie, int code) {

  /** {@code sizeof(struct iommu_hwpt_page_response)} on LP64: 8 bytes. */
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
    out.putInt(cookie);
    out.putInt(code);
  }

  /**
   * Reads a {@code struct iommu_hwpt_page_response} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptPageResponse decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int cookie = in.getInt();
    int code = in.getInt();
    return new IommuHwptPageResponse(cookie, code);
  }
}
