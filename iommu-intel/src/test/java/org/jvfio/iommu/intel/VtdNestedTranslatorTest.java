package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.NestedFault;
import org.jvfio.core.hw.NestedFault.Cause;
import org.jvfio.core.hw.NestedTranslator;
import org.jvfio.core.hw.Stage1Format;
import org.jvfio.core.nesting.GuestIoPageTable;
import org.jvfio.core.pt.NestedWalk;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.testkit.fake.FakeNestedGuest;

/**
 * The two-stage walk of a VT-d first stage (x86-64, the format a VT-d nest parent names) over a
 * mock nest parent: stage-1 tables in guest memory read through stage 2, stage-2 dirty bits for
 * hardware updates of stage-1 entries and for the data, faults by stage, the stage-1 IOTLB and its
 * invalidations; and the SMMUv3 configurations without a table, bypass and abort.
 */
class VtdNestedTranslatorTest {
  /** The first-stage format a VT-d nest parent names for a 48-bit guest table. */
  static final PtFormat FIRST_STAGE =
      ((PtDomain) new IntelSsDriver().allocateDomain(new DomainConfig(true, true)))
          .nestedStage1Format(48)
          .orElseThrow();

  static final long HPA = 0x4000_0000L; // host address of guest RAM
  static final long RAM = 16L << 20; // 16 MiB of guest RAM at GPA 0
  static final long TABLES = 0x10_0000L; // guest page-table pages are allocated from 1 MiB
  static final long DATA = 0x80_0000L; // data pages from 8 MiB
  static final int DEV = 7;
  static final DmaWriteListener NO_TRACKER = (iova, length) -> {};

  final FakeNestedGuest guest = new FakeNestedGuest(HPA, RAM, TABLES);
  final GuestMemory memory = guest.memory();
  final GuestTables tables = guest.tables();
  final IommuDomain parent = guest.parent();
  final List<NestedFault> faults = guest.faults();

  long allocateTable() {
    return guest.allocateTable();
  }

  NestedTranslator translator(Stage1Format format) {
    return guest.translator(format);
  }

  static Stage1Format walk(GuestIoPageTable s1) {
    return NestedWalk.x86(FIRST_STAGE, s1.root());
  }

  GuestIoPageTable x86(boolean presetAccessed) {
    return GuestIoPageTable.x86(tables, this::allocateTable, gpa -> {}, presetAccessed);
  }

  Set<Long> harvest() {
    return guest.harvest();
  }

  NestedFault onlyFault() {
    assertEquals(1, faults.size(), () -> "faults: " + faults);
    return faults.get(0);
  }

