package org.jvfio.sim;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/*
 * Draws the per-round chart with XChart: for one run, dirty pages (left axis) and MiB sent (right
 * axis) per round, the stop-and-copy as the last point; for a comparison, the dirty pages per round
 * of every variant. The file type follows the name: .svg (VectorGraphics2D) or .png. AWT runs
 * headless.
 */
final class Chart {
  private Chart() {}

  /** Returns whether {@code file} names a chart type this class writes. */
  static boolean supports(Path file) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".svg") || name.endsWith(".png");
  }

  static void write(MigrationResult r, Path file) throws IOException {
    XYChart chart = chart("jvfio-sim: " + r.tracker() + ", " + r.ioPageTable(), "dirty pages");
    List<Round> rounds = Report.allRounds(r);
    double[] x = new double[rounds.size()];
    double[] pages = new double[rounds.size()];
    double[] mib = new double[rounds.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = rounds.get(i).index();
      pages[i] = rounds.get(i).dirtyPages();
      mib[i] = rounds.get(i).bytesSent() / (double) (1 << 20);
    }
    chart.addSeries("dirty pages", x, pages).setMarker(SeriesMarkers.CIRCLE);
    XYSeries sent = chart.addSeries("MiB sent", x, mib);
    sent.setMarker(SeriesMarkers.DIAMOND);
    sent.setYAxisGroup(1);
    chart.setYAxisGroupTitle(0, "dirty pages (4 KiB)");
    chart.setYAxisGroupTitle(1, "MiB sent");
    save(chart, file);
  }

  static void write(String key, List<String> labels, List<MigrationResult> results, Path file)
      throws IOException {
    XYChart chart = chart("jvfio-sim: dirty pages per round by " + key, "dirty pages (4 KiB)");
    for (int v = 0; v < results.size(); v++) {
      List<Round> rounds = Report.allRounds(results.get(v));
      double[] x = new double[rounds.size()];
      double[] pages = new double[rounds.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = rounds.get(i).index();
        pages[i] = rounds.get(i).dirtyPages();
      }
      chart.addSeries(labels.get(v), x, pages).setMarker(SeriesMarkers.CIRCLE);
    }
    save(chart, file);
  }

  private static XYChart chart(String title, String yTitle) {
    System.setProperty("java.awt.headless", "true");
    XYChart chart =
        new XYChartBuilder()
            .width(900)
            .height(500)
            .title(title)
            .xAxisTitle("round (last: stop-and-copy)")
            .yAxisTitle(yTitle)
            .build();
    chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
    chart.getStyler().setXAxisDecimalPattern("0");
    return chart;
  }

  private static void save(XYChart chart, Path file) throws IOException {
    String name = file.toString();
    if (name.toLowerCase(Locale.ROOT).endsWith(".svg")) {
      VectorGraphicsEncoder.saveVectorGraphic(
          chart, name, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    } else {
      BitmapEncoder.saveBitmap(chart, name, BitmapEncoder.BitmapFormat.PNG);
    }
  }
}
