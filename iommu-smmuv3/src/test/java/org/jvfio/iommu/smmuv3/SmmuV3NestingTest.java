package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_DEFAULT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.nesting.GuestIoPageTable;
import org.jvfio.core.nesting.HwptInvalidateResult;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.nesting.UserDataArray;

/**
 * SMMUv3 nesting through iommufd: the nest parent without dirty tracking, {@code
 * IOMMU_VIOMMU_ALLOC}, {@code IOMMU_VDEVICE_ALLOC}, nested HWPTs from a vIOMMU with a vSTE, and the
 * guest's command-queue invalidations through the vIOMMU, as example tables in the kernel's check
 * order; DMA through the guest's Arm stage 1 and the stage-2 parent.
 */
class SmmuV3NestingTest {
  static final long HVA = 0x7F00_0000_0000L;
  static final long RAM = 8L << 20;
  static final long TABLES = 0x10_0000L;
  static final long DATA = 0x40_0000L;
  static final long VSID = 0x42;
  static final long CFG_S1 = 5L << 1;
  static final long CFG_BYPASS = 4L << 1;
  static final int NH_ALL = 0x10;
  static final int NH_VA = 0x12;
  static final int CFGI_CD = 0x05;

  final GuestMemory ram = GuestMemory.create(HVA, RAM, 1);
  final IommufdContext ctx = IommufdContext.create(ram);
  final SmmuV3Driver smmu = new SmmuV3Driver();
  final int dev = ctx.bindDevice(smmu, DmaWriteListener.NONE);
  final int ioas = ctx.ioasAlloc(0);
  long nextTable = TABLES;
  final GuestIoPageTable s1;

  SmmuV3NestingTest() {
    ctx.ioasMap(ioas, IoasMap.fixed(HVA, RAM, 0));
    s1 = GuestIoPageTable.arm(ctx.nesting().guestTables(), this::page, gpa -> {});
  }

  long page() {
    long p = nextTable;
    nextTable += 4096;
    return p;
  }

  int parent() {
    return ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
  }

  int viommu(int parent) {
    return ctx.nesting().viommuAlloc(0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, parent, UserData.none());
  }

  static UserData ste(long ste0, long ste1) {
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(ste0).putLong(ste1);
    return UserData.of(IOMMU_HWPT_DATA_ARM_SMMUV3, b.array());
  }

  UserData s1Ste() {
    return ste(1 | CFG_S1 | s1.contextDescriptor(), 0);
  }

  int nested(int flags, int ptId, UserData data) {
    return ctx.hwptAlloc(
        new HwptAlloc(flags, dev, ptId, 0, data.type(), (int) data.length(), 0), data);
  }

  static UserDataArray commands(long... words) {
    ByteBuffer b = ByteBuffer.allocate(8 * words.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long w : words) {
      b.putLong(w);
    }
    return UserDataArray.of(
        IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, words.length / 2, b.array());
  }

  static void assertErrno(Errno expected, Executable call) {
    assertEquals(expected, assertThrows(UapiException.class, call).errno());
  }

  @Test
  void nestParentWithDirtyTracking_isEopnotsupp() {
    assertErrno(
        Errno.EOPNOTSUPP,
        () ->
            ctx.hwptAlloc(
                HwptAlloc.paging(
                    IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas)));
  }

  @Test
  void hwptAllocNested_onTheParentHwpt_isEopnotsuppBecauseSmmuv3NestsThroughAVIommu() {
    int p = parent();
    assertErrno(Errno.EOPNOTSUPP, () -> nested(0, p, s1Ste()));
  }

  @Test
  void viommuAlloc_refusalsInTheKernelsOrder() {
    int p = parent();
    int plain = ctx.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    var n = ctx.nesting();
    UserData none = UserData.none();
    assertErrno(
        Errno.EOPNOTSUPP, () -> n.viommuAlloc(1, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, p, none));
    assertErrno(Errno.EOPNOTSUPP, () -> n.viommuAlloc(0, IOMMU_VIOMMU_TYPE_DEFAULT, dev, p, none));
    assertErrno(Errno.ENOENT, () -> n.viommuAlloc(0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 99, p, none));
    assertErrno(
        Errno.EOPNOTSUPP, () -> n.viommuAlloc(0, IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, dev, p, none));
    assertErrno(
        Errno.ENOENT, () -> n.viommuAlloc(0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, ioas, none));
    assertErrno(
        Errno.EINVAL, () -> n.viommuAlloc(0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, plain, none));
    int other = ctx.bindDevice(new SmmuV3Driver(), DmaWriteListener.NONE);
    assertErrno(Errno.EINVAL, () -> n.viommuAlloc(0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, other, p, none));
    assertEquals(other + 1, viommu(p), "no refusal left an object behind");
  }

