package org.jvfio.core.pt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Example tables for split and collapse ({@code Reshape}): which leaves each builds, which output
 * address every item keeps, what is invalidated, what is left alone, and where a dirty bit set in
 * the race window goes.
 */
class ReshapeTest {
  private static final long PAGE = 0x1000L;
  private static final long RUN = 0x1_0000L;
  private static final long HUGE = 0x20_0000L;
  private static final long GIB = 1L << 30;
  private static final long MEM = 0x1_0000_0000L;
  private static final int RW = IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE;

  private final PageTableMemory memory = new PageTableMemory();
  private final DmaEngine dma = new DmaEngine(List.of(GuestMemory.create(MEM, 8 * HUGE, 7)), 4);

  private PageTable table(PtFormat f) {
    return new PageTable(f, memory, new Iotlb(), (root, top) -> {});
  }

  private static PtFormat mock() {
    return ((PtDomain) MockIommuDriver.create().allocateDomain(DomainConfig.PLAIN)).format();
  }

  private PtDomain domain(PtFormat f) {
    return new PtDomain(f, DomainConfig.PLAIN, memory) {
      @Override
      public IommuDriver driver() {
        return MockIommuDriver.create();
      }
    };
  }

  /** Maps {@code n} pages from {@code iova} one by one (so each is a 4 KiB leaf) to {@code pa}. */
  private static void mapPages(IommuDomain d, long iova, long pa, int n) {
    for (int i = 0; i < n; i++) {
      d.map(iova + i * PAGE, pa + i * PAGE, PAGE, RW);
    }
  }

  private static void mapPages(PageTable pt, long iova, long pa, int n) {
    for (int i = 0; i < n; i++) {
      pt.map(iova + i * PAGE, pa + i * PAGE, PAGE, RW);
    }
  }

  private static long leafSize(IommuDomain d, long iova) {
    return d.translate(iova).orElseThrow().size();
  }

  private static long leafSize(PageTable pt, long iova) {
    return pt.translate(iova).orElseThrow().size();
  }

  /** Caches the translation of {@code iova} in the domain's IOTLB by a DMA read. */
  private void cache(IommuDomain d, long iova) {
    assertEquals(0, dma.read(1, d, iova, 8).faults());
    assertEquals(1, d.iotlb().size());
  }

  /**
   * A format of leaves at the levels in {@code leafLevels} (bit n for level n) and no runs: 4 KiB
   * pages, 512-entry tables, levels 0 to {@code top}. P is bit 0, R bit 1, W bit 2, D bit 6; PS
   * (bit 7) marks a leaf above level 0.
   */
  private static PtFormat levels(int top, int leafLevels) {
    long p = 1;
    long ps = 1L << 7;
    long d = 1L << 6;
    PtFormatBuilder b =
        PtFormat.builder("levels")
            .geometry(12, 9, top, top, 12 + 9 * (top + 1))
            .presentBit(p)
            .addressMask(0x000F_FFFF_FFFF_F000L)
            .leaf(0, 0, 0, p, PAGE)
            .protections(2, 4, 6)
            .permissions(2, 0, 4, 0, false)
            .dirty(d, d, ~d, 0, -1L, d)
            .attributes(6)
            .describer((e, level) -> "L" + level + " 0x" + Long.toHexString(e));
    for (int level = 1; level <= top; level++) {
      b.table(level, ps, 0, p);
      if ((leafLevels & (1 << level)) != 0) {
        b.leaf(level, ps, ps, p | ps, PAGE << (9 * level));
      }
    }
    return b.build();
  }

  // --- collapse -------------------------------------------------------------------------------

  @Test
  void collapse_tableOfContiguousPages_becomesOneLeafAndDropsTheCachedPages() {
    PtDomain d = domain(mock());
    mapPages(d, HUGE, MEM, 512);
    cache(d, HUGE + 3 * PAGE);
    d.collapse(HUGE, HUGE);
    assertEquals(HUGE, leafSize(d, HUGE + 3 * PAGE));
    assertEquals(0, d.iotlb().size()); // the page's translation went with the collapse
  }

  @Test
  void collapse_contiguousPagesNotAlignedToTheLeafSize_stayPages() {
    PageTable pt = table(mock());
    mapPages(pt, HUGE, MEM + PAGE, 512);
    pt.collapse(HUGE, HUGE);
    assertEquals(PAGE, leafSize(pt, HUGE));
    assertEquals(MEM + PAGE + 7 * PAGE + 5, pt.iovaToPhys(HUGE + 7 * PAGE + 5).getAsLong());
  }

