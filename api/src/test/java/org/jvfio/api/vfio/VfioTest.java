package org.jvfio.api.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Values of the {@link Vfio} constants that the cdev structs use (vfio.h @ 02256acf). */
class VfioTest {

  @Test
  void cdevIoctlNumbers_matchHeader() {
    assertEquals(0x3B76, Vfio.VFIO_DEVICE_BIND_IOMMUFD);
    assertEquals(0x3B77, Vfio.VFIO_DEVICE_ATTACH_IOMMUFD_PT);
    assertEquals(0x3B78, Vfio.VFIO_DEVICE_DETACH_IOMMUFD_PT);
  }

  @Test
  void deviceReset_isBasePlus11() {
    assertEquals(0x3B6F, Vfio.VFIO_DEVICE_RESET);
  }

  @Test
  void cdevFlags_matchHeader() {
    assertEquals(1, Vfio.VFIO_DEVICE_BIND_FLAG_TOKEN);
    assertEquals(1, Vfio.VFIO_DEVICE_ATTACH_PASID);
    assertEquals(1, Vfio.VFIO_DEVICE_DETACH_PASID);
  }

  @Test
  void containerIoctlNumbers_matchHeader() {
    assertEquals(0x3B64, Vfio.VFIO_GET_API_VERSION);
    assertEquals(0x3B65, Vfio.VFIO_CHECK_EXTENSION);
    assertEquals(0x3B66, Vfio.VFIO_SET_IOMMU);
    assertEquals(0x3B67, Vfio.VFIO_GROUP_GET_STATUS);
    assertEquals(0x3B68, Vfio.VFIO_GROUP_SET_CONTAINER);
    assertEquals(0x3B69, Vfio.VFIO_GROUP_UNSET_CONTAINER);
    assertEquals(0x3B6A, Vfio.VFIO_GROUP_GET_DEVICE_FD);
    assertEquals(0x3B70, Vfio.VFIO_IOMMU_GET_INFO);
    assertEquals(0x3B71, Vfio.VFIO_IOMMU_MAP_DMA);
    assertEquals(0x3B72, Vfio.VFIO_IOMMU_UNMAP_DMA);
    assertEquals(0x3B75, Vfio.VFIO_IOMMU_DIRTY_PAGES);
  }

  @Test
  void type1Constants_matchHeader() {
    assertEquals(0, Vfio.VFIO_API_VERSION);
    assertEquals(1, Vfio.VFIO_TYPE1_IOMMU);
    assertEquals(3, Vfio.VFIO_TYPE1v2_IOMMU);
    assertEquals(4, Vfio.VFIO_DMA_CC_IOMMU);
    assertEquals(8, Vfio.VFIO_NOIOMMU_IOMMU);
    assertEquals(9, Vfio.VFIO_UNMAP_ALL);
    assertEquals(10, Vfio.VFIO_UPDATE_VADDR);
    assertEquals(1, Vfio.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
    assertEquals(2, Vfio.VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
    assertEquals(3, Vfio.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
    assertEquals(4, Vfio.VFIO_DMA_MAP_FLAG_VADDR);
    assertEquals(2, Vfio.VFIO_GROUP_FLAGS_CONTAINER_SET);
  }
}
