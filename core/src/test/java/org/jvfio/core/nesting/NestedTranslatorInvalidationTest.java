package org.jvfio.core.nesting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
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
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * The nested translator's stage-1 IOTLB against guest invalidations (which cached translations a
 * range drops: a guest that remaps without invalidating keeps writing through the old one), its
 * range checks, and where an unaligned write lands, over an x86-64 stage 1 and a mock nest parent.
 */
class NestedTranslatorInvalidationTest {
  static final long HPA = 0x4000_0000L;
  static final long RAM = 16L << 20;
  static final long DATA = 0x80_0000L;
  static final long REMAPPED = 0xC0_0000L;
  static final int DEV = 3;
  static final long PS = 1L << 7;
  static final long ADDR = 0x000F_FFFF_FFFF_F000L;

  final GuestMemory memory = GuestMemory.create(HPA, RAM, 1);
  final GuestTables tables = new GuestTables();
  final IommuDomain parent =
      MockIommuDriver.create(true, false).allocateDomain(new DomainConfig(true, true));
  final List<NestedFault> faults = new ArrayList<>();
  long nextTable = 0x10_0000L;
  final GuestIoPageTable s1 = GuestIoPageTable.x86(tables, this::allocateTable, gpa -> {}, true);
  final NestedTranslator t =
      new NestedTranslator(parent, s1.format(), tables, List.of(memory), faults::add);

