package org.jvfio.core.iommufd;

import org.jvfio.api.iommufd.IommuHwptAlloc;

/**
 * The inputs of {@code IOMMU_HWPT_ALLOC} ({@code struct iommu_hwpt_alloc} without {@code size} and
 * the outputs).
 *
 * @param flags {@code IOMMU_HWPT_ALLOC_NEST_PARENT}, {@code _DIRTY_TRACKING}, {@code
 *     IOMMU_HWPT_FAULT_ID_VALID}, {@code IOMMU_HWPT_ALLOC_PASID}
 * @param devId {@code dev_id}: the device whose IOMMU allocates the domain
 * @param ptId {@code pt_id}: the IOAS the paging HWPT mirrors
 * @param reserved {@code __reserved}: must be 0
 * @param dataType {@code data_type}: {@code IOMMU_HWPT_DATA_NONE} for a paging HWPT
 * @param dataLen {@code data_len}: 0 with {@code IOMMU_HWPT_DATA_NONE}
 * @param faultId {@code fault_id}: with {@code FAULT_ID_VALID}, a FAULT object (none exist here)
 */
public record HwptAlloc(
    int flags, int devId, int ptId, int reserved, int dataType, int dataLen, int faultId) {
  /**
   * Returns a paging HWPT allocation with the given flags and no user data.
   *
   * @param flags {@code flags}: {@code IOMMU_HWPT_ALLOC_NEST_PARENT}, {@code _DIRTY_TRACKING}
   * @param devId {@code dev_id}
   * @param ioasId {@code pt_id}: the IOAS to allocate on
   * @return the allocation request
   */
  public static HwptAlloc paging(int flags, int devId, int ioasId) {
    return new HwptAlloc(flags, devId, ioasId, 0, 0, 0, 0);
  }

  /**
   * Returns the inputs of {@code s}; its {@code size}, the output {@code out_hwpt_id}, {@code
   * data_uptr} (vendor data is not modelled) and {@code __reserved2} are dropped.
   *
   * @param s the decoded struct
   * @return the typed request
   */
  public static HwptAlloc fromStruct(IommuHwptAlloc s) {
    return new HwptAlloc(
        s.flags(), s.devId(), s.ptId(), s.reserved(), s.dataType(), s.dataLen(), s.faultId());
  }

  /**
   * Returns this allocation as {@code struct iommu_hwpt_alloc} with {@code size} {@value
   * IommuHwptAlloc#SIZE} and {@code out_hwpt_id}, {@code data_uptr} and {@code __reserved2} 0.
   *
   * @return the struct to encode
   */
  public IommuHwptAlloc toStruct() {
    return new IommuHwptAlloc(
        IommuHwptAlloc.SIZE, flags, devId, ptId, 0, reserved, dataType, dataLen, 0, faultId, 0);
  }
}
