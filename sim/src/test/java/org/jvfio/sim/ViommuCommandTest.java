package org.jvfio.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvfio.sim.ViommuMigration.Regime;
import org.jvfio.sim.ViommuMigration.Result;
import org.jvfio.sim.ViommuMigration.Sync;
import org.knowm.xchart.XYChart;

/**
 * The {@code viommu} subcommand's output read back: CSV and JSON for one run and for {@code
 * --compare}, the chart, and the one-line refusal of SMMUv3 nesting with exit status 2.
 */
class ViommuCommandTest {
  /** The guest of {@link ViommuMigrationTest#config}: small, and losing pages without the sync. */
  static final String[] SMALL = {
    "viommu",
    "--ram-pages",
    "1024",
    "--buffers",
    "32",
    "--rounds",
    "4",
    "--writes",
    "60",
    "--remaps",
    "8",
    "--seed",
    Long.toString(0x5EEDL)
  };

  record Run(int status, String out, String err) {}

  static Run run(String... args) {
    String[] all = Arrays.copyOf(SMALL, SMALL.length + args.length);
    System.arraycopy(args, 0, all, SMALL.length, args.length);
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = SimCommand.execute(new PrintWriter(out), new PrintWriter(err), all);
    return new Run(status, out.toString(), err.toString());
  }

  static Result expected(String iommu, Sync sync) {
    return ViommuMigration.run(ViommuMigrationTest.config(iommu, Regime.SHADOW, sync));
  }

  @Test
  void nestedSmmuv3_isRefusedInOneLineWithExitStatusTwo() {
    Run r = run("--iommu", "smmuv3", "--regime", "nested", "--compare", "sync=on,off");
    assertEquals(2, r.status(), r.err());
    assertEquals("", r.out());
    List<String> lines = r.err().lines().toList();
    assertEquals(1, lines.size(), r.err());
    String line = lines.get(0);
    assertTrue(line.startsWith("smmuv3 NESTED: refused, EOPNOTSUPP"), line);
    assertTrue(line.contains("no dirty tracking on an SMMUv3 nest parent"), line);
    assertTrue(line.contains("QEMU does not migrate"), line);
  }

