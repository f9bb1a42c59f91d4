package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
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
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * The two-stage walk of an Arm LPAE stage 1 behind a context descriptor (the format an SMMUv3
 * stage-2 nest parent names) over a mock nest parent: the descriptor and the tables read through
 * stage 2, nothing written to them, access-flag and bad-descriptor faults.
 */
class ArmNestedTranslatorTest {
  /** The LPAE stage-1 formats an SMMUv3 stage-2 nest parent names, by input size. */
  static final PtDomain NEST_PARENT =
      (PtDomain) new SmmuV3Driver().allocateDomain(new DomainConfig(false, true));

  static final long HPA = 0x4000_0000L; // host address of guest RAM
  static final long RAM = 16L << 20; // 16 MiB of guest RAM at GPA 0
  static final long TABLES = 0x10_0000L; // guest page-table pages are allocated from 1 MiB
  static final long DATA = 0x80_0000L; // data pages from 8 MiB
  static final int DEV = 7;
  static final DmaWriteListener NO_TRACKER = (iova, length) -> {};

  final GuestMemory memory = GuestMemory.create(HPA, RAM, 1);
  final GuestTables tables = new GuestTables();
  final IommuDomain parent =
      MockIommuDriver.create(true, false).allocateDomain(new DomainConfig(true, true));
  final List<NestedFault> faults = new ArrayList<>();
  long nextTable = TABLES;

  ArmNestedTranslatorTest() {
    parent.map(0, HPA, RAM, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    parent.setDirtyTracking(true);
  }

  long allocateTable() {
    long p = nextTable;
    nextTable += 4096;
    return p;
  }

  NestedTranslator translator(Stage1Format format) {
    return new NestedTranslator(parent, format, tables, List.of(memory), faults::add);
  }

  static Stage1Format walk(GuestIoPageTable s1) {
    return NestedWalk.armContextDescriptor(NEST_PARENT::nestedStage1Format, s1.contextDescriptor());
  }

  /** Harvests (and clears) the parent's dirty pages, as guest-physical page addresses. */
  Set<Long> harvest() {
    IovaBitmap bitmap = IovaBitmap.allocate(0, RAM, 4096);
    IotlbGather gather = new IotlbGather();
    parent.readAndClearDirty(0, RAM, 0, IommuDirtyBitmap.of(bitmap, gather));
    parent.iotlbSync(gather);
    Set<Long> pages = new TreeSet<>();
    bitmap.forEachDirty(pages::add);
    return pages;
  }

  NestedFault onlyFault() {
    assertEquals(1, faults.size(), () -> "faults: " + faults);
    return faults.get(0);
  }

  @Test
  void arm_walksTheContextDescriptorAndLpaeTables() {
    GuestIoPageTable s1 = GuestIoPageTable.arm(tables, this::allocateTable, gpa -> {});
    s1.map(0x7000, DATA + 0x2000, true);
    s1.map(0x8000, DATA + 0x3000, false);
    NestedTranslator t = translator(walk(s1));
    long before = memory.token(HPA + DATA + 0x2000);
    assertEquals(new DmaResult(4096, 0), t.write(DEV, 0x7000, 4096, NO_TRACKER));
    assertNotEquals(before, memory.token(HPA + DATA + 0x2000));
    assertEquals(new DmaResult(0, 1), t.write(DEV, 0x8000, 4096, NO_TRACKER));
    assertEquals(Cause.PERMISSION, onlyFault().cause());
    assertEquals(Set.of(DATA + 0x2000), harvest(), "Arm stage 1 never writes the guest's tables");
  }

  @Test
  void arm_leafWithoutAccessFlag_isAnAccessFlagFault() {
    GuestIoPageTable s1 = GuestIoPageTable.arm(tables, this::allocateTable, gpa -> {});
    s1.map(0x7000, DATA, true);
    long slot = TABLES + 4 * 4096L + ((0x7000 >>> 12) & 511) * 8; // CD, L0, L1, L2, L3 pages
    tables.write(slot, tables.read(slot) & ~(1L << 10));
    translator(walk(s1)).read(DEV, 0x7000, 4096);
    assertEquals(Cause.ACCESS_FLAG, onlyFault().cause());
  }

  @Test
  void arm_invalidContextDescriptor_isABadContextFault() {
    GuestIoPageTable s1 = GuestIoPageTable.arm(tables, this::allocateTable, gpa -> {});
    tables.write(s1.contextDescriptor(), 0);
    translator(walk(s1)).read(DEV, 0x7000, 4096);
    assertEquals(Cause.BAD_CONTEXT, onlyFault().cause());
  }
}
