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
 * Example tables for the nested translator over a mock nest parent: its stage-1 IOTLB against guest
 * invalidations (which cached translations a range drops: a guest that remaps without invalidating
 * keeps writing through the old one), its range checks, where an unaligned write lands, and the
 * SMMUv3 context descriptor fields and block descriptors of an Arm stage 1.
 */
class NestedTranslatorExamplesTest {
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

  NestedTranslatorExamplesTest() {
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
      NestedTranslatorExamplesTest rig = new NestedTranslatorExamplesTest();
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
    NestedTranslatorExamplesTest rig = new NestedTranslatorExamplesTest();
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
    for (long[] bad : new long[][] {{0x5000, 0}, {0, 0}, {0x5000, -4096}, {-4096, 8192}}) {
      assertThrows(
          IllegalArgumentException.class,
          () -> t.write(DEV, bad[0], bad[1], DmaWriteListener.NONE));
      assertThrows(IllegalArgumentException.class, () -> t.read(DEV, bad[0], bad[1]));
    }
    // the last page of the address space is a range: canonical, unmapped, a stage-1 hole
    assertEquals(new DmaResult(0, 1), t.read(DEV, -4096, 4096));
    assertEquals(Cause.NOT_PRESENT, faults.get(0).cause());
  }

  /** The table an entry at {@code slot} points to. */
  long next(long slot) {
    return tables.read(slot) & ADDR;
  }

  /** The address of the entry for {@code iova} at {@code level} in {@code table} (level 0: PTE). */
  long slot(long table, long iova, int level) {
    return table + (((iova >>> (12 + 9 * level)) & 511) << 3);
  }

  @Test
  void accessors_returnTheConfiguration() {
    assertEquals(s1.format(), t.format());
    assertEquals(parent, t.parent());
  }

  /**
   * SMMUv3 (IHI 0070, 5.4 "Context Descriptor"): T0SZ from 16 to 39 with a 4 KiB granule (TG0 0) is
   * a context the walk accepts; T0SZ 15 or 40, or another granule, is C_BAD_CD.
   */
  @Test
  void arm_contextDescriptorT0szAndTg0_outsideWhatTheModelWalks_isABadContext() {
    int[][] cases = {{16, 0, 0}, {39, 0, 0}, {15, 0, 1}, {40, 0, 1}, {16, 1, 1}, {16, 2, 1}};
    for (int[] c : cases) {
      NestedTranslatorExamplesTest rig = new NestedTranslatorExamplesTest();
      GuestIoPageTable arm = GuestIoPageTable.arm(rig.tables, rig::allocateTable, gpa -> {});
      arm.map(0x7000, DATA, true);
      long cd = arm.contextDescriptor();
      rig.tables.write(cd, (rig.tables.read(cd) & ~0xFFL) | c[0] | ((long) c[1] << 6));
      NestedTranslator at =
          new NestedTranslator(
              rig.parent, arm.format(), rig.tables, List.of(rig.memory), rig.faults::add);
      at.read(DEV, 0x7000, 4096);
      boolean bad = rig.faults.stream().anyMatch(f -> f.cause() == Cause.BAD_CONTEXT);
      assertEquals(c[2] == 1, bad, "T0SZ " + c[0] + " TG0 " + c[1] + ": " + rig.faults);
    }
  }

  /** Arm ARM D8.3: a level-2 block descriptor (bit 1 clear) maps 2 MiB. */
  @Test
  void arm_blockDescriptor_mapsTwoMegabytes() {
    GuestIoPageTable arm = GuestIoPageTable.arm(tables, this::allocateTable, gpa -> {});
    arm.map(0x7000, DATA + 0x1000, true); // builds the L0, L1 and L2 tables for the first 1 GiB
    long l0 = tables.read(arm.contextDescriptor() + 8) & ADDR;
    long l2 = next(slot(next(slot(l0, 0, 3)), 0, 2));
    tables.write(slot(l2, 0x20_0000, 1), DATA | 1 | (1L << 10)); // valid, block, AF
    NestedTranslator at =
        new NestedTranslator(parent, arm.format(), tables, List.of(memory), faults::add);
    long before = memory.token(HPA + DATA + 0x5000);
    assertEquals(new DmaResult(4096, 0), at.write(DEV, 0x20_5000, 4096, DmaWriteListener.NONE));
    assertEquals(true, memory.token(HPA + DATA + 0x5000) != before);
    assertEquals(List.of(), faults);
  }
}