  @Test
  void collapse_alignedGroupsOfPages_becomeTheLargestRunsTheLevelHolds() {
    PtDomain d = domain(TestFormats.replicas().build()); // runs of 64 KiB and 1 MiB, not 128 KiB
    mapPages(d, 0, MEM, 32);
    cache(d, 20 * PAGE);
    d.collapse(0, 2 * RUN);
    assertEquals(RUN, leafSize(d, 0));
    assertEquals(RUN, leafSize(d, RUN));
    assertEquals(MEM + 20 * PAGE + 9, d.iovaToPhys(20 * PAGE + 9).getAsLong());
    assertEquals(0, d.iotlb().size()); // the page's translation went with the new run
  }

  @Test
  void collapse_rangeEndingInsideALastPage_leavesThatPagesGroupAlone() {
    PageTable pt = table(TestFormats.replicas().build());
    mapPages(pt, 0, MEM, 32);
    pt.collapse(0, 2 * RUN - 1); // the range ends one byte short of page 31's end
    assertEquals(RUN, leafSize(pt, 0));
    assertEquals(PAGE, leafSize(pt, RUN));
    assertEquals(PAGE, leafSize(pt, 2 * RUN - PAGE));
  }

  @Test
  void collapse_rangeStartingInsideARun_skipsThatRunAndTouchesNothingBeforeIt() {
    PageTable pt = table(TestFormats.replicas().build());
    mapPages(pt, 0, MEM, 32);
    pt.map(2 * RUN, MEM + 2 * RUN, RUN, RW); // a run: pages 32 to 47
    mapPages(pt, 3 * RUN, MEM + 3 * RUN, 16);
    assertEquals(RUN, leafSize(pt, 2 * RUN));
    pt.collapse(2 * RUN + 2 * PAGE, 2 * RUN - 2 * PAGE); // pages 34 to 63
    assertEquals(PAGE, leafSize(pt, RUN)); // pages 16 to 31 lie before the range
    assertEquals(RUN, leafSize(pt, 2 * RUN));
    assertEquals(RUN, leafSize(pt, 3 * RUN));
    assertEquals(MEM + 3 * RUN + 5 * PAGE, pt.iovaToPhys(3 * RUN + 5 * PAGE).getAsLong());
  }

  @Test
  void splitAndCollapse_leafAlreadyOfTheTargetShape_isLeftAloneWithItsCachedTranslation() {
    PtDomain d = domain(TestFormats.replicas().build());
    d.map(0, MEM, RUN, RW);
    cache(d, 3 * PAGE);
    d.split(0, RUN, RUN);
    assertEquals(1, d.iotlb().size());
    d.collapse(0, RUN);
    assertEquals(1, d.iotlb().size());
    assertEquals(RUN, leafSize(d, 3 * PAGE));
  }

  // --- split ----------------------------------------------------------------------------------

  @Test
  void split_runWithOneAccessedItem_keepsThatItemAccessed() {
    long a = 1L << 5;
    PageTable pt = table(TestFormats.replicas().accessBit(a).build());
    pt.map(0, MEM, RUN, RW);
    pt.setHardwareUpdates(false, true);
    assertTrue(pt.translate(5 * PAGE).isPresent()); // the walk sets A in item 5 only
    pt.setHardwareUpdates(false, false);
    assertEquals(0, leaf(pt, 0) & a);
    pt.split(0, PAGE, PAGE); // the range starts at item 0, which was never accessed
    assertEquals(PAGE, leafSize(pt, 5 * PAGE));
    assertEquals(a, leaf(pt, 5 * PAGE) & a);
  }

  private static long leaf(PageTable pt, long iova) {
    long[] words = pt.walk(iova);
    return words[words.length - 1];
  }

  @Test
  void split_leafIntoRunsOfTheLevelBelow_everyItemKeepsItsOwnAddress() {
    PageTable pt = table(TestFormats.contiguousHint().build());
    pt.map(0, MEM, HUGE, RW);
    pt.split(0, HUGE, RUN);
    for (long iova = 0; iova < HUGE; iova += PAGE) {
      Translation t = pt.translate(iova).orElseThrow();
      assertEquals(RUN, t.size());
      assertEquals(
          MEM + iova, t.physical() + (iova - t.iova()), "IOVA 0x" + Long.toHexString(iova));
    }
  }

