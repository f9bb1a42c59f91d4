package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.spi.IommuDomain.IOMMU_READ;
import static org.jvfio.core.spi.IommuDomain.IOMMU_WRITE;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

class SmmuV3DomainTest {
  private static final int RW = IOMMU_READ | IOMMU_WRITE;
  private static final long PA = 0x1_0000_0000L; // output base, aligned to every block size
  private static final long MB = 1L << 20;

  private static IommuDomain dirtyDomain(Granule g) {
    return SmmuV3Driver.withGranule(g).allocateDomain(DomainConfig.DIRTY_TRACKING);
  }

  private static long block(Granule g) {
    return Long.highestOneBit(g.pageSizeBitmap() & ~(1L << 30)); // 2M, 32M, 512M
  }

  private static long leaf(IommuDomain d, long iova) {
    long[] w = d.walk(iova);
    return w[w.length - 1];
  }

  @ParameterizedTest
  @EnumSource(Granule.class)
  void translate_everyPageSize_matchesTheMapping(Granule g) {
    IommuDomain d = dirtyDomain(g);
    for (long size = g.pageSizeBitmap(); size != 0; size &= size - 1) {
      long s = Long.lowestOneBit(size);
      long iova = 4 * s; // distinct, aligned
      d.map(iova, PA + s, s, RW);
      for (long off : new long[] {0, s / 2 + 8, s - 1}) {
        Translation t = d.translate(iova + off).orElseThrow();
        assertEquals(iova, t.iova(), g + " size " + s);
        assertEquals(s, t.size());
        assertEquals(PA + s, t.physical());
        assertEquals(PA + s + off, t.physicalOf(iova + off));
        assertTrue(t.readable() && t.writable());
        assertTrue(t.dirty(), "DBM=1, AP[2]=0 at map: already dirty");
        assertEquals(OptionalLong.of(PA + s + off), d.iovaToPhys(iova + off));
      }
      assertTrue(d.translate(iova + s).isEmpty());
    }
    assertTrue(d.translate(0).isEmpty());
    assertTrue(d.iovaToPhys(0).isEmpty());
  }

  @ParameterizedTest
  @EnumSource(Granule.class)
  void firstHarvest_reportsEveryWritablePageNeverWritten_T8(Granule g) {
    IommuDomain d = dirtyDomain(g);
    long b = block(g);
    d.map(0, PA, b, RW); // one block
    d.map(b, PA + b, 4 * g.size(), RW); // four pages
    d.map(b + 4 * g.size(), PA + b + 4 * g.size(), g.size(), IOMMU_READ);
    IovaBitmap first = TestDma.harvest(d, 0, b + 5 * g.size(), g.size(), 0);
    assertEquals(b / g.size() + 4, first.cardinality(), "every writable page, none read-only");
    assertFalse(first.isDirty(b + 4 * g.size()));
    IovaBitmap second = TestDma.harvest(d, 0, b + 5 * g.size(), g.size(), 0);
    assertEquals(0, second.cardinality());
    assertTrue(LpaeDescriptor.isWritableClean(leaf(d, 0)));
  }

