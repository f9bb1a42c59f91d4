package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Example tables for {@link IommufdPasid}: PASID attach, replace and detach with the errnos of
 * {@code drivers/iommu/iommufd/device.c} ({@code iommufd_hw_pagetable_attach}, {@code
 * iommufd_device_do_replace}, {@code iommufd_hwpt_pasid_compat}) and {@code drivers/iommu/iommu.c}
 * ({@code iommu_attach_device_pasid}), and the mock's PASID 1024 turn ({@code
 * mock_domain_set_dev_pasid_nop}). The property against a model is {@link IommufdPasidModelTest}.
 */
class IommufdPasidTest {
  static final int PASID = 100;
  static final int MAX_PASIDS = 1 << 20;
  static final int COMPAT = IOMMU_HWPT_ALLOC_PASID;

  final GuestMemory memory = GuestMemory.create(0x1_0000_0000L, 16L << 20, 1);
  final IommufdContext fd = IommufdContext.create(memory);
  final MockIommuDriver mock = MockIommuDriver.createSelftest(true);
  final IommufdPasid pasids = fd.pasid();
  final int ioas = fd.ioasAlloc(0);
  final int dev = pasidDevice(mock);

  int pasidDevice(IommuDriver iommu) {
    int d = fd.bindDevice(iommu, DmaWriteListener.NONE);
    pasids.setMaxPasids(d, MAX_PASIDS);
    return d;
  }

  int hwpt(int flags) {
    return fd.hwptAlloc(HwptAlloc.paging(flags, dev, ioas));
  }

  /** Asserts that {@code call} is refused with {@code errno} and changes no object. */
  void assertRefused(Errno errno, Executable call) {
    String before = fd.snapshot();
    UapiException e = assertThrows(UapiException.class, call);
    assertEquals(errno, e.errno(), e.getMessage());
    assertEquals(before, fd.snapshot(), "a refused call changed state");
  }

  void assertAttached(int pasid, int hwptId) {
    pasids.checkHwpt(dev, pasid, hwptId);
  }

  // --- IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_PASID ---------------------------------------------

