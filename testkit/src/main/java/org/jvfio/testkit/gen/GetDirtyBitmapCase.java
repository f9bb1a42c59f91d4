package org.jvfio.testkit.gen;

import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.core.iommufd.GetDirtyBitmap;

/**
 * An {@code IOMMU_HWPT_GET_DIRTY_BITMAP} request, {@code struct iommu_hwpt_get_dirty_bitmap}
 * without {@code size}, {@code hwpt_id} and the {@code data} pointer, and its outcome for an
 * existing dirty-tracking HWPT whose IOAS has the given {@code iova_alignment}.
 *
 * @param flags {@code flags}: 0 or {@link
 *     org.jvfio.api.iommufd.Iommufd#IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR} when valid
 * @param reserved {@code __reserved}, 0 when valid
 * @param iova the first IOVA of the bitmap
 * @param length the length of the range
 * @param pageSize the page size of one bit
 * @param iovaAlignment the IOAS's {@code iova_alignment} the request was made for
 * @param expected the errno the ioctl fails with, or empty if it passes the checks
 */
public record GetDirtyBitmapCase(
    int flags,
    int reserved,
    long iova,
    long length,
    long pageSize,
    long iovaAlignment,
    Optional<Errno> expected) {
  /**
   * Returns the request for HWPT {@code hwptId} as core's typed record.
   *
   * @param hwptId the HWPT id
   * @return the request for HWPT {@code hwptId} as core's typed record
   */
  public GetDirtyBitmap request(int hwptId) {
    return new GetDirtyBitmap(hwptId, flags, reserved, iova, length, pageSize);
  }

  /**
   * Returns {@code (iova, length)} as a range.
   *
   * @return {@code (iova, length)} as a range
   */
  public IovaRange range() {
    return new IovaRange(iova, length);
  }
}
