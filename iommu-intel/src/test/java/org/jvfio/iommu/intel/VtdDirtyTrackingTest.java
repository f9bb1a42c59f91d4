package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.spi.IommuDomain.IOMMU_READ;
import static org.jvfio.core.spi.IommuDomain.IOMMU_WRITE;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IotlbGather;

/** Enabling (§3.4), harvest (§3.5), refusals with the kernel's errno, nesting rules (T18). */
class VtdDirtyTrackingTest {
  private static final int RW = IOMMU_READ | IOMMU_WRITE;
  private static final long M2 = 2L << 20;
  private static final long G1 = 1L << 30;

  private static IntelDomain dirtyDomain() {
    return new IntelSsDriver().allocateDomain(DomainConfig.DIRTY_TRACKING);
  }

  private static void assertErrno(Errno errno, Executable call) {
    assertEquals(errno, assertThrows(UapiException.class, call).errno());
  }

  @Test
  void capabilities_dirtyOnlyWithSladsInScalableMode() {
    assertTrue(new IntelSsDriver().capabilities().contains(IommuCapability.DIRTY_TRACKING));
    assertTrue(new IntelSsDriver().capabilities().contains(IommuCapability.SPLIT_COLLAPSE));
    assertFalse(IntelSsDriver.withoutSlads().canTrackDirty());
    assertFalse(IntelSsDriver.legacyMode().canTrackDirty());
    assertFalse(new IntelFsDriver().canTrackDirty());
  }

  @Test
  void allocate_dirtyWithoutSladsOrInLegacyMode_eopnotsupp() {
    assertErrno(
        Errno.EOPNOTSUPP,
        () -> IntelSsDriver.withoutSlads().allocateDomain(DomainConfig.DIRTY_TRACKING));
    assertErrno(
        Errno.EOPNOTSUPP,
        () -> IntelSsDriver.legacyMode().allocateDomain(DomainConfig.DIRTY_TRACKING));
    assertErrno(
        Errno.EOPNOTSUPP,
        () -> IntelSsDriver.legacyMode().allocateDomain(new DomainConfig(false, true)));
  }

  @Test
  void allocate_firstStageWithDirtyTrackingOrNestParent_eopnotsupp() {
    assertErrno(
        Errno.EOPNOTSUPP, () -> new IntelFsDriver().allocateDomain(DomainConfig.DIRTY_TRACKING));
    assertErrno(
        Errno.EOPNOTSUPP, () -> new IntelFsDriver().allocateDomain(new DomainConfig(false, true)));
    assertErrno(
        Errno.EOPNOTSUPP,
        () ->
            IntelFsDriver.of(VtdRegisters.DEFAULT.legacyMode()).allocateDomain(DomainConfig.PLAIN));
  }

  @Test
  void dirtyOps_absent_eopnotsupp() {
    IntelDomain plain = new IntelSsDriver().allocateDomain(DomainConfig.PLAIN);
    IntelDomain fs = new IntelFsDriver().allocateDomain(DomainConfig.PLAIN);
    for (IntelDomain d : new IntelDomain[] {plain, fs}) {
      assertFalse(d.hasDirtyOps());
      assertErrno(Errno.EOPNOTSUPP, () -> d.setDirtyTracking(true));
      IommuDirtyBitmap bm = IommuDirtyBitmap.gatherOnly(new IotlbGather());
      assertErrno(Errno.EOPNOTSUPP, () -> d.readAndClearDirty(0, 0x1000, 0, bm));
    }
  }

  @Test
  void attach_dirtyDomainToNonZeroPasid_einvalAndNothingProgrammed() {
    IntelDomain d = dirtyDomain();
    assertErrno(Errno.EINVAL, () -> d.attach(3, 1));
    assertTrue(d.pasidEntry(3, 1).isEmpty());
    d.attach(3, IntelDomain.IOMMU_NO_PASID); // the RID is fine
    assertTrue(d.pasidEntry(3, 0).isPresent());
    IntelDomain plain = new IntelSsDriver().allocateDomain(DomainConfig.PLAIN);
    plain.attach(3, 1);
    assertEquals(PasidEntry.PGTT_SL_ONLY, plain.pasidEntry(3, 1).orElseThrow().pgtt());
  }

  @Test
  void attach_nonZeroPasidInLegacyMode_eopnotsupp() {
    IntelDomain d = IntelSsDriver.legacyMode().allocateDomain(DomainConfig.PLAIN);
    assertErrno(Errno.EOPNOTSUPP, () -> d.attach(3, 1));
    d.attach(3, 0);
    assertTrue(d.pasidEntry(3, 0).isEmpty(), "legacy mode has no PASID table");
  }

