package org.jvfio.core.iommufd;

import org.jvfio.api.iommufd.IommuHwptGetDirtyBitmap;

/**
 * The inputs of {@code IOMMU_HWPT_GET_DIRTY_BITMAP} ({@code struct iommu_hwpt_get_dirty_bitmap}
 * without {@code size} and {@code data}). The bitmap buffer is passed separately.
 *
 * @param hwptId {@code hwpt_id}
 * @param flags 0 or {@code IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR}
 * @param reserved {@code __reserved}: must be 0
 * @param iova {@code iova}: the IOVA of bit 0
 * @param length {@code length} of the IOVA range
 * @param pageSize {@code page_size}: IOVA bytes per bit
 */
public record GetDirtyBitmap(
    int hwptId, int flags, int reserved, long iova, long length, long pageSize) {
  /**
   * Returns a request with {@code __reserved} 0.
   *
   * @param hwptId {@code hwpt_id}
   * @param flags {@code flags}: 0 or {@code IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR}
   * @param iova {@code iova}, the IOVA of bit 0
   * @param length {@code length} in bytes
   * @param pageSize {@code page_size}, the bytes of IOVA per bit
   * @return the request
   */
  public static GetDirtyBitmap of(int hwptId, int flags, long iova, long length, long pageSize) {
    return new GetDirtyBitmap(hwptId, flags, 0, iova, length, pageSize);
  }

  /**
   * Returns the inputs of {@code s}; its {@code size} and {@code data} pointer are dropped.
   *
   * @param s the decoded struct
   * @return the typed request
   */
  public static GetDirtyBitmap fromStruct(IommuHwptGetDirtyBitmap s) {
    return new GetDirtyBitmap(
        s.hwptId(), s.flags(), s.reserved(), s.iova(), s.length(), s.pageSize());
  }

  /**
   * Returns this request as {@code struct iommu_hwpt_get_dirty_bitmap} with {@code size} {@value
   * IommuHwptGetDirtyBitmap#SIZE} and the bitmap at user address {@code data}.
   *
   * @param data the user address of the bitmap ({@code data})
   * @return the struct to encode
   */
  public IommuHwptGetDirtyBitmap toStruct(long data) {
    return new IommuHwptGetDirtyBitmap(
        IommuHwptGetDirtyBitmap.SIZE, hwptId, flags, reserved, iova, length, pageSize, data);
  }
}
