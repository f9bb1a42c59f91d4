package org.jvfio.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Simulated migrations of HiSilicon accelerator VFs: IOMMU dirty tracking, register state. */
class HisiSimulationTest {
  private static Scenario.Builder small() {
    return Scenario.builder()
        .memory(256L << 20)
        .workingSet(128L << 20)
        .devices(2)
        .dmaRate(100e6)
        .deviceDirtyRate(1e6)
        .bandwidth(1e9)
        .deviceModel(DeviceModel.HISI_ACC)
        .tracker(Tracker.iommu("mock"));
  }

  @Test
  void run_hisiWithIommuTracking_verifiesMemoryAndRegisters() {
    MigrationResult r = Simulation.run(small().build());
    assertTrue(r.verdict().passed(), r.verdict().message());
    assertEquals(2 * 176, r.deviceBytesSent(), "40 bytes of match data and 136 of registers each");
  }

  @Test
  void run_hisiLostDirtyPage_failsVerification() {
    MigrationResult lossy = Simulation.run(small().build(), Engine.Fault.DROP_STALE_PAGE_AT_STOP);
    assertFalse(lossy.verdict().passed());
  }

  @Test
  void scenario_hisiWithDeviceTracker_isRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> small().tracker(Tracker.device("exact")).build());
    assertTrue(e.getMessage().contains("no DMA logging"), e.getMessage());
    assertEquals(DeviceModel.HISI_ACC, DeviceModel.parse("HISI"));
    assertThrows(IllegalArgumentException.class, () -> DeviceModel.parse("mlx5"));
  }
}
