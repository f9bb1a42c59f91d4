package org.jvfio.iommu.amd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;

class AmdV1DomainTest {
  static final long K4 = 1L << 12;
  static final long K64 = 1L << 16;
  static final long M2 = 1L << 21;
  static final long G1 = 1L << 30;
  static final int RW = IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE;
  static final long FC_IR_IW = 0x7000_0000_0000_0000L;

  static AmdV1Domain dirtyDomain() {
    AmdV1Domain d =
        (AmdV1Domain) IommuDriver.named("amd-v1").allocateDomain(DomainConfig.DIRTY_TRACKING);
    return d;
  }

  /** Harvests [iova, iova + length) into a fresh 4 KiB bitmap and syncs as iommufd does. */
  static IovaBitmap harvest(IommuDomain d, long iova, long length, int flags) {
    IovaBitmap bm = IovaBitmap.allocate(iova, length, K4);
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(iova, length, flags, IommuDirtyBitmap.of(bm, g));
    if ((flags & Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0) {
      d.iotlbSync(g);
    } else {
      assertTrue(g.isEmpty(), "NO_CLEAR must not gather a flush");
    }
    return bm;
  }

  static long leafWord(IommuDomain d, long iova) {
    long[] w = d.walk(iova);
    return w[w.length - 1];
  }

  static String dump(IommuDomain d, long iova) {
    long[] w = d.walk(iova);
    int mode = ((AmdV1Domain) d).dte().mode();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      sb.append("\n  ").append(d.describeEntry(w[i], mode - 1 - i));
    }
    return sb.toString();
  }

  // --- driver ------------------------------------------------------------------------------------

  @Test
  void named_findsDriverWithDefaultFeatures() {
    IommuDriver drv = IommuDriver.named("amd-v1");
    assertInstanceOf(AmdV1Driver.class, drv);
    assertEquals(
        Set.of(
            IommuCapability.DIRTY_TRACKING,
            IommuCapability.HARVEST_RECORDS_FROM_START,
            IommuCapability.SPLIT_COLLAPSE),
        drv.capabilities());
    assertTrue(drv.canTrackDirty());
    long expected = 0;
    for (int s = 12; s <= 51; s++) {
      expected |= s == 39 ? 0 : 1L << s;
    }
    assertEquals(expected, drv.pageSizeBitmap());
  }

  @Test
  void noHdsup_noDirtyCapability_allocDirtyFailsEopnotsupp() {
    AmdV1Driver drv = AmdV1Driver.withFeatures(AmdV1Driver.FEATURE_HASUP);
    assertEquals(Set.of(IommuCapability.SPLIT_COLLAPSE), drv.capabilities());
    UapiException e =
        assertThrows(UapiException.class, () -> drv.allocateDomain(DomainConfig.DIRTY_TRACKING));
    assertEquals(Errno.EOPNOTSUPP, e.errno());
  }