  @Test
  void setDirtyTracking_updatesSsadeInEveryEntryWithTheFlushSequence() {
    IntelDomain d = dirtyDomain();
    d.attach(1, 0);
    d.attach(2, 0);
    long pc = d.pasidCacheInvalidations();
    long dsi = d.iotlb().fullInvalidations();
    long dev = d.deviceTlbInvalidations();
    d.setDirtyTracking(true);
    assertTrue(d.isDirtyTracking());
    assertTrue(d.pasidEntry(1, 0).orElseThrow().ssade());
    assertTrue(d.pasidEntry(2, 0).orElseThrow().ssade());
    assertEquals(pc + 2, d.pasidCacheInvalidations(), "PASID cache, per entry");
    assertEquals(dsi + 2, d.iotlb().fullInvalidations(), "domain-selective IOTLB, per entry");
    assertEquals(dev + 2, d.deviceTlbInvalidations(), "device TLB, per entry (CAP.CM = 0)");
    d.setDirtyTracking(true); // same state: nothing
    assertEquals(pc + 2, d.pasidCacheInvalidations());
    d.attach(3, 0); // programmed with SSADE already set
    assertTrue(d.pasidEntry(3, 0).orElseThrow().ssade());
    d.setDirtyTracking(false);
    assertFalse(d.pasidEntry(1, 0).orElseThrow().ssade());
    assertFalse(d.pasidEntry(3, 0).orElseThrow().ssade());
  }

  @Test
  void setDirtyTracking_cachingMode_noDeviceTlbFlush() {
    IntelSsDriver drv = IntelSsDriver.of(VtdRegisters.DEFAULT.withCap(VtdRegisters.CAP_CM));
    IntelDomain d = drv.allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.attach(1, 0);
    d.setDirtyTracking(true);
    assertEquals(0, d.deviceTlbInvalidations());
  }