  @Test
  void vdeviceAlloc_refusalsInTheKernelsOrder() {
    int v = viommu(parent());
    var n = ctx.nesting();
    assertErrno(Errno.ENOENT, () -> n.vdeviceAlloc(99, dev, VSID));
    assertErrno(Errno.ENOENT, () -> n.vdeviceAlloc(v, 99, VSID));
    int other = ctx.bindDevice(new SmmuV3Driver(), DmaWriteListener.NONE);
    assertErrno(Errno.EINVAL, () -> n.vdeviceAlloc(v, other, VSID));
    n.vdeviceAlloc(v, dev, VSID);
    assertErrno(Errno.EEXIST, () -> n.vdeviceAlloc(v, dev, VSID + 1));
    int sibling = ctx.bindDevice(smmu, DmaWriteListener.NONE);
    assertErrno(Errno.EEXIST, () -> n.vdeviceAlloc(v, sibling, VSID));
    n.vdeviceAlloc(v, sibling, VSID + 1);
  }

  @Test
  void hwptAllocNested_onAVIommu_refusalsInTheKernelsOrder() {
    int v = viommu(parent());
    int other = ctx.bindDevice(new SmmuV3Driver(), DmaWriteListener.NONE);
    UserData good = s1Ste();
    assertErrno(
        Errno.EINVAL,
        () ->
            ctx.hwptAlloc(new HwptAlloc(0, other, v, 0, IOMMU_HWPT_DATA_ARM_SMMUV3, 16, 0), good));
    assertErrno(Errno.EOPNOTSUPP, () -> nested(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, v, good));
    // the core takes ALLOC_PASID; arm_vsmmu_alloc_domain_nested refuses any flag
    assertErrno(Errno.EOPNOTSUPP, () -> nested(IOMMU_HWPT_ALLOC_PASID, v, good));
    UserData vtd = UserData.of(IOMMU_HWPT_DATA_VTD_S1, new byte[24]);
    assertErrno(Errno.EINVAL, () -> nested(0, v, vtd));
    assertErrno(
        Errno.EINVAL, () -> nested(0, v, UserData.of(IOMMU_HWPT_DATA_ARM_SMMUV3, new byte[8])));
    assertErrno(
        Errno.EFAULT, () -> nested(0, v, UserData.unreadable(IOMMU_HWPT_DATA_ARM_SMMUV3, 16)));
    // vSTE checks: EIO
    assertErrno(Errno.EIO, () -> nested(0, v, ste(1 | (6L << 1), 0))); // Cfg stage-2 translate
    assertErrno(Errno.EIO, () -> nested(0, v, ste(1 | CFG_S1 | (1L << 55), 0))); // bit not allowed
    assertErrno(Errno.EIO, () -> nested(0, v, ste(1 | CFG_S1, 1L << 8))); // word 1 bit not allowed
    assertErrno(Errno.EIO, () -> nested(0, v, ste(1 | CFG_S1, 2L << 28))); // EATS = S1CHK
    assertErrno(Errno.ENOENT, () -> nested(IOMMU_HWPT_FAULT_ID_VALID, v, good));
    // a vSTE without V is accepted whatever it holds (an abort)
    int abort = nested(0, v, ste(-2L, -1L));
    ctx.attach(dev, abort);
    assertEquals(new DmaResult(0, 1), ctx.dmaWrite(dev, 0x1000, 4096));
    assertEquals(other + 1, abort, "the refusals left no object");
  }

  @Test
  void attach_stage1NestedNeedsAVdeviceButBypassDoesNot() {
    int v = viommu(parent());
    int n = nested(0, v, s1Ste());
    int bypass = nested(0, v, ste(1 | CFG_BYPASS, 0));
    assertErrno(Errno.ENOENT, () -> ctx.attach(dev, n));
    ctx.attach(dev, bypass);
    assertEquals(new DmaResult(4096, 0), ctx.dmaWrite(dev, DATA, 4096), "bypass: IOVA = GPA");
    ctx.nesting().vdeviceAlloc(v, dev, VSID);
    ctx.attach(dev, n);
    s1.map(0x9000, DATA + 0x1000, true);
    long before = ram.token(HVA + DATA + 0x1000);
    assertEquals(new DmaResult(4096, 0), ctx.dmaWrite(dev, 0x9000, 4096));
    assertTrue(before != ram.token(HVA + DATA + 0x1000), "written through both stages");
  }

  /** A nested domain belongs to its vIOMMU's SMMU: even a bypass one refuses other devices. */
  @Test
  void attach_nestedOfAnotherSmmu_isEinval() {
    int v = viommu(parent());
    int bypass = nested(0, v, ste(1 | CFG_BYPASS, 0));
    int other = ctx.bindDevice(new SmmuV3Driver(), DmaWriteListener.NONE);
    assertErrno(Errno.EINVAL, () -> ctx.attach(other, bypass));
    assertErrno(Errno.ENOENT, () -> ctx.nesting().translator(v));
  }

