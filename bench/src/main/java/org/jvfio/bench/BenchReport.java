package org.jvfio.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * Runs the jvfio benchmarks and prints each model figure as a ratio to the floor measured in the
 * same run.
 *
 * <p>Convention: in every benchmark class a method {@code x_model} has a twin {@code x_floor} that
 * does the least possible work over the same memory, and may have further floors {@code
 * x_floorName} (one report line each, marked "vs Name"); all report time per operation for the same
 * parameters. Two ratios are printed: of the CPU time per operation of the benchmark thread ({@link
 * CpuTime}, where the benchmark records it), which the waits for a core on a shared machine do not
 * inflate, and of the wall-clock medians of the measurement iterations. Arguments are JMH's own
 * command-line options (for example a benchmark regex, {@code -f 1 -wi 2 -i 3}); with none, every
 * benchmark runs with the settings of its class. Unless {@code -Djvfio.bench.memory=false}, the
 * memory report of {@link MemoryReport} follows.
 */
public final class BenchReport {
  private BenchReport() {}

  /**
   * Runs JMH with {@code args} and prints the ratio report.
   *
   * @throws RunnerException if JMH fails
   * @throws CommandLineOptionException if the arguments are not JMH options
   */
  public static void main(String[] args) throws RunnerException, CommandLineOptionException {
    Options options = new OptionsBuilder().parent(new CommandLineOptions(args)).build();
    Collection<RunResult> results = new Runner(options).run();
    System.out.println();
    System.out.println(report(results));
    if (Boolean.parseBoolean(System.getProperty("jvfio.bench.memory", "true"))) {
      System.out.println();
      System.out.println(MemoryReport.report(List.of("mock", "amd-v1", "intel-ss", "smmuv3")));
    }
  }

  /**
   * One result: wall-clock median per operation, and CPU ns per operation (NaN if not measured).
   */
  private record Figure(double wall, double cpuNs) {}

  static String report(Collection<RunResult> results) {
    Map<String, Figure> figures = new LinkedHashMap<>();
    for (RunResult r : results) {
      Map<String, Result> secondary = r.getSecondaryResults();
      double cpu =
          secondary.containsKey("cpuNs") && secondary.containsKey("ops")
              ? secondary.get("cpuNs").getScore() / secondary.get("ops").getScore()
              : Double.NaN;
      figures.put(
          r.getParams().getBenchmark() + paramsOf(r),
          new Figure(r.getPrimaryResult().getStatistics().getPercentile(50), cpu));
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            "%-66s %14s %14s %9s %10s",
            "benchmark [params]",
            "model cpu/op",
            "floor cpu/op",
            "cpu ratio",
            "wall ratio"));
    for (Map.Entry<String, Figure> e : figures.entrySet()) {
      String key = e.getKey();
      int at = key.indexOf("_model");
      if (at < 0) {
        continue;
      }
      // Floors of x_model [params]: x_floor [params] and any x_floorName [params].
      String floorPrefix = key.substring(0, at) + "_floor";
      String params = key.substring(at + "_model".length());
      int dot = key.lastIndexOf('.', at);
      String cls = key.substring(0, dot);
      String name =
          cls.substring(cls.lastIndexOf('.') + 1).replace("Bench", "")
              + "."
              + key.substring(dot + 1, at);
      Figure model = e.getValue();
      for (Map.Entry<String, Figure> f : figures.entrySet()) {
        String fk = f.getKey();
        if (!fk.startsWith(floorPrefix) || !fk.endsWith(params)) {
          continue;
        }
        String floorName = fk.substring(floorPrefix.length(), fk.length() - params.length());
        if (floorName.contains(" ")) {
          continue;
        }
        Figure floor = f.getValue();
        lines.add(
            String.format(
                Locale.ROOT,
                "%-66s %14s %14s %9s %9.2fx",
                name + (floorName.isEmpty() ? "" : " vs " + floorName) + params,
                nanos(model.cpuNs),
                nanos(floor.cpuNs),
                Double.isNaN(model.cpuNs)
                    ? "-"
                    : String.format(Locale.ROOT, "%.2fx", model.cpuNs / floor.cpuNs),
                model.wall / floor.wall));
      }
    }
    return String.join(System.lineSeparator(), lines);
  }

  private static String nanos(double ns) {
    if (Double.isNaN(ns)) {
      return "-";
    }
    return ns >= 1e6
        ? String.format(Locale.ROOT, "%.3f ms", ns / 1e6)
        : ns >= 1e3
            ? String.format(Locale.ROOT, "%.3f us", ns / 1e3)
            : String.format(Locale.ROOT, "%.1f ns", ns);
  }

  private static String paramsOf(RunResult r) {
    StringBuilder sb = new StringBuilder();
    for (String k : r.getParams().getParamsKeys()) {
      sb.append(sb.length() == 0 ? " [" : ", ")
          .append(k)
          .append('=')
          .append(r.getParams().getParam(k));
    }
    return sb.length() == 0 ? "" : sb.append(']').toString();
  }
}
