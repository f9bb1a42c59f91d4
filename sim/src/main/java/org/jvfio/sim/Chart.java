package org.jvfio.sim;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/*
 * Draws the per-round chart with XChart as two panels over the same rounds: the 4 KiB guest pages
 * sent per round on top, the MiB sent (pages and device data) below, each y-axis from zero with
 * plain numbers. One run draws its pre-copy rounds as a line, the stop-and-copy as a separate point
 * (red and named "forced" when the round limit, not the downtime limit, ended pre-copy), and on the
 * MiB panel the bytes the link carries within the downtime limit. A comparison draws one line per
 * compared value in the same colour on both panels, its last point the stop-and-copy.
 *
 * The file type follows the name: .png (both panels in one bitmap) or .svg (each panel rendered
 * by VectorGraphics2D, nested in one SVG document). AWT runs headless.
 */
final class Chart {
  private Chart() {}

  private static final int WIDTH = 900;
  private static final int PAGES_HEIGHT = 390;
  private static final int BYTES_HEIGHT = 350;
  private static final double MIB = 1 << 20;
  private static final Color PRE_COPY = new Color(0x1f77b4);
  private static final Color STOP_COPY = new Color(0x2ca02c);
  private static final Color FORCED_STOP = new Color(0xd62728);
  private static final Color LIMIT = new Color(0x7f7f7f);

