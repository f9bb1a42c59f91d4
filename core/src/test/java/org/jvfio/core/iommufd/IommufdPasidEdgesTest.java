package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.core.iommufd.IommufdPasid.IOMMU_NO_PASID;

import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * {@link IommufdPasid}'s doors with {@code IOMMU_NO_PASID} (the device's ordinary attachment) and
 * with a {@code pt_id} that is not a page table: {@code iommufd_device_change_pt} in {@code
 * drivers/iommu/iommufd/device.c} looks the object up (EINVAL for any other type) before it looks
 * at what the PASID holds. Also the device's own attach while a PASID is attached ({@code
 * iommufd_hwpt_pasid_compat}), {@code IOMMU_TEST_OP_PASID_CHECK_HWPT} of a nested HWPT, and what
 * the snapshot shows of the PASIDs.
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

  /** A mock nested HWPT on a new nest parent. */
  int nested() {
    int parent = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
    return fd.hwptAlloc(
        new HwptAlloc(0, dev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, 4, 0),
        UserData.of(IOMMU_HWPT_DATA_SELFTEST, new byte[4]));
  }

  /**
   * A nested HWPT allocated without {@code IOMMU_HWPT_ALLOC_PASID} is not PASID-compatible: with a
   * PASID attached the device cannot take one ({@code iommufd_hwpt_pasid_compat}, EINVAL) and
   * nothing changes; without PASIDs it can.
   */
  @Test
  void attachNested_withAPasidAttached_isEinval() {
    int h = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_PASID, dev, ioas));
    int n = nested();
    fd.attach(dev, h);
    pasids.attach(dev, 100, h);
    IommufdEdgesTest.assertRefused(fd, Errno.EINVAL, () -> fd.attach(dev, n));
    pasids.checkHwpt(dev, IOMMU_NO_PASID, h);
    pasids.detach(dev, 100);
    assertEquals(n, fd.attach(dev, n));
    pasids.checkHwpt(dev, IOMMU_NO_PASID, n);
  }

  /**
   * With a PASID attached, attaching the device to the IOAS of the PASID-compatible HWPT it is on
   * would move it to an auto domain of that IOAS, which is not PASID-compatible: EINVAL, nothing
   * changes.
   */
  @Test
  void attachIoas_ofTheDevicesOwnHwpt_withAPasidAttached_isEinval() {
    int h = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_PASID, dev, ioas));
    fd.attach(dev, h);
    pasids.attach(dev, 100, h);
    IommufdEdgesTest.assertRefused(fd, Errno.EINVAL, () -> fd.attach(dev, ioas));
    pasids.checkHwpt(dev, IOMMU_NO_PASID, h);
  }

  /**
   * {@code IOMMU_TEST_OP_PASID_CHECK_HWPT} takes a nested HWPT as well as a paging one ({@code
   * iommufd_get_hwpt} of {@code selftest.c} accepts both types).
   */
  @Test
  void checkHwpt_nestedHwptAtTheRid() {
    int n = nested();
    int other = nested();
    fd.attach(dev, n);
    pasids.checkHwpt(dev, IOMMU_NO_PASID, n);
    IommufdEdgesTest.assertRefused(
        fd, Errno.EINVAL, () -> pasids.checkHwpt(dev, IOMMU_NO_PASID, other));
  }

  /**
   * The snapshot (what the tests compare before and after a refused call) shows which HWPT each
   * PASID is on: swapping two PASIDs' HWPTs keeps every count and changes the snapshot.
   */
  @Test
  void snapshot_showsWhichHwptEachPasidIsOn() {
    int a = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_PASID, dev, ioas));
    int b = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_PASID, dev, ioas));
    pasids.attach(dev, 1, a);
    pasids.attach(dev, 2, b);
    String before = fd.snapshot();
    pasids.replace(dev, 1, b);
    pasids.replace(dev, 2, a);
    assertNotEquals(before, fd.snapshot());
  }
}
