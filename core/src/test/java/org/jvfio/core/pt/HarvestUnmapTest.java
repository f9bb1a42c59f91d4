package org.jvfio.core.pt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Example tables for read-and-clear ({@code Harvest}) and unmap ({@code Unmap}): what is recorded,
 * cleaned and gathered for the IOTLB, at range ends and next to runs; where an unmap stops.
 */
class HarvestUnmapTest {
  private static final long PAGE = 0x1000L;
  private static final long RUN = 0x1_0000L;
  private static final long HUGE = 0x20_0000L;
  private static final int RW = IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE;

  private final PageTableMemory memory = new PageTableMemory();
  private final Iotlb iotlb = new Iotlb();
  private IotlbGather gather = new IotlbGather();

  private PageTable table(PtFormat f) {
    PageTable pt = new PageTable(f, memory, iotlb, (root, top) -> {});
    pt.setHardwareUpdates(true, false);
    return pt;
  }

  private PageTable mock() {
    return table(((PtDomain) MockIommuDriver.create().allocateDomain(DomainConfig.PLAIN)).format());
  }

  private static void write(PageTable pt, long iova) {
    assertTrue(pt.setDirtyByHardware(pt.translate(iova).orElseThrow()));
  }

  /** Reads (and clears, unless NO_CLEAR) [iova, iova + size) into a bitmap of 4 KiB pages. */
  private IovaBitmap harvest(PageTable pt, long iova, long size, boolean clear) {
    IovaBitmap bitmap = IovaBitmap.allocate(iova, size, PAGE);
    gather = new IotlbGather();
    pt.readAndClearDirty(iova, size, clear, IommuDirtyBitmap.of(bitmap, gather));
    return bitmap;
  }

  @Test
  void readAndClearDirty_pages_gatherSpansFirstToLastDirtyPageOnly() {
    PageTable pt = mock();
    pt.map(0, 0, 8 * PAGE, RW);
    write(pt, 2 * PAGE);
    write(pt, 5 * PAGE);
    assertEquals(2, harvest(pt, 0, 8 * PAGE, true).cardinality());
    assertEquals(2 * PAGE, gather.start());
    assertEquals(6 * PAGE - 1, gather.end());
  }

  @Test
  void readAndClearDirty_dirtyRun_isRecordedAndGatheredWhole() {
    PageTable pt = table(TestFormats.replicas().build());
    pt.map(RUN, 0x50_0000L, RUN, RW);
    write(pt, RUN + 3 * PAGE);
    assertEquals(16, harvest(pt, RUN, RUN, true).cardinality());
    assertEquals(RUN, gather.start());
    assertEquals(2 * RUN - 1, gather.end());
    assertEquals(0, harvest(pt, RUN, RUN, true).cardinality());
  }

  @Test
  void readAndClearDirty_rangeEndingBeforeADirtyPage_leavesItDirty() {
    PageTable pt = mock();
    pt.map(0, 0, 4 * PAGE, RW);
    write(pt, PAGE);
    write(pt, 3 * PAGE);
    assertEquals(1, harvest(pt, PAGE, PAGE, true).cardinality());
    IovaBitmap after = harvest(pt, 0, 4 * PAGE, false);
    assertEquals(1, after.cardinality());
    assertTrue(after.isDirty(3 * PAGE));
  }

  @Test
  void readAndClearDirty_cleanRunNextToADirtyPage_recordsThePageOnly() {
    PageTable pt = table(TestFormats.replicas().build());
    pt.map(0, 0x50_0000L, RUN, RW);
    pt.map(RUN, 0x60_0000L, PAGE, RW);
    write(pt, RUN);
    IovaBitmap bitmap = harvest(pt, 0, RUN + PAGE, true);
    assertEquals(1, bitmap.cardinality());
    assertTrue(bitmap.isDirty(RUN));
  }

  @Test
  void readAndClearDirty_dirtyRunNextToADirtyPage_recordsAndCleansBoth() {
    PageTable pt = table(TestFormats.replicas().build());
    pt.map(0, 0x50_0000L, RUN, RW);
    pt.map(RUN, 0x60_0000L, PAGE, RW);
    write(pt, 5 * PAGE);
    write(pt, RUN);
    assertEquals(17, harvest(pt, 0, RUN + PAGE, true).cardinality());
    assertEquals(0, harvest(pt, 0, RUN + PAGE, false).cardinality());
  }

  @Test
  void unmapPieces_rangeEndingInsideATable_removesOnlyItsPieces() {
    PageTable pt = mock();
    pt.map(0, PAGE, 2 * HUGE, RW); // output misaligned for 2 MiB: 4 KiB pages in two tables
    assertEquals(HUGE + PAGE, pt.unmapPieces(0, HUGE + PAGE, null));
    assertTrue(pt.iovaToPhys(HUGE + PAGE).isPresent());
    assertTrue(pt.iovaToPhys(HUGE).isEmpty());
  }

  @Test
  void unmapPieces_pieceRemovingATable_invalidatesItsRangeBeforeTheFree() {
    PageTable pt = mock();
    pt.map(0, PAGE, HUGE, RW);
    long frames = memory.framesInUse();
    long invalidations = iotlb.rangeInvalidations();
    assertEquals(HUGE, pt.unmapPieces(0, HUGE, null));
    assertEquals(invalidations + 1, iotlb.rangeInvalidations());
    assertEquals(frames - 1, memory.framesInUse());
  }

  @Test
  void unmap_startingInsideALeafOfALowerTable_unmapsNothing() {
    PageTable pt = mock();
    pt.map(0, PAGE, 2 * HUGE, RW);
    assertEquals(0, pt.unmap(HUGE - PAGE + 0x10, 2 * PAGE, null));
    assertTrue(pt.iovaToPhys(HUGE - PAGE).isPresent());
    assertTrue(pt.iovaToPhys(HUGE).isPresent());
  }

  @Test
  void setDirtyTracking_change_invalidatesTheWholeIotlb() {
    IommuDomain domain = MockIommuDriver.create().allocateDomain(DomainConfig.DIRTY_TRACKING);
    long full = domain.iotlb().fullInvalidations();
    domain.setDirtyTracking(true);
    assertEquals(full + 1, domain.iotlb().fullInvalidations());
    domain.setDirtyTracking(true);
    assertEquals(full + 1, domain.iotlb().fullInvalidations());
    domain.setDirtyTracking(false);
    assertEquals(full + 2, domain.iotlb().fullInvalidations());
  }
}
