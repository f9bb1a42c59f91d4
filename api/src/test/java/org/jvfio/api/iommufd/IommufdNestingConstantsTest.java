package org.jvfio.api.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The nesting and vIOMMU constants of {@code include/uapi/linux/iommufd.h}. */
class IommufdNestingConstantsTest {
  @Test
  void requestNumbers_areIoOfTheCommandNumbers() {
    assertEquals(0x3B8D, Iommufd.IOMMU_HWPT_INVALIDATE);
    assertEquals(0x3B90, Iommufd.IOMMU_VIOMMU_ALLOC);
    assertEquals(0x3B91, Iommufd.IOMMU_VDEVICE_ALLOC);
    assertEquals(0x3B89, Iommufd.IOMMU_HWPT_ALLOC);
  }

  @Test
  void enums_haveTheHeaderValues() {
    assertEquals(1, Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT);
    assertEquals(1, Iommufd.IOMMU_HWPT_DATA_VTD_S1);
    assertEquals(2, Iommufd.IOMMU_HWPT_DATA_ARM_SMMUV3);
    assertEquals(0, Iommufd.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1);
    assertEquals(1, Iommufd.IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
    assertEquals(1, Iommufd.IOMMU_VTD_INV_FLAGS_LEAF);
    assertEquals(1L, Iommufd.IOMMU_VTD_S1_SRE);
    assertEquals(2L, Iommufd.IOMMU_VTD_S1_EAFE);
    assertEquals(4L, Iommufd.IOMMU_VTD_S1_WPE);
    assertEquals(0, Iommufd.IOMMU_VIOMMU_TYPE_DEFAULT);
    assertEquals(1, Iommufd.IOMMU_VIOMMU_TYPE_ARM_SMMUV3);
    assertEquals(2, Iommufd.IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV);
  }
}
