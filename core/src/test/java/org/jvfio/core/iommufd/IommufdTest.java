package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_CAP_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_INFO_FLAG_INPUT_TYPE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;

import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.IoPageFault;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.MockIommuDriver;

class IommufdTest {
  static final long MEM = 0x1_0000_0000L;
  static final long MEM_SIZE = 64L << 20;
  static final long PAGE = 4096;
  static final long IOVA = 0x4000_0000L;
  static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
  static final int FIXED_RW = IOMMU_IOAS_MAP_FIXED_IOVA | RW;
  static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  static final int TRIES = Integer.getInteger("jvfio.tries", 200);

  final GuestMemory memory = GuestMemory.create(MEM, MEM_SIZE, 1);
  final IommufdContext fd = IommufdContext.create(memory);
  final MockIommuDriver iommu = MockIommuDriver.create();

  /** Asserts that {@code call} is refused with {@code errno} and changes no object. */
  void assertRefused(Errno errno, Executable call) {
    String before = fd.snapshot();
    UapiException e = assertThrows(UapiException.class, call);
    assertEquals(errno, e.errno(), e.getMessage());
    assertEquals(before, fd.snapshot(), "a refused call changed state");
  }

  /** An IOAS, a device on {@code iommu}, a HWPT (dirty-tracking) with the device attached. */
  final class Setup {
    final int ioas;
    final int dev;
    final int hwpt;

    Setup() {
      this(iommu);
    }

    Setup(IommuDriver driver) {
      ioas = fd.ioasAlloc(0);
      dev = fd.bindDevice(driver, DmaWriteListener.NONE);
      hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
      assertEquals(hwpt, fd.attach(dev, hwpt));
    }

    long map(long userVa, long length, long iova) {
      return fd.ioasMap(ioas, IoasMap.fixed(userVa, length, iova));
    }