  @Test
  void shadowSmmuv3_compareAsCsv_readsBackAsTheRuns() {
    Run r = run("--iommu", "smmuv3", "--compare", "sync=on,off", "--format", "csv");
    assertEquals(1, r.status(), "sync=off loses pages: " + r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals(
        "sync,iommu,regime,verified,lost_pages,remaps,pages_copied,lost_gpas", lines.get(0));
    assertEquals(3, lines.size(), r.out());
    for (int i = 0; i < 2; i++) {
      Sync sync = i == 0 ? Sync.ON : Sync.OFF;
      Result want = expected("smmuv3", sync);
      String[] cells = lines.get(1 + i).split(",", -1);
      assertEquals(sync.name().toLowerCase(java.util.Locale.ROOT), cells[0]);
      assertEquals("smmuv3", cells[1]);
      assertEquals("shadow", cells[2]);
      assertEquals(want.passed(), Boolean.parseBoolean(cells[3]));
      assertEquals(want.lostPages().size(), Integer.parseInt(cells[4]));
      assertEquals(want.remaps(), Long.parseLong(cells[5]));
      assertEquals(want.pagesCopied(), Long.parseLong(cells[6]));
      List<Long> gpas = new ArrayList<>();
      for (String g : cells[7].isEmpty() ? new String[0] : cells[7].split(";")) {
        gpas.add(Long.decode(g));
      }
      assertEquals(want.lostPages(), gpas);
    }
    assertTrue(lines.get(1).startsWith("on,smmuv3,shadow,true,0,"), lines.get(1));
    assertTrue(lines.get(2).startsWith("off,smmuv3,shadow,false,"), lines.get(2));
  }

  @Test
  void oneRunAsCsv_listsEveryRoundAndItsPages() {
    Run r = run("--format", "csv");
    assertEquals(0, r.status(), r.err());
    List<String> lines = r.out().lines().toList();
    assertEquals("round,phase,pages_sent,bytes_sent", lines.get(0));
    Result want = expected("intel-ss", Sync.ON);
    assertEquals(want.pagesSentPerRound().size() + 1, lines.size(), r.out());
    long pages = 0;
    for (int i = 1; i < lines.size(); i++) {
      String[] cells = lines.get(i).split(",");
      assertEquals(i, Integer.parseInt(cells[0]));
      assertEquals(i + 1 == lines.size() ? "stop-copy" : "pre-copy", cells[1]);
      pages += Long.parseLong(cells[2]);
      assertEquals(Long.parseLong(cells[2]) * 4096, Long.parseLong(cells[3]));
    }
    assertEquals(want.pagesCopied(), pages);
    assertTrue(r.err().contains("sync=ON: PASS"), "the verdict goes to stderr: " + r.err());
  }

  @Test
  @SuppressWarnings("unchecked")
  void oneRunAsJson_readsBackAsTheRun() {
    Run r = run("--sync", "off", "--format", "json");
    Result want = expected("intel-ss", Sync.OFF);
    assertEquals(want.passed() ? 0 : 1, r.status(), r.err());
    Map<String, Object> json = (Map<String, Object>) new SimCommandTest.Json(r.out()).parse();
    assertEquals("intel-ss", json.get("iommu"));
    assertEquals("shadow", json.get("regime"));
    assertEquals("off", json.get("sync"));
    assertEquals(want.passed(), json.get("verified"));
    assertEquals((double) want.lostPages().size(), json.get("lost_pages"));
    List<Object> gpas = (List<Object>) json.get("lost_gpas");
    assertEquals(want.lostPages().size(), gpas.size());
    assertEquals("0x" + Long.toHexString(want.lostPages().get(0)), gpas.get(0));
    List<Object> rounds = (List<Object>) json.get("round_table");
    assertEquals(want.pagesSentPerRound().size(), rounds.size());
    Map<String, Object> last = (Map<String, Object>) rounds.get(rounds.size() - 1);
    assertEquals("stop-copy", last.get("phase"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void compareAsJson_hasOneVariantPerSyncSetting() {
    Run r = run("--compare", "sync=on,off", "--format", "json");
    Map<String, Object> json = (Map<String, Object>) new SimCommandTest.Json(r.out()).parse();
    assertEquals("sync", json.get("compare"));
    List<Object> variants = (List<Object>) json.get("variants");
    assertEquals(2, variants.size());
    Map<String, Object> on = (Map<String, Object>) variants.get(0);
    Map<String, Object> off = (Map<String, Object>) variants.get(1);
    assertEquals("on", on.get("sync"));
    assertEquals(true, on.get("verified"));
    assertEquals("off", off.get("sync"));
    assertEquals(false, off.get("verified"));
    assertEquals((double) expected("intel-ss", Sync.OFF).lostPages().size(), off.get("lost_pages"));
  }

  @Test
  void compareWithChart_writesOneLinePerSyncSettingAndKeepsStdoutTheReport(@TempDir Path dir)
      throws IOException {
    Path svg = dir.resolve("viommu.svg");
    Run r = run("--compare", "sync=on,off", "--chart", svg.toString());
    assertEquals(1, r.status(), r.err());
    String text = Files.readString(svg, StandardCharsets.UTF_8);
    assertTrue(text.contains("<svg"));
    List<Result> results = List.of(expected("intel-ss", Sync.ON), expected("intel-ss", Sync.OFF));
    List<XYChart> panels =
        Chart.roundPanels(
            "t", ViommuCommand.chartLabels(results), ViommuCommand.chartRounds(results));
    for (XYChart panel : panels) {
      assertEquals(List.of("sync=on", "sync=off"), List.copyOf(panel.getSeriesMap().keySet()));
    }
    double[] pages = panels.get(0).getSeriesMap().get("sync=off").getYData();
    assertEquals(results.get(1).pagesSentPerRound().size(), pages.length);
    assertTrue(r.err().contains("chart written to " + svg));
    assertFalse(r.out().contains("chart written"));
    assertTrue(r.out().contains("sync=ON: PASS"), r.out());
  }

  @Test
  void chartOfAnUnsupportedType_isAUsageError(@TempDir Path dir) {
    Run r = run("--chart", dir.resolve("viommu.gif").toString());
    assertEquals(2, r.status());
    assertTrue(r.err().contains("must name a .svg or .png file"), r.err());
  }
}
