package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VTD_INV_FLAGS_LEAF;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptVtdS1;
import org.jvfio.api.iommufd.IommuHwptVtdS1Invalidate;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.nesting.GuestIoPageTable;
import org.jvfio.core.nesting.HwptInvalidateResult;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.nesting.UserDataArray;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * VT-d nesting through iommufd: nested {@code IOMMU_HWPT_ALLOC} on a nest parent with {@code
 * iommu_hwpt_vtd_s1}, {@code IOMMU_HWPT_INVALIDATE} with VT-d entries, dirty tracking on the parent
 * only, and DMA through both stages, as example tables in the kernel's check order.
 */
class VtdNestingTest {
  static final long HVA = 0x7F00_0000_0000L; // the VMM's mapping of guest RAM
  static final long RAM = 8L << 20; // guest RAM: GPA [0, 8 MiB)
  static final long TABLES = 0x10_0000L;
  static final long DATA = 0x40_0000L;

  final GuestMemory ram = GuestMemory.create(HVA, RAM, 1);
  final IommufdContext ctx = IommufdContext.create(ram);
  final IntelSsDriver iommu = new IntelSsDriver();
  final int dev = ctx.bindDevice(iommu, DmaWriteListener.NONE);
  final int ioas = ctx.ioasAlloc(0);
  long nextTable = TABLES;
  final GuestIoPageTable s1;

  VtdNestingTest() {
    ctx.ioasMap(ioas, IoasMap.fixed(HVA, RAM, 0));
    s1 = GuestIoPageTable.x86(ctx.nesting().guestTables(), this::page, gpa -> {}, true);
  }

  long page() {
    long p = nextTable;
    nextTable += 4096;
    return p;
  }

  int parent(int flags) {
    return ctx.hwptAlloc(HwptAlloc.paging(flags, dev, ioas));
  }

  static UserData vtd(long pgtbl, int width) {
    return UserData.of(
        IOMMU_HWPT_DATA_VTD_S1, bytes(24, new IommuHwptVtdS1(0, pgtbl, width, 0)::encode));
  }

  static byte[] bytes(int size, Consumer<ByteBuffer> encoder) {
    ByteBuffer b = ByteBuffer.allocate(size);
    encoder.accept(b);
    return b.array();
  }

  static HwptAlloc nestedAlloc(int flags, int devId, int ptId, UserData data) {
    return new HwptAlloc(flags, devId, ptId, 0, data.type(), (int) data.length(), 0);
  }

  int nested(int parentId) {
    UserData data = vtd(s1.root(), 48);
    return ctx.hwptAlloc(nestedAlloc(0, dev, parentId, data), data);
  }

  static void assertErrno(Errno expected, Executable call) {
    assertEquals(expected, assertThrows(UapiException.class, call).errno());
  }

  static UserDataArray invalidations(IommuHwptVtdS1Invalidate... entries) {
    ByteBuffer b = ByteBuffer.allocate(24 * entries.length);
    for (IommuHwptVtdS1Invalidate e : entries) {
      e.encode(b);
    }
    return UserDataArray.of(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 24, entries.length, b.array());
  }

  // --- HWPT_ALLOC --------------------------------------------------------------------------------