    long[] harvest(long iova, long length, int flags) {
      long[] data = new long[(int) IovaBitmap.wordCount(length, PAGE)];
      fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, flags, iova, length, PAGE), data);
      return data;
    }
  }

  static TreeSet<Long> pages(long[] data, long iova) {
    TreeSet<Long> out = new TreeSet<>();
    for (int w = 0; w < data.length; w++) {
      for (int b = 0; b < 64; b++) {
        if ((data[w] & (1L << b)) != 0) {
          out.add(iova + ((long) w * 64 + b) * PAGE);
        }
      }
    }
    return out;
  }

  static void assertSamePages(TreeSet<Long> expected, long[] harvested, String context) {
    TreeSet<Long> got = pages(harvested, IOVA);
    TreeSet<Long> missing = new TreeSet<>(expected);
    missing.removeAll(got);
    TreeSet<Long> extra = new TreeSet<>(got);
    extra.removeAll(expected);
    assertTrue(
        missing.isEmpty() && extra.isEmpty(),
        context + " missing=" + hex(missing) + " extra=" + hex(extra));
  }

  static String hex(TreeSet<Long> pages) {
    StringBuilder b = new StringBuilder("[");
    pages.stream().limit(16).forEach(p -> b.append("0x").append(Long.toHexString(p)).append(' '));
    return b.append(pages.size() > 16 ? "... " + pages.size() + " pages]" : "]").toString();
  }

  // --- ids and destroy --------------------------------------------------------------------------

  @Test
  void ioasAlloc_flags_eopnotsupp() {
    assertRefused(Errno.EOPNOTSUPP, () -> fd.ioasAlloc(1));
  }

  @Test
  void ioasAlloc_ids_lowestFreeFromOne() {
    assertEquals(1, fd.ioasAlloc(0));
    assertEquals(2, fd.ioasAlloc(0));
    assertEquals(3, fd.ioasAlloc(0));
    fd.destroy(2);
    assertEquals(2, fd.ioasAlloc(0));
  }

  @Test
  void destroy_refusals() {
    Setup s = new Setup();
    assertRefused(Errno.ENOENT, () -> fd.destroy(99));
    assertRefused(Errno.EBUSY, () -> fd.destroy(s.dev));
    assertRefused(Errno.EBUSY, () -> fd.destroy(s.ioas));
    assertRefused(Errno.EBUSY, () -> fd.destroy(s.hwpt));
    fd.detach(s.dev);
    fd.destroy(s.hwpt);
    fd.destroy(s.ioas);
    assertRefused(Errno.ENOENT, () -> fd.destroy(s.ioas));
  }

  // --- IOAS_MAP ---------------------------------------------------------------------------------

  @Test
  void ioasMap_refusals_inKernelOrder() {
    Setup s = new Setup();
    s.map(MEM, PAGE, IOVA);
    assertRefused(Errno.EOPNOTSUPP, () -> fd.ioasMap(s.ioas, IoasMap.of(1 << 3, MEM, PAGE, 0)));
    assertRefused(
        Errno.EOPNOTSUPP, () -> fd.ioasMap(s.ioas, new IoasMap(FIXED_RW, 1, MEM, PAGE, IOVA)));
    assertRefused(Errno.EOVERFLOW, () -> fd.ioasMap(s.ioas, IoasMap.of(FIXED_RW, MEM, PAGE, -1)));
    assertRefused(Errno.EOVERFLOW, () -> fd.ioasMap(s.ioas, IoasMap.of(FIXED_RW, MEM, -1, 0)));
    assertRefused(
        Errno.EINVAL,
        () -> fd.ioasMap(s.ioas, IoasMap.of(IOMMU_IOAS_MAP_FIXED_IOVA, MEM, PAGE, IOVA)));
    assertRefused(Errno.ENOENT, () -> fd.ioasMap(99, IoasMap.fixed(MEM, PAGE, IOVA)));
    assertRefused(Errno.ENOENT, () -> fd.ioasMap(s.hwpt, IoasMap.fixed(MEM, PAGE, IOVA)));
    assertRefused(
        Errno.EOVERFLOW, () -> fd.ioasMap(s.ioas, IoasMap.fixed(-PAGE, 2 * PAGE, 2 * IOVA)));
    assertRefused(Errno.EINVAL, () -> fd.ioasMap(s.ioas, IoasMap.fixed(MEM, 0, 2 * IOVA)));
    assertRefused(Errno.EINVAL, () -> fd.ioasMap(s.ioas, IoasMap.fixed(MEM, 100, 2 * IOVA)));
    assertRefused(
        Errno.EINVAL, () -> fd.ioasMap(s.ioas, IoasMap.fixed(MEM, PAGE, 2 * IOVA + 0x800)));
    assertRefused(
        Errno.EOVERFLOW, () -> fd.ioasMap(s.ioas, IoasMap.fixed(MEM, 4 * PAGE, -2 * PAGE)));
    assertRefused(Errno.EINVAL, () -> fd.ioasMap(s.ioas, IoasMap.fixed(MEM, PAGE, 1L << 48)));
    assertRefused(Errno.EEXIST, () -> fd.ioasMap(s.ioas, IoasMap.fixed(MEM, 2 * PAGE, IOVA)));
    assertRefused(
        Errno.EINVAL, () -> fd.ioasMap(s.ioas, IoasMap.fixed(MEM + 0x800, PAGE, 2 * IOVA)));
    assertRefused(Errno.EFAULT, () -> fd.ioasMap(s.ioas, IoasMap.fixed(0x1000, PAGE, 2 * IOVA)));
    assertRefused(
        Errno.EFAULT, () -> fd.ioasMap(s.ioas, IoasMap.fixed(MEM, MEM_SIZE + PAGE, 2 * IOVA)));
  }

  @Test
  void ioasMap_withoutDomains_alignmentOneAndNoPinning() {
    int ioas = fd.ioasAlloc(0);
    assertEquals(1, fd.ioasIovaRanges(ioas, 0).iovaAlignment());
    // No domain: nothing is pinned, so a bad user_va and a byte-granular IOVA are accepted ...
    fd.ioasMap(ioas, IoasMap.fixed(0x1000, PAGE, IOVA));
    int dev = fd.bindDevice(iommu, DmaWriteListener.NONE);
    // ... and fail when a domain must be filled.
    assertRefused(Errno.EFAULT, () -> fd.attach(dev, ioas));
    fd.ioasUnmap(ioas, IOVA, PAGE);
    fd.ioasMap(ioas, IoasMap.fixed(MEM, 0x800, IOVA + 0x800));
    assertRefused(Errno.EADDRINUSE, () -> fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas)));
  }

  @Test
  void ioasMap_automaticIova_kernelAlignmentNeverZero() {
    Setup s = new Setup();
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int i = 0; i < 40; i++) {
      long pages = 1 + rnd.nextInt(64);
      long userVa = MEM + PAGE * rnd.nextInt(1024);
      long iova = fd.ioasMap(s.ioas, IoasMap.of(RW, userVa, pages * PAGE, 0));
      long align =
          Math.min(
              Math.min(Long.highestOneBit(pages * PAGE - 1) << 1, Long.lowestOneBit(userVa)),
              2L << 20);
      String c = "seed=0x" + Long.toHexString(SEED) + " i=" + i + " iova=" + Long.toHexString(iova);
      assertNotEquals(0, iova, c);
      assertEquals(0, iova % Math.max(align, PAGE), c);
      assertTrue(Long.compareUnsigned(iova + pages * PAGE - 1, (1L << 48) - 1) <= 0, c);
    }
  }

  /**
   * The host's PAGE_SIZE: automatic IOVAs start above page 0 and are aligned at most to PMD_SIZE (2
   * MiB, 32 MiB, 512 MiB for 4, 16, 64 KiB pages, iopt_alloc_iova with THP).
   */
  @Test
  void ioasMap_automaticIova_followsTheHostPageSize() {
    for (long page : new long[] {4096, 16384, 65536}) {
      IommufdContext host = IommufdContext.create(page, memory);
      int ioas = host.ioasAlloc(0);
      String c = "PAGE_SIZE " + page;
      assertEquals(page, host.ioasMap(ioas, IoasMap.of(RW, MEM + page, page, 0)), c);
      long pmd = page * page / 8; // the length (64 MiB) caps the alignment below 512 MiB
      long align = Math.min(pmd, MEM_SIZE);
      assertEquals(align, host.ioasMap(ioas, IoasMap.of(RW, MEM, MEM_SIZE, 0)), c);
    }
    assertThrows(IllegalArgumentException.class, () -> IommufdContext.create(8192, memory));
  }

  @Test
  void ioasMap_automaticIova_usesAllowedRangesUntilFull() {
    int ioas = fd.ioasAlloc(0);
    fd.ioasAllowIovas(ioas, 0, List.of(new IovaRange(0x10000, 0x1ffff)));
    assertEquals(0x10000, fd.ioasMap(ioas, IoasMap.of(RW, MEM, 0x8000, 0)));
    assertEquals(0x18000, fd.ioasMap(ioas, IoasMap.of(RW, MEM, 0x8000, 0)));
    assertRefused(Errno.ENOSPC, () -> fd.ioasMap(ioas, IoasMap.of(RW, MEM, PAGE, 0)));
    assertRefused(Errno.EOVERFLOW, () -> fd.ioasMap(ioas, IoasMap.of(RW, MEM, Long.MAX_VALUE, 0)));
  }

  // --- IOAS_UNMAP -------------------------------------------------------------------------------

  @Test
  void ioasUnmap_refusals() {
    Setup s = new Setup();
    s.map(MEM, 4 * PAGE, IOVA);
    assertRefused(Errno.ENOENT, () -> fd.ioasUnmap(99, IOVA, PAGE));
    assertRefused(Errno.EOVERFLOW, () -> fd.ioasUnmap(s.ioas, -1, PAGE));
    assertRefused(Errno.EOVERFLOW, () -> fd.ioasUnmap(s.ioas, IOVA, -1));
    assertRefused(Errno.EINVAL, () -> fd.ioasUnmap(s.ioas, IOVA, 0));
    assertRefused(Errno.EOVERFLOW, () -> fd.ioasUnmap(s.ioas, -PAGE, 2 * PAGE));
    assertRefused(Errno.ENOENT, () -> fd.ioasUnmap(s.ioas, IOVA, PAGE)); // would split
    assertRefused(Errno.ENOENT, () -> fd.ioasUnmap(s.ioas, IOVA + PAGE, 8 * PAGE));
    assertRefused(Errno.ENOENT, () -> fd.ioasUnmap(s.ioas, 2 * IOVA, PAGE)); // nothing there
    assertEquals(0, fd.dmaWrite(s.dev, IOVA, 4 * PAGE).faults());
  }

  @Test
  void ioasUnmap_superset_unmapsWholeAreasAndFaultsAfter() {
    Setup s = new Setup();
    s.map(MEM, 2 * PAGE, IOVA);
    s.map(MEM + 8 * PAGE, PAGE, IOVA + 4 * PAGE);
    assertEquals(3 * PAGE, fd.ioasUnmap(s.ioas, IOVA - PAGE, 16 * PAGE));
    assertEquals(1, fd.dmaWrite(s.dev, IOVA, PAGE).faults());
    assertEquals(0, fd.ioasUnmap(s.ioas, 0, -1)); // unmap-all of nothing succeeds
    s.map(MEM, PAGE, IOVA);
    assertEquals(PAGE, fd.ioasUnmap(s.ioas, 0, -1));
  }

  // --- IOAS_COPY --------------------------------------------------------------------------------

  @Test
  void ioasCopy_refusalsAndSharedPages() {
    Setup s = new Setup();
    s.map(MEM, 2 * PAGE, IOVA);
    s.map(MEM + 2 * PAGE, PAGE, IOVA + 2 * PAGE);
    fd.ioasMap(s.ioas, IoasMap.of(FIXED_RW & ~IOMMU_IOAS_MAP_WRITEABLE, MEM, PAGE, 2 * IOVA));
    int dst = fd.ioasAlloc(0);
    assertRefused(Errno.EOPNOTSUPP, () -> fd.ioasCopy(new IoasCopy(8, dst, s.ioas, PAGE, 0, IOVA)));
    assertRefused(
        Errno.EOVERFLOW, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, s.ioas, -1, 0, IOVA)));
    assertRefused(
        Errno.EINVAL,
        () -> fd.ioasCopy(new IoasCopy(IOMMU_IOAS_MAP_FIXED_IOVA, dst, s.ioas, PAGE, 0, IOVA)));
    assertRefused(Errno.ENOENT, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, 99, PAGE, 0, IOVA)));
    assertRefused(
        Errno.EINVAL, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, s.ioas, 0, IOVA, IOVA)));
    assertRefused(
        Errno.ENOENT, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, s.ioas, 4 * PAGE, IOVA, IOVA)));
    assertRefused(
        Errno.ENOENT, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, 99, s.ioas, PAGE, IOVA, IOVA)));
    assertRefused(
        Errno.EPERM, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, s.ioas, PAGE, IOVA, 2 * IOVA)));
    // Spanning two contiguous areas: two destination areas over the same pages.
    long at = fd.ioasCopy(new IoasCopy(FIXED_RW, dst, s.ioas, 3 * PAGE, 3 * IOVA, IOVA));
    assertEquals(3 * IOVA, at);
    int dev2 = fd.bindDevice(iommu, DmaWriteListener.NONE);
    fd.attach(dev2, dst);
    long before = memory.token(MEM + 2 * PAGE);
    assertEquals(PAGE, fd.dmaWrite(dev2, 3 * IOVA + 2 * PAGE, PAGE).bytes());
    assertNotEquals(before, memory.token(MEM + 2 * PAGE));
    assertEquals(3 * PAGE, fd.ioasUnmap(dst, 3 * IOVA, 3 * PAGE));
  }

  // --- IOVA_RANGES and ALLOW_IOVAS ---------------------------------------------------------------

  @Test
  void ioasIovaRanges_followDomainAperture() {
    int ioas = fd.ioasAlloc(0);
    assertRefused(Errno.EOPNOTSUPP, () -> fd.ioasIovaRanges(ioas, 1));
    assertRefused(Errno.ENOENT, () -> fd.ioasIovaRanges(99, 0));
    assertEquals(new IovaRanges(List.of(new IovaRange(0, -1)), 1), fd.ioasIovaRanges(ioas, 0));
    int dev = fd.bindDevice(iommu, DmaWriteListener.NONE);
    int hwpt = fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    assertEquals(
        new IovaRanges(List.of(new IovaRange(0, (1L << 48) - 1)), PAGE),
        fd.ioasIovaRanges(ioas, 0));
    fd.destroy(hwpt);
    assertEquals(new IovaRanges(List.of(new IovaRange(0, -1)), 1), fd.ioasIovaRanges(ioas, 0));
  }

  @Test
  void ioasAllowIovas_refusals() {
    Setup s = new Setup();
    List<IovaRange> ok = List.of(new IovaRange(0x1000, 0x1fff));
    assertRefused(Errno.EOPNOTSUPP, () -> fd.ioasAllowIovas(s.ioas, 1, ok));
    assertRefused(Errno.ENOENT, () -> fd.ioasAllowIovas(99, 0, ok));
    assertRefused(
        Errno.EINVAL, () -> fd.ioasAllowIovas(s.ioas, 0, List.of(new IovaRange(0x2000, 0x2000))));
    assertRefused(
        Errno.EINVAL,
        () ->
            fd.ioasAllowIovas(
                s.ioas, 0, List.of(new IovaRange(0x1000, 0x2fff), new IovaRange(0x2000, 0x3fff))));
    fd.ioasAllowIovas(s.ioas, 0, ok);
    assertRefused(
        Errno.EADDRINUSE,
        () -> fd.ioasAllowIovas(s.ioas, 0, List.of(new IovaRange(0x1000, 1L << 48))));
    // An allowed range outside a new domain's aperture keeps that domain out.
    int ioas2 = fd.ioasAlloc(0);
    fd.ioasAllowIovas(ioas2, 0, List.of(new IovaRange(1L << 50, (1L << 50) + 0xfff)));
    assertRefused(Errno.EADDRINUSE, () -> fd.hwptAlloc(HwptAlloc.paging(0, s.dev, ioas2)));
    assertRefused(Errno.EADDRINUSE, () -> fd.attach(s.dev, ioas2));
  }

  // --- HWPT_ALLOC, GET_HW_INFO, attach
  // ------------------------------------------------------------

  @Test
  void hwptAllocDestroyAndRefusedAlloc_keepNoTableFrame() {
    int ioas = fd.ioasAlloc(0);
    int dev = fd.bindDevice(iommu, DmaWriteListener.NONE);
    fd.ioasMap(ioas, IoasMap.fixed(MEM, (4L << 20) + PAGE, IOVA)); // huge and small leaves
    long before = iommu.memory().framesInUse();
    for (int i = 0; i < 3; i++) {
      int hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
      assertTrue(iommu.memory().framesInUse() >= before + 4, "root, two tables and a leaf table");
      fd.destroy(hwpt);
      assertEquals(before, iommu.memory().framesInUse(), "HWPT_ALLOC + DESTROY kept frames");
    }
    fd.attach(dev, ioas); // an automatic domain, freed with its last device
    fd.detach(dev);
    assertEquals(before, iommu.memory().framesInUse(), "automatic domain kept frames");
    int unaligned = fd.ioasAlloc(0);
    fd.ioasMap(unaligned, IoasMap.fixed(MEM, 0x800, IOVA + 0x800));
    assertRefused(Errno.EADDRINUSE, () -> fd.hwptAlloc(HwptAlloc.paging(0, dev, unaligned)));
    assertEquals(before, iommu.memory().framesInUse(), "a refused HWPT_ALLOC kept its root");
  }

  @Test
  void hwptAlloc_refusals_inKernelOrder() {
    Setup s = new Setup();
    MockIommuDriver plain = MockIommuDriver.create(false, true);
    int devNoDirty = fd.bindDevice(plain, DmaWriteListener.NONE);
    assertRefused(
        Errno.EOPNOTSUPP, () -> fd.hwptAlloc(new HwptAlloc(0, s.dev, s.ioas, 1, 0, 0, 0)));
    assertRefused(Errno.EINVAL, () -> fd.hwptAlloc(new HwptAlloc(0, s.dev, s.ioas, 0, 0, 8, 0)));
    assertRefused(Errno.EINVAL, () -> fd.hwptAlloc(new HwptAlloc(0, s.dev, s.ioas, 0, 1, 0, 0)));
    assertRefused(Errno.ENOENT, () -> fd.hwptAlloc(HwptAlloc.paging(0, 99, s.ioas)));
    assertRefused(Errno.ENOENT, () -> fd.hwptAlloc(HwptAlloc.paging(0, s.ioas, s.ioas)));
    assertRefused(Errno.EINVAL, () -> fd.hwptAlloc(HwptAlloc.paging(0, s.dev, 99)));
    assertRefused(Errno.EINVAL, () -> fd.hwptAlloc(HwptAlloc.paging(0, s.dev, s.dev)));
    assertRefused(Errno.EOPNOTSUPP, () -> fd.hwptAlloc(HwptAlloc.paging(0, s.dev, s.hwpt)));
    assertRefused(Errno.EOPNOTSUPP, () -> fd.hwptAlloc(HwptAlloc.paging(1 << 4, s.dev, s.ioas)));
    assertRefused(
        Errno.EOPNOTSUPP, () -> fd.hwptAlloc(new HwptAlloc(0, s.dev, s.ioas, 0, 1, 8, 0)));
    assertRefused(
        Errno.EOPNOTSUPP,
        () -> fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, devNoDirty, s.ioas)));
    assertRefused(
        Errno.ENOENT,
        () -> fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_FAULT_ID_VALID, s.dev, s.ioas)));
    int nest = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, devNoDirty, s.ioas));
    assertTrue(nest > s.hwpt);
  }

  @Test
  void getHwInfo_capabilityPerDevice() {
    int capable = fd.bindDevice(iommu, DmaWriteListener.NONE);
    int incapable = fd.bindDevice(MockIommuDriver.create(false, false), DmaWriteListener.NONE);
    assertEquals(IOMMU_HW_CAP_DIRTY_TRACKING, fd.getHwInfo(0, capable, 0, 0).outCapabilities());
    assertEquals(0, fd.getHwInfo(IOMMU_HW_INFO_FLAG_INPUT_TYPE, incapable, 0, 0).outCapabilities());
    assertRefused(Errno.EOPNOTSUPP, () -> fd.getHwInfo(2, capable, 0, 0));
    assertRefused(Errno.EOPNOTSUPP, () -> fd.getHwInfo(0, capable, 0, 1));
    assertRefused(Errno.ENOENT, () -> fd.getHwInfo(0, 99, 0, 0));
  }

  @Test
  void attach_refusalsAndAutoDomains() {
    Setup s = new Setup();
    int noDirty = fd.bindDevice(MockIommuDriver.create(false, true), DmaWriteListener.NONE);
    int other = fd.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    assertRefused(Errno.ENOENT, () -> fd.attach(99, s.ioas));
    assertRefused(Errno.ENOENT, () -> fd.attach(s.dev, 99));
    assertRefused(Errno.EINVAL, () -> fd.attach(s.dev, noDirty));
    assertRefused(Errno.EINVAL, () -> fd.attach(noDirty, s.hwpt)); // the driver's attach check
    assertRefused(Errno.EINVAL, () -> fd.attach(other, s.hwpt)); // another IOMMU instance
    // Two devices of one IOMMU share an auto domain; it goes away with its last device.
    int dev2 = fd.bindDevice(iommu, DmaWriteListener.NONE);
    int auto = fd.attach(dev2, s.ioas);
    assertEquals(auto, fd.attach(s.dev, s.ioas)); // replace the explicit HWPT
    assertRefused(Errno.EBUSY, () -> fd.destroy(auto));
    fd.detach(dev2);
    fd.detach(s.dev);
    fd.detach(s.dev); // detaching an unattached device does nothing
    assertRefused(Errno.ENOENT, () -> fd.destroy(auto));
    assertEquals(1, fd.dmaWrite(s.dev, IOVA, PAGE).faults()); // blocked
    fd.unbindDevice(dev2);
    assertRefused(Errno.ENOENT, () -> fd.attach(dev2, s.ioas));
  }

  // --- dirty tracking ---------------------------------------------------------------------------

  @Test
  void setDirtyTracking_refusals() {
    Setup s = new Setup();
    int plain = fd.hwptAlloc(HwptAlloc.paging(0, s.dev, s.ioas));
    assertRefused(Errno.EOPNOTSUPP, () -> fd.hwptSetDirtyTracking(s.hwpt, 2));
    assertRefused(Errno.ENOENT, () -> fd.hwptSetDirtyTracking(99, 1));
    assertRefused(Errno.ENOENT, () -> fd.hwptSetDirtyTracking(s.ioas, 1));
    assertRefused(Errno.EOPNOTSUPP, () -> fd.hwptSetDirtyTracking(plain, 1));
    fd.hwptSetDirtyTracking(s.hwpt, 0); // already off: success
  }

  @Test
  void getDirtyBitmap_refusals_inKernelOrder() {
    Setup s = new Setup();
    int plain = fd.hwptAlloc(HwptAlloc.paging(0, s.dev, s.ioas));
    s.map(MEM, 16 * PAGE, IOVA);
    long[] data = new long[1];
    assertRefused(
        Errno.EOPNOTSUPP,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 2, IOVA, PAGE, PAGE), data));
    assertRefused(
        Errno.EOPNOTSUPP,
        () -> fd.hwptGetDirtyBitmap(new GetDirtyBitmap(s.hwpt, 0, 1, IOVA, PAGE, PAGE), data));
    assertRefused(
        Errno.ENOENT,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.ioas, 0, IOVA, PAGE, PAGE), data));
    // check_add_overflow(iova, length - 1) comes first: length 0 wraps at any non-zero iova
    assertRefused(
        Errno.EOVERFLOW,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, IOVA, 0, PAGE), data));
    assertRefused(
        Errno.EINVAL, () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, 0, 0, PAGE), data));
    assertRefused(
        Errno.EOVERFLOW,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, -PAGE, 2 * PAGE, PAGE), data));
    assertRefused(
        Errno.EINVAL,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, IOVA + 8, PAGE, 8), data));
    assertRefused(
        Errno.EINVAL,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, IOVA, PAGE, 0), data));
    assertRefused(
        Errno.EINVAL,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, IOVA, PAGE, 2 * PAGE), data));
    assertRefused(
        Errno.EOPNOTSUPP,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(plain, 0, IOVA, PAGE, PAGE), data));
    assertRefused(
        Errno.EFAULT,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, IOVA, 65 * PAGE, PAGE), data));
    // A range ending at ULONG_MAX is aligned (last_iova + 1 wraps to 0) and harvests nothing.
    fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, -64 * PAGE, 64 * PAGE, PAGE), data);
    assertEquals(0, data[0]);
  }

  @Test
  void dirtyTracking_endToEnd_harvestsExactlyThePagesWritten() {
    Setup s = new Setup(MockIommuDriver.create(true, false)); // 4 KiB leaves: exact pages
    long len = 1024 * PAGE;
    s.map(MEM, len, IOVA);
    fd.dmaWrite(s.dev, IOVA, PAGE); // before enabling: not reported
    fd.hwptSetDirtyTracking(s.hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int round = 0; round < TRIES / 10 + 1; round++) {
      TreeSet<Long> written = new TreeSet<>();
      int writes = rnd.nextInt(20);
      for (int i = 0; i < writes; i++) {
        long iova = IOVA + PAGE * rnd.nextInt(1024);
        long length = 1 + rnd.nextLong(3 * PAGE);
        if (iova + length > IOVA + len) {
          length = IOVA + len - iova;
        }
        assertEquals(length, fd.dmaWrite(s.dev, iova, length).bytes());
        for (long p = iova & -PAGE; p < iova + length; p += PAGE) {
          written.add(p);
        }
      }
      String c = "seed=0x" + Long.toHexString(SEED) + " round=" + round;
      assertEquals(
          written, pages(s.harvest(IOVA, len, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), IOVA), c);
      assertEquals(written, pages(s.harvest(IOVA, len, 0), IOVA), c);
      assertEquals(new TreeSet<Long>(), pages(s.harvest(IOVA, len, 0), IOVA), c);
    }
  }

  @Test
  void setDirtyTracking_enableClearsStaleBits_disableKeepsMappings() {
    Setup s = new Setup();
    s.map(MEM, 8 * PAGE, IOVA);
    fd.hwptSetDirtyTracking(s.hwpt, 1);
    fd.dmaWrite(s.dev, IOVA, PAGE);
    fd.hwptSetDirtyTracking(s.hwpt, 0);
    assertEquals(0, fd.dmaWrite(s.dev, IOVA + PAGE, PAGE).faults()); // still mapped
    assertEquals(Long.valueOf(IOVA), pages(s.harvest(IOVA, 8 * PAGE, 1), IOVA).first());
    fd.hwptSetDirtyTracking(s.hwpt, 1); // enabling clears the first cycle's stale bit
    assertEquals(new TreeSet<Long>(), pages(s.harvest(IOVA, 8 * PAGE, 0), IOVA));
    fd.dmaWrite(s.dev, IOVA, PAGE); // the IOTLB was flushed on enable: the write is recorded
    assertEquals(Long.valueOf(IOVA), pages(s.harvest(IOVA, 8 * PAGE, 0), IOVA).first());
  }

  @Test
  void getDirtyBitmap_holeOrTrackingOff_succeedsSilently() {
    Setup s = new Setup();
    s.map(MEM, 2 * PAGE, IOVA);
    s.map(MEM + 4 * PAGE, 2 * PAGE, IOVA + 4 * PAGE);
    fd.hwptSetDirtyTracking(s.hwpt, 1);
    fd.dmaWrite(s.dev, IOVA, 6 * PAGE); // two pages fault in the hole
    // The walk stops at the hole at IOVA + 2 pages: pages after it are not reported (quirk).
    assertEquals(
        List.of(IOVA, IOVA + PAGE), List.copyOf(pages(s.harvest(IOVA, 6 * PAGE, 0), IOVA)));
    assertEquals(
        List.of(IOVA + 4 * PAGE, IOVA + 5 * PAGE),
        List.copyOf(pages(s.harvest(IOVA + 4 * PAGE, 2 * PAGE, 0), IOVA + 4 * PAGE)));
    fd.hwptSetDirtyTracking(s.hwpt, 0);
    assertEquals(new TreeSet<Long>(), pages(s.harvest(IOVA, 2 * PAGE, 0), IOVA));
  }

  @Test
  void getDirtyBitmap_pageSizeNotPowerOfTwo_usesLowestBit() {
    Setup s = new Setup();
    s.map(MEM, 16 * PAGE, 0x30000);
    fd.hwptSetDirtyTracking(s.hwpt, 1);
    fd.dmaWrite(s.dev, 0x30000 + 2 * PAGE, 1);
    long[] data = new long[1];
    // page_size 0x3000: the masks use 0x2fff (0x30000 and 0x40000 pass), the bitmap 0x1000 per bit.
    fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(s.hwpt, 0, 0x30000, 0x10000, 0x3000), data);
    assertEquals(1L << 2, data[0]);
  }

  @Test
  void getDirtyBitmap_hugeLeaf_reportsTheWholeLeaf() {
    Setup s = new Setup();
    long huge = 2L << 20;
    s.map(MEM, 2 * huge, 4 * huge);
    fd.hwptSetDirtyTracking(s.hwpt, 1);
    fd.dmaWrite(s.dev, 4 * huge + huge + 100, 1); // one byte in the second 2 MiB leaf
    TreeSet<Long> dirty = pages(s.harvest(4 * huge, 2 * huge, 0), 4 * huge);
    assertEquals(512, dirty.size());
    assertEquals(Long.valueOf(5 * huge), dirty.first());
  }

  @Test
  void unmapGetDirty_returnsDirtyOfUnmappedRange() {
    Setup s = new Setup();
    s.map(MEM, 8 * PAGE, IOVA);
    IovaBitmap bitmap = IovaBitmap.allocate(IOVA, 8 * PAGE, PAGE);
    assertRefused(Errno.EINVAL, () -> fd.ioasUnmapGetDirty(s.ioas, IOVA, 8 * PAGE, bitmap));
    fd.hwptSetDirtyTracking(s.hwpt, 1);
    fd.dmaWrite(s.dev, IOVA + 3 * PAGE, 2 * PAGE);
    assertRefused(
        Errno.EINVAL,
        () -> fd.ioasUnmapGetDirty(s.ioas, IOVA, 8 * PAGE, IovaBitmap.allocate(0, PAGE, PAGE)));
    assertRefused(Errno.EINVAL, () -> fd.ioasUnmapGetDirty(s.ioas, 0, -1, bitmap));
    assertRefused(Errno.ENOENT, () -> fd.ioasUnmapGetDirty(s.ioas, IOVA, 8, bitmap));
    assertEquals(8 * PAGE, fd.ioasUnmapGetDirty(s.ioas, IOVA, 8 * PAGE, bitmap));
    assertEquals(2, bitmap.cardinality());
    assertTrue(bitmap.isDirty(IOVA + 3 * PAGE) && bitmap.isDirty(IOVA + 4 * PAGE));
    assertEquals(1, fd.dmaWrite(s.dev, IOVA, PAGE).faults());
  }

  @Test
  void dma_faults_unmappedAndReadOnly() {
    Setup s = new Setup();
    fd.ioasMap(
        s.ioas, IoasMap.of(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE, MEM, PAGE, IOVA));
    long token = memory.token(MEM);
    assertEquals(0, fd.dmaRead(s.dev, IOVA, PAGE).faults());
    assertEquals(1, fd.dmaWrite(s.dev, IOVA, PAGE).faults());
    assertEquals(1, fd.dmaWrite(s.dev, IOVA + PAGE, 10).faults());
    assertEquals(token, memory.token(MEM), "a faulting write changed memory");
    List<IoPageFault> faults = fd.ioPageFaults();
    assertEquals(
        List.of(
            new IoPageFault(s.dev, IOVA, true, IoPageFault.Cause.PERMISSION),
            new IoPageFault(s.dev, IOVA + PAGE, true, IoPageFault.Cause.NOT_PRESENT)),
        faults);
  }

  @Test
  void dma_trackerToldOfEveryWrite() {
    int ioas = fd.ioasAlloc(0);
    TreeSet<Long> seen = new TreeSet<>();
    int dev = fd.bindDevice(iommu, (iova, length) -> seen.add(iova));
    fd.attach(dev, ioas);
    fd.ioasMap(ioas, IoasMap.fixed(MEM, 4 * PAGE, IOVA));
    fd.dmaWrite(dev, IOVA + PAGE, 2 * PAGE);
    assertEquals(List.of(IOVA + PAGE, IOVA + 2 * PAGE), List.copyOf(seen));
  }

  @Test
  void driver_namedMock_isRegistered() {
    assertEquals("mock", IommuDriver.named("mock").name());
  }
}
