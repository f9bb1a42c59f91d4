package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The DMA engine's range checks and the faults of a blocked device (no domain attached). */
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
}