  @Test
  void hwptAlloc_pasidOnTheMock_isPasidCompatible() {
    int h = hwpt(COMPAT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    assertEquals(h, pasids.attach(dev, PASID, h));
  }

  @Test
  void hwptAlloc_pasidOnAnotherIommu_eopnotsupp() {
    int other = fd.bindDevice(new NotTheMock(mock), DmaWriteListener.NONE);
    assertRefused(Errno.EOPNOTSUPP, () -> fd.hwptAlloc(HwptAlloc.paging(COMPAT, other, ioas)));
  }

  @Test
  void hwptAlloc_pasidAndDirtyOnNoDirtyMock_eopnotsupp() {
    int noDirty = fd.bindDevice(MockIommuDriver.createSelftest(false), DmaWriteListener.NONE);
    assertRefused(
        Errno.EOPNOTSUPP,
        () ->
            fd.hwptAlloc(
                HwptAlloc.paging(COMPAT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, noDirty, ioas)));
  }

  // --- attach ------------------------------------------------------------------------------------

  @Test
  void attach_badDevice_enoent() {
    int h = hwpt(COMPAT);
    assertRefused(Errno.ENOENT, () -> pasids.attach(999, PASID, h));
  }

  @Test
  void attach_noObject_enoent() {
    assertRefused(Errno.ENOENT, () -> pasids.attach(dev, PASID, 999));
  }

  @Test
  void attach_ptIsADevice_einval() {
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, PASID, dev));
  }

  @Test
  void attach_ioas_einval() {
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, PASID, ioas));
  }

  @Test
  void attach_hwptWithoutPasidFlag_einval() {
    int h = hwpt(0);
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, PASID, h));
  }

  @Test
  void attach_noPasidHwptNotCompatible_einval() {
    int plain = hwpt(0);
    int h = hwpt(COMPAT);
    fd.attach(dev, plain);
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, PASID, h));
  }

  @Test
  void attach_noPasidHwptCompatible_attaches() {
    int h = hwpt(COMPAT);
    fd.attach(dev, h);
    assertEquals(h, pasids.attach(dev, PASID, h));
    assertAttached(PASID, h);
    assertAttached(IommufdPasid.IOMMU_NO_PASID, h);
  }

  @Test
  void attach_pasidAttached_ebusy() {
    int h = hwpt(COMPAT);
    int h2 = hwpt(COMPAT);
    pasids.attach(dev, PASID, h);
    assertRefused(Errno.EBUSY, () -> pasids.attach(dev, PASID, h));
    assertRefused(Errno.EBUSY, () -> pasids.attach(dev, PASID, h2));
    assertRefused(Errno.EBUSY, () -> pasids.attach(dev, PASID, ioas));
  }

  @Test
  void attach_otherIommuDriver_einval() {
    int h = hwpt(COMPAT);
    int other = pasidDevice(new NotTheMock(mock));
    assertRefused(Errno.EINVAL, () -> pasids.attach(other, PASID, h));
  }

  @Test
  void attach_noDirtyMockDevice_sharesTheMockOps() {
    int h = hwpt(COMPAT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    int noDirty = pasidDevice(MockIommuDriver.createSelftest(false));
    assertEquals(h, pasids.attach(noDirty, PASID, h));
  }

  @Test
  void attach_pasidAtMaxPasids_einval() {
    int h = hwpt(COMPAT);
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, MAX_PASIDS, h));
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, -1, h)); // u32 0xffffffff
    assertEquals(h, pasids.attach(dev, MAX_PASIDS - 1, h));
  }

  @Test
  void attach_deviceWithoutPasidSupport_rangeNotChecked() {
    int h = hwpt(COMPAT);
    int plain = fd.bindDevice(mock, DmaWriteListener.NONE);
    assertEquals(0, pasids.maxPasids(plain));
    assertEquals(h, pasids.attach(plain, -1, h));
  }

  @Test
  void attach_pasid1024_mockFailsEveryOtherAttach_enomem() {
    int h = hwpt(COMPAT);
    int dev2 = pasidDevice(mock);
    assertEquals(h, pasids.attach(dev, 1024, h));
    assertRefused(Errno.ENOMEM, () -> pasids.attach(dev2, 1024, h));
    assertEquals(h, pasids.attach(dev2, 1024, h)); // the failure reset the mock's turn
  }

  @Test
  void attach_pasid0_isTheOrdinaryAttach_ebusyWhenAttached() {
    int h = hwpt(0);
    assertEquals(h, pasids.attach(dev, IommufdPasid.IOMMU_NO_PASID, h));
    assertAttached(IommufdPasid.IOMMU_NO_PASID, h);
    assertRefused(Errno.EBUSY, () -> pasids.attach(dev, IommufdPasid.IOMMU_NO_PASID, h));
  }

  // --- the IOMMU_NO_PASID side of pasid_compat
  // ------------------------------------------------------

  @Test
  void noPasidAttach_hwptNotCompatibleWhilePasidsAttached_einval() {
    int h = hwpt(COMPAT);
    int plain = hwpt(0);
    pasids.attach(dev, PASID, h);
    assertRefused(Errno.EINVAL, () -> fd.attach(dev, plain));
    assertRefused(Errno.EINVAL, () -> fd.attach(dev, ioas)); // an auto domain: never compatible
    assertEquals(h, fd.attach(dev, h));
  }

  @Test
  void noPasidAttach_sameHwptAgain_noChange() {
    int plain = hwpt(0);
    int h = hwpt(COMPAT);
    fd.attach(dev, plain);
    pasids.detach(dev, IommufdPasid.IOMMU_NO_PASID);
    fd.attach(dev, h);
    pasids.attach(dev, PASID, h);
    assertEquals(h, fd.attach(dev, h));
  }

  // --- replace -----------------------------------------------------------------------------------

  @Test
  void replace_notAttached_einval() {
    int h = hwpt(COMPAT);
    assertRefused(Errno.EINVAL, () -> pasids.replace(dev, PASID, h));
  }

  @Test
  void replace_noObject_enoent() {
    assertRefused(Errno.ENOENT, () -> pasids.replace(dev, PASID, 999));
  }

  @Test
  void replace_toHwptWithoutPasidFlag_einval() {
    int h = hwpt(COMPAT);
    int plain = hwpt(0);
    pasids.attach(dev, PASID, h);
    assertRefused(Errno.EINVAL, () -> pasids.replace(dev, PASID, plain));
    assertRefused(Errno.EINVAL, () -> pasids.replace(dev, PASID, ioas));
  }

  @Test
  void replace_sameHwpt_noChange() {
    int h = hwpt(COMPAT);
    pasids.attach(dev, PASID, h);
    String before = fd.snapshot();
    assertEquals(h, pasids.replace(dev, PASID, h));
    assertEquals(before, fd.snapshot());
  }

  @Test
  void replace_movesThePasidAndTheHwptReference() {
    int h = hwpt(COMPAT);
    int h2 = hwpt(COMPAT);
    pasids.attach(dev, PASID, h);
    assertEquals(h2, pasids.replace(dev, PASID, h2));
    assertAttached(PASID, h2);
    fd.destroy(h); // no longer used
    assertRefused(Errno.EBUSY, () -> fd.destroy(h2));
  }

  @Test
  void replace_pasid1024_mockFailure_leavesTheOldHwpt_enomem() {
    int h = hwpt(COMPAT);
    int h2 = hwpt(COMPAT);
    pasids.attach(dev, 1024, h);
    assertRefused(Errno.ENOMEM, () -> pasids.replace(dev, 1024, h2));
    assertAttached(1024, h);
    assertEquals(h2, pasids.replace(dev, 1024, h2));
    assertAttached(1024, h2);
  }

  // --- detach, destroy, unbind -------------------------------------------------------------------

  @Test
  void detach_notAttached_doesNothing() {
    String before = fd.snapshot();
    pasids.detach(dev, PASID);
    assertEquals(before, fd.snapshot());
  }

  @Test
  void detach_badDevice_enoent() {
    assertRefused(Errno.ENOENT, () -> pasids.detach(999, PASID));
  }

  @Test
  void destroy_hwptWithPasidAttached_ebusy_thenAfterDetach_destroys() {
    int h = hwpt(COMPAT);
    pasids.attach(dev, PASID, h);
    assertRefused(Errno.EBUSY, () -> fd.destroy(h));
    pasids.detach(dev, PASID);
    assertAttached(PASID, 0);
    fd.destroy(h);
  }

  @Test
  void unbind_detachesEveryPasid() {
    int h = hwpt(COMPAT);
    pasids.attach(dev, PASID, h);
    pasids.attach(dev, 1024, h);
    fd.unbindDevice(dev);
    fd.destroy(h);
    int dev2 = pasidDevice(mock);
    int h2 = fd.hwptAlloc(HwptAlloc.paging(COMPAT, dev2, ioas));
    assertEquals(h2, pasids.attach(dev2, 1024, h2)); // the unbind reset the mock's turn
  }

  // --- IOMMU_TEST_OP_PASID_CHECK_HWPT
  // --------------------------------------------------------------

  @Test
  void checkHwpt_conditions() {
    int h = hwpt(COMPAT);
    int h2 = hwpt(COMPAT);
    assertAttached(PASID, 0);
    pasids.attach(dev, PASID, h);
    assertAttached(PASID, h);
    assertRefused(Errno.EINVAL, () -> pasids.checkHwpt(dev, PASID, 0));
    assertRefused(Errno.EINVAL, () -> pasids.checkHwpt(dev, PASID, h2));
    assertRefused(Errno.EINVAL, () -> pasids.checkHwpt(dev, PASID, ioas));
    assertRefused(Errno.ENOENT, () -> pasids.checkHwpt(dev, PASID, 999));
    assertRefused(Errno.ENOENT, () -> pasids.checkHwpt(999, PASID, h));
  }

  @Test
  void setMaxPasids_negative_illegalArgument() {
    assertThrows(IllegalArgumentException.class, () -> pasids.setMaxPasids(dev, -1));
    assertTrue(pasids.maxPasids(dev) == MAX_PASIDS);
  }

  /** An IOMMU driver that is not the mock (its domains are the mock's), as a vendor driver. */
  static final class NotTheMock implements IommuDriver {
    private final IommuDriver d;

    NotTheMock(IommuDriver d) {
      this.d = d;
    }

    @Override
    public String name() {
      return "not-the-mock";
    }

    @Override
    public Set<IommuCapability> capabilities() {
      return d.capabilities();
    }

    @Override
    public long pageSizeBitmap() {
      return d.pageSizeBitmap();
    }

    @Override
    public IommuDomain allocateDomain(DomainConfig config) {
      return d.allocateDomain(config);
    }
  }
}
