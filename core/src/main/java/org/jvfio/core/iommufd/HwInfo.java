package org.jvfio.core.iommufd;

import org.jvfio.api.iommufd.IommuHwInfo;

/**
 * The outputs of {@code IOMMU_GET_HW_INFO} ({@code struct iommu_hw_info}). The vendor data is not
 * modelled: jvfio's drivers have no {@code hw_info} callback, so {@code out_data_type} is {@code
 * IOMMU_HW_INFO_TYPE_NONE} and {@code data_len} 0.
 *
 * @param outDataType {@code out_data_type}
 * @param outMaxPasidLog2 {@code out_max_pasid_log2}: 0, PASID is not modelled
 * @param outCapabilities {@code out_capabilities}: {@code IOMMU_HW_CAP_DIRTY_TRACKING} if the
 *     device's IOMMU can track dirty IOVA
 */
public record HwInfo(int outDataType, int outMaxPasidLog2, long outCapabilities) {
  /**
   * Returns the outputs that {@code struct iommu_hw_info} {@code s} carries back.
   *
   * @param s the struct as the kernel wrote it back
   * @return the typed outputs
   */
  public static HwInfo fromStruct(IommuHwInfo s) {
    return new HwInfo(s.dataType(), s.outMaxPasidLog2(), s.outCapabilities());
  }

  /**
   * Returns {@code request} with these outputs filled in, as the kernel copies it back: {@code
   * out_data_type}, {@code out_max_pasid_log2}, {@code out_capabilities}, and {@code data_len} 0
   * (the length of the vendor data, which jvfio does not model). Every other field is echoed.
   *
   * @param request the struct the caller passed in
   * @return the struct to write back
   */
  public IommuHwInfo toStruct(IommuHwInfo request) {
    return new IommuHwInfo(
        request.size(),
        request.flags(),
        request.devId(),
        0,
        request.dataUptr(),
        outDataType,
        outMaxPasidLog2,
        request.reserved(),
        outCapabilities);
  }
}