  @Test
  void write_landsAtTheCompositionOfBothStages() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x1234_5000L, DATA + 0x3000, true);
    NestedTranslator t = translator(walk(s1));
    long before = memory.token(HPA + DATA + 0x3000);
    DmaResult r = t.write(DEV, 0x1234_5000L, 4096, NO_TRACKER);
    assertEquals(new DmaResult(4096, 0), r);
    assertNotEquals(before, memory.token(HPA + DATA + 0x3000));
    assertEquals(Set.of(DATA + 0x3000), harvest(), "only the data page is stage-2 dirty");
  }

  @Test
  void write_setsStage2DirtyForEveryTablePageWhoseAccessedBitTheHardwareSets() {
    GuestIoPageTable s1 = x86(false);
    s1.map(0x40_0000L, DATA, true);
    harvest(); // the guest's own table writes are the CPU's, not the IOMMU's
    long[] tokens = new long[4];
    for (int i = 0; i < 4; i++) {
      tokens[i] = memory.token(HPA + TABLES + i * 4096L);
    }
    translator(walk(s1)).write(DEV, 0x40_0000L, 4096, NO_TRACKER);
    Set<Long> expected = new TreeSet<>(Set.of(DATA));
    for (int i = 0; i < 4; i++) {
      expected.add(TABLES + i * 4096L);
      assertNotEquals(tokens[i], memory.token(HPA + TABLES + i * 4096L), "table page " + i);
    }
    assertEquals(expected, harvest(), "data page and the four table pages");
    long leaf = tables.read(TABLES + 3 * 4096L + ((0x40_0000L >>> 12) & 511) * 8);
    assertEquals(0x60, leaf & 0x60, "A and D set in the stage-1 leaf");
  }

  @Test
  void read_setsAccessedButNotDirtyInStage1AndNoStage2DirtyForData() {
    GuestIoPageTable s1 = x86(false);
    s1.map(0x40_0000L, DATA, true);
    harvest();
    assertEquals(new DmaResult(4096, 0), translator(walk(s1)).read(DEV, 0x40_0000L, 4096));
    long leaf = tables.read(TABLES + 3 * 4096L + ((0x40_0000L >>> 12) & 511) * 8);
    assertEquals(0x20, leaf & 0x60, "A set, D clear");
    Set<Long> dirty = harvest();
    assertFalse(dirty.contains(DATA), "a read does not dirty the data page");
    assertTrue(dirty.contains(TABLES + 3 * 4096L), "setting A wrote the leaf table page");
  }

  @Test
  void stage1Hole_isAStage1NotPresentFault() {
    NestedTranslator t = translator(walk(x86(true)));
    assertEquals(new DmaResult(0, 1), t.write(DEV, 0x5000, 4096, NO_TRACKER));
    NestedFault f = onlyFault();
    assertEquals(1, f.stage());
    assertEquals(Cause.NOT_PRESENT, f.cause());
  }

  @Test
  void stage2HoleAtTheDataPage_isAStage2FaultOfTheFinalAccess() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x5000, RAM + 0x1000, true); // beyond what stage 2 maps
    translator(walk(s1)).write(DEV, 0x5000, 4096, NO_TRACKER);
    NestedFault f = onlyFault();
    assertEquals(2, f.stage());
    assertEquals(Cause.NOT_PRESENT, f.cause());
    assertEquals(RAM + 0x1000, f.gpa());
    assertFalse(f.tableWalk());
  }

  @Test
  void stage2HoleAtATablePage_isAStage2FaultOfTheTableWalk() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x5000, DATA, true);
    parent.unmap(TABLES + 2 * 4096L, 4096);
    parent.iotlb().invalidateAll();
    translator(walk(s1)).read(DEV, 0x5000, 4096);
    NestedFault f = onlyFault();
    assertEquals(2, f.stage());
    assertTrue(f.tableWalk());
    assertEquals(TABLES + 2 * 4096L, f.gpa() & -4096L);
  }

  @Test
  void writeThroughReadOnlyStage1Leaf_isAStage1PermissionFault() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x5000, DATA, false);
    NestedTranslator t = translator(walk(s1));
    assertEquals(new DmaResult(4096, 0), t.read(DEV, 0x5000, 4096));
    assertEquals(new DmaResult(0, 1), t.write(DEV, 0x5000, 4096, NO_TRACKER));
    assertEquals(new NestedFault(DEV, 0x5000, true, 1, Cause.PERMISSION, 0, false), onlyFault());
  }

  @Test
  void writeUnderAReadOnlyStage1TableEntry_isAStage1PermissionFault() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x5000, DATA, true);
    tables.write(TABLES, tables.read(TABLES) & ~VtdPte.FS_RW); // the top entry of [0, 512 GiB)
    NestedTranslator t = translator(walk(s1));
    assertEquals(new DmaResult(4096, 0), t.read(DEV, 0x5000, 4096));
    assertEquals(new DmaResult(0, 1), t.write(DEV, 0x5000, 4096, NO_TRACKER));
    assertEquals(new NestedFault(DEV, 0x5000, true, 1, Cause.PERMISSION, 0, false), onlyFault());
  }

  @Test
  void writeAfterARead_setsTheStage1DirtyBitTheReadLeftClear() {
    GuestIoPageTable s1 = x86(false);
    s1.map(0x40_0000L, DATA, true);
    NestedTranslator t = translator(walk(s1));
    long slot = TABLES + 3 * 4096L + ((0x40_0000L >>> 12) & 511) * 8;
    assertEquals(new DmaResult(4096, 0), t.read(DEV, 0x40_0000L, 4096));
    assertEquals(0x20, tables.read(slot) & 0x60, "A set, D clear");
    assertEquals(new DmaResult(4096, 0), t.write(DEV, 0x40_0000L, 4096, NO_TRACKER));
    assertEquals(0x60, tables.read(slot) & 0x60, "A and D set");
  }

  @Test
  void writeThroughReadOnlyStage2_isAStage2PermissionFault() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x5000, DATA, true);
    parent.unmap(DATA, 4096);
    parent.map(DATA, HPA + DATA, 4096, IommuDomain.IOMMU_READ);
    translator(walk(s1)).write(DEV, 0x5000, 4096, NO_TRACKER);
    assertEquals(new NestedFault(DEV, 0x5000, true, 2, Cause.PERMISSION, DATA, false), onlyFault());
  }

  @Test
  void accessedBitUpdateOfAReadOnlyStage2TablePage_isAStage2PermissionFaultOfTheWalk() {
    GuestIoPageTable s1 = x86(false);
    s1.map(0x5000, DATA, true);
    parent.unmap(TABLES, 4096);
    parent.map(TABLES, HPA + TABLES, 4096, IommuDomain.IOMMU_READ);
    translator(walk(s1)).read(DEV, 0x5000, 4096);
    NestedFault f = onlyFault();
    assertEquals(2, f.stage());
    assertEquals(Cause.PERMISSION, f.cause());
    assertTrue(f.tableWalk());
  }

  @Test
  void nonCanonicalIova_isAStage1AddressSizeFault() {
    translator(walk(x86(true))).read(DEV, 1L << 47, 4096);
    assertEquals(Cause.ADDRESS_SIZE, onlyFault().cause());
  }

  @Test
  void cachedTranslation_survivesAGuestRemapUntilInvalidated() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x5000, DATA, true);
    NestedTranslator t = translator(walk(s1));
    t.write(DEV, 0x5000, 4096, NO_TRACKER);
    s1.map(0x5000, DATA + 0x1000, true); // the guest remaps without invalidating
    long old = memory.token(HPA + DATA);
    t.write(DEV, 0x5000, 4096, NO_TRACKER);
    assertNotEquals(old, memory.token(HPA + DATA), "the stale translation is used");
    t.invalidateRange(0x5000, 4096);
    long fresh = memory.token(HPA + DATA + 0x1000);
    t.write(DEV, 0x5000, 4096, NO_TRACKER);
    assertNotEquals(fresh, memory.token(HPA + DATA + 0x1000), "the new page after invalidation");
    assertEquals(1, t.invalidations());
  }

  /**
   * Caches {@code iova} mapped to {@code DATA}, then remaps it to the next page, not invalidated.
   */
  NestedTranslator cachedThenRemapped(long iova) {
    GuestIoPageTable s1 = x86(true);
    s1.map(iova, DATA, true);
    NestedTranslator t = translator(walk(s1));
    t.write(DEV, iova, 4096, NO_TRACKER);
    s1.map(iova, DATA + 0x1000, true);
    return t;
  }

  /** Whether a write to {@code iova} still lands in {@code DATA}: the stale cached translation. */
  boolean usesStaleTranslation(NestedTranslator t, long iova) {
    long old = memory.token(HPA + DATA);
    t.write(DEV, iova, 4096, NO_TRACKER);
    return memory.token(HPA + DATA) != old;
  }

  @Test
  void invalidateRange_dropsExactlyTheLeavesItTouches_wrapDropsAll_emptyNothing() {
    long[][] cases = { // iova, length, 1 if the cached leaf at 0x5000 must go
      {0x4000, 0x1000, 0}, // ends on the byte before the leaf
      {0x4FFF, 1, 0}, // one byte, the byte before the leaf: not a wrap
      {0x4000, 0x1001, 1}, // ends on its first byte
      {0x5FFF, 1, 1}, // its last byte
      {0x6000, 0x1000, 0}, // starts on the byte after it
      {0x5000, 0, 0}, // empty: no invalidation at all
      {0x6000, -0x1000L, 1}, // wraps: everything
    };
    for (long[] c : cases) {
      NestedTranslator t = cachedThenRemapped(0x5000);
      t.invalidateRange(c[0], c[1]);
      String what = "invalidateRange(0x" + Long.toHexString(c[0]) + ", " + c[1] + ")";
      assertEquals(c[2] == 0, usesStaleTranslation(t, 0x5000), what);
      assertEquals(c[1] == 0 ? 0 : 1, t.invalidations(), what);
    }
  }

  @Test
  void access_emptyOrWrappingRange_isRefused() {
    NestedTranslator t = translator(Stage1Format.bypass());
    assertThrows(IllegalArgumentException.class, () -> t.write(DEV, DATA, 0, NO_TRACKER));
    assertThrows(IllegalArgumentException.class, () -> t.read(DEV, -0x1000L, 0x2000));
    assertEquals(
        new DmaResult(0, 1), t.read(DEV, -1L, 1), "the last byte alone: a fault, not a refusal");
  }

  @Test
  void invalidateAll_dropsEveryCachedTranslation() {
    NestedTranslator t = cachedThenRemapped(0x5000);
    t.invalidateAll();
    assertFalse(usesStaleTranslation(t, 0x5000));
    assertEquals(1, t.invalidations());
  }

  @Test
  void write_acrossPages_countsBytesAndFaultsPerPage_andTellsTheTrackerEachPiece() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x5000, DATA + 0x2000, true);
    s1.map(0x7000, DATA + 0x4000, true); // 0x6000 is a stage-1 hole
    List<long[]> recorded = new java.util.ArrayList<>();
    long below = memory.token(HPA + DATA + 0x1000);
    DmaResult r =
        translator(walk(s1))
            .write(DEV, 0x5800, 0x2000, (iova, length) -> recorded.add(new long[] {iova, length}));
    assertEquals(new DmaResult(0x1000, 1), r, "0x800 + 0x800 bytes written, one page faulted");
    assertEquals(2, recorded.size());
    assertEquals(List.of(0x5800L, 0x800L), List.of(recorded.get(0)[0], recorded.get(0)[1]));
    assertEquals(List.of(0x7000L, 0x800L), List.of(recorded.get(1)[0], recorded.get(1)[1]));
    assertEquals(below, memory.token(HPA + DATA + 0x1000), "nothing lands below the page");
    assertEquals(Set.of(DATA + 0x2000, DATA + 0x4000), harvest());
  }

  @Test
  void parentFlush_dropsNestedTranslationsSoTheNextWriteDirtiesAgain() {
    GuestIoPageTable s1 = x86(true);
    s1.map(0x5000, DATA, true);
    NestedTranslator t = translator(walk(s1));
    t.write(DEV, 0x5000, 4096, NO_TRACKER);
    assertEquals(Set.of(DATA), harvest()); // clears stage-2 D and flushes the parent's IOTLB
    t.write(DEV, 0x5000, 4096, NO_TRACKER);
    assertEquals(Set.of(DATA), harvest(), "the write after the harvest is not lost");
  }

  @Test
  void bypass_translatesAsTheParentAndAbort_faultsEverything() {
    NestedTranslator bypass = translator(Stage1Format.bypass());
    assertEquals(new DmaResult(4096, 0), bypass.write(DEV, DATA, 4096, NO_TRACKER));
    assertEquals(Set.of(DATA), harvest());
    NestedTranslator abort = translator(Stage1Format.abort());
    assertEquals(new DmaResult(0, 2), abort.write(DEV, DATA, 8192, NO_TRACKER));
    assertEquals(1, faults.get(0).stage());
  }
}
