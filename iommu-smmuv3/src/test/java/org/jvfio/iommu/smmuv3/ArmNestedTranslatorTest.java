package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.List;
import java.util.Set;
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
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.testkit.fake.FakeNestedGuest;

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
    return NestedWalk.armContextDescriptor(NEST_PARENT::nestedStage1Format, s1.contextDescriptor());
  }

  Set<Long> harvest() {
    return guest.harvest();
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