  @Test
  void setDirtyTracking_changesNothingAndIsAlwaysOn() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    assertTrue(d.isDirtyTracking());
    d.setDirtyTracking(false);
    assertTrue(d.isDirtyTracking(), "set_dirty_tracking is a no-op on SMMUv3");
    d.map(0, PA, 4096, RW);
    TestDma.harvest(d, 0, 4096, 4096, 0);
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(0));
    assertEquals(1, TestDma.harvest(d, 0, 4096, 4096, 0).cardinality(), "HW still updates");
    IommuDomain plain = SmmuV3Driver.withGranule(Granule.G4K).allocateDomain(DomainConfig.PLAIN);
    UapiException e = assertThrows(UapiException.class, () -> plain.setDirtyTracking(true));
    assertEquals(Errno.EOPNOTSUPP, e.errno());
    assertFalse(plain.isDirtyTracking());
    IommuDirtyBitmap any = IommuDirtyBitmap.gatherOnly(new IotlbGather());
    e = assertThrows(UapiException.class, () -> plain.readAndClearDirty(0, 4096, 0, any));
    assertEquals(Errno.EOPNOTSUPP, e.errno());
  }

  @Test
  void writableClean_isWritableAndTheHardwareUpdateClearsAp2ByCas() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(0x1000, PA, 4096, RW);
    TestDma.harvest(d, 0x1000, 4096, 4096, 0);
    long clean = leaf(d, 0x1000);
    assertEquals(0x0008_0001_0000_0FC7L, clean); // DBM=1, AP[2]=1
    Translation t = d.translate(0x1000).orElseThrow();
    assertTrue(t.writable());
    assertFalse(t.dirty());
    assertEquals(clean, t.entry());
    assertTrue(d.setDirtyByHardware(t));
    assertEquals(0x0008_0001_0000_0F47L, leaf(d, 0x1000));
    assertTrue(d.setDirtyByHardware(t), "already dirty: nothing to do, still true");
    assertEquals(0x0008_0001_0000_0F47L, leaf(d, 0x1000));
  }

  @Test
  void readOnly_translatesNotWritableAndTheUpdateRefuses() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(0, PA, 4096, IOMMU_READ);
    Translation t = d.translate(0).orElseThrow();
    assertTrue(t.readable());
    assertFalse(t.writable());
    long before = leaf(d, 0);
    assertFalse(d.setDirtyByHardware(t));
    assertEquals(before, leaf(d, 0));
    assertFalse(new TestDma(d).write(0), "a write to a read-only leaf faults");
  }

  @Test
  void hole_abortsTheHarvestWithEinvalAfterRecordingWhatCameBefore() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(0, PA, 4096, RW);
    d.map(0x2000, PA + 0x2000, 4096, RW); // hole at 0x1000
    IovaBitmap b = IovaBitmap.allocate(0, 0x3000, 4096);
    IotlbGather g = new IotlbGather();
    UapiException e =
        assertThrows(
            UapiException.class,
            () -> d.readAndClearDirty(0, 0x3000, 0, IommuDirtyBitmap.of(b, g)));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(b.isDirty(0), "recorded before the hole");
    assertFalse(b.isDirty(0x2000), "not reached");
    assertTrue(LpaeDescriptor.isWritableClean(leaf(d, 0)), "cleaned before the hole");
    assertTrue(LpaeDescriptor.isWritableDirty(leaf(d, 0x2000)), "untouched after the hole");
    assertEquals(0, g.start());
    assertEquals(0xFFF, g.end());
  }

  @Test
  void harvest_zeroSizeOrBeyondInputSize_isEinval() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    IommuDirtyBitmap any = IommuDirtyBitmap.gatherOnly(new IotlbGather());
    assertEquals(
        Errno.EINVAL,
        assertThrows(UapiException.class, () -> d.readAndClearDirty(0, 0, 0, any)).errno());
    assertEquals(
        Errno.EINVAL,
        assertThrows(UapiException.class, () -> d.readAndClearDirty(1L << 48, 4096, 0, any))
            .errno());
  }

  @Test
  void noClear_reportsWithoutCleaningAndRecordsTheGatherAnyway() {
    IommuDomain d = dirtyDomain(Granule.G16K);
    d.map(0, PA, 32 * MB, RW);
    long before = leaf(d, 0);
    IovaBitmap a = TestDma.harvest(d, 0, 32 * MB, 16384, Iommufd.IOMMU_DIRTY_NO_CLEAR);
    IovaBitmap b = TestDma.harvest(d, 0, 32 * MB, 16384, Iommufd.IOMMU_DIRTY_NO_CLEAR);
    assertEquals(2048, a.cardinality(), "whole 32 MiB block in 16 KiB bits");
    assertArrayEquals(a.words(), b.words());
    assertEquals(before, leaf(d, 0));
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(0, 32 * MB, Iommufd.IOMMU_DIRTY_NO_CLEAR, IommuDirtyBitmap.gatherOnly(g));
    assertFalse(g.isEmpty(), "iommu_dirty_bitmap_record fills the gather even with NO_CLEAR");
  }

  @Test
  void harvest_startingInsideABlock_recordsAtTheCarriedWalkPosition() {
    // Upstream records walk.addr with the full block size, then advances by the block size.
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(0, PA, 2 * MB, RW);
    IovaBitmap b = IovaBitmap.allocate(0, 4 * MB, 4096);
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(0x1000, 0x1000, 0, IommuDirtyBitmap.of(b, g));
    assertEquals(512, b.cardinality());
    assertTrue(b.isDirty(0x1000) && b.isDirty(2 * MB) && !b.isDirty(0));
    assertEquals(0x1000, g.start());
    assertEquals(2 * MB + 0xFFF, g.end());
  }

  /**
   * The consequence upstream lives with (HARVEST_CARRIES_START_OFFSET): a harvest that starts 1 MiB
   * into a clean block reports the next, dirty block from 1 MiB into it, cleans it, and steps over
   * the first 256 pages of the table after it. The block's first dirty megabyte is reported by no
   * harvest; the skipped page stays dirty for the next one.
   */
  @Test
  void harvest_startingInsideABlock_shiftsLaterRecordsAndStepsOverPages() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(0, PA, 4 * MB, RW); // blocks at 0 and 2M
    d.map(4 * MB, PA + 4 * MB + 0x1000, 2 * MB, RW); // misaligned output: a table of pages
    TestDma.harvest(d, 0, 6 * MB, 4096, 0); // clean everything (writable leaves are mapped dirty)
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(2 * MB)); // first page of block 1
    assertTrue(dma.write(4 * MB)); // first page of the table
    IovaBitmap b = TestDma.harvest(d, MB, 4 * MB, 4096, 0);
    assertEquals(256 * 2, b.cardinality(), "block 1 recorded at [3M, 5M)");
    assertFalse(b.isDirty(2 * MB), "the written page of block 1 is not reported");
    assertTrue(b.isDirty(3 * MB) && b.isDirty(4 * MB) && b.isDirty(5 * MB - 4096));
    IovaBitmap next = TestDma.harvest(d, 0, 6 * MB, 4096, 0);
    assertEquals(1, next.cardinality(), "only the stepped-over page is left");
    assertTrue(next.isDirty(4 * MB));
  }

  @Test
  void postHarvestSync_upstreamSkipsTheFlushAndASecondWriteIsInvisible() {
    assertEquals(1, secondWriteVisibility(PostHarvestSync.ARCHITECTURAL));
    assertEquals(0, secondWriteVisibility(PostHarvestSync.UPSTREAM), "upstream sync: write lost");
  }

  /** Write, harvest, write the same page again through the cached translation, harvest. */
  private static long secondWriteVisibility(PostHarvestSync sync) {
    IommuDomain d =
        SmmuV3Driver.builder()
            .postHarvestSync(sync)
            .build()
            .allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0, PA, 2 * 4096, RW);
    TestDma.enableTracking(d, 0, 2 * 4096);
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(0));
    assertEquals(1, TestDma.harvest(d, 0, 2 * 4096, 4096, 0).cardinality());
    assertTrue(dma.write(0));
    return TestDma.harvest(d, 0, 2 * 4096, 4096, 0).cardinality();
  }

  @Test
  void iotlbSync_upstreamStillFlushesAGatherWithAPageSize() {
    SmmuV3Driver drv = SmmuV3Driver.builder().postHarvestSync(PostHarvestSync.UPSTREAM).build();
    IommuDomain d = drv.allocateDomain(DomainConfig.DIRTY_TRACKING);
    IotlbGather g = new IotlbGather();
    g.addRange(0, 4096);
    d.iotlbSync(g);
    assertEquals(0, d.iotlb().rangeInvalidations());
    g.addPage(0, 4096);
    d.iotlbSync(g);
    assertEquals(1, d.iotlb().rangeInvalidations());
    d.iotlbSync(new IotlbGather());
    assertEquals(1, d.iotlb().rangeInvalidations(), "an empty gather does nothing");
  }

  @ParameterizedTest
  @EnumSource(Granule.class)
  void unmap_partOfABlock_isRefusedWithZero(Granule g) {
    IommuDomain d = dirtyDomain(g);
    long b = block(g);
    d.map(b, PA, b, RW);
    long word = leaf(d, b);
    assertEquals(0, d.unmap(b, g.size()));
    assertEquals(0, d.unmap(b + g.size(), g.size()));
    assertEquals(word, leaf(d, b), "nothing unmapped");
    assertEquals(OptionalLong.of(PA + g.size()), d.iovaToPhys(b + g.size()));
    assertEquals(b, d.unmap(b, b));
    assertTrue(d.translate(b).isEmpty());
  }

  @Test
  void unmapReadingDirty_recordsTheDirtyLeavesAlsoBelowARemovedTable() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(2 * MB, PA, 8 * 4096, RW);
    d.map(4 * MB, PA + 2 * MB, 2 * MB, RW);
    TestDma.harvest(d, 2 * MB, 8 * 4096, 4096, 0); // clean the pages (no holes in the range)
    TestDma.harvest(d, 4 * MB, 2 * MB, 4096, 0); // and the block
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(2 * MB + 3 * 4096));
    assertTrue(dma.write(4 * MB + 77));
    IovaBitmap b = IovaBitmap.allocate(2 * MB, 4 * MB, 4096);
    IotlbGather g = new IotlbGather();
    assertEquals(4 * MB, d.unmapReadingDirty(2 * MB, 4 * MB, IommuDirtyBitmap.of(b, g)));
    assertEquals(1 + 512, b.cardinality(), "the page below the freed table and the whole block");
    assertTrue(b.isDirty(2 * MB + 3 * 4096));
    assertTrue(d.translate(2 * MB).isEmpty() && d.translate(4 * MB).isEmpty());
  }

  @Test
  void iotlbSync_upstream_invalidatesAnUnmapGatherButSkipsARangeOnlyOne() {
    IommuDomain d =
        SmmuV3Driver.builder()
            .postHarvestSync(PostHarvestSync.UPSTREAM)
            .build()
            .allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0, PA, 4096, RW);
    assertEquals(4096, d.unmap(0, 4096));
    IotlbGather unmapGather = new IotlbGather(); // as unmap_pages gathers: with a page size
    unmapGather.addPage(0, 4096);
    d.iotlbSync(unmapGather);
    assertEquals(1, d.iotlb().rangeInvalidations(), "an unmap gather has a pgsize");
    IotlbGather harvestGather = new IotlbGather(); // as iommu_dirty_bitmap_record gathers
    harvestGather.addRange(0, 4096);
    d.iotlbSync(harvestGather);
    assertEquals(1, d.iotlb().rangeInvalidations(), "a harvest-style gather: skipped");
  }

  @Test
  void apertureEnd_isTheInputSize() {
    assertEquals((1L << 48) - 1, dirtyDomain(Granule.G64K).apertureEnd());
    assertEquals(
        (1L << 39) - 1,
        SmmuV3Driver.builder()
            .inputBits(39)
            .build()
            .allocateDomain(DomainConfig.PLAIN)
            .apertureEnd());
  }

  @Test
  void unmap_stopsAtTheFirstHoleAndFreesWholeTables() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    long frames = d.memory().framesInUse();
    d.map(0, PA, 2 * 4096, RW);
    assertEquals(2 * 4096, d.unmap(0, 4 * 4096), "stops at the empty third page");
    assertEquals(0, d.unmap(0, 4096));
    d.map(2 * MB, PA, 4 * 4096, RW); // one L3 table (and L1/L2 tables)
    long withTables = d.memory().framesInUse();
    assertEquals(2 * MB, d.unmap(2 * MB, 2 * MB), "a 2 MiB piece clears the whole L3 table");
    assertEquals(withTables - 1, d.memory().framesInUse());
    assertTrue(d.translate(2 * MB).isEmpty());
    assertTrue(frames < withTables);
  }

  @Test
  void map_overlapOrMisalignment_isRejectedAndChangesNothing() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(2 * MB, PA, 4096, RW);
    long[] before = d.walk(2 * MB);
    assertThrows(IllegalArgumentException.class, () -> d.map(0, PA, 4 * MB, RW));
    assertThrows(IllegalArgumentException.class, () -> d.map(0x800, PA, 4096, RW));
    assertThrows(IllegalArgumentException.class, () -> d.map(0, PA, 4096, 0));
    assertThrows(IllegalArgumentException.class, () -> d.map(1L << 48, PA, 4096, RW));
    assertArrayEquals(before, d.walk(2 * MB));
    assertTrue(d.translate(0).isEmpty());
  }

  @Test
  void map_overAnEmptiedTable_freesItForTheBlock() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(0, PA, 4096, RW);
    d.unmap(0, 4096);
    long frames = d.memory().framesInUse();
    d.map(0, PA, 2 * MB, RW);
    assertEquals(frames - 1, d.memory().framesInUse());
    assertEquals(3, d.walk(0).length, "L0 table, L1 table, L2 block");
    assertEquals(2 * MB, d.translate(4096).orElseThrow().size());
  }

  @Test
  void map_mixedAlignment_usesTheLargestLeaves() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(2 * MB - 4096, PA + 2 * MB - 4096, 2 * MB + 8192, RW);
    assertEquals(4096, d.translate(2 * MB - 4096).orElseThrow().size());
    assertEquals(2 * MB, d.translate(2 * MB).orElseThrow().size());
    assertEquals(4096, d.translate(4 * MB).orElseThrow().size());
  }

  @ParameterizedTest
  @EnumSource(Granule.class)
  void splitThenCollapse_preservesTranslationsAndDirtyState(Granule g) {
    for (int bbml : new int[] {0, 2}) {
      SmmuV3Driver drv = SmmuV3Driver.builder().granule(g).bbml(bbml).build();
      IommuDomain d = drv.allocateDomain(DomainConfig.DIRTY_TRACKING);
      long b = block(g);
      d.map(0, PA, 2 * b, RW);
      TestDma.harvest(d, 0, 2 * b, g.size(), 0); // both clean
      assertTrue(new TestDma(d).write(b + 3 * g.size())); // second block dirty
      IovaBitmap before = TestDma.harvest(d, 0, 2 * b, g.size(), Iommufd.IOMMU_DIRTY_NO_CLEAR);
      d.split(0, 2 * b, g.size());
      assertEquals(g.size(), d.translate(b + 5 * g.size()).orElseThrow().size());
      assertEquals(PA + b + 5 * g.size(), d.translate(b + 5 * g.size()).get().physical());
      IovaBitmap split = TestDma.harvest(d, 0, 2 * b, g.size(), Iommufd.IOMMU_DIRTY_NO_CLEAR);
      assertArrayEquals(before.words(), split.words(), "children inherit AP[2]/DBM");
      assertTrue(LpaeDescriptor.isWritableClean(leaf(d, 0)));
      long frames = d.memory().framesInUse();
      d.collapse(0, 2 * b);
      assertTrue(d.memory().framesInUse() < frames, "child tables freed");
      assertEquals(b, d.translate(b + 5 * g.size()).orElseThrow().size());
      IovaBitmap back = TestDma.harvest(d, 0, 2 * b, g.size(), Iommufd.IOMMU_DIRTY_NO_CLEAR);
      assertArrayEquals(before.words(), back.words(), "collapse ORs the children");
      assertTrue(LpaeDescriptor.isWritableClean(leaf(d, 0)), "BBML" + bbml);
      assertTrue(LpaeDescriptor.isWritableDirty(leaf(d, b)), "BBML" + bbml);
    }
  }

  @Test
  void split_1gBlockTo4k_andCollapseBackInTwoSteps() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(1L << 30, PA, 1L << 30, RW);
    d.split(1L << 30, 4 * MB, 4096); // only the first two 2 MiB children go down to 4 KiB
    assertEquals(4096, d.translate((1L << 30) + 4 * MB - 4096).orElseThrow().size());
    assertEquals(2 * MB, d.translate((1L << 30) + 4 * MB).orElseThrow().size());
    d.collapse(1L << 30, 1L << 30);
    assertEquals(1L << 30, d.translate((1L << 30) + 12345).orElseThrow().size());
    assertEquals(2, d.walk(1L << 30).length);
  }

  @Test
  void collapse_refusesMixedPermissionsOrNonContiguousOutput() {
    IommuDomain d = dirtyDomain(Granule.G4K);
    d.map(0, PA, 2 * MB - 4096, RW);
    d.map(2 * MB - 4096, PA + 2 * MB - 4096, 4096, IOMMU_READ);
    d.map(2 * MB, PA + 8 * MB, 2 * MB - 4096, RW);
    d.map(4 * MB - 4096, PA + 4 * MB, 4096, RW); // output not contiguous
    d.collapse(0, 4 * MB);
    assertEquals(4096, d.translate(0).orElseThrow().size());
    assertEquals(4096, d.translate(2 * MB).orElseThrow().size());
    d.unmap(4 * MB - 4096, 4096);
    d.map(4 * MB - 4096, PA + 10 * MB - 4096, 4096, RW);
    d.collapse(0, 4 * MB);
    assertEquals(2 * MB, d.translate(2 * MB).orElseThrow().size());
    assertEquals(4096, d.translate(0).orElseThrow().size());
  }

  @Test
  void split_staleCleanTranslation_failsItsCasAndTheRewalkMarksTheChild_T16() {
    for (int bbml : new int[] {0, 1, 2}) {
      IommuDomain d =
          SmmuV3Driver.builder().bbml(bbml).build().allocateDomain(DomainConfig.DIRTY_TRACKING);
      d.map(0, PA, 2 * MB, RW);
      TestDma.harvest(d, 0, 2 * MB, 4096, 0);
      Translation stale = d.translate(0x5000).orElseThrow(); // cached clean block
      assertFalse(stale.dirty());
      d.split(0, 2 * MB, 4096);
      assertFalse(d.setDirtyByHardware(stale), "slot now holds a table");
      assertTrue(LpaeDescriptor.isTable(leaf2(d, 0), 2), "no dirty bit ORed into the table");
      Translation child = d.translate(0x5000).orElseThrow();
      assertEquals(4096, child.size());
      assertTrue(d.setDirtyByHardware(child));
      IovaBitmap b = TestDma.harvest(d, 0, 2 * MB, 4096, 0);
      assertEquals(1, b.cardinality(), "BBML" + bbml);
      assertTrue(b.isDirty(0x5000));
    }
  }

  private static long leaf2(IommuDomain d, long iova) {
    return d.walk(iova)[2];
  }

  @Test
  void collapse_lateUpdateThroughAStaleChild_landsInTheBlock_T17() {
    for (int bbml : new int[] {0, 2}) {
      IommuDomain d =
          SmmuV3Driver.builder().bbml(bbml).build().allocateDomain(DomainConfig.DIRTY_TRACKING);
      d.map(0, PA, 2 * MB, RW);
      d.split(0, 2 * MB, 4096);
      TestDma.harvest(d, 0, 2 * MB, 4096, 0);
      Translation stale = d.translate(0x7000).orElseThrow();
      d.collapse(0, 2 * MB);
      assertFalse(d.setDirtyByHardware(stale), "the child was retired");
      Translation block = d.translate(0x7000).orElseThrow();
      assertEquals(2 * MB, block.size());
      assertTrue(d.setDirtyByHardware(block));
      assertEquals(512, TestDma.harvest(d, 0, 2 * MB, 4096, 0).cardinality());
    }
  }

  @Test
  void split_hardwareUpdateInsideTheRaceWindow_failsTheCasAndIsReplicated() {
    SmmuV3Domain d = (SmmuV3Domain) dirtyDomain(Granule.G4K);
    d.map(0, PA, 2 * MB, RW);
    TestDma.harvest(d, 0, 2 * MB, 4096, 0);
    int[] runs = {0};
    d.setRaceWindow(
        () -> {
          if (runs[0]++ == 0) {
            assertTrue(d.setDirtyByHardware(d.translate(0x3000).orElseThrow()));
          }
        });
    d.split(0, 2 * MB, 4096);
    assertEquals(1, runs[0], "one publish: its lost CAS folds the hardware update in");
    assertEquals(512, TestDma.harvest(d, 0, 2 * MB, 4096, 0).cardinality());
  }

  @Test
  void collapse_childDirtiedInsideTheRaceWindow_endsUpInTheBlock_T17() {
    SmmuV3Domain d = (SmmuV3Domain) dirtyDomain(Granule.G4K);
    d.map(0, PA, 2 * MB, RW);
    d.split(0, 2 * MB, 4096);
    TestDma.harvest(d, 0, 2 * MB, 4096, 0);
    Translation child = d.translate(0x9000).orElseThrow();
    d.setRaceWindow(() -> assertTrue(d.setDirtyByHardware(child)));
    d.collapse(0, 2 * MB);
    assertTrue(LpaeDescriptor.isWritableDirty(leaf(d, 0)), "the write after the first scan");
    assertEquals(512, TestDma.harvest(d, 0, 2 * MB, 4096, 0).cardinality());
  }

  @Test
  void split_rejectsASizeTheGranuleCannotMap() {
    IommuDomain d = dirtyDomain(Granule.G16K);
    assertThrows(IllegalArgumentException.class, () -> d.split(0, 32 * MB, 4096));
    assertThrows(IllegalArgumentException.class, () -> d.split(0, 32 * MB, 2 * MB));
  }

  @Test
  void describeEntry_decodesWhatWalkReturns() {
    IommuDomain d = dirtyDomain(Granule.G64K);
    d.map(0, PA, 65536, IOMMU_READ);
    long[] w = d.walk(0);
    assertTrue(d.describeEntry(w[0], 2).startsWith("L1 table"));
    assertTrue(d.describeEntry(w[2], 0).endsWith("read-only"), d.describeEntry(w[2], 0));
    IommuDomain s2 =
        SmmuV3Driver.withGranule(Granule.G4K).allocateDomain(new DomainConfig(false, true));
    s2.map(0, PA, 4096, RW);
    long[] v = s2.walk(0);
    assertTrue(s2.describeEntry(v[3], 0).contains("S2AP=WR"));
  }

  @Test
  void stage2Domain_translatesWithS2apAndHasNoDirtyOps() {
    IommuDomain d =
        SmmuV3Driver.withGranule(Granule.G16K).allocateDomain(new DomainConfig(false, true));
    assertFalse(d.hasDirtyOps());
    d.map(0, PA, 32 * MB, IOMMU_READ);
    d.map(32 * MB, PA + 32 * MB, 16384, RW);
    assertEquals(2, d.walk(0).length, "concatenated L1 top level, L2 block");
    Translation ro = d.translate(0).orElseThrow();
    assertTrue(ro.readable() && !ro.writable() && ro.dirty());
    Translation rw = d.translate(32 * MB).orElseThrow();
    assertTrue(rw.writable() && rw.dirty());
    assertTrue(d.setDirtyByHardware(rw));
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(
                UapiException.class,
                () ->
                    d.readAndClearDirty(
                        0, 16384, 0, IommuDirtyBitmap.gatherOnly(new IotlbGather())))
            .errno());
  }

  @Test
  void contextDescriptor_hasHaHdExactlyForDirtyDomains() {
    SmmuV3Driver drv = new SmmuV3Driver();
    IommuDomain dirty = drv.allocateDomain(DomainConfig.DIRTY_TRACKING);
    IommuDomain plain = drv.allocateDomain(DomainConfig.PLAIN);
    ContextDescriptor cd = drv.contextDescriptorOf(dirty).orElseThrow();
    assertEquals(0x0001_EE05_C000_3510L, cd.dword0()); // ASID 1
    assertTrue(cd.ha() && cd.hd() && cd.valid());
    assertEquals(16, cd.t0sz());
    assertEquals(0, cd.tg0());
    assertEquals(5, cd.ips());
    assertEquals(1, cd.asid());
    assertEquals(1, dirty.walk(0).length, "an empty table: one invalid L0 word");
    assertEquals(0xF404_FF44L, cd.dword3());
    ContextDescriptor pcd = drv.contextDescriptorOf(plain).orElseThrow();
    assertEquals(0x0002_E205_C000_3510L, pcd.dword0());
    assertFalse(pcd.ha() || pcd.hd());
    assertNotEquals(cd.ttb0(), pcd.ttb0());
    IommuDomain s16 = SmmuV3Driver.withGranule(Granule.G16K).allocateDomain(DomainConfig.PLAIN);
    assertEquals(2, ((SmmuV3Driver) s16.driver()).contextDescriptorOf(s16).orElseThrow().tg0());
    IommuDomain s2 = drv.allocateDomain(new DomainConfig(false, true));
    assertTrue(drv.contextDescriptorOf(s2).isEmpty());
    assertThrows(IllegalArgumentException.class, () -> drv.contextDescriptorOf(s16));
  }

  @Test
  void contextDescriptor_ttb0IsTheTopTable() {
    SmmuV3Driver drv = new SmmuV3Driver();
    IommuDomain d = drv.allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0, PA, 4096, RW);
    long ttb0 = drv.contextDescriptorOf(d).orElseThrow().ttb0();
    assertEquals(d.walk(0)[0], d.memory().getVolatile(ttb0));
  }
}
