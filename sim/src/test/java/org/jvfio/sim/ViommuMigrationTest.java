package org.jvfio.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.sim.ViommuMigration.Config;
import org.jvfio.sim.ViommuMigration.Regime;
import org.jvfio.sim.ViommuMigration.Result;
import org.jvfio.sim.ViommuMigration.Sync;

/**
 * A guest whose vIOMMU remaps DMA every round: with the VMM's unmap-time sync the migration
 * verifies; without it (the broken twin: the sync skipped) the verification fails and names the
 * lost pages; nested translation loses nothing either way.
 */
class ViommuMigrationTest {
  static Config config(String iommu, Regime regime, Sync sync) {
    return new Config(iommu, regime, sync, 1024, 32, 4, 60, 8, 0x5EEDL);
  }

  @ParameterizedTest
  @ValueSource(strings = {"intel-ss", "smmuv3"})
  void shadow_withTheUnmapSync_verifies(String iommu) {
    Result r = ViommuMigration.run(config(iommu, Regime.SHADOW, Sync.ON));
    assertTrue(r.passed(), r.summary());
    assertEquals(32, r.remaps());
  }

  @ParameterizedTest
  @ValueSource(strings = {"intel-ss", "smmuv3"})
  void shadow_withoutTheUnmapSync_failsAndNamesTheLostPages(String iommu) {
    Result r = ViommuMigration.run(config(iommu, Regime.SHADOW, Sync.OFF));
    assertFalse(r.passed(), r.summary());
    assertFalse(r.lostPages().isEmpty());
    assertTrue(r.summary().contains("GPA 0x" + Long.toHexString(r.lostPages().get(0))));
  }

  @ParameterizedTest
  @ValueSource(strings = {"ON", "OFF"})
  void nestedVtd_losesNothingWhateverTheSync(Sync sync) {
    Result r = ViommuMigration.run(config("intel-ss", Regime.NESTED, sync));
    assertTrue(r.passed(), r.summary());
  }

  @Test
  void nestedSmmuv3_isRefusedBecauseItsNestParentCannotTrackDirty() {
    UapiException e =
        assertThrows(
            UapiException.class,
            () -> ViommuMigration.run(config("smmuv3", Regime.NESTED, Sync.ON)));
    assertEquals(Errno.EOPNOTSUPP, e.errno());
  }

  @Test
  void cli_compareShowsBothSettings() {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status =
        SimCommand.execute(
            new PrintWriter(out),
            new PrintWriter(err),
            "viommu",
            "--ram-pages",
            "1024",
            "--buffers",
            "32",
            "--rounds",
            "4",
            "--compare",
            "sync=on,off");
    String text = out.toString();
    assertEquals(1, status, text + err);
    assertTrue(text.contains("sync=ON: PASS"), text);
    assertTrue(text.contains("sync=OFF: FAIL"), text);
    assertTrue(text.contains("lost, e.g. GPA 0x"), text);
  }
}
