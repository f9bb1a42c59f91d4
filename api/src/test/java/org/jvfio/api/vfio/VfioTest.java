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
}
