package org.jvfio.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYSeries;

class ChartTest {
  private static Scenario.Builder small() {
    return Scenario.builder()
        .memory(256L << 20)
        .workingSet(64L << 20)
        .deviceState(256L << 10)
        .dmaRate(100e6)
        .bandwidth(1.25e9)
        .tracker(Tracker.iommu("mock"));
  }

  private static List<String> names(XYChart chart) {
    return List.copyOf(chart.getSeriesMap().keySet());
  }

  @Test
  void panels_oneRun_pagesAndBytesOnSeparatePanelsFromZeroWithPlainNumbers() {
    MigrationResult r = Simulation.run(small().build());
    assertTrue(r.converged());
    List<XYChart> panels = Chart.panels(r);
    assertEquals(2, panels.size());
    for (XYChart panel : panels) {
      assertEquals(0.0, panel.getStyler().getYAxisMin());
      assertEquals("#,##0", panel.getStyler().getYAxisDecimalPattern());
      assertTrue(panel.getStyler().isLegendVisible());
    }
    assertEquals("4 KiB pages sent", panels.get(0).getYAxisTitle());
    assertTrue(panels.get(1).getYAxisTitle().startsWith("MiB sent"));
    assertTrue(
        panels.get(0).getTitle().endsWith("converged after " + r.rounds().size() + " rounds"));

    XYSeries stop = panels.get(0).getSeriesMap().get("stop-and-copy");
    assertArrayEquals(new double[] {r.stopCopy().index()}, stop.getXData());
    assertArrayEquals(new double[] {r.stopCopy().dirtyPages()}, stop.getYData());
    double[] rounds = panels.get(0).getSeriesMap().get("pre-copy round").getYData();
    assertEquals(r.rounds().size(), rounds.length);
    assertEquals((double) r.rounds().get(0).dirtyPages(), rounds[0]);
    double[] mib = panels.get(1).getSeriesMap().get("pre-copy round").getYData();
    assertEquals(r.rounds().get(0).bytesSent() / (double) (1 << 20), mib[0]);
  }

  @Test
  void panels_oneRun_marksTheBytesThatFitInTheDowntimeLimit() {
    MigrationResult r = Simulation.run(small().downtimeLimit(100_000_000L).build());
    String limit =
        names(Chart.panels(r).get(1)).stream()
            .filter(n -> n.startsWith("downtime limit"))
            .findFirst()
            .orElseThrow();
    assertEquals("downtime limit 100.0 ms at 10 Gbit/s: 119 MiB", limit);
    double[] y = Chart.panels(r).get(1).getSeriesMap().get(limit).getYData();
    assertEquals(0.1 * 1.25e9 / (1 << 20), y[0], 1e-9);
  }

  @Test
  void panels_forcedStop_isMarkedAsSuch() {
    MigrationResult r = Simulation.run(small().tracker(Tracker.none()).maxRounds(3).build());
    assertFalse(r.converged());
    List<XYChart> panels = Chart.panels(r);
    assertTrue(panels.get(0).getTitle().contains("forced stop after 3 rounds"));
    for (XYChart panel : panels) {
      assertTrue(
          names(panel).contains("forced stop-and-copy (round limit)"), names(panel).toString());
      assertFalse(names(panel).contains("stop-and-copy"));
    }
  }

  @Test
  void panels_compare_oneLinePerComparedValueOnEachPanel() {
    List<String> labels = List.of("iommu:mock", "none");
    List<MigrationResult> results =
        List.of(
            Simulation.run(small().maxRounds(4).build()),
            Simulation.run(small().tracker(Tracker.none()).maxRounds(4).build()));
    List<XYChart> panels = Chart.panels("tracker", labels, results);
    assertTrue(panels.get(0).getTitle().endsWith("one line per tracker"));
    assertEquals(List.of("iommu:mock", "none (forced stop)"), names(panels.get(0)));
    assertEquals(List.of("iommu:mock", "none (forced stop)"), names(panels.get(1)).subList(0, 2));
    assertTrue(names(panels.get(1)).get(2).startsWith("downtime limit"), "same limit for both");
    assertEquals(
        Report.allRounds(results.get(1)).size(),
        panels.get(0).getSeriesMap().get("none (forced stop)").getXData().length,
        "every round and the stop-and-copy");
  }

  @Test
  void panels_compareByBandwidth_drawsNoSingleDowntimeLine() {
    List<MigrationResult> results =
        List.of(Simulation.run(small().build()), Simulation.run(small().bandwidth(2.5e9).build()));
    List<XYChart> panels = Chart.panels("bandwidth", List.of("10Gbit/s", "20Gbit/s"), results);
    assertEquals(2, panels.get(1).getSeriesMap().size());
  }
}