  /** A destroyed nested HWPT leaves its vIOMMU: later invalidations no longer reach it. */
  @Test
  void destroyNested_leavesTheVIommusInvalidations() {
    int v = viommu(parent());
    int n = nested(0, v, s1Ste());
    var t = ctx.nesting().translator(n);
    assertEquals(
        HwptInvalidateResult.ok(1), ctx.nesting().hwptInvalidate(v, commands(NH_ALL, 0), 0));
    long before = t.invalidations();
    ctx.destroy(n);
    assertEquals(
        HwptInvalidateResult.ok(1), ctx.nesting().hwptInvalidate(v, commands(NH_ALL, 0), 0));
    assertEquals(before, t.invalidations());
  }

  @Test
  void hwptInvalidate_onTheNestedIdIsEopnotsuppAndThroughTheVIommuWorks() {
    int v = viommu(parent());
    ctx.nesting().vdeviceAlloc(v, dev, VSID);
    int n = nested(0, v, s1Ste());
    ctx.attach(dev, n);
    s1.map(0x9000, DATA, true);
    ctx.dmaWrite(dev, 0x9000, 4096);
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EOPNOTSUPP),
        ctx.nesting().hwptInvalidate(n, commands(NH_ALL, 0), 0));
    s1.unmap(0x9000);
    assertEquals(0, ctx.dmaWrite(dev, 0x9000, 4096).faults(), "stale until invalidated");
    assertEquals(
        HwptInvalidateResult.ok(2),
        ctx.nesting().hwptInvalidate(v, commands(CFGI_CD | (VSID << 32), 0, NH_VA, 0x9000), 0));
    assertEquals(1, ctx.dmaWrite(dev, 0x9000, 4096).faults());
  }

  @Test
  void viommuInvalidate_errorTable() {
    int v = viommu(parent());
    var nest = ctx.nesting();
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EINVAL), nest.hwptInvalidate(v, commands(), 0));
    UserDataArray vtd = UserDataArray.of(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 16, 1, new byte[16]);
    assertEquals(HwptInvalidateResult.failed(0, Errno.EINVAL), nest.hwptInvalidate(v, vtd, 0));
    assertEquals(
        HwptInvalidateResult.failed(1, Errno.EIO),
        nest.hwptInvalidate(v, commands(NH_ALL, 0, 0x7F, 0), 0),
        "an unknown opcode");
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EIO),
        nest.hwptInvalidate(v, commands(CFGI_CD | (VSID << 32), 0), 0),
        "a vSID without vDEVICE");
    UserDataArray longer =
        UserDataArray.of(
            IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
            24,
            1,
            new byte[] {0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0});
    assertEquals(HwptInvalidateResult.failed(0, Errno.E2BIG), nest.hwptInvalidate(v, longer, 0));
    UserDataArray huge =
        UserDataArray.of(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 1 << 20, new byte[0]);
    assertEquals(HwptInvalidateResult.failed(0, Errno.ENOMEM), nest.hwptInvalidate(v, huge, 0));
    UserDataArray unreadable =
        UserDataArray.of(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 2, new byte[16]);
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.EFAULT), nest.hwptInvalidate(v, unreadable, 0));
  }

  /** Upstream quirk: the commands of an unfinished batch before a bad one are never issued. */
  @Test
  void viommuInvalidate_badCommandDropsTheUnfinishedBatchBeforeIt() {
    int v = viommu(parent());
    int n = nested(0, v, s1Ste());
    var t = ctx.nesting().translator(n);
    long[] words = new long[2 * 65];
    for (int i = 0; i < 64; i++) {
      words[2 * i] = NH_ALL;
    }
    words[2 * 64] = 0x7F; // bad, after one full batch of 63 and one more good command
    assertEquals(
        HwptInvalidateResult.failed(64, Errno.EIO),
        ctx.nesting().hwptInvalidate(v, commands(words), 0));
    assertEquals(63, t.invalidations(), "only the first batch of 63 was issued");
    long before = t.invalidations();
    assertEquals(
        HwptInvalidateResult.failed(1, Errno.EIO),
        ctx.nesting().hwptInvalidate(v, commands(NH_ALL, 0, 0x7F, 0), 0));
    assertEquals(before, t.invalidations(), "counted as handled, yet never issued");
  }

  @Test
  void destroy_rulesAndTheTombstoneOfAnUnboundDevicesVdevice() {
    int p = parent();
    int v = viommu(p);
    int vd = ctx.nesting().vdeviceAlloc(v, dev, VSID);
    int n = nested(0, v, s1Ste());
    assertErrno(Errno.EBUSY, () -> ctx.destroy(p));
    assertErrno(Errno.EBUSY, () -> ctx.destroy(v));
    ctx.destroy(n);
    assertErrno(Errno.EBUSY, () -> ctx.destroy(v)); // a vDEVICE holds it
    ctx.unbindDevice(dev);
    assertErrno(Errno.ENOENT, () -> ctx.destroy(vd));
    ctx.destroy(v);
    ctx.destroy(p);
    assertEquals(
        HwptInvalidateResult.failed(0, Errno.ENOENT),
        ctx.nesting().hwptInvalidate(vd, commands(NH_ALL, 0), 0));
  }
}