  @Test
  void plainDomain_dirtyOpsFailEopnotsupp() {
    IommuDomain d = new AmdV1Driver().allocateDomain(DomainConfig.PLAIN);
    assertFalse(d.hasDirtyOps());
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(UapiException.class, () -> d.setDirtyTracking(true)).errno());
    IommuDirtyBitmap db = IommuDirtyBitmap.gatherOnly(new IotlbGather());
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(UapiException.class, () -> d.readAndClearDirty(0, K4, 0, db)).errno());
  }

  // --- layout ------------------------------------------------------------------------------------

  @Test
  void newDomain_mode3_oneRootFrame_dteValid() {
    AmdV1Domain d = dirtyDomain();
    Dte dte = d.dte();
    assertEquals(3, dte.mode());
    assertTrue(dte.valid() && dte.translationValid());
    assertEquals(0, dte.hostAccessDirty());
    assertEquals(1, d.memory().framesInUse());
    assertEquals(PageTableMemory.BASE, dte.hostPageTableRoot());
  }

  @Test
  void map4k_walkHasPdesAndPteBitExact() {
    AmdV1Domain d = dirtyDomain();
    long iova = 0x12_3456_7000L; // indices: L3 0x48, L2 0x1a2, L1 0x167
    d.map(iova, 0xABC_D000L, K4, RW);
    long[] w = d.walk(iova);
    assertEquals(3, w.length);
    assertEquals(0x6000_0000_0000_0401L, w[0] & ~AmdV1Entry.ADDRESS_MASK, dump(d, iova));
    assertEquals(0x6000_0000_0000_0201L, w[1] & ~AmdV1Entry.ADDRESS_MASK, dump(d, iova));
    assertEquals(0x7000_0000_0ABC_D001L, w[2], dump(d, iova));
    assertEquals(
        w[0], d.memory().get(d.dte().hostPageTableRoot() + 8 * 0x48), "root entry index 0x48");
    assertEquals(w[1], d.memory().get((w[0] & AmdV1Entry.ADDRESS_MASK) + 8 * 0x1a2));
    assertEquals(w[2], d.memory().get((w[1] & AmdV1Entry.ADDRESS_MASK) + 8 * 0x167));
    assertEquals(3, d.memory().framesInUse());
  }

  @Test
  void readOnlyMap_leafHasIrNotIw_translationNotWritable() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0x5000, K4, IommuDomain.IOMMU_READ);
    assertEquals(0x3000_0000_0000_5001L, leafWord(d, 0));
    Translation t = d.translate(0).orElseThrow();
    assertTrue(t.readable());
    assertFalse(t.writable());
  }

  /** The worked examples placed by map(): every replica holds the same pinned word. */
  @Test
  void map_workedExamples_replicasIdenticalAndPinned() {
    long[][] cases = {
      {2 * K4, 0x2000, 0x7000000000002e01L},
      {4 * K4, 0x4000, 0x7000000000005e01L},
      {1L << 20, 0x100000, 0x700000000017fe01L},
      {M2, 0x200000, 0x7000000000200001L},
      {2 * M2, 0x400000, 0x70000000005ffe01L},
      {G1, 0x40000000, 0x7000000040000001L},
    };
    for (long[] c : cases) {
      AmdV1Domain d = dirtyDomain();
      long size = c[0];
      long iova = size * 5;
      d.map(iova, c[1], size, RW);
      long item = size >= G1 ? G1 : size >= M2 ? M2 : K4;
      for (long off = 0; off < size; off += item) {
        assertEquals(c[2], leafWord(d, iova + off), "size " + size + " at +" + off);
      }
      Translation t = d.translate(iova + size - 1).orElseThrow();
      assertEquals(iova, t.iova());
      assertEquals(size, t.size());
      assertEquals(c[1], t.physical());
    }
  }

  @Test
  void map_512GiB_becomesTwo256GiBRuns() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, 1L << 39, RW);
    assertEquals(1L << 38, d.translate(0).orElseThrow().size());
    assertEquals(1L << 38, d.translate(1L << 38).orElseThrow().size());
    assertEquals(3, d.dte().mode(), "no growth: 512 GiB fits mode 3");
  }

  @Test
  void map_beyondMode3_growsTopAndRewritesDte() {
    AmdV1Domain d = dirtyDomain();
    d.map(0x1000, 0x1000, K4, RW);
    long oldRoot = d.dte().hostPageTableRoot();

    d.map(1L << 39, 0x2000, K4, RW);
    Dte dte = d.dte();
    assertEquals(4, dte.mode());
    assertEquals(1, d.dteInvalidations());
    long newRoot = dte.hostPageTableRoot();
    assertEquals(AmdV1Entry.pde(oldRoot, 3), d.memory().get(newRoot), "entry 0 -> old root");
    assertEquals(0x1000, d.iovaToPhys(0x1000).getAsLong());
    assertEquals(0x2000, d.iovaToPhys(1L << 39).getAsLong());
    assertEquals(4, d.walk(0x1000).length);

    d.map(1L << 57, 0x3000, K4, RW); // two levels at once: one DTE rewrite
    assertEquals(6, d.dte().mode());
    assertEquals(2, d.dteInvalidations());
    long top = d.dte().hostPageTableRoot();
    d.map(-K4, 0x4000, K4, RW); // the last IOVA: top index 127 (bits 63:57)
    assertTrue(AmdV1Entry.isPresent(d.memory().get(top + 8 * 127)));
    assertEquals(0x4000, d.iovaToPhys(-1L).getAsLong() - 0xFFF);
    assertEquals(6, d.walk(-K4).length);
    assertEquals(0x1000, d.translate(0x1000).orElseThrow().physical());
  }

  @Test
  void map_largeLeafAtIovaZero_growsForLeafLevel() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, 1L << 48, RW); // one 256 TiB leaf at spec level 5
    assertEquals(5, d.dte().mode());
    assertEquals(1, d.walk(123L << 30).length, "the leaf sits in the top table");
    assertEquals(1, d.memory().framesInUse(), "the tables it replaced were freed");
    assertEquals(1L << 48, d.translate(5).orElseThrow().size());
    assertEquals(
        "L5 PTE 0x7000000000000001 256 TiB (NL=0) OA=0x0 IR IW FC",
        d.describeEntry(leafWord(d, 0), 4));
  }

  @Test
  void map_overlap_refusedWithoutChange() {
    AmdV1Domain d = dirtyDomain();
    d.map(M2, 0, M2, RW);
    long frames = d.memory().framesInUse();
    long[] before = d.walk(M2);
    assertThrows(IllegalArgumentException.class, () -> d.map(0, 0, 2 * M2, RW));
    assertThrows(IllegalArgumentException.class, () -> d.map(M2 + K4, 0, K4, RW));
    assertThrows(IllegalArgumentException.class, () -> d.map(0, 0, K4, 0));
    assertThrows(IllegalArgumentException.class, () -> d.map(0, 1L << 52, K4, RW));
    assertThrows(IllegalArgumentException.class, () -> d.map(0x800, 0, K4, RW));
    assertEquals(frames, d.memory().framesInUse());
    assertArrayEquals(before, d.walk(M2));
    assertTrue(d.iovaToPhys(0).isEmpty());
  }

  @Test
  void map_overEmptyTable_freesItAfterFlush() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K4, RW);
    assertEquals(K4, d.unmap(0, K4)); // leaves an empty level-1 table
    assertEquals(3, d.memory().framesInUse());
    long flushes = d.iotlb().rangeInvalidations();
    d.map(0, 0, M2, RW);
    assertEquals(2, d.memory().framesInUse());
    assertEquals(flushes + 1, d.iotlb().rangeInvalidations());
    assertEquals(M2, d.translate(0).orElseThrow().size());
  }

  // --- unmap -------------------------------------------------------------------------------------

  @Test
  void unmap_partOfLargeLeaf_removesWholeLeafReturnsItsSize() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    assertEquals(M2, d.unmap(0, K4));
    assertTrue(d.iovaToPhys(M2 - 1).isEmpty());

    d.map(0, 0, K64, RW); // a run of 16 replicas
    assertEquals(K64, d.unmap(0, K4));
    for (long off = 0; off < K64; off += K4) {
      assertEquals(0L, leafWord(d, off));
    }
  }

  @Test
  void unmap_startInsideLeaf_unmapsNothing() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K64, RW);
    assertEquals(0, d.unmap(K4, K4));
    assertEquals(0, d.unmap(K4, K64));
    assertEquals(0x1000, d.iovaToPhys(0x1000).getAsLong());
  }

  @Test
  void unmap_stopsAtFirstHole() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K4, RW);
    d.map(2 * K4, 0, K4, RW);
    assertEquals(K4, d.unmap(0, 3 * K4));
    assertTrue(d.iovaToPhys(2 * K4).isPresent());
    assertEquals(0, d.unmap(K4, K4));
  }

  @Test
  void unmap_coveredTablesFreedAtSync_notBefore() {
    AmdV1Domain d = dirtyDomain();
    d.map(G1, K4, M2, RW); // 512 leaves of 4 KiB (the output is only 4 KiB-aligned)
    assertEquals(3, d.memory().framesInUse());
    assertEquals(M2, d.unmap(G1, M2));
    assertEquals(3, d.memory().framesInUse(), "freed only after the flush");
    IotlbGather g = new IotlbGather();
    g.addRange(G1, M2);
    d.iotlbSync(g);
    assertEquals(2, d.memory().framesInUse());
    assertEquals(2, d.walk(G1).length);
    assertEquals(0L, leafWord(d, G1), "the level-2 entry was cleared");
  }

  @Test
  void unmap_pastMappedEnd_stopsAtHole_keepsTables() {
    AmdV1Domain d = dirtyDomain();
    d.map(G1, 0, 3 * K4, RW);
    assertEquals(3 * K4, d.unmap(G1, G1));
    d.iotlbSync(gatherOf(G1, G1));
    assertEquals(3, d.memory().framesInUse());
  }

  static IotlbGather gatherOf(long iova, long length) {
    IotlbGather g = new IotlbGather();
    g.addRange(iova, length);
    return g;
  }

  @Test
  void unmapReadingDirty_recordsDirtyLeavesWhole_removesAll() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K64, RW); // a run of 16
    d.map(K64, 0x90000, K4, RW);
    d.map(M2, M2, M2, RW);
    d.setDirtyTracking(true);
    Translation replica = d.translate(9 * K4).orElseThrow();
    assertTrue(d.setDirtyByHardware(replica)); // D in replica 9 only
    IovaBitmap bm = IovaBitmap.allocate(0, 2 * M2, K4);
    IotlbGather g = new IotlbGather();
    assertEquals(K64 + K4, d.unmapReadingDirty(0, M2, IommuDirtyBitmap.of(bm, g)));
    assertEquals(16, bm.cardinality());
    assertTrue(d.iovaToPhys(K64).isEmpty());
    assertFalse(d.setDirtyByHardware(replica), "a write after the removal finds the slot empty");
    assertEquals(M2, d.translate(M2).orElseThrow().size(), "outside the range: untouched");
  }

  // --- dirty tracking: toggling
  // --------------------------------------------------------------------

  @Test
  void setDirtyTracking_writesHadAndFlushes_sameStateNoop() {
    AmdV1Domain d = dirtyDomain();
    long full = d.iotlb().fullInvalidations();
    d.setDirtyTracking(true);
    assertEquals(3, d.dte().hostAccessDirty());
    assertTrue(d.isDirtyTracking());
    assertEquals(1, d.dteInvalidations());
    assertEquals(full + 1, d.iotlb().fullInvalidations());

    d.setDirtyTracking(true);
    assertEquals(1, d.dteInvalidations());
    assertEquals(full + 1, d.iotlb().fullInvalidations());

    d.setDirtyTracking(false);
    assertEquals(0, d.dte().hostAccessDirty());
    assertEquals(2, d.dteInvalidations());
    assertEquals(full + 2, d.iotlb().fullInvalidations());
  }

  @Test
  void trackingOff_translationCleanNeedsNoUpdate_noAdBits() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K4, RW);
    Translation t = d.translate(0).orElseThrow();
    assertTrue(t.dirty(), "no dirty update needed while HAD = 00b");
    assertTrue(new TestDma(d).write(0));
    assertEquals(0x7000_0000_0000_0001L, leafWord(d, 0));
  }

  @Test
  void trackingOn_walkSetsA_writeSetsD() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K4, RW);
    d.setDirtyTracking(true);
    Translation t = d.translate(0).orElseThrow();
    assertFalse(t.dirty());
    assertEquals(0x7000_0000_0000_0021L, leafWord(d, 0), "A set by the walk");
    assertTrue(d.setDirtyByHardware(t));
    assertEquals(0x7000_0000_0000_0061L, leafWord(d, 0));
    assertTrue(d.translate(0).orElseThrow().dirty());
  }

  @Test
  void noHasup_dOnlyNoA() {
    AmdV1Domain d =
        AmdV1Driver.withFeatures(AmdV1Driver.FEATURE_HDSUP)
            .allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0, 0, K4, RW);
    d.setDirtyTracking(true);
    assertTrue(new TestDma(d).write(0));
    assertEquals(0x7000_0000_0000_0041L, leafWord(d, 0));
  }

  @Test
  void setDirtyByHardware_staleSlot_returnsFalse() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K4, RW);
    d.setDirtyTracking(true);
    Translation t = d.translate(0).orElseThrow();
    d.unmap(0, K4);
    assertFalse(d.setDirtyByHardware(t));
    d.map(0, 0x9000, K4, RW);
    assertFalse(d.setDirtyByHardware(t), "other output address");
    assertEquals(0L, leafWord(d, 0) & AmdV1Entry.D);
  }

  // --- dirty tracking: read and clear ------------------------------------------------------------

  @Test
  void dirty2MiB_reportedAs512Bits_thenClean() {
    AmdV1Domain d = dirtyDomain();
    for (long va = 0; va < 4 * M2; va += M2) {
      d.map(va, va, M2, RW);
    }
    d.setDirtyTracking(true);
    assertTrue(new TestDma(d).write(M2 + 12345));

    IovaBitmap bm = harvest(d, 0, 4 * M2, 0);
    assertEquals(512, bm.cardinality());
    assertTrue(bm.isDirty(M2) && bm.isDirty(2 * M2 - 1) && !bm.isDirty(2 * M2));
    assertEquals(0L, leafWord(d, M2) & AmdV1Entry.D);
    assertEquals(0, harvest(d, 0, 4 * M2, 0).cardinality());
  }

  @Test
  void replicaRun_dInOneReplica_reportedWhole_allCleared() {
    AmdV1Domain d = dirtyDomain();
    d.map(K64, 0x30000, K64, RW);
    d.setDirtyTracking(true);
    assertTrue(new TestDma(d).write(K64 + 5 * K4 + 7));
    for (int j = 0; j < 16; j++) {
      long w = leafWord(d, K64 + j * K4);
      assertEquals(j == 5, (w & AmdV1Entry.D) != 0, "only the walked replica: " + j);
    }

    IovaBitmap bm = harvest(d, 0, M2, 0);
    assertEquals(16, bm.cardinality());
    for (int j = 0; j < 16; j++) {
      assertTrue(bm.isDirty(K64 + j * K4));
      assertEquals(0L, leafWord(d, K64 + j * K4) & AmdV1Entry.D, "replica " + j + " cleared");
    }
  }

  @Test
  void replicaRun_harvestFromInsideRun_clippedToRange() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K64, RW);
    d.setDirtyTracking(true);
    assertTrue(new TestDma(d).write(0));
    IovaBitmap bm = harvest(d, 4 * K4, 8 * K4, 0);
    assertEquals(8, bm.cardinality());
    for (int j = 0; j < 16; j++) {
      assertEquals(0L, leafWord(d, j * K4) & AmdV1Entry.D, "whole run cleared: " + j);
    }
  }

  @Test
  void noClear_idempotent_keepsD_noGather() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    d.map(M2, M2, K64, RW);
    d.setDirtyTracking(true);
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(100));
    assertTrue(dma.write(M2 + 3 * K4));
    long[] before = d.walk(M2 + 3 * K4);

    IovaBitmap a = harvest(d, 0, 2 * M2, Iommufd.IOMMU_DIRTY_NO_CLEAR);
    IovaBitmap b = harvest(d, 0, 2 * M2, Iommufd.IOMMU_DIRTY_NO_CLEAR);
    assertEquals(512 + 16, a.cardinality());
    assertArrayEquals(a.words(), b.words());
    assertArrayEquals(before, d.walk(M2 + 3 * K4));
    assertEquals(512 + 16, harvest(d, 0, 2 * M2, 0).cardinality());
    assertEquals(0, harvest(d, 0, 2 * M2, 0).cardinality());
  }

  @Test
  void holesSkipped_acrossLevels() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K4, RW);
    d.map(5 * G1 + 7 * M2, 0, K4, RW);
    d.setDirtyTracking(true);
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(0));
    assertTrue(dma.write(5 * G1 + 7 * M2));
    IovaBitmap bm = harvest(d, 0, 8 * G1, 0);
    assertEquals(2, bm.cardinality());
    assertTrue(bm.isDirty(5 * G1 + 7 * M2));
  }

  @Test
  void clearedButNotFlushed_cachedDirtyWriteLeavesNoTrace_untilSync() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K4, RW);
    d.setDirtyTracking(true);
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(0));
    IovaBitmap bm = IovaBitmap.allocate(0, K4, K4);
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(0, K4, 0, IommuDirtyBitmap.of(bm, g));
    assertEquals(1, bm.cardinality());
    assertEquals(0, g.start());
    assertEquals(K4 - 1, g.end());

    assertTrue(dma.write(0)); // through the cached dirty translation: trap T10
    assertEquals(0L, leafWord(d, 0) & AmdV1Entry.D);
    d.iotlbSync(g);
    assertTrue(dma.write(0));
    assertEquals(AmdV1Entry.D, leafWord(d, 0) & AmdV1Entry.D);
  }

  @Test
  void gatherOnlyPass_clearsWithoutBitmap() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K4, RW);
    d.setDirtyTracking(true);
    assertTrue(new TestDma(d).write(0));
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(0, K4, 0, IommuDirtyBitmap.gatherOnly(g));
    assertFalse(g.isEmpty());
    assertEquals(0L, leafWord(d, 0) & AmdV1Entry.D);
  }

  @Test
  void harvestWhole64BitSpace_followsPresentEntriesOnly() {
    AmdV1Domain d = dirtyDomain();
    long[] vas = {0, 1L << 40, 3L << 50, 1L << 62, -M2};
    for (long va : vas) {
      d.map(va, va & ((1L << 40) - 1), M2, RW);
    }
    assertEquals(6, d.dte().mode());
    d.setDirtyTracking(true);
    TestDma dma = new TestDma(d);
    for (long va : vas) {
      assertTrue(dma.write(va + 5 * K4));
    }
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(0, -1L, 0, IommuDirtyBitmap.gatherOnly(g)); // 2^64 - 1 bytes
    assertEquals(0, g.start());
    assertEquals(-1L, g.end());
    for (long va : vas) {
      assertEquals(0L, leafWord(d, va) & AmdV1Entry.D, "cleared at 0x" + Long.toHexString(va));
    }
    long full = d.iotlb().fullInvalidations();
    d.iotlbSync(g);
    assertEquals(full + 1, d.iotlb().fullInvalidations(), "a 2^64 gather flushes everything");
  }

  @Test
  void readAndClear_badArguments() {
    AmdV1Domain d = dirtyDomain();
    IommuDirtyBitmap db = IommuDirtyBitmap.gatherOnly(new IotlbGather());
    assertThrows(IllegalArgumentException.class, () -> d.readAndClearDirty(0, 0, 0, db));
    assertThrows(IllegalArgumentException.class, () -> d.readAndClearDirty(-K4, 2 * K4, 0, db));
    assertThrows(IllegalArgumentException.class, () -> d.readAndClearDirty(0, K4, 2, db));
  }
}