  @Test
  void hwptAllocNested_onNestParent_returnsANestedHwpt() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    int n = nested(p);
    assertEquals(
        "x86-64 vtd-fs-4 root 0x" + Long.toHexString(s1.root()),
        ctx.nesting().translator(n).format().toString(),
        "the nest parent's first-stage format at pgtbl_addr");
  }

  @Test
  void hwptAllocNested_refusalsInTheKernelsOrder() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT);
    int plain = parent(0);
    UserData good = vtd(s1.root(), 48);
    // any flag but FAULT_ID_VALID: EOPNOTSUPP, before the parent is looked at
    assertErrno(
        Errno.EOPNOTSUPP,
        () -> ctx.hwptAlloc(nestedAlloc(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, plain, good), good));
    assertErrno(
        Errno.EOPNOTSUPP,
        () -> ctx.hwptAlloc(nestedAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, p, good), good));
    // a parent allocated without NEST_PARENT: EINVAL (with ALLOC_PASID too, which the core takes)
    assertErrno(Errno.EINVAL, () -> ctx.hwptAlloc(nestedAlloc(0, dev, plain, good), good));
    assertErrno(
        Errno.EINVAL,
        () -> ctx.hwptAlloc(nestedAlloc(IOMMU_HWPT_ALLOC_PASID, dev, plain, good), good));
    // the driver: ALLOC_PASID is EOPNOTSUPP in jvfio, which models no VT-d PASID attach (the
    // kernel's intel_iommu_domain_alloc_nested takes it; docs/fidelity.md)
    assertErrno(
        Errno.EOPNOTSUPP,
        () -> ctx.hwptAlloc(nestedAlloc(IOMMU_HWPT_ALLOC_PASID, dev, p, good), good));
    // the driver: a data type other than VTD_S1 is EOPNOTSUPP
    UserData arm = UserData.of(IOMMU_HWPT_DATA_ARM_SMMUV3, new byte[16]);
    assertErrno(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(nestedAlloc(0, dev, p, arm), arm));
    // data_len other than 24: EINVAL (shorter and longer)
    UserData shorter = UserData.of(IOMMU_HWPT_DATA_VTD_S1, new byte[20]);
    assertErrno(Errno.EINVAL, () -> ctx.hwptAlloc(nestedAlloc(0, dev, p, shorter), shorter));
    UserData longer = UserData.of(IOMMU_HWPT_DATA_VTD_S1, new byte[32]);
    assertErrno(Errno.EINVAL, () -> ctx.hwptAlloc(nestedAlloc(0, dev, p, longer), longer));
    // unreadable data: EFAULT, after every check
    UserData fault = UserData.unreadable(IOMMU_HWPT_DATA_VTD_S1, 24);
    assertErrno(Errno.EFAULT, () -> ctx.hwptAlloc(nestedAlloc(0, dev, p, fault), fault));
    // FAULT_ID_VALID without a FAULT object: ENOENT, after the domain was built
    assertErrno(
        Errno.ENOENT,
        () -> ctx.hwptAlloc(nestedAlloc(IOMMU_HWPT_FAULT_ID_VALID, dev, p, good), good));
    // a nested HWPT as pt_id: EINVAL; no refusal above left an object behind
    int n = nested(p);
    assertEquals(plain + 1, n, "the lowest free id");
    assertErrno(Errno.EINVAL, () -> ctx.hwptAlloc(nestedAlloc(0, dev, n, good), good));
    // a vIOMMU is refused by VT-d: it has none
    assertErrno(
        Errno.EOPNOTSUPP,
        () -> ctx.nesting().viommuAlloc(0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, p, UserData.none()));
  }

  @Test
  void hwptAllocNested_onAnAutoDomain_isEinval() {
    int auto = ctx.attach(dev, ioas);
    UserData good = vtd(s1.root(), 48);
    assertErrno(Errno.EINVAL, () -> ctx.hwptAlloc(nestedAlloc(0, dev, auto, good), good));
  }

  @Test
  void hwptAllocNested_forADeviceOfAnotherDriver_isEopnotsupp() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT);
    int mockDev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    UserData good = vtd(s1.root(), 48);
    assertErrno(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(nestedAlloc(0, mockDev, p, good), good));
  }

  @Test
  void nestParent_refusesReadOnlyMaps() {
    parent(IOMMU_HWPT_ALLOC_NEST_PARENT);
    assertErrno(
        Errno.EINVAL,
        () ->
            ctx.ioasMap(
                ioas,
                IoasMap.of(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE, HVA, 4096, RAM)));
    assertEquals(RAM, ctx.ioasMap(ioas, IoasMap.fixed(HVA, 4096, RAM)), "the refusal left nothing");
  }

  // --- dirty tracking on the parent only --------------------------------------------------------

  @Test
  void dirtyTracking_nestedIdIsEnoentAndTheParentSeesGuestPhysicalPages() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    int n = nested(p);
    assertErrno(Errno.ENOENT, () -> ctx.hwptSetDirtyTracking(n, IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
    assertErrno(
        Errno.ENOENT,
        () -> ctx.hwptGetDirtyBitmap(GetDirtyBitmap.of(n, 0, 0, RAM, 4096), new long[64]));
    ctx.hwptSetDirtyTracking(p, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    s1.map(0x7000_0000L, DATA + 0x5000, true);
    ctx.attach(dev, n);
    assertEquals(new DmaResult(4096, 0), ctx.dmaWrite(dev, 0x7000_0000L, 4096));
    long[] words = new long[(int) (RAM / 4096 / 64)];
    ctx.hwptGetDirtyBitmap(GetDirtyBitmap.of(p, 0, 0, RAM, 4096), words);
    IovaBitmap bitmap = IovaBitmap.wrap(0, RAM, 4096, words);
    assertTrue(bitmap.isDirty(DATA + 0x5000), "indexed by guest-physical address");
    assertEquals(512, bitmap.cardinality(), "the parent's 2 MiB leaf holding it, whole");
    assertTrue(bitmap.isDirty(DATA) && !bitmap.isDirty(DATA - 4096), "nothing else");
  }

  @Test
  void parentWithoutTracking_recordsNothingUntilEnabled() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    int n = nested(p);
    s1.map(0x1000, DATA, true);
    ctx.attach(dev, n);
    ctx.dmaWrite(dev, 0x1000, 4096);
    ctx.hwptSetDirtyTracking(p, IOMMU_HWPT_DIRTY_TRACKING_ENABLE); // clears, then tracks
    long[] words = new long[(int) (RAM / 4096 / 64)];
    ctx.hwptGetDirtyBitmap(GetDirtyBitmap.of(p, 0, 0, RAM, 4096), words);
    assertEquals(0, IovaBitmap.wrap(0, RAM, 4096, words).cardinality());
    ctx.dmaWrite(dev, 0x1000, 4096); // the parent's enable flushed the nested translations too
    ctx.hwptGetDirtyBitmap(GetDirtyBitmap.of(p, 0, 0, RAM, 4096), words);
    assertTrue(IovaBitmap.wrap(0, RAM, 4096, words).isDirty(DATA));
  }

  // --- destroy and attach -----------------------------------------------------------------------

  @Test
  void destroy_parentWithNestedIsEbusyAndNestedWithDevicesIsEbusy() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT);
    int n = nested(p);
    ctx.attach(dev, n);
    assertErrno(Errno.EBUSY, () -> ctx.destroy(p));
    assertErrno(Errno.EBUSY, () -> ctx.destroy(n));
    ctx.attach(dev, ioas);
    ctx.destroy(n);
    ctx.destroy(p);
  }

  /**
   * Attaching to a nested HWPT replaces a paging attachment (an automatic domain left without
   * devices goes) and answers the nested id; detaching from it blocks the device's DMA and frees
   * the nested HWPT for destroy.
   */
  @Test
  void attachNested_replacesTheAutoDomain_detachBlocksTheDevice() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT);
    int n = nested(p);
    int auto = ctx.attach(dev, ioas);
    assertEquals(n, ctx.attach(dev, n));
    assertErrno(Errno.ENOENT, () -> ctx.destroy(auto));
    s1.map(0x1000, DATA, true);
    assertEquals(new DmaResult(4096, 0), ctx.dmaWrite(dev, 0x1000, 4096));
    ctx.detach(dev);
    assertEquals(new DmaResult(0, 1), ctx.dmaWrite(dev, 0x1000, 4096));
    ctx.destroy(n);
  }

  @Test
  void attach_nestedOfAnotherIommuInstance_isEinval() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT);
    int n = nested(p);
    int other = ctx.bindDevice(new IntelSsDriver(), DmaWriteListener.NONE);
    assertErrno(Errno.EINVAL, () -> ctx.attach(other, n));
  }

  // --- HWPT_INVALIDATE
  // ----------------------------------------------------------------------------

  @Test
  void hwptInvalidate_earlyErrorsReportZeroHandled() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT);
    int n = nested(p);
    UserDataArray one = invalidations(new IommuHwptVtdS1Invalidate(0, 1, 0, 0));
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EOPNOTSUPP), ctx.nesting().hwptInvalidate(n, one, 1));
    UserDataArray zeroLen = UserDataArray.of(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0, 1, new byte[24]);
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EINVAL), ctx.nesting().hwptInvalidate(n, zeroLen, 0));
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.ENOENT), ctx.nesting().hwptInvalidate(99, one, 0));
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EINVAL), ctx.nesting().hwptInvalidate(p, one, 0));
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EINVAL), ctx.nesting().hwptInvalidate(ioas, one, 0));
  }

  @Test
  void hwptInvalidate_wrongTypeIsEinvalEvenWithNoEntries() {
    int n = nested(parent(IOMMU_HWPT_ALLOC_NEST_PARENT));
    UserDataArray none = UserDataArray.of(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 24, 0, new byte[0]);
    assertEquals(HwptInvalidateResult.ok(0), ctx.nesting().hwptInvalidate(n, none, 0));
    UserDataArray arm =
        UserDataArray.of(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 0, new byte[0]);
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EINVAL), ctx.nesting().hwptInvalidate(n, arm, 0));
  }

  @Test
  void hwptInvalidate_stopsAtTheFirstBadEntryAndCountsTheOnesBefore() {
    int n = nested(parent(IOMMU_HWPT_ALLOC_NEST_PARENT));
    IommuHwptVtdS1Invalidate ok = new IommuHwptVtdS1Invalidate(0x1000, 1, 0, 0);
    IommuHwptVtdS1Invalidate all =
        new IommuHwptVtdS1Invalidate(0, -1L, IOMMU_VTD_INV_FLAGS_LEAF, 0);
    record Row(IommuHwptVtdS1Invalidate bad, Errno errno) {}
    for (Row row :
        List.of(
            new Row(new IommuHwptVtdS1Invalidate(0x1000, 1, 2, 0), Errno.EOPNOTSUPP),
            new Row(new IommuHwptVtdS1Invalidate(0x1000, 1, 0, 1), Errno.EOPNOTSUPP),
            new Row(new IommuHwptVtdS1Invalidate(0x1800, 1, 0, 0), Errno.EINVAL),
            new Row(new IommuHwptVtdS1Invalidate(0x1000, -1L, 0, 0), Errno.EINVAL))) {
      long before = ctx.nesting().translator(n).invalidations();
      HwptInvalidateResult r =
          ctx.nesting().hwptInvalidate(n, invalidations(ok, all, row.bad(), ok), 0);
      assertEquals(new HwptInvalidateResult(2, Optional.of(row.errno())), r, row.toString());
      assertEquals(before + 2, ctx.nesting().translator(n).invalidations(), "the two before ran");
    }
    assertEquals(
        HwptInvalidateResult.ok(2), ctx.nesting().hwptInvalidate(n, invalidations(ok, all), 0));
  }

  @Test
  void hwptInvalidate_entryLenOutsideTheStructIsEinvalAtTheFirstEntry() {
    int n = nested(parent(IOMMU_HWPT_ALLOC_NEST_PARENT));
    for (int len : new int[] {16, 32}) {
      UserDataArray a = UserDataArray.of(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, len, 1, new byte[len]);
      assertEquals(
          HwptInvalidateResult.failed(0, Errno.EINVAL), ctx.nesting().hwptInvalidate(n, a, 0));
    }
  }

  @Test
  void guestRemap_needsTheInvalidationToTakeEffect() {
    int p = parent(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    int n = nested(p);
    s1.map(0x1000, DATA, true);
    ctx.attach(dev, n);
    ctx.dmaWrite(dev, 0x1000, 4096);
    s1.unmap(0x1000);
    assertEquals(0, ctx.dmaWrite(dev, 0x1000, 4096).faults(), "stale until invalidated");
    ctx.nesting()
        .hwptInvalidate(n, invalidations(new IommuHwptVtdS1Invalidate(0x1000, 1, 0, 0)), 0)
        .orThrow();
    assertEquals(1, ctx.dmaWrite(dev, 0x1000, 4096).faults());
    assertEquals(1, ctx.nesting().faults().get(0).stage());
  }
}
