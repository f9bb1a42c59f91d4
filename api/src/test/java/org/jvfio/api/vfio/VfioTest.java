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
  void deviceInfoIoctlNumbers_areBasePlus7To9() {
    assertEquals(0x3B6B, Vfio.VFIO_DEVICE_GET_INFO);
    assertEquals(0x3B6C, Vfio.VFIO_DEVICE_GET_REGION_INFO);
    assertEquals(0x3B6D, Vfio.VFIO_DEVICE_GET_IRQ_INFO);
  }

  @Test
  void regionOffsets_areIndexShiftedBy40() {
    assertEquals(0x200_0000_0000L, Vfio.vfioPciIndexToOffset(Vfio.VFIO_PCI_BAR2_REGION_INDEX));
    assertEquals(0x700_0000_0000L, Vfio.vfioPciIndexToOffset(Vfio.VFIO_PCI_CONFIG_REGION_INDEX));
    assertEquals(0x900_0000_0000L, Vfio.vfioPciIndexToOffset(Vfio.VFIO_PCI_NUM_REGIONS));
    assertEquals(0xFFFF_FFFFL << 40, Vfio.vfioPciIndexToOffset(-1));
    assertEquals(7, Vfio.vfioPciOffsetToIndex(0x700_0000_0ffcL));
    assertEquals(0xffc, 0x700_0000_0ffcL & Vfio.VFIO_PCI_OFFSET_MASK);
  }

  @Test
  void regionAndIrqConstants_matchHeader() {
    assertEquals(9, Vfio.VFIO_PCI_NUM_REGIONS);
    assertEquals(5, Vfio.VFIO_PCI_NUM_IRQS);
    assertEquals(0x80, Vfio.VFIO_DEVICE_FLAGS_CAPS);
    assertEquals(8, Vfio.VFIO_REGION_INFO_FLAG_CAPS);
    assertEquals(0x8000_0000, Vfio.VFIO_REGION_TYPE_PCI_VENDOR_TYPE);
    assertEquals(8, Vfio.VFIO_IRQ_INFO_NORESIZE);
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
