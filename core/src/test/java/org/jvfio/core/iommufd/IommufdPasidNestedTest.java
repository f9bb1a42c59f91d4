package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMUFD_PAGE_RESP_INVALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_PERM_READ;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_TYPE_SELFTEST;
import static org.jvfio.core.iommufd.IommufdPasid.IOMMU_NO_PASID;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptPgfault;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Nested HWPTs allocated with {@code IOMMU_HWPT_ALLOC_PASID} and attached at a PASID, against the
 * kernel: {@code iommufd_hwpt_nested_alloc} and {@code iommufd_viommu_alloc_hwpt_nested} ({@code
 * drivers/iommu/iommufd/hw_pagetable.c}: flags other than {@code FAULT_ID_VALID} and {@code
 * ALLOC_PASID} are {@code EOPNOTSUPP}, the flag sets {@code pasid_compat}); {@code
 * mock_domain_alloc_nested} and {@code mock_viommu_alloc_domain_nested} ({@code
 * drivers/iommu/iommufd/selftest.c}: the mock takes the flag); {@code iommufd_device_attach} and
 * {@code iommufd_device_replace} with a PASID ({@code drivers/iommu/iommufd/device.c}: {@code
 * EBUSY}, {@code iommufd_hwpt_pasid_compat}, then {@code iommu_attach_device_pasid}'s owner and
 * {@code max_pasids} checks and the mock nested domain's {@code set_dev_pasid}, {@code
 * mock_domain_set_dev_pasid_nop}); and the IO page faults at such a PASID. The steps follow the
 * selftest's {@code TEST_F(iommufd_device_pasid, pasid_attach)} ({@code
 * tools/testing/selftests/iommu/iommufd.c}).
 */
class IommufdPasidNestedTest {
  static final int PASID = 100;
  static final int COMPAT = IOMMU_HWPT_ALLOC_PASID;

