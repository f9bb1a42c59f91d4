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
}
