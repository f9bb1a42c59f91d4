package org.jvfio.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulationTest {
  private static final long PAGE = 4096;

  /** A small scenario: 256 MiB guest, one device, no device state, 4 KiB pages, mock IOMMU. */
  private static Scenario.Builder small() {
    return Scenario.builder()
        .memory(256L << 20)
        .workingSet(128L << 20)
        .devices(1)
        .dmaRate(100e6)
        .deviceState(0)
        .deviceDirtyRate(0)
        .bandwidth(1e9)
        .tracker(Tracker.iommu("mock"));
  }

  @Test
  void run_uniformWrites_matchClosedFormPrecopyModel() {
    // Uniform random 4 KiB writes at r pages/s over W pages: after t seconds the expected number of
    // distinct dirty pages is W (1 - (1 - 1/W)^(r t)). Round k+1 sends what was dirtied during
    // round k (its transfer and the harvest that ends it), so each round's dirty pages follow from
    // the previous round's duration; the duration follows from the pages over the bandwidth.
    Scenario s =
        small()
            .memory(1L << 30)
            .workingSet(512L << 20)
            .dmaRate(400e6)
            .downtimeLimit(1_000_000)
            .maxRounds(8)
            .build();
    MigrationResult r = Simulation.run(s);
    double w = s.workingSet() / (double) PAGE;
    double pagesPerSecond = s.dmaRate() / PAGE;
    List<Round> rounds = r.rounds();
    assertTrue(rounds.size() >= 5, "want several rounds: " + rounds);
    assertEquals(s.memory() / PAGE, rounds.get(0).dirtyPages());
    for (int k = 0; k + 1 < rounds.size(); k++) {
      Round cur = rounds.get(k);
      double writes = pagesPerSecond * cur.durationNanos() / 1e9;
      double expected = w * (1 - Math.pow(1 - 1 / w, writes));
      long actual = rounds.get(k + 1).dirtyPages();
      double tolerance = 0.02 * expected + 4 * Math.sqrt(expected) + 2;
      assertEquals(expected, (double) actual, tolerance, "round " + (k + 2) + " of " + rounds);
      double transfer = cur.bytesSent() * 1e9 / s.bandwidth();
      assertEquals(
          transfer + cur.harvestNanos(), (double) cur.durationNanos(), 2, "round time " + cur);
    }
    assertTrue(r.verdict().passed(), r.verdict().message());
  }

  @Test
  void run_dirtyRateAcrossBandwidth_convergesBelowAndNotAbove() {
    // Sequential writes over all of RAM dirty a new page with every write, so each round dirties
    // rate/bandwidth times the pages it sent: below 1 the rounds shrink geometrically until the
    // rest fits in the downtime limit; above 1 they grow to all of RAM and never fit.
    Scenario.Builder b =
        small()
            .workingSet(256L << 20)
            .locality(Locality.SEQUENTIAL)
            .bandwidth(256e6)
            .downtimeLimit(300_000_000L)
            .maxRounds(20);
    MigrationResult below = Simulation.run(b.dmaRate(0.9 * 256e6).build());
    MigrationResult above = Simulation.run(b.dmaRate(1.1 * 256e6).build());

    assertTrue(below.converged(), "0.9 x bandwidth: " + below.rounds());
    assertTrue(below.rounds().size() < 20);
    assertTrue(below.downtimeNanos() <= 300_000_000L, "downtime " + below.downtimeNanos());
    for (int k = 1; k + 1 < below.rounds().size(); k++) {
      double ratio =
          below.rounds().get(k + 1).dirtyPages() / (double) below.rounds().get(k).dirtyPages();
      assertEquals(0.9, ratio, 0.01, "round " + (k + 2) + " of " + below.rounds());
    }
    assertFalse(above.converged(), "1.1 x bandwidth: " + above.rounds());
    assertEquals(20, above.rounds().size());
    assertTrue(above.downtimeNanos() > 300_000_000L);
    assertTrue(below.verdict().passed(), below.verdict().message());
    assertTrue(above.verdict().passed(), above.verdict().message());
  }

  @Test
  void run_lostDirtyPage_failsVerification() {
    Scenario s = small().build();
    MigrationResult clean = Simulation.run(s);
    MigrationResult lossy = Simulation.run(s, Engine.Fault.DROP_STALE_PAGE_AT_STOP);

    assertTrue(clean.verdict().passed(), clean.verdict().message());
    assertFalse(lossy.verdict().passed());
    assertEquals(1, lossy.verdict().pagesDiffering());
    assertTrue(lossy.verdict().firstDifference() >= 0);
    assertTrue(lossy.verdict().message().startsWith("FAILED"), lossy.verdict().message());
  }

  /**
   * Harvests in chunks that cut 2 MiB IOPTEs lose pages on every vendor (a partial harvest cleans
   * the whole leaf), Arm more (its walk carries the unaligned start's offset); chunks on leaf
   * boundaries, or 4 KiB leaves, lose nothing.
   */
  @Test
  void run_harvestChunksCuttingLeaves_losePagesOnEveryVendor() {
    Scenario.Builder b = small().ioPageSize(2L << 20).dmaRate(400e6);
    long[] lost = new long[3];
    String[] vendors = {"amd-v1", "intel-ss", "smmuv3"};
    for (int v = 0; v < vendors.length; v++) {
      b.tracker(Tracker.iommu(vendors[v]));
      Verdict aligned = Simulation.run(b.harvestChunk(2L << 20).build()).verdict();
      assertTrue(aligned.passed(), vendors[v] + ": " + aligned.message());
      Verdict cut = Simulation.run(b.harvestChunk(3L << 20).build()).verdict();
      assertFalse(cut.passed(), vendors[v] + " lost nothing with 3 MiB chunks");
      lost[v] = cut.pagesDiffering();
      Verdict split = Simulation.run(b.split(SplitPolicy.EAGER).build()).verdict();
      assertTrue(split.passed(), vendors[v] + " split: " + split.message());
      b.split(SplitPolicy.NONE);
    }
    assertTrue(lost[2] > lost[0] && lost[2] > lost[1], "Arm loses more: " + Arrays.toString(lost));
  }

  @Test
  void run_sameScenario_sameResult() {
    Scenario s = small().deviceState(1 << 20).deviceDirtyRate(1e6).cpuDirtyRate(10e6).build();
    assertEquals(Simulation.run(s), Simulation.run(s));
  }

  @Test
  void run_noTracker_sendsEveryPageEveryRound() {
    MigrationResult r = Simulation.run(small().tracker(Tracker.none()).maxRounds(3).build());
    long pages = (256L << 20) / PAGE;
    for (Round round : Report.allRounds(r)) {
      assertEquals(pages, round.dirtyPages(), round.toString());
    }
    assertFalse(r.converged());
    assertTrue(r.verdict().passed(), r.verdict().message());

    MigrationResult fast = Simulation.run(small().tracker(Tracker.none()).bandwidth(100e9).build());
    assertTrue(fast.converged(), "256 MiB at 100 GB/s fits in 50 ms");
  }

  @Test
  void run_eachDeviceTracker_verifiesWithItsCost() {
    long exact = 0;
    for (String profile : Tracker.DEVICE_PROFILES) {
      MigrationResult r =
          Simulation.run(
              small().memory(4L << 30).devices(2).tracker(Tracker.device(profile)).build());
      assertTrue(r.verdict().passed(), profile + ": " + r.verdict().message());
      assertEquals(Tracker.device(profile), r.tracker());
      long harvest = r.rounds().get(0).harvestNanos();
      if (profile.equals("exact")) {
        exact = harvest;
        // a bit per 4 KiB over both RAM ranges (3 GiB + 1 GiB), per device
        assertEquals(Math.round(2 * (4L << 30) / PAGE / 8 * CostModel.BITMAP_BYTE_NS), harvest);
      } else if (profile.equals("pds")) {
        // one region over 0..5 GiB (the PCI hole included), two bitmaps
        assertEquals(Math.round(2 * 2 * (5L << 30) / PAGE / 8 * CostModel.BITMAP_BYTE_NS), harvest);
        assertTrue(harvest > exact);
      } else {
        long dirty = r.rounds().get(1).dirtyPages();
        assertEquals(Math.round(dirty * CostModel.REPORT_ENTRY_NS), harvest);
      }
    }
  }

  @Test
  void run_hugeIoPages_reportWholeLeavesUnlessSplit() {
    Scenario.Builder b = small().ioPageSize(2L << 20).downtimeLimit(0).maxRounds(3);
    MigrationResult huge = Simulation.run(b.build());
    MigrationResult split = Simulation.run(b.split(SplitPolicy.EAGER).build());

    assertEquals("128 x 2 MiB", huge.ioPageTable());
    for (Round round : Report.allRounds(huge)) {
      assertEquals(0, round.dirtyPages() % 512, "a dirty 2 MiB leaf is 512 pages: " + round);
    }
    assertTrue(
        split.stopCopy().dirtyPages() < huge.stopCopy().dirtyPages() / 4,
        "split " + split.stopCopy() + " vs huge " + huge.stopCopy());
    // the split walk visits 512 times the entries
    assertTrue(split.rounds().get(0).harvestNanos() > huge.rounds().get(0).harvestNanos());
    assertTrue(huge.verdict().passed(), huge.verdict().message());
    assertTrue(split.verdict().passed(), split.verdict().message());
  }

  @Test
  void run_cpuAndDeviceStateDirtying_verifies() {
    MigrationResult r =
        Simulation.run(
            small()
                .devices(3)
                .cpuDirtyRate(50e6)
                .deviceState(3 << 20)
                .deviceDirtyRate(20e6)
                .locality(Locality.HOT)
                .tracker(Tracker.device("exact"))
                .build());
    assertTrue(r.verdict().passed(), r.verdict().message());
    assertTrue(r.deviceBytesSent() > 3 * (3L << 20), "device data resent: " + r.deviceBytesSent());
  }

  @Test
  void run_everyRegisteredTrackingIommu_verifiesWithAndWithoutSplit() {
    java.util.Set<String> tested = new java.util.TreeSet<>();
    for (org.jvfio.core.spi.IommuDriver d : org.jvfio.core.spi.IommuDriver.available()) {
      if (!d.canTrackDirty()) {
        continue;
      }
      tested.add(d.name());
      for (SplitPolicy split : SplitPolicy.values()) {
        if (split == SplitPolicy.EAGER
            && !d.capabilities().contains(org.jvfio.core.spi.IommuCapability.SPLIT_COLLAPSE)) {
          continue;
        }
        Scenario s =
            small().ioPageSize(2L << 20).split(split).tracker(Tracker.iommu(d.name())).build();
        MigrationResult r = Simulation.run(s);
        assertTrue(r.verdict().passed(), d.name() + " " + split + ": " + r.verdict().message());
        assertEquals(Tracker.iommu(d.name()), r.tracker());
      }
    }
    assertTrue(
        tested.containsAll(List.of("amd-v1", "intel-ss", "mock", "smmuv3")), tested.toString());
    assertEquals("amd-v1", Simulation.defaultIommu());
  }

  @Test
  void run_type1Trackers_verify_physicalSendsEveryMappedPageEveryRound() {
    MigrationResult physical =
        Simulation.run(small().tracker(Tracker.type1(false)).maxRounds(3).build());
    MigrationResult pinned =
        Simulation.run(small().tracker(Tracker.type1(true)).maxRounds(3).build());
    assertTrue(physical.verdict().passed(), physical.verdict().message());
    assertTrue(pinned.verdict().passed(), pinned.verdict().message());
    assertEquals(Tracker.type1(false), physical.tracker());
    long pages = small().build().memory() / Engine.PAGE;
    for (Round r : physical.rounds()) {
      assertEquals(pages, r.dirtyPages(), "round " + r.index() + ": a group that never pins");
    }
    assertTrue(
        pinned.bytesSent() < physical.bytesSent() && pinned.stopCopy().dirtyPages() < pages,
        "pinned pages are reported exactly: " + pinned.stopCopy().dirtyPages());
  }

  @Test
  void run_unknownVendor_failsWithEnodev() {
    var e =
        org.junit.jupiter.api.Assertions.assertThrows(
            org.jvfio.core.UapiException.class,
            () -> Simulation.run(small().tracker(Tracker.iommu("no-such-iommu")).build()));
    assertEquals(org.jvfio.api.Errno.ENODEV, e.errno());
  }
}