  @Test
  void split_runAboveTheBottomLevel_everyItemKeepsItsOwnAddress() {
    PageTable pt = table(TestFormats.contiguousHint().build());
    long run = 16 * HUGE;
    pt.map(0, MEM, run, RW);
    assertEquals(run, leafSize(pt, 0));
    pt.split(5 * HUGE + PAGE, PAGE, PAGE);
    assertEquals(PAGE, leafSize(pt, 5 * HUGE + PAGE));
    for (long iova : new long[] {PAGE, 5 * HUGE + PAGE, 15 * HUGE + 3 * PAGE}) {
      assertEquals(MEM + iova + 8, pt.iovaToPhys(iova + 8).getAsLong());
    }
  }

  @Test
  void split_breakBeforeMakeRunIntoPages_writesEveryPageAndNoSlotBefore() {
    PageTable pt = table(TestFormats.contiguousHint().breakBeforeMake(true).build());
    pt.map(RUN, MEM + RUN, RUN, RW);
    pt.split(RUN, RUN, PAGE);
    for (long iova = RUN; iova < 2 * RUN; iova += PAGE) {
      assertEquals(PAGE, leafSize(pt, iova));
      assertEquals(MEM + iova, pt.iovaToPhys(iova).getAsLong());
    }
    assertTrue(pt.translate(RUN - PAGE).isEmpty());
  }

  @Test
  void split_leafWhoseLevelBelowHoldsNoLeaves_buildsTablesOfPagesOutsideTheRangeToo() {
    PageTable pt = table(levels(2, 0b101)); // 4 KiB and 1 GiB leaves, no 2 MiB ones
    pt.map(0, GIB, GIB, RW);
    pt.split(5 * HUGE + PAGE, PAGE, PAGE);
    for (long iova : new long[] {0, 5 * HUGE + PAGE, GIB - PAGE}) {
      assertEquals(PAGE, leafSize(pt, iova));
      assertEquals(GIB + iova, pt.iovaToPhys(iova).getAsLong());
    }
  }

  @Test
  void split_fourLevelLeafDownToAPage_demotesOnlyTheItemsOnTheWay() {
    PageTable pt = table(levels(3, 0b1111)); // leaves of 4 KiB, 2 MiB, 1 GiB and 512 GiB
    long top = 512 * GIB;
    pt.map(0, top, top, RW);
    long iova = 3 * GIB + 5 * HUGE + 7 * PAGE;
    pt.split(iova, PAGE, PAGE);
    assertEquals(PAGE, leafSize(pt, iova));
    assertEquals(HUGE, leafSize(pt, 3 * GIB));
    assertEquals(GIB, leafSize(pt, 0));
    assertEquals(GIB, leafSize(pt, top - GIB));
    assertEquals(top + iova, pt.iovaToPhys(iova).getAsLong());
  }

  /**
   * A write landing on the old leaf between the split's read and its publication makes every page
   * of the split leaf dirty, and nothing else: not the next leaf of the same table, nor the leaf
   * table that happens to sit in the frame after the new one (frames are reused from a collapse).
   */
  @Test
  void split_leafDirtiedInItsRaceWindow_marksItsOwnPagesOnly() {
    PageTable pt = table(mock());
    pt.map(0, MEM, HUGE, RW);
    pt.map(HUGE, MEM + HUGE, HUGE, RW);
    mapPages(pt, 2 * HUGE, MEM + 2 * HUGE, 512);
    mapPages(pt, 3 * HUGE, MEM + 3 * HUGE, 1);
    pt.collapse(2 * HUGE, HUGE); // frees the table of [4 MiB, 6 MiB): the split's table reuses it
    pt.setHardwareUpdates(true, false);
    Translation old = pt.translate(PAGE).orElseThrow();
    pt.setRaceWindow(
        () -> {
          pt.setRaceWindow(() -> {});
          assertTrue(pt.setDirtyByHardware(old));
        });
    pt.split(0, PAGE, PAGE);
    IovaBitmap bitmap = IovaBitmap.allocate(0, 4 * HUGE, PAGE);
    pt.readAndClearDirty(0, 4 * HUGE, true, IommuDirtyBitmap.of(bitmap, new IotlbGather()));
    assertEquals(512, bitmap.cardinality());
    assertTrue(bitmap.isDirty(HUGE - PAGE));
    assertFalse(bitmap.isDirty(HUGE));
    assertFalse(bitmap.isDirty(3 * HUGE));
  }
}
