package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.core.iommufd.IommufdPasid.IOMMU_NO_PASID;

import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * {@link IommufdPasid}'s doors with {@code IOMMU_NO_PASID} (the device's ordinary attachment) and
 * with a {@code pt_id} that is not a page table: {@code iommufd_device_change_pt} in {@code
 * drivers/iommu/iommufd/device.c} looks the object up (EINVAL for any other type) before it looks
 * at what the PASID holds.
 */
class IommufdPasidEdgesTest {
  final GuestMemory memory = GuestMemory.create(0x1_0000_0000L, 16L << 20, 1);
  final IommufdContext fd = IommufdContext.create(memory);
  final IommufdPasid pasids = fd.pasid();
  final int ioas = fd.ioasAlloc(0);
  final int dev = fd.bindDevice(MockIommuDriver.createSelftest(true), DmaWriteListener.NONE);

  IommufdPasidEdgesTest() {
    pasids.setMaxPasids(dev, 1 << 20);
  }

  @Test
  void attach_ptIdOfADevice_einvalBeforeThePasidsEbusy() {
    int h = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_PASID, dev, ioas));
    pasids.attach(dev, 100, h);
    IommufdEdgesTest.assertRefused(fd, Errno.EINVAL, () -> pasids.attach(dev, 100, dev));
    IommufdEdgesTest.assertRefused(fd, Errno.EBUSY, () -> pasids.attach(dev, 100, h));
  }

  /**
   * An IOAS is a page table: NO_PASID gets its auto domain; a PASID cannot (not PASID-compatible).
   */
  @Test
  void attach_ioas_noPasidGetsTheAutoDomain_aPasidIsEinval() {
    IommufdEdgesTest.assertRefused(fd, Errno.EINVAL, () -> pasids.attach(dev, 100, ioas));
    int auto = pasids.attach(dev, IOMMU_NO_PASID, ioas);
    pasids.checkHwpt(dev, IOMMU_NO_PASID, auto);
  }

  @Test
  void replaceAndDetach_noPasid_actOnTheDevicesAttachment() {
    int a = fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    int b = fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    IommufdEdgesTest.assertRefused(fd, Errno.EINVAL, () -> pasids.replace(dev, IOMMU_NO_PASID, a));
    assertEquals(a, pasids.attach(dev, IOMMU_NO_PASID, a));
    assertEquals(b, pasids.replace(dev, IOMMU_NO_PASID, b));
    pasids.checkHwpt(dev, IOMMU_NO_PASID, b);
    pasids.detach(dev, IOMMU_NO_PASID);
    pasids.checkHwpt(dev, IOMMU_NO_PASID, 0);
  }

  @Test
  void setMaxPasids_zero_isAllowed_negativeIsNot() {
    pasids.setMaxPasids(dev, 0);
    assertEquals(0, pasids.maxPasids(dev));
    assertThrows(IllegalArgumentException.class, () -> pasids.setMaxPasids(dev, -1));
  }

  /**
   * A PASID attached before the device has any domain; then the device's own attach to an IOAS
   * would take a new auto domain, which is not PASID-compatible: {@code iommufd_hwpt_pasid_compat}
   * refuses it (EINVAL) and nothing changes.
   */
  @Test
  void attachIoas_withAPasidAttachedAndNoDomainYet_isEinval() {
    int h = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_PASID, dev, ioas));
    pasids.attach(dev, 100, h);
    IommufdEdgesTest.assertRefused(fd, Errno.EINVAL, () -> fd.attach(dev, ioas));
    pasids.checkHwpt(dev, IOMMU_NO_PASID, 0);
    pasids.checkHwpt(dev, 100, h);
  }
}
