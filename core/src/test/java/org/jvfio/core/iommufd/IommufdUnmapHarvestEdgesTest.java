package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_HUGE_PAGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_SET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_RLIMIT_MODE;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.IoPageFault;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Example tables at the edges of unmap, copy, attach, dirty tracking and the harvest: each row
 * tells a check from its neighbour (same errno from an earlier or later check, a flush that only a
 * cached translation shows, a range end that only an adjacent area shows), as {@code
 * drivers/iommu/iommufd/ioas.c}, {@code io_pagetable.c} and {@code hw_pagetable.c} order them.
 */
class IommufdUnmapHarvestEdgesTest {
  static final long MEM = IommufdEdgesTest.MEM;
  static final long PAGE = IommufdEdgesTest.PAGE;
  static final long IOVA = IommufdEdgesTest.IOVA;
  static final int RW = IommufdEdgesTest.RW;
  static final int FIXED_RW = IommufdEdgesTest.FIXED_RW;

  final GuestMemory memory = GuestMemory.create(MEM, 64L << 20, 1);
  final IommufdContext fd = IommufdContext.create(memory);
  final MockIommuDriver iommu = MockIommuDriver.create(true, false); // 4 KiB leaves only
  final int dev = fd.bindDevice(iommu, DmaWriteListener.NONE);
  final int ioas = fd.ioasAlloc(0);
  final int hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));

  IommufdUnmapHarvestEdgesTest() {
    fd.attach(dev, hwpt);
  }

  void assertRefused(Errno errno, Executable call) {
    IommufdEdgesTest.assertRefused(fd, errno, call);
  }

  long[] harvest(long iova, long length, int flags) {
    long[] data = new long[(int) IovaBitmap.wordCount(length, PAGE)];
    fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, flags, iova, length, PAGE), data);
    return data;
  }

  @Test
  void ioasMap_adjacentToAnAreaOrAReservedRange_isAccepted() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA));
    assertEquals(IOVA - PAGE, fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA - PAGE)));
    assertEquals(IOVA + PAGE, fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA + PAGE)));
    long top = 1L << 48; // the mock aperture's end + 1: reserved from here
    assertEquals(top - PAGE, fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, top - PAGE)));
  }

  @Test
  void ioasMap_writeOnly_dmaReadFaults() {
    fd.ioasMap(
        ioas, IoasMap.of(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE, MEM, PAGE, 0));
    assertEquals(0, fd.dmaWrite(dev, 0, PAGE).faults());
    assertEquals(1, fd.dmaRead(dev, 0, PAGE).faults());
    assertEquals(
        new IoPageFault(dev, 0, false, IoPageFault.Cause.PERMISSION), fd.ioPageFaults().get(0));
  }

  /** {@code iopt_alloc_iova}: a user VA of 0 gives no alignment; a low one caps it. */
  @Test
  void ioasMap_automaticIova_userVaZeroOrLowlyAligned() {
    int plain = fd.ioasAlloc(0); // no domain: any user VA
    assertEquals(2 * PAGE, fd.ioasMap(plain, IoasMap.of(RW, 0, 2 * PAGE, 0)));
    assertEquals(
        4 * PAGE + 0x800, fd.ioasMap(plain, IoasMap.of(RW, MEM + 0x800, 2 * PAGE, 0)), "0x800");
  }

  /** The whole area's IOTLB entries are flushed on unmap, not only its first page. */
  @Test
  void ioasUnmap_flushesEveryPageOfTheArea() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, 4 * PAGE, IOVA));
    assertEquals(0, fd.dmaWrite(dev, IOVA, 4 * PAGE).faults()); // cached
    fd.ioasUnmap(ioas, IOVA, 4 * PAGE);
    assertEquals(4, fd.dmaWrite(dev, IOVA, 4 * PAGE).faults());
  }

  /** {@code iommufd_ioas_unmap}: {@code iova >= ULONG_MAX} is EOVERFLOW before anything else. */
  @Test
  void ioasUnmap_iovaUlongMax_isEoverflow() {
    assertRefused(Errno.EOVERFLOW, () -> fd.ioasUnmap(ioas, -1, 1));
  }

  @Test
  void ioasUnmapGetDirty_bitmapOfAnotherRange_isEinval() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, 2 * PAGE, IOVA));
    fd.hwptSetDirtyTracking(hwpt, 1);
    assertRefused(
        Errno.EINVAL,
        () ->
            fd.ioasUnmapGetDirty(ioas, IOVA, 2 * PAGE, IovaBitmap.allocate(IOVA, 4 * PAGE, PAGE)));
    assertRefused(
        Errno.EINVAL,
        () ->
            fd.ioasUnmapGetDirty(
                ioas, IOVA, 2 * PAGE, IovaBitmap.allocate(IOVA - PAGE, 2 * PAGE, PAGE)));
  }

  /** {@code iommufd_ioas_copy}: a source or destination IOVA of ULONG_MAX is EOVERFLOW first. */
  @Test
  void ioasCopy_ulongMaxIovas_andAWrappingSource_areEoverflow() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA));
    int dst = fd.ioasAlloc(0);
    assertRefused(
        Errno.EOVERFLOW, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, ioas, 1, IOVA, -1)));
    assertRefused(
        Errno.EOVERFLOW, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, ioas, 1, -1, IOVA)));
    assertRefused(
        Errno.EOVERFLOW,
        () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, ioas, 2 * PAGE, IOVA, -PAGE)));
  }

  /** A copy from the middle of an area maps the pages from there on. */
  @Test
  void ioasCopy_fromTheMiddleOfAnArea_mapsThosePages() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, 4 * PAGE, IOVA));
    int dst = fd.ioasAlloc(0);
    fd.hwptAlloc(HwptAlloc.paging(0, dev, dst));
    fd.ioasCopy(new IoasCopy(FIXED_RW, dst, ioas, PAGE, IOVA, IOVA + 2 * PAGE));
    assertEquals(2, fd.pinCount(MEM + 2 * PAGE));
    assertEquals(1, fd.pinCount(MEM + PAGE));
    assertEquals(1, fd.pinCount(MEM + 3 * PAGE));
  }

  /**
   * Automatic IOVA: the allocation alignment below the IOAS's is EINVAL before the pages are
   * checked (here they would be EPERM: WRITEABLE over pages mapped read-only).
   */
  @Test
  void ioasCopy_automaticIovaBelowTheIoasAlignment_isEinvalBeforeEperm() {
    int src = fd.ioasAlloc(0);
    fd.ioasMap(
        src, IoasMap.of(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE, MEM + 0x800, PAGE, 0));
    assertRefused(Errno.EINVAL, () -> fd.ioasCopy(new IoasCopy(RW, ioas, src, PAGE, 0, 0)));
  }

  /** Every area field is checked against a new domain's alignment on its own. */
  @Test
  void hwptAlloc_areaIovaLengthOrOffsetNotAligned_isEaddrinuse() {
    long[][] areas = { // user VA, length, IOVA
      {MEM, 0x800, IOVA}, {MEM + 0x800, PAGE, IOVA}, {MEM, PAGE, IOVA + 0x800}
    };
    for (long[] a : areas) {
      int plain = fd.ioasAlloc(0);
      fd.ioasMap(plain, IoasMap.fixed(a[0], a[1], a[2]));
      assertRefused(Errno.EADDRINUSE, () -> fd.hwptAlloc(HwptAlloc.paging(0, dev, plain)));
      fd.ioasUnmap(plain, 0, -1);
      fd.destroy(plain);
    }
  }

  @Test
  void attach_plainHwptOfAnIommuThatCannotTrack_isAccepted() {
    MockIommuDriver noDirty = MockIommuDriver.create(false, true);
    int d = fd.bindDevice(noDirty, DmaWriteListener.NONE);
    int plain = fd.hwptAlloc(HwptAlloc.paging(0, d, ioas));
    assertEquals(plain, fd.attach(d, plain));
  }

  @Test
  void option_set_returnsTheValueSet() {
    IommufdContext empty = IommufdContext.create(memory);
    assertEquals(1, empty.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET, 0, 0, 1));
    assertEquals(1, fd.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, ioas, 1));
  }

  /**
   * Enabling tracking that is already on changes no hardware state, yet clears the dirty bits: the
   * gathered flush must drop the translations cached dirty, or the next write is lost.
   */
  @Test
  void setDirtyTracking_enableWhileOn_flushesWhatItCleared() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA));
    fd.hwptSetDirtyTracking(hwpt, 1);
    fd.dmaWrite(dev, IOVA, 8); // cached with the dirty bit set
    fd.hwptSetDirtyTracking(hwpt, 1);
    assertEquals(0, harvest(IOVA, PAGE, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)[0]);
    fd.dmaWrite(dev, IOVA, 8);
    assertEquals(1, harvest(IOVA, PAGE, 0)[0], "the write after enabling was lost");
  }

  /** A harvest ends at its range: an adjacent area's dirty bits are neither read nor cleared. */
  @Test
  void getDirtyBitmap_endsAtTheRange_adjacentAreaKeepsItsBits() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA));
    fd.ioasMap(ioas, IoasMap.fixed(MEM + PAGE, PAGE, IOVA + PAGE));
    fd.hwptSetDirtyTracking(hwpt, 1);
    fd.dmaWrite(dev, IOVA, 2 * PAGE);
    assertEquals(1, harvest(IOVA, PAGE, 0)[0]);
    assertEquals(0b10, harvest(IOVA, 2 * PAGE, 0)[0], "the second area's bit was cleared");
  }

  /** The IOAS alignment is checked on its own: a page_size below it does not let through. */
  @Test
  void getDirtyBitmap_rangeBelowTheIoasAlignment_isEinval() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA));
    long[] data = new long[1];
    assertRefused(
        Errno.EINVAL,
        () -> fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, 0, IOVA + 0x800, 0x800, 0x800), data));
  }

  /**
   * The snapshot (what every "changed nothing" check compares) sees each kind of change: every step
   * below must render differently from every other.
   */
  @Test
  void snapshot_rendersEveryObjectAndLink() {
    List<String> seen = new ArrayList<>();
    seen.add(fd.snapshot());
    fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA));
    seen.add(fd.snapshot());
    fd.hwptSetDirtyTracking(hwpt, 1);
    seen.add(fd.snapshot());
    int other = fd.ioasAlloc(0);
    seen.add(fd.snapshot());
    fd.ioasAllowIovas(other, 0, List.of(new IovaRange(PAGE, 2 * PAGE - 1)));
    seen.add(fd.snapshot());
    int auto = fd.attach(dev, ioas); // an automatic domain, the device moved to it
    seen.add(fd.snapshot());
    fd.detach(dev);
    seen.add(fd.snapshot());
    fd.selftestObjectAlloc(id -> {});
    seen.add(fd.snapshot());
    assertEquals(seen.size(), new HashSet<>(seen).size(), String.join("\n--\n", seen));
    assertNotEquals(hwpt, auto);
  }

  // --- unmap reading dirty: ioasUnmapGetDirty, type1's VFIO_IOMMU_UNMAP_DMA with
  // VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP

  private void mapTwoPagesAndTrack() {
    fd.ioasMap(ioas, IoasMap.fixed(MEM, 2 * PAGE, IOVA));
    fd.hwptSetDirtyTracking(hwpt, 1);
  }

  /**
   * {@code vfio_iommu_type1_unmap_dma}: UNMAP_ALL with GET_DIRTY_BITMAP is EINVAL, also when the
   * bitmap covers [0, 2^64 - 1) (two bits of 2^63 bytes); nothing is unmapped.
   */
  @Test
  void unmapGetDirty_unmapAllWithABitmapOfTheWholeSpace_einvalAndNothingUnmapped() {
    mapTwoPagesAndTrack();
    IovaBitmap all = IovaBitmap.allocate(0, -1L, 1L << 63);
    assertRefused(Errno.EINVAL, () -> fd.ioasUnmapGetDirty(ioas, 0, -1L, all));
    assertEquals(0, fd.dmaWrite(dev, IOVA, 2 * PAGE).faults());
  }

  /**
   * The access that pinned a page of the area is told before the area goes ({@code
   * iommufd_access_notify_unmap}), unpins, and the unmap then reports the dirty pages.
   */
  @Test
  void unmapGetDirty_areaPinnedByAnAccess_theAccessIsToldAndUnpinsFirst() {
    mapTwoPagesAndTrack();
    IommufdAccessTest.Driver d = new IommufdAccessTest.Driver(fd, true, false);
    d.access.attach(ioas);
    d.pin(IOVA + PAGE, PAGE);
    fd.dmaWrite(dev, IOVA, 1);
    IovaBitmap bitmap = IovaBitmap.allocate(IOVA, 2 * PAGE, PAGE);
    assertEquals(2 * PAGE, fd.ioasUnmapGetDirty(ioas, IOVA, 2 * PAGE, bitmap));
    assertEquals(1, d.calls.size());
    assertArrayEquals(new long[] {IOVA, 2 * PAGE}, d.calls.get(0));
    assertEquals(List.of(), d.items);
    assertTrue(bitmap.isDirty(IOVA));
    assertEquals(1, bitmap.cardinality());
  }
}