  final IommufdContext fd = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
  final MockIommuDriver mock = MockIommuDriver.createSelftest(true);
  final IommufdPasid pasids = fd.pasid();
  final IommufdFaults faults = fd.faults();
  final int ioas = fd.ioasAlloc(0);
  final int dev = pasidDevice();
  final int parent =
      fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT | COMPAT, dev, ioas));

  int pasidDevice() {
    int d = fd.bindDevice(mock, DmaWriteListener.NONE);
    pasids.setMaxPasids(d, 1 << 20);
    return d;
  }

  static UserData selftestData() {
    return UserData.of(IOMMU_HWPT_DATA_SELFTEST, new byte[4]);
  }

  /** A mock nested HWPT on {@code ptId} (the nest parent or a vIOMMU) with {@code flags}. */
  int nested(int flags, int ptId, int faultId) {
    return fd.hwptAlloc(
        new HwptAlloc(flags, dev, ptId, 0, IOMMU_HWPT_DATA_SELFTEST, 4, faultId), selftestData());
  }

  int nested(int flags) {
    return nested(flags, parent, 0);
  }

  void assertRefused(Errno errno, Executable call) {
    IommufdEdgesTest.assertRefused(fd, errno, call);
  }

  // --- IOMMU_HWPT_ALLOC of a nested HWPT
  // ----------------------------------------------------------

  @Test
  void allocNested_allocPasid_onTheNestParent_isPasidCompatible() {
    int n = nested(COMPAT);
    assertEquals(n, pasids.attach(dev, PASID, n));
    pasids.checkHwpt(dev, PASID, n);
  }

  @Test
  void allocNested_allocPasidWithAFaultQueue_isPasidCompatible() {
    int n = nested(IOMMU_HWPT_FAULT_ID_VALID | COMPAT, parent, faults.alloc(0));
    assertEquals(n, pasids.attach(dev, PASID, n));
  }

  @Test
  void allocNested_allocPasid_onTheMockViommu_isPasidCompatible() {
    int viommu =
        fd.nesting().viommuAlloc(0, IOMMU_VIOMMU_TYPE_SELFTEST, dev, parent, UserData.none());
    int n = nested(COMPAT, viommu, 0);
    assertEquals(n, pasids.attach(dev, PASID, n)); // set_dev_pasid needs no vDEVICE
  }

  /** Any other flag stays EOPNOTSUPP, before the parent is looked at, with ALLOC_PASID too. */
  @Test
  void allocNested_anotherFlagBesidesAllocPasid_eopnotsupp() {
    int plain = fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    assertRefused(Errno.EOPNOTSUPP, () -> nested(COMPAT | IOMMU_HWPT_ALLOC_NEST_PARENT));
    assertRefused(
        Errno.EOPNOTSUPP, () -> nested(COMPAT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, plain, 0));
    int viommu =
        fd.nesting().viommuAlloc(0, IOMMU_VIOMMU_TYPE_SELFTEST, dev, parent, UserData.none());
    assertRefused(
        Errno.EOPNOTSUPP, () -> nested(COMPAT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, viommu, 0));
  }

  @Test
  void allocNested_allocPasid_onAParentWithoutNestParent_einval() {
    int plain = fd.hwptAlloc(HwptAlloc.paging(COMPAT, dev, ioas));
    assertRefused(Errno.EINVAL, () -> nested(COMPAT, plain, 0));
  }

  @Test
  void allocNested_allocPasidAndAMissingFaultQueue_enoentAndNothingLeft() {
    assertRefused(Errno.ENOENT, () -> nested(IOMMU_HWPT_FAULT_ID_VALID | COMPAT, parent, 999));
  }

  // --- attach and replace at a PASID
  // ---------------------------------------------------------------

  @Test
  void attach_nestedWithoutAllocPasid_einval() {
    int n = nested(0);
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, PASID, n));
  }

  /** EBUSY for an attached PASID comes before {@code iommufd_hwpt_pasid_compat}. */
  @Test
  void attach_pasidAttached_ebusyBeforePasidCompat() {
    int n = nested(COMPAT);
    int plain = nested(0);
    pasids.attach(dev, PASID, n);
    assertRefused(Errno.EBUSY, () -> pasids.attach(dev, PASID, plain));
    assertRefused(Errno.EBUSY, () -> pasids.attach(dev, PASID, n));
  }

  /** The device's {@code IOMMU_NO_PASID} HWPT, here nested, must be PASID-compatible too. */
  @Test
  void attach_ridOnANestedHwptWithoutAllocPasid_einval() {
    int ridNested = nested(0);
    int n = nested(COMPAT);
    fd.attach(dev, ridNested);
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, PASID, n));
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, PASID, parent));
  }

  @Test
  void attach_ridOnAPasidCompatibleNestedHwpt_attaches() {
    int ridNested = nested(COMPAT);
    int n = nested(COMPAT);
    fd.attach(dev, ridNested);
    assertEquals(n, pasids.attach(dev, PASID, n));
    assertEquals(parent, pasids.attach(dev, PASID + 1, parent));
    pasids.checkHwpt(dev, IOMMU_NO_PASID, ridNested);
    pasids.checkHwpt(dev, PASID, n);
    pasids.checkHwpt(dev, PASID + 1, parent);
  }

  /** {@code domain->owner}: a device of another IOMMU driver cannot take the mock's domain. */
  @Test
  void attach_deviceOfAnotherIommuDriver_einval() {
    int n = nested(COMPAT);
    int other = fd.bindDevice(new IommufdPasidTest.NotTheMock(mock), DmaWriteListener.NONE);
    assertRefused(Errno.EINVAL, () -> pasids.attach(other, PASID, n));
  }

  @Test
  void attach_pasidAtMaxPasids_einval() {
    int n = nested(COMPAT);
    pasids.setMaxPasids(dev, PASID);
    assertRefused(Errno.EINVAL, () -> pasids.attach(dev, PASID, n));
    assertEquals(n, pasids.attach(dev, PASID - 1, n));
  }

  /** The mock nested domain's {@code set_dev_pasid} fails every other attach of PASID 1024. */
  @Test
  void attach_pasid1024_mockNestedFailsEveryOtherAttach_enomem() {
    int n = nested(COMPAT);
    int dev2 = pasidDevice();
    assertEquals(n, pasids.attach(dev, 1024, n));
    assertRefused(Errno.ENOMEM, () -> pasids.attach(dev2, 1024, n));
    assertEquals(n, pasids.attach(dev2, 1024, n));
  }

  /** The selftest's replace steps: paging to nested, nested to nested, and back, by reference. */
  @Test
  void replace_betweenPagingAndNestedHwpts_movesThePasidAndTheReference() {
    int n1 = nested(COMPAT);
    int n2 = nested(COMPAT);
    pasids.attach(dev, PASID, parent);
    assertEquals(n1, pasids.replace(dev, PASID, n1));
    pasids.checkHwpt(dev, PASID, n1);
    assertEquals(n2, pasids.replace(dev, PASID, n2));
    pasids.checkHwpt(dev, PASID, n2);
    fd.destroy(n1); // no longer used
    assertRefused(Errno.EBUSY, () -> fd.destroy(n2));
    assertEquals(parent, pasids.replace(dev, PASID, parent));
    fd.destroy(n2);
  }

  @Test
  void replace_toANestedHwptWithoutAllocPasid_einvalAndTheOldStays() {
    int n = nested(COMPAT);
    int plain = nested(0);
    pasids.attach(dev, PASID, n);
    assertRefused(Errno.EINVAL, () -> pasids.replace(dev, PASID, plain));
    pasids.checkHwpt(dev, PASID, n);
  }

  @Test
  void replace_pasid1024_mockNestedFailure_leavesTheOldHwpt_enomem() {
    int n1 = nested(COMPAT);
    int n2 = nested(COMPAT);
    pasids.attach(dev, 1024, n1);
    assertRefused(Errno.ENOMEM, () -> pasids.replace(dev, 1024, n2));
    pasids.checkHwpt(dev, 1024, n1);
    assertEquals(n2, pasids.replace(dev, 1024, n2));
    pasids.checkHwpt(dev, 1024, n2);
  }

  // --- the device's own attach, destroy, detach
  // -----------------------------------------------------

  /** With PASIDs attached the device takes a PASID-compatible nested HWPT, and only that. */
  @Test
  void ridAttach_whilePasidsAttached_takesOnlyAPasidCompatibleNestedHwpt() {
    int plain = nested(0);
    int n = nested(COMPAT);
    pasids.attach(dev, PASID, parent);
    assertRefused(Errno.EINVAL, () -> fd.attach(dev, plain));
    assertEquals(n, fd.attach(dev, n));
    pasids.checkHwpt(dev, IOMMU_NO_PASID, n);
  }

  @Test
  void destroy_nestedHwptWithAPasidAttached_ebusy_thenAfterDetach_destroys() {
    int n = nested(COMPAT);
    pasids.attach(dev, PASID, n);
    assertRefused(Errno.EBUSY, () -> fd.destroy(n));
    pasids.detach(dev, PASID);
    pasids.checkHwpt(dev, PASID, 0);
    fd.destroy(n);
    fd.destroy(parent); // the nested HWPT no longer holds it
  }

  @Test
  void unbind_detachesThePasidsOfNestedHwpts() {
    int n = nested(COMPAT);
    pasids.attach(dev, PASID, n);
    fd.unbindDevice(dev);
    fd.destroy(n);
  }

  // --- IO page faults at a PASID attached to a nested HWPT
  // ----------------------------------------

  List<IommuHwptPgfault> read(int queue) {
    List<IommuHwptPgfault> out = new ArrayList<>();
    faults.read(queue, 16L * IommuHwptPgfault.SIZE, (off, r) -> out.add(r));
    return out;
  }

  /**
   * The selftest's iopf steps: a fault at a PASID attached to an iopf nested HWPT goes to that
   * HWPT's queue; replacing the PASID onto a HWPT without a queue answers its groups INVALID.
   */
  @Test
  void fault_atAPasidOnAnIopfNestedHwpt_reachesItsQueue_andReplaceAnswersItInvalid() {
    int queue = faults.alloc(0);
    int iopf = nested(IOMMU_HWPT_FAULT_ID_VALID | COMPAT, parent, queue);
    int n = nested(COMPAT);
    pasids.attach(dev, PASID, iopf);
    assertTrue(
        faults.reportDeviceFault(
            dev, IopfFault.lastPage(PASID, 1, IOMMU_PGFAULT_PERM_READ, 0x1000)));
    List<IommuHwptPgfault> records = read(queue);
    assertEquals(1, records.size());
    assertEquals(PASID, records.get(0).pasid());
    pasids.replace(dev, PASID, n);
    assertEquals(
        List.of(new IopfResponse(dev, PASID, 1, IOMMUFD_PAGE_RESP_INVALID)),
        faults.pageResponses());
  }

  /** A PASID on a nested HWPT without a queue takes no fault (answered INVALID). */
  @Test
  void fault_atAPasidOnANestedHwptWithoutAQueue_isAnsweredInvalid() {
    int n = nested(COMPAT);
    pasids.attach(dev, PASID, n);
    assertFalse(
        faults.reportDeviceFault(
            dev, IopfFault.lastPage(PASID, 1, IOMMU_PGFAULT_PERM_READ, 0x1000)));
  }
}
