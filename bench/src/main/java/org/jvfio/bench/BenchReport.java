package org.jvfio.bench;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * does the least possible work over the same memory; both report time per operation for the same
 * parameters. The ratio is taken between the medians of the measurement iterations, which resist
 * the interference of other processes better than means on a shared machine. Arguments are JMH's
 * own command-line options (for example a benchmark regex, {@code -f 1 -wi 2 -i 3}); with none,
 * every benchmark runs with the settings of its class. Unless {@code -Djvfio.bench.memory=false},
 * the memory report of {@link MemoryReport} follows.
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
      System.out.println(MemoryReport.report(List.of("mock", "amd-v1", "smmuv3")));
    }
  }

  static String report(Collection<RunResult> results) {
    Map<String, Double> scores = new LinkedHashMap<>();
    Map<String, String> units = new LinkedHashMap<>();
    for (RunResult r : results) {
      String key = r.getParams().getBenchmark() + paramsOf(r);
      scores.put(key, r.getPrimaryResult().getStatistics().getPercentile(50));
      units.put(key, r.getPrimaryResult().getScoreUnit());
    }
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            "%-64s %14s %14s %8s",
            "benchmark [params] (medians)",
            "model",
            "floor",
            "ratio"));
    for (Map.Entry<String, Double> e : scores.entrySet()) {
      String key = e.getKey();
      if (!key.contains("_model")) {
        continue;
      }
      String floorKey = key.replace("_model", "_floor");
      Double floor = scores.get(floorKey);
      String method = key.substring(key.lastIndexOf('.', key.indexOf('_')) + 1);
      String cls = key.substring(0, key.lastIndexOf('.', key.indexOf('_')));
      String name =
          cls.substring(cls.lastIndexOf('.') + 1).replace("Bench", "")
              + "."
              + method.replace("_model", "");
      lines.add(
          String.format(
              Locale.ROOT,
              "%-64s %10.3f %-3s %10s %-3s %8s",
              name,
              e.getValue(),
              shortUnit(units.get(key)),
              floor == null ? "-" : String.format(Locale.ROOT, "%.3f", floor),
              floor == null ? "" : shortUnit(units.get(floorKey)),
              floor == null ? "-" : String.format(Locale.ROOT, "%.2fx", e.getValue() / floor)));
    }
    return String.join(System.lineSeparator(), lines);
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

  private static String shortUnit(String unit) {
    return unit.replace("/op", "");
  }
}
