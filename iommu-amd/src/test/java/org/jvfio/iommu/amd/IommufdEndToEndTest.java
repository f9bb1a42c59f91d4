package org.jvfio.iommu.amd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;

import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuDriver;

/**
 * amd-v1 under core's iommufd model and DMA engine: the iommufd dirty-tracking scenario (map, write
 * before enabling, enable, rounds of DMA and harvests with and without NO_CLEAR, disable and
 * re-enable, unmap-get-dirty), with AMD's whole-leaf reporting as the expectation.
 */
class IommufdEndToEndTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final long MEM = 0x1_0000_0000L;
  private static final long PAGE = 4096;
  private static final long IOVA = 0x4000_0000L;
  private static final long LEN = 16L << 20;

  private final GuestMemory memory = GuestMemory.create(MEM, 64L << 20, 1);
  private final IommufdContext fd = IommufdContext.create(memory);
  private final int ioas = fd.ioasAlloc(0);
  private final int dev = fd.bindDevice(IommuDriver.named("amd-v1"), DmaWriteListener.NONE);
  private final int hwpt =
      fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));

  private TreeSet<Long> harvest(long iova, long length, int flags) {
    long[] data = new long[(int) IovaBitmap.wordCount(length, PAGE)];
    fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, flags, iova, length, PAGE), data);
    TreeSet<Long> out = new TreeSet<>();
    IovaBitmap.wrap(iova, length, PAGE, data).forEachDirty(out::add);
    return out;
  }

  private static void assertPages(TreeSet<Long> want, TreeSet<Long> got, String context) {
    TreeSet<Long> missing = new TreeSet<>(want);
    missing.removeAll(got);
    TreeSet<Long> extra = new TreeSet<>(got);
    extra.removeAll(want);
    assertTrue(
        missing.isEmpty() && extra.isEmpty(),
        () ->
            context
                + ": "
                + missing.size()
                + " missing from 0x"
                + hex(missing)
                + ", "
                + extra.size()
                + " extra from 0x"
                + hex(extra));
  }

  private static String hex(TreeSet<Long> pages) {
    return pages.isEmpty() ? "-" : Long.toHexString(pages.first());
  }

  /** Adds every page of the leaf holding {@code iova}, per the reference decomposition. */
  private static void addLeaf(TreeSet<Long> pages, AmdV1PropertiesTest.Mapping m, long iova) {
    long size = AmdV1PropertiesTest.Model.expectedLeafSize(m, iova);
    for (long p = iova & -size; p < (iova & -size) + size; p += PAGE) {
      pages.add(p);
    }
  }

  @Test
  void dirtyTracking_endToEnd_harvestsWholeLeavesOfThePagesWritten() {
    assertEquals(hwpt, fd.attach(dev, hwpt));
    AmdV1Domain domain = assertInstanceOf(AmdV1Domain.class, fd.domain(hwpt));
    // Offset by one page: leaves of 4 KiB, 8 KiB, ... up to 2 MiB runs, then back down.
    AmdV1PropertiesTest.Mapping m =
        new AmdV1PropertiesTest.Mapping(IOVA + PAGE, MEM + PAGE, LEN - 2 * PAGE, 3);
    fd.ioasMap(ioas, IoasMap.fixed(m.physical(), m.length(), m.iova()));
    assertEquals(MEM + PAGE + 5, domain.iovaToPhys(IOVA + PAGE + 5).getAsLong());

    fd.dmaWrite(dev, m.iova(), PAGE); // before enabling: not reported
    fd.hwptSetDirtyTracking(hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    assertEquals(3, domain.dte().hostAccessDirty());
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int round = 0; round < TRIES / 10 + 1; round++) {
      TreeSet<Long> want = new TreeSet<>();
      for (int i = rnd.nextInt(12); i > 0; i--) {
        long iova = m.iova() + rnd.nextLong(m.length());
        long length = Math.min(1 + rnd.nextLong(3 * PAGE), m.last() + 1 - iova);
        assertEquals(length, fd.dmaWrite(dev, iova, length).bytes());
        for (long p = iova & -PAGE; p < iova + length; p += PAGE) {
          addLeaf(want, m, p);
        }
      }
      String c = "seed=0x" + Long.toHexString(SEED) + " round=" + round;
      assertPages(want, harvest(m.iova(), m.length(), IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR), c);
      assertPages(want, harvest(m.iova(), m.length(), 0), c);
      assertPages(new TreeSet<>(), harvest(m.iova(), m.length(), 0), c);
    }

    // disable keeps the mapping and hardware stops updating; re-enable starts clean
    fd.hwptSetDirtyTracking(hwpt, 0);
    assertEquals(0, domain.dte().hostAccessDirty());
    assertEquals(0, fd.dmaWrite(dev, m.iova(), PAGE).faults());
    assertPages(
        new TreeSet<>(),
        harvest(m.iova(), m.length(), IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR),
        "off");
    fd.hwptSetDirtyTracking(hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    fd.dmaWrite(dev, IOVA + (4L << 20), 1); // inside a 4 MiB run of two replicas
    TreeSet<Long> leaf = new TreeSet<>();
    addLeaf(leaf, m, IOVA + (4L << 20));
    assertEquals(1024, leaf.size());
    assertPages(leaf, harvest(m.iova(), m.length(), 0), "after re-enable");

    // unmap-get-dirty: the dirty leaves of the unmapped range, then the range faults
    fd.dmaWrite(dev, IOVA + (6L << 20) + 7, 1);
    IovaBitmap bitmap = IovaBitmap.allocate(m.iova(), m.length(), PAGE);
    assertEquals(m.length(), fd.ioasUnmapGetDirty(ioas, m.iova(), m.length(), bitmap));
    TreeSet<Long> got = new TreeSet<>();
    bitmap.forEachDirty(got::add);
    assertPages(leaf, got, "unmap-get-dirty");
    assertEquals(1, fd.dmaWrite(dev, IOVA + (6L << 20), PAGE).faults());
  }
}