  NestedTranslatorInvalidationTest() {
    parent.map(0, HPA, RAM, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    parent.setDirtyTracking(true);
  }

  long allocateTable() {
    long p = nextTable;
    nextTable += 4096;
    return p;
  }

  /** Writes one byte at {@code iova}; returns whether it landed in {@code gpa}'s page. */
  boolean landsIn(long iova, long gpa) {
    long before = memory.token(HPA + gpa);
    t.write(DEV, iova, 1, DmaWriteListener.NONE);
    return memory.token(HPA + gpa) != before;
  }

  /** Pages 5, 6, 7 cached at DATA + page, then remapped by the guest to REMAPPED + page. */
  void cacheThenRemap() {
    for (long p = 5; p <= 7; p++) {
      s1.map(p << 12, DATA + (p << 12), true);
      t.write(DEV, p << 12, 4096, DmaWriteListener.NONE);
      s1.map(p << 12, REMAPPED + (p << 12), true); // without an invalidation
    }
  }

  /** The pages among 5, 6, 7 whose cached translation is gone (a write lands at the new page). */
  Set<Long> dropped() {
    Set<Long> pages = new TreeSet<>();
    for (long p = 5; p <= 7; p++) {
      if (landsIn(p << 12, REMAPPED + (p << 12))) {
        pages.add(p);
      }
    }
    return pages;
  }

  @Test
  void invalidateRange_dropsExactlyTheCachedPagesItTouches() {
    long[][] cases = {
      {0x6000, 0x1000, 0b010}, {0x5FFF, 2, 0b011}, {0x6FFF, 1, 0b010}, {0x7000, 0x1000, 0b100},
      {0x4000, 0x1000, 0}, {0x8000, 0x10_0000, 0}, {0x5000, 0x3000, 0b111}, {0, -1, 0b111},
    };
    for (long[] c : cases) {
      NestedTranslatorInvalidationTest rig = new NestedTranslatorInvalidationTest();
      rig.cacheThenRemap();
      rig.t.invalidateRange(c[0], c[1]);
      Set<Long> expected = new TreeSet<>();
      for (long p = 5; p <= 7; p++) {
        if ((c[2] & (1L << (p - 5))) != 0) {
          expected.add(p);
        }
      }
      String what = String.format("invalidateRange(0x%x, 0x%x)", c[0], c[1]);
      assertEquals(expected, rig.dropped(), what);
      assertEquals(1, rig.t.invalidations(), what);
    }
  }

  @Test
  void invalidateRange_emptyDropsNothing_wrappingDropsEverything() {
    cacheThenRemap();
    t.invalidateRange(0x6000, 0);
    assertEquals(0, t.invalidations());
    assertEquals(Set.of(), dropped());
    NestedTranslatorInvalidationTest rig = new NestedTranslatorInvalidationTest();
    rig.cacheThenRemap();
    rig.t.invalidateRange(-4096, 0x10_0000); // wraps past 2^64
    assertEquals(Set.of(5L, 6L, 7L), rig.dropped());
    assertEquals(1, rig.t.invalidations());
  }

  @Test
  void invalidateAll_dropsEveryCachedPage() {
    cacheThenRemap();
    t.invalidateAll();
    assertEquals(Set.of(5L, 6L, 7L), dropped());
    assertEquals(1, t.invalidations());
  }

  /** A 2 MiB stage-1 leaf is cached whole: invalidating any 4 KiB of it drops it. */
  @Test
  void invalidateRange_anyPageOfALargeLeaf_dropsTheWholeLeaf() {
    long iova = 0x20_0000L;
    s1.map(iova, DATA, true); // builds the tables down to the 4 KiB level
    long pdeSlot = slot(next(slot(next(slot(s1.root(), iova, 3)), iova, 2)), iova, 1);
    tables.write(pdeSlot, DATA | 0x67 | PS); // P RW U/S A D, PS: a 2 MiB page at DATA
    assertEquals(true, landsIn(iova + 0x5000, DATA + 0x5000));
    tables.write(pdeSlot, REMAPPED | 0x67 | PS);
    assertEquals(true, landsIn(iova + 0x5000, DATA + 0x5000), "cached");
    t.invalidateRange(iova + 0x1F_F000, 4096); // the leaf's last page, never accessed
    assertEquals(true, landsIn(iova + 0x5000, REMAPPED + 0x5000), "dropped with its leaf");
  }

  /** Intel SDM Vol. 3 §4.6: a write needs R/W set at every level of the walk. */
  @Test
  void write_throughATableEntryWithoutRw_isAStage1PermissionFault() {
    s1.map(0x5000, DATA, true);
    long pml4e = slot(s1.root(), 0x5000, 3);
    tables.write(pml4e, tables.read(pml4e) & ~2L);
    assertEquals(new DmaResult(4096, 0), t.read(DEV, 0x5000, 4096));
    assertEquals(new DmaResult(0, 1), t.write(DEV, 0x5000, 4096, DmaWriteListener.NONE));
    assertEquals(
        List.of(new NestedFault(DEV, 0x5000, true, 1, Cause.PERMISSION, 0, false)), faults);
  }

  @Test
  void write_readOnlyStage2_writesNothing() {
    s1.map(0x5000, DATA, true);
    parent.unmap(DATA, 4096);
    parent.map(DATA, HPA + DATA, 4096, IommuDomain.IOMMU_READ);
    assertEquals(new DmaResult(0, 1), t.write(DEV, 0x5000, 4096, DmaWriteListener.NONE));
    assertEquals(new DmaResult(4096, 0), t.read(DEV, 0x5000, 4096));
  }

  @Test
  void write_unalignedAcrossTwoPages_landsInEachAndTellsTheTrackerPerPage() {
    s1.map(0x5000, DATA + 0x2000, true);
    s1.map(0x6000, DATA + 0x7000, true);
    long[] before = new long[8];
    for (int i = 0; i < 8; i++) {
      before[i] = memory.token(HPA + DATA + i * 4096L);
    }
    List<long[]> told = new ArrayList<>();
    DmaResult r =
        t.write(DEV, 0x5800, 0x1000, (iova, length) -> told.add(new long[] {iova, length}));
    assertEquals(new DmaResult(0x1000, 0), r);
    assertEquals(
        List.of("5800+800", "6000+800"),
        told.stream().map(x -> Long.toHexString(x[0]) + "+" + Long.toHexString(x[1])).toList());
    for (int i = 0; i < 8; i++) {
      boolean written = i == 2 || i == 7;
      assertEquals(written, memory.token(HPA + DATA + i * 4096L) != before[i], "data page " + i);
    }
  }

  @Test
  void writeAndRead_emptyOrWrappingRange_isRefused() {
    for (long[] bad : new long[][] {{0x5000, 0}, {0x5000, -4096}, {-4096, 8192}}) {
      assertThrows(
          IllegalArgumentException.class,
          () -> t.write(DEV, bad[0], bad[1], DmaWriteListener.NONE));
      assertThrows(IllegalArgumentException.class, () -> t.read(DEV, bad[0], bad[1]));
    }
  }

  /** The table an entry at {@code slot} points to. */
  long next(long slot) {
    return tables.read(slot) & ADDR;
  }

  /** The address of the entry for {@code iova} at {@code level} in {@code table} (level 0: PTE). */
  long slot(long table, long iova, int level) {
    return table + (((iova >>> (12 + 9 * level)) & 511) << 3);
  }
}
