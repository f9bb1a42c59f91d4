package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.MockIommuDriver;

/** The DMA engine's range checks and its faults: unmapped, read-only, or no domain at all. */
class DmaEngineRangeTest {
  final GuestMemory memory = GuestMemory.create(0x1_0000_0000L, 1L << 20, 1);
  final DmaEngine engine = new DmaEngine(List.of(memory), 8);

  @Test
  void constructor_faultCapacity0_isRefused_1_isAccepted() {
    assertThrows(IllegalArgumentException.class, () -> new DmaEngine(List.of(memory), 0));
    DmaEngine one = new DmaEngine(List.of(memory), 1);
    one.blocked(1, 0x1000, 0x2000, true);
    assertEquals(
        List.of(new IoPageFault(1, 0x2000, true, IoPageFault.Cause.NOT_PRESENT)),
        one.recentFaults());
    assertEquals(2, one.faultCount());
  }

  @Test
  void blocked_unalignedRange_faultsOncePerPageAtTheAccessedAddress() {
    DmaResult r = engine.blocked(3, 0x1800, 0x2000, false);
    assertEquals(new DmaResult(0, 3), r);
    assertEquals(
        List.of(
            new IoPageFault(3, 0x1800, false, IoPageFault.Cause.NOT_PRESENT),
            new IoPageFault(3, 0x2000, false, IoPageFault.Cause.NOT_PRESENT),
            new IoPageFault(3, 0x3000, false, IoPageFault.Cause.NOT_PRESENT)),
        engine.recentFaults());
  }

  @Test
  void blocked_lastPageOfTheAddressSpace_isOneFault() {
    assertEquals(new DmaResult(0, 1), engine.blocked(1, -4096, 4096, true));
    assertEquals(new DmaResult(0, 1), engine.blocked(1, -1, 1, true));
  }

  @Test
  void blocked_emptyOrWrappingRange_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> engine.blocked(1, 0, 0, true));
    assertThrows(IllegalArgumentException.class, () -> engine.blocked(1, 0x1000, 0, true));
    assertThrows(IllegalArgumentException.class, () -> engine.blocked(1, 0x1000, -1, true));
    assertThrows(IllegalArgumentException.class, () -> engine.blocked(1, -4096, 4097, true));
    assertEquals(0, engine.faultCount());
  }

  final IommuDomain domain =
      MockIommuDriver.create(true, false).allocateDomain(DomainConfig.DIRTY_TRACKING);

  @Test
  void writeAndRead_emptyOrWrappingRange_isRefused() {
    for (long[] bad : new long[][] {{0x1000, 0}, {0x1000, -4096}, {-4096, 8192}}) {
      assertThrows(
          IllegalArgumentException.class,
          () -> engine.write(1, domain, bad[0], bad[1], DmaWriteListener.NONE));
      assertThrows(IllegalArgumentException.class, () -> engine.read(1, domain, bad[0], bad[1]));
    }
    assertEquals(0, engine.faultCount());
  }

  @Test
  void read_unmappedPages_faultOncePerPageAsNotPresent() {
    domain.map(0x2000, memory.base(), 0x1000, IommuDomain.IOMMU_READ);
    DmaResult r = engine.read(2, domain, 0x1800, 0x2000); // [0x1800, 0x3800): 1 of 3 pages mapped
    assertEquals(new DmaResult(0x1000, 2), r);
    assertEquals(
        List.of(
            new IoPageFault(2, 0x1800, false, IoPageFault.Cause.NOT_PRESENT),
            new IoPageFault(2, 0x3000, false, IoPageFault.Cause.NOT_PRESENT)),
        engine.recentFaults());
  }

  @Test
  void write_readOnlyPages_faultOncePerPageAsPermission_andChangeNothing() {
    domain.map(0x1000, memory.base(), 0x3000, IommuDomain.IOMMU_READ);
    long before = memory.token(memory.base() + 0x1000);
    DmaResult r = engine.write(4, domain, 0x1800, 0x2000, DmaWriteListener.NONE);
    assertEquals(new DmaResult(0, 3), r);
    assertEquals(
        List.of(
            new IoPageFault(4, 0x1800, true, IoPageFault.Cause.PERMISSION),
            new IoPageFault(4, 0x2000, true, IoPageFault.Cause.PERMISSION),
            new IoPageFault(4, 0x3000, true, IoPageFault.Cause.PERMISSION)),
        engine.recentFaults());
    assertEquals(before, memory.token(memory.base() + 0x1000));
    assertEquals(new DmaResult(0x2000, 0), engine.read(4, domain, 0x1800, 0x2000));
  }
}