  @Test
  void setDirtyTracking_invalidatesTranslationsCachedWhileOff() {
    IntelDomain d = dirtyDomain();
    d.map(0, 0x10_0000, 0x1000, RW);
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(0)); // cached with SSADE = 0: never updates D
    d.setDirtyTracking(true);
    assertTrue(dma.write(0));
    assertEquals(1, TestDma.harvest(d, 0, 0x1000, 0).cardinality(), "T10: flushed on toggle");
  }

  @Test
  void attachDevice_replacesThePreviousDomainsEntry() {
    IntelSsDriver drv = new IntelSsDriver();
    IntelDomain a = drv.allocateDomain(DomainConfig.PLAIN);
    IntelDomain b = drv.allocateDomain(DomainConfig.DIRTY_TRACKING);
    a.attach(9, 0);
    b.attach(9, 0);
    assertTrue(a.pasidEntry(9, 0).isEmpty());
    assertEquals(b.domainId(), b.pasidEntry(9, 0).orElseThrow().did());
    b.setDirtyTracking(true);
    assertTrue(b.pasidEntry(9, 0).orElseThrow().ssade());
    b.detach(9, 0);
    assertTrue(b.pasidEntry(9, 0).isEmpty());
  }

  @Test
  void nestParent_readOnlyMapRefusedWithEinvalAndNothingMapped() {
    IntelDomain parent = new IntelSsDriver().allocateDomain(new DomainConfig(true, true));
    assertErrno(Errno.EINVAL, () -> parent.map(0, 0x1000, 0x1000, IOMMU_READ));
    assertTrue(parent.iovaToPhys(0).isEmpty());
    parent.map(0, 0x1000, 0x1000, IOMMU_WRITE);
    parent.map(0x1000, 0x2000, 0x1000, RW);
    assertEquals(0x2000L, parent.iovaToPhys(0x1000).getAsLong());
  }

  @Test
  void nestParent_dirtyTrackingReachesNestedEntries() {
    IntelDomain parent = new IntelSsDriver().allocateDomain(new DomainConfig(true, true));
    parent.attachNested(4, 0, 0x7777_7000L);
    parent.attachNested(4, 8, 0x8888_8000L);
    PasidEntry pe = parent.pasidEntry(4, 8).orElseThrow();
    assertEquals(PasidEntry.PGTT_NESTED, pe.pgtt());
    assertEquals(0x8888_8000L, pe.fsptptr());
    assertEquals(PageTableMemory.BASE, pe.ssptptr(), "SSPTPTR: the parent's root");
    assertFalse(pe.ssade());
    parent.setDirtyTracking(true);
    assertTrue(parent.pasidEntry(4, 0).orElseThrow().ssade());
    assertTrue(parent.pasidEntry(4, 8).orElseThrow().ssade());
    IntelDomain notParent = dirtyDomain();
    assertErrno(Errno.EINVAL, () -> notParent.attachNested(4, 0, 0x7000));
  }

  @Test
  void harvest_wholeLeafRecordedForEachPageSize() {
    IntelDomain d = dirtyDomain();
    d.map(0, 0, 0x1000, RW);
    d.map(M2, M2, M2, RW);
    d.map(G1, G1, G1, RW);
    TestDma.enableTracking(d, 0, 2 * G1);
    TestDma dma = new TestDma(d);
    assertTrue(dma.write(0));
    assertTrue(dma.write(M2 + 0x5000));
    assertTrue(dma.write(G1 + 0x1234_5000L));
    IovaBitmap bm = TestDma.harvest(d, 0, 2 * G1, 0);
    assertEquals(1 + 512 + 512 * 512, bm.cardinality(), "4K + whole 2M + whole 1G (T12)");
    assertTrue(bm.isDirty(M2 + M2 - 1));
    assertTrue(bm.isDirty(2 * G1 - 1));
    assertEquals(0, TestDma.harvest(d, 0, 2 * G1, 0).cardinality(), "cleared");
    assertTrue(dma.write(M2 + 0x5000));
    assertEquals(512, TestDma.harvest(d, 0, 2 * G1, 0).cardinality(), "re-armed by the sync");
  }

  @Test
  void harvest_partOfALeaf_recordsTheLeafClippedToTheRange() {
    IntelDomain d = dirtyDomain();
    d.map(M2, M2, M2, RW);
    TestDma.enableTracking(d, M2, M2);
    assertTrue(new TestDma(d).write(M2));
    IovaBitmap bm = TestDma.harvest(d, M2 + 0x10_0000, 0x4000, 0);
    assertEquals(4, bm.cardinality());
    assertEquals(0, d.walk(M2)[2] & VtdPte.SS_D, "the whole leaf is clean now");
  }

  /**
   * iommupt's record_dirty records the leaf holding the range start from the start with the leaf's
   * whole size (§1.3): started 1 MiB into a dirty 2 MiB leaf, the record runs 1 MiB into the clean
   * 4 KiB leaves after it, which are reported although no write touched them.
   */
  @Test
  void harvest_startingInsideALeaf_recordsItsWholeSizeFromTheStart() {
    IntelDomain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    d.map(M2, M2 + 0x1000, M2, RW); // 4 KiB leaves
    TestDma.enableTracking(d, 0, 2 * M2);
    assertTrue(new TestDma(d).write(0x1000));
    IovaBitmap bm = TestDma.harvest(d, M2 / 2, 3 * M2 / 2, 0);
    assertEquals(512, bm.cardinality(), "[1M, 3M)");
    assertTrue(bm.isDirty(M2) && bm.isDirty(M2 + M2 / 2 - 0x1000));
    assertFalse(bm.isDirty(M2 + M2 / 2));
    assertEquals(0, TestDma.harvest(d, 0, 2 * M2, 0).cardinality(), "nothing was dirty after");
  }

  @Test
  void harvest_noClear_isIdempotentAndLeavesDSet() {
    IntelDomain d = dirtyDomain();
    d.map(0, 0, 16 * 0x1000, RW);
    TestDma.enableTracking(d, 0, 16 * 0x1000);
    TestDma dma = new TestDma(d);
    dma.write(0x3000);
    dma.write(0x9000);
    long syncs = d.iotlb().rangeInvalidations();
    int noClear = Iommufd.IOMMU_DIRTY_NO_CLEAR;
    IovaBitmap a = TestDma.harvest(d, 0, 16 * 0x1000, noClear);
    IovaBitmap b = TestDma.harvest(d, 0, 16 * 0x1000, noClear);
    assertEquals(2, a.cardinality());
    assertArrayEquals(a.words(), b.words());
    assertEquals(syncs, d.iotlb().rangeInvalidations(), "NO_CLEAR issues no invalidation");
    assertEquals(2, TestDma.harvest(d, 0, 16 * 0x1000, 0).cardinality());
    assertEquals(0, TestDma.harvest(d, 0, 16 * 0x1000, 0).cardinality());
  }

  @Test
  void harvest_holesAreSkipped() {
    IntelDomain d = dirtyDomain();
    d.map(0x1000, 0x1000, 0x1000, RW);
    d.map(G1 + M2, 0, M2, RW); // far away, behind empty upper-level entries
    TestDma.enableTracking(d, 0, 4 * G1);
    TestDma dma = new TestDma(d);
    dma.write(0x1000);
    dma.write(G1 + M2);
    assertFalse(dma.write(0x5000), "unmapped: IO page fault");
    IovaBitmap bm = TestDma.harvest(d, 0, 4 * G1, 0);
    assertEquals(1 + 512, bm.cardinality());
  }

  @Test
  void harvest_withoutTheSync_loseWritesThroughCachedDirtyTranslations() {
    // The model of trap T10/T11: clearing without the flush leaves a cached dirty translation.
    IntelDomain d = dirtyDomain();
    d.map(0, 0, 0x1000, RW);
    TestDma.enableTracking(d, 0, 0x1000);
    TestDma dma = new TestDma(d);
    dma.write(0);
    IovaBitmap bm = IovaBitmap.allocate(0, 0x1000, 0x1000);
    d.readAndClearDirty(0, 0x1000, 0, IommuDirtyBitmap.of(bm, new IotlbGather())); // no sync
    dma.write(0);
    assertEquals(0, TestDma.harvest(d, 0, 0x1000, 0).cardinality(), "the write left no trace");
  }

  @Test
  void unmap_partOfALargeLeaf_removesTheWholeLeaf() {
    IntelDomain d = dirtyDomain();
    d.map(M2, M2, M2, RW);
    assertEquals(0, d.unmap(M2 + 0x1000, 0x1000), "cutting a leaf that starts before: nothing");
    assertTrue(d.iovaToPhys(M2).isPresent());
    assertEquals(M2, d.unmap(M2, 0x1000), "the whole leaf, more than asked (T15)");
    assertTrue(d.iovaToPhys(M2 + M2 - 1).isEmpty());
  }

  @Test
  void map_overlapOrBadArguments_rejectedAndNothingChanges() {
    IntelDomain d = dirtyDomain();
    d.map(M2, M2, M2, RW);
    assertThrows(IllegalArgumentException.class, () -> d.map(M2 + 0x1000, 0, 0x1000, RW));
    assertThrows(IllegalArgumentException.class, () -> d.map(0, 0, 0x800, RW));
    assertThrows(IllegalArgumentException.class, () -> d.map(0, 0x10, 0x1000, RW));
    assertThrows(IllegalArgumentException.class, () -> d.map(0, 0, 0, RW));
    assertErrno(Errno.EINVAL, () -> d.map(0, 0, 0x1000, 0));
    assertTrue(d.iovaToPhys(0).isEmpty());
    assertEquals(M2 + 0x10, d.iovaToPhys(M2 + 0x10).getAsLong());
  }

  @Test
  void unmapThenMapLargeLeaf_replacesTheEmptyTableAndFreesItOnSync() {
    IntelDomain d = dirtyDomain();
    long frames0 = d.memory().framesInUse();
    d.map(0x1000, 0x1000, 0x1000, RW); // builds PDPT, PD, PT
    assertEquals(frames0 + 3, d.memory().framesInUse());
    assertEquals(0x1000, d.unmap(0x1000, 0x1000));
    d.map(0, 0, M2, RW); // the empty PT is replaced by a 2M leaf
    IotlbGather g = new IotlbGather();
    g.addRange(0x1000, 0x1000);
    d.iotlbSync(g);
    assertEquals(frames0 + 2, d.memory().framesInUse());
    assertEquals(M2 - 1, d.iovaToPhys(M2 - 1).getAsLong());
  }

  @Test
  void staleTranslationAfterSplit_returnsFalseAndTheRewalkMarksTheChild() {
    IntelDomain d = dirtyDomain();
    d.map(M2, 0x4000_0000L, M2, RW);
    TestDma.enableTracking(d, M2, M2);
    Translation stale = d.translate(M2 + 0x3000).orElseThrow();
    assertFalse(stale.dirty());
    d.split(M2, M2, 0x1000);
    assertFalse(d.setDirtyByHardware(stale), "the slot holds a table pointer now");
    assertEquals(0, d.walk(M2)[2] & VtdPte.SS_D, "never a D bit in a table entry");
    Translation child = d.translate(M2 + 0x3000).orElseThrow();
    assertEquals(0x1000, child.size());
    assertTrue(d.setDirtyByHardware(child));
    IovaBitmap bm = TestDma.harvest(d, M2, M2, 0);
    assertEquals(1, bm.cardinality());
    assertTrue(bm.isDirty(M2 + 0x3000));
  }

  @Test
  void split_dirtyLeaf_replicatesDirtyIntoEveryChild() {
    IntelDomain d = dirtyDomain();
    d.map(G1, G1, G1, RW);
    TestDma.enableTracking(d, G1, G1);
    new TestDma(d).write(G1 + 0x7000);
    d.split(G1, M2, 0x1000); // 1G -> 512 x 2M, the first of which -> 512 x 4K
    assertEquals(4, d.walk(G1).length);
    assertEquals(3, d.walk(G1 + M2).length);
    assertEquals(512 * 512, TestDma.harvest(d, G1, G1, 0).cardinality());
  }

  @Test
  void splitThenCollapse_noWrites_restoresLeafAndDirtyState() {
    IntelDomain d = dirtyDomain();
    d.map(G1, 0x2_0000_0000L, G1, RW);
    TestDma.enableTracking(d, G1, G1);
    new TestDma(d).write(G1);
    long before = d.walk(G1)[1];
    long frames = d.memory().framesInUse();
    d.split(G1, G1, 0x1000);
    d.collapse(G1, G1);
    assertEquals(before, d.walk(G1)[1], "same PDPTE, A and D included");
    assertEquals(frames, d.memory().framesInUse(), "the split tables are freed");
  }

  @Test
  void collapse_childWrittenThroughStaleTranslation_isCarriedIntoTheNewLeaf() {
    IntelDomain d = dirtyDomain();
    d.map(M2, M2, M2, RW);
    d.split(M2, M2, 0x1000);
    TestDma.enableTracking(d, M2, M2);
    Translation stale = d.translate(M2 + 0x5000).orElseThrow();
    d.collapse(M2, M2);
    assertEquals(3, d.walk(M2).length, "collapsed to a 2M PDE");
    // The write lands after the children were taken out: the CAS fails and the re-walk marks L.
    assertFalse(d.setDirtyByHardware(stale));
    assertTrue(d.setDirtyByHardware(d.translate(M2 + 0x5000).orElseThrow()));
    assertEquals(512, TestDma.harvest(d, M2, M2, 0).cardinality());
  }

  @Test
  void collapse_mixedPermissionsOrHoles_keepsTheTable() {
    IntelDomain d = dirtyDomain();
    d.map(M2, M2, M2 - 0x1000, RW);
    d.map(2 * M2 - 0x1000, 2 * M2 - 0x1000, 0x1000, IOMMU_WRITE);
    d.collapse(M2, M2);
    assertEquals(4, d.walk(M2).length);
    d.unmap(2 * M2 - 0x1000, 0x1000);
    d.collapse(M2, M2);
    assertEquals(4, d.walk(M2).length, "a hole");
  }

  @Test
  void unmapReadingDirty_recordsExactlyTheDirtyLeavesItRemoves() {
    IntelDomain d = dirtyDomain();
    d.setDirtyTracking(true);
    d.map(0, 0x4000_0000L, 4 * 4096, RW);
    d.map(M2, 0x8000_0000L, M2, RW); // one 2 MiB leaf
    for (long iova : new long[] {4096, M2 + 8192}) {
      Translation t = d.translate(iova).orElseThrow();
      assertTrue(d.setDirtyByHardware(t));
    }
    IovaBitmap bitmap = IovaBitmap.allocate(0, 2 * M2, 4096);
    IotlbGather gather = new IotlbGather();
    // One call per mapped area, as iommufd unmaps: iommupt's unmap stops at the hole between.
    assertEquals(4 * 4096, d.unmapReadingDirty(0, M2, IommuDirtyBitmap.of(bitmap, gather)));
    assertEquals(M2, d.unmapReadingDirty(M2, M2, IommuDirtyBitmap.of(bitmap, gather)));
    assertEquals(1 + 512, bitmap.cardinality(), "the dirty 4 KiB page and the whole 2 MiB leaf");
    assertTrue(bitmap.isDirty(4096));
    assertFalse(bitmap.isDirty(0));
    assertTrue(bitmap.isDirty(M2));
    assertFalse(d.iovaToPhys(4096).isPresent());
    assertFalse(d.iovaToPhys(M2).isPresent());
  }
}