  /** Returns whether {@code file} names a chart type this class writes. */
  static boolean supports(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".svg") || name.endsWith(".png");
  }

  static void write(MigrationResult r, Path file) throws IOException {
    save(panels(r), file);
  }

  static void write(String key, List<String> labels, List<MigrationResult> results, Path file)
      throws IOException {
    save(panels(key, labels, results), file);
  }

  /** Writes the chart of runs that have rounds but no scenario (the {@code viommu} subcommand). */
  static void writeRounds(String title, List<String> labels, List<List<Round>> runs, Path file)
      throws IOException {
    save(roundPanels(title, labels, runs), file);
  }

  /** Returns the two panels of such runs: one line per label on each, the last point the stop. */
  static List<XYChart> roundPanels(String title, List<String> labels, List<List<Round>> runs) {
    XYChart pages = panel(title, "4 KiB pages sent", PAGES_HEIGHT);
    XYChart bytes = panel("", "MiB sent", BYTES_HEIGHT);
    for (int v = 0; v < runs.size(); v++) {
      line(pages, labels.get(v), runs.get(v), Round::dirtyPages, null);
      line(bytes, labels.get(v), runs.get(v), round -> round.bytesSent() / MIB, null);
    }
    return List.of(pages, bytes);
  }

  /** Returns the two panels of one run: pages sent, then MiB sent. */
  static List<XYChart> panels(MigrationResult r) {
    String outcome =
        r.converged()
            ? "converged after " + r.rounds().size() + " rounds"
            : "forced stop after " + r.rounds().size() + " rounds (the round limit)";
    XYChart pages =
        panel(
            "jvfio-sim: " + r.tracker() + ", " + r.ioPageTable() + ": " + outcome,
            "4 KiB pages sent",
            PAGES_HEIGHT);
    XYChart bytes = panel("", "MiB sent (pages + device data)", BYTES_HEIGHT);
    List<Round> rounds = r.rounds();
    Round stop = r.stopCopy();
    String stopName = r.converged() ? "stop-and-copy" : "forced stop-and-copy (round limit)";
    Color stopColor = r.converged() ? STOP_COPY : FORCED_STOP;
    line(pages, "pre-copy round", rounds, Round::dirtyPages, PRE_COPY);
    point(pages, stopName, stop.index(), (double) stop.dirtyPages(), stopColor);
    line(bytes, "pre-copy round", rounds, round -> round.bytesSent() / MIB, PRE_COPY);
    point(bytes, stopName, stop.index(), stop.bytesSent() / MIB, stopColor);
    downtimeLimit(bytes, r.scenario(), stop.index());
    return List.of(pages, bytes);
  }

  /** Returns the two panels of a comparison, one line per compared value on each. */
  static List<XYChart> panels(String key, List<String> labels, List<MigrationResult> results) {
    XYChart pages =
        panel(
            "jvfio-sim: pages and MiB sent per round, one line per " + key,
            "4 KiB pages sent",
            PAGES_HEIGHT);
    XYChart bytes = panel("", "MiB sent (pages + device data)", BYTES_HEIGHT);
    int last = 1;
    for (int v = 0; v < results.size(); v++) {
      MigrationResult r = results.get(v);
      String name = labels.get(v) + (r.converged() ? "" : " (forced stop)");
      List<Round> rounds = Report.allRounds(r);
      line(pages, name, rounds, Round::dirtyPages, null);
      line(bytes, name, rounds, round -> round.bytesSent() / MIB, null);
      last = Math.max(last, r.stopCopy().index());
    }
    if (results.stream().map(r -> limitBytes(r.scenario())).distinct().count() == 1) {
      downtimeLimit(bytes, results.get(0).scenario(), last);
    }
    return List.of(pages, bytes);
  }

  private static XYChart panel(String title, String yTitle, int height) {
    System.setProperty("java.awt.headless", "true");
    XYChart chart =
        new XYChartBuilder()
            .width(WIDTH)
            .height(height)
            .title(title)
            .xAxisTitle("round (the last is the stop-and-copy)")
            .yAxisTitle(yTitle)
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
    chart.getStyler().setLegendLayout(Styler.LegendLayout.Horizontal);
    chart.getStyler().setLegendBorderColor(Color.WHITE);
    chart.getStyler().setXAxisDecimalPattern("0");
    chart.getStyler().setYAxisDecimalPattern("#,##0");
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setMarkerSize(7);
    return chart;
  }

  private interface Value {
    double of(Round r);
  }

  private static void line(XYChart chart, String name, List<Round> rounds, Value y, Color color) {
    double[] xs = new double[rounds.size()];
    double[] ys = new double[rounds.size()];
    for (int i = 0; i < xs.length; i++) {
      xs[i] = rounds.get(i).index();
      ys[i] = y.of(rounds.get(i));
    }
    XYSeries s = chart.addSeries(name, xs, ys);
    s.setMarker(SeriesMarkers.CIRCLE);
    if (color != null) {
      s.setLineColor(color);
      s.setMarkerColor(color);
    }
  }

  private static void point(XYChart chart, String name, double x, double y, Color color) {
    XYSeries s = chart.addSeries(name, new double[] {x}, new double[] {y});
    s.setMarker(SeriesMarkers.DIAMOND);
    s.setMarkerColor(color);
    s.setLineStyle(SeriesLines.NONE);
  }

  /** Bytes the link carries within the downtime limit. */
  private static double limitBytes(Scenario s) {
    return s.downtimeLimit() / 1e9 * s.bandwidth();
  }

  /**
   * Draws, across the rounds, the MiB the link sends within the downtime limit: pre-copy stops once
   * the estimated stop-and-copy (what is left plus the harvest) fits in the limit.
   */
  private static void downtimeLimit(XYChart bytes, Scenario s, int lastRound) {
    double mib = limitBytes(s) / MIB;
    String name =
        String.format(
            Locale.ROOT,
            "downtime limit %s at %s Gbit/s: %,.0f MiB",
            Units.formatDuration((double) s.downtimeLimit()),
            BigDecimal.valueOf(s.bandwidth() * 8 / 1e9)
                .round(new MathContext(4))
                .stripTrailingZeros()
                .toPlainString(),
            mib);
    XYSeries limit = bytes.addSeries(name, new double[] {1, lastRound}, new double[] {mib, mib});
    limit.setMarker(SeriesMarkers.NONE);
    limit.setLineColor(LIMIT);
    limit.setLineStyle(
        new BasicStroke(
            1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
  }

  private static void save(List<XYChart> panels, Path file) throws IOException {
    XYChart top = panels.get(0);
    XYChart bottom = panels.get(1);
    String name = file.toString();
    if (name.toLowerCase(Locale.ROOT).endsWith(".svg")) {
      String svg =
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
              + String.format(
                  Locale.ROOT,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\""
                      + " height=\"%d\">%n",
                  WIDTH,
                  PAGES_HEIGHT + BYTES_HEIGHT)
              + nestedSvg(top, 0)
              + nestedSvg(bottom, PAGES_HEIGHT)
              + "</svg>\n";
      Files.writeString(file, svg, StandardCharsets.UTF_8);
    } else {
      BufferedImage image =
          new BufferedImage(WIDTH, PAGES_HEIGHT + BYTES_HEIGHT, BufferedImage.TYPE_INT_RGB);
      Graphics2D g = image.createGraphics();
      top.paint(g, WIDTH, PAGES_HEIGHT);
      g.translate(0, PAGES_HEIGHT);
      bottom.paint(g, WIDTH, BYTES_HEIGHT);
      g.dispose();
      ImageIO.write(image, "png", file.toFile());
    }
  }

  /** Returns the chart as an {@code <svg>} element moved {@code y} pixels down. */
  private static String nestedSvg(XYChart chart, int y) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    VectorGraphicsEncoder.saveVectorGraphic(
        chart, bytes, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    String doc = bytes.toString(StandardCharsets.UTF_8);
    return "<g transform=\"translate(0,"
        + y
        + ")\">\n"
        + doc.substring(doc.indexOf("<svg")).strip()
        + "\n</g>\n";
  }
}
