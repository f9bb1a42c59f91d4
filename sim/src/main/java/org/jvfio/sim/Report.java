package org.jvfio.sim;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/*
 * Prints results as a human-readable table, as CSV (a header line, then one line per round or per
 * compared variant; raw numbers: bytes, nanoseconds, bytes per second) or as JSON (one object of
 * scalars, with one array of flat round objects; a comparison is an object with an array of flat
 * variant objects). Every number is formatted with Locale.ROOT and nothing depends on the wall
 * clock, so the same results always print the same text.
 */
final class Report {
  private Report() {}

  /** The output formats of {@code --format}. */
  enum Format {
    TABLE,
    CSV,
    JSON
  }

  // --- one run --------------------------------------------------------------------------------

  static void print(MigrationResult r, Format format, PrintWriter out) {
    switch (format) {
      case CSV -> {
        out.println(
            "round,phase,dirty_pages,bytes_sent,harvest_ns,round_ns,dirty_rate_bytes_per_s");
        for (Round round : allRounds(r)) {
          out.printf(
              Locale.ROOT,
              "%d,%s,%d,%d,%d,%d,%.0f%n",
              round.index(),
              round.stopCopy() ? "stop-copy" : "pre-copy",
              round.dirtyPages(),
              round.bytesSent(),
              round.harvestNanos(),
              round.durationNanos(),
              round.dirtyRate());
        }
      }
      case JSON -> {
        out.println("{");
        for (String field : scenarioFields(r)) {
          out.println("  " + field + ",");
        }
        for (String field : summaryFields(r)) {
          out.println("  " + field + ",");
        }
        out.println("  \"round_table\": [");
        List<Round> rounds = allRounds(r);
        for (int i = 0; i < rounds.size(); i++) {
          Round round = rounds.get(i);
          out.printf(
              Locale.ROOT,
              "    {\"round\": %d, \"phase\": \"%s\", \"dirty_pages\": %d, \"bytes_sent\": %d,"
                  + " \"harvest_ns\": %d, \"round_ns\": %d, \"dirty_rate_bytes_per_s\": %.0f}%s%n",
              round.index(),
              round.stopCopy() ? "stop-copy" : "pre-copy",
              round.dirtyPages(),
              round.bytesSent(),
              round.harvestNanos(),
              round.durationNanos(),
              round.dirtyRate(),
              i + 1 < rounds.size() ? "," : "");
        }
        out.println("  ]");
        out.println("}");
      }
      default -> {
        printTable(r, out);
      }
    }
    out.flush();
  }

  private static void printTable(MigrationResult r, PrintWriter out) {
    Scenario s = r.scenario();
    out.printf(
        Locale.ROOT,
        "jvfio-sim: pre-copy live migration of a %s guest with %d device%s%n",
        size(s.memory()),
        s.devices(),
        s.devices() == 1 ? "" : "s");
    out.printf(
        Locale.ROOT,
        "  workload   DMA %s per device, %s over %s each; vCPUs %s; device state %s changing"
            + " at %s%n",
        rate(s.dmaRate()),
        s.locality().name().toLowerCase(Locale.ROOT),
        size(s.workingSet()),
        rate(s.cpuDirtyRate()),
        size(s.deviceState()),
        rate(s.deviceDirtyRate()));
    out.printf(
        Locale.ROOT,
        "  tracking   %s%s, split %s%s; IOMMU %s maps %s%n",
        r.tracker(),
        trackerNote(r),
        s.split().name().toLowerCase(Locale.ROOT),
        s.harvestChunk() == 0 ? "" : ", harvest in " + size(s.harvestChunk()) + " chunks",
        r.iommu(),
        r.ioPageTable());
    out.printf(
        Locale.ROOT,
        "  link       %s (%s); downtime limit %s; at most %d rounds; seed %d%n",
        bits(s.bandwidth()),
        rate(s.bandwidth()),
        time(s.downtimeLimit()),
        s.maxRounds(),
        s.seed());
    out.println();
    out.printf(
        Locale.ROOT,
        "%5s  %12s  %11s  %9s  %10s  %11s%n",
        "round",
        "dirty pages",
        "bytes sent",
        "harvest",
        "round time",
        "dirty rate");
    for (Round round : allRounds(r)) {
      out.printf(
          Locale.ROOT,
          "%5s  %12d  %11s  %9s  %10s  %11s%n",
          round.stopCopy() ? "stop" : Integer.toString(round.index()),
          round.dirtyPages(),
          size(round.bytesSent()),
          time(round.harvestNanos()),
          time(round.durationNanos()),
          round.stopCopy() ? "(VM stopped)" : rate(round.dirtyRate()));
    }
    out.println();
    out.printf(
        Locale.ROOT,
        "%s; total %s, downtime %s (limit %s); sent %s (device data %s)%n",
        r.converged()
            ? "converged after " + r.rounds().size() + plural(" round", r.rounds().size())
            : "did NOT converge in "
                + r.rounds().size()
                + plural(" round", r.rounds().size())
                + ": forced stop-and-copy",
        time(r.totalNanos()),
        time(r.downtimeNanos()),
        time(s.downtimeLimit()),
        size(r.bytesSent()),
        size(r.deviceBytesSent()));
    out.println("verification " + r.verdict().message());
  }

  private static String trackerNote(MigrationResult r) {
    Scenario s = r.scenario();
    if (s.tracker().kind() == Tracker.Kind.IOMMU && s.tracker().profile().equals(Tracker.AUTO)) {
      return r.iommu().equals("amd-v1") ? " (default)" : " (default; amd-v1 is not registered)";
    }
    return "";
  }

  // --- comparisons ----------------------------------------------------------------------------

  static void printComparison(
      String key,
      List<String> labels,
      List<MigrationResult> results,
      Format format,
      PrintWriter out) {
    switch (format) {
      case CSV -> {
        out.println(
            "variant,tracker,io_page_size,converged,rounds,total_ns,downtime_ns,bytes_sent,"
                + "device_bytes_sent,harvest_ns,verified");
        for (int i = 0; i < results.size(); i++) {
          MigrationResult r = results.get(i);
          out.printf(
              Locale.ROOT,
              "%s,%s,%d,%b,%d,%d,%d,%d,%d,%d,%b%n",
              labels.get(i),
              r.tracker(),
              r.scenario().ioPageSize(),
              r.converged(),
              r.rounds().size(),
              r.totalNanos(),
              r.downtimeNanos(),
              r.bytesSent(),
              r.deviceBytesSent(),
              harvestNanos(r),
              r.verdict().passed());
        }
      }
      case JSON -> {
        out.println("{");
        out.println("  \"compare\": " + quote(key) + ",");
        out.println("  \"variants\": [");
        for (int i = 0; i < results.size(); i++) {
          List<String> fields = new ArrayList<>();
          fields.add("\"variant\": " + quote(labels.get(i)));
          fields.addAll(scenarioFields(results.get(i)));
          fields.addAll(summaryFields(results.get(i)));
          out.println(
              "    {" + String.join(", ", fields) + "}" + (i + 1 < results.size() ? "," : ""));
        }
        out.println("  ]");
        out.println("}");
      }
      default -> {
        printComparisonTable(key, labels, results, out);
      }
    }
    out.flush();
  }

  private static void printComparisonTable(
      String key, List<String> labels, List<MigrationResult> results, PrintWriter out) {
    Scenario s = results.get(0).scenario();
    out.printf(
        Locale.ROOT,
        "jvfio-sim: %s guest, %d device%s at %s DMA each, link %s, downtime limit %s;"
            + " compared by %s%n%n",
        size(s.memory()),
        s.devices(),
        s.devices() == 1 ? "" : "s",
        rate(s.dmaRate()),
        bits(s.bandwidth()),
        time(s.downtimeLimit()),
        key);
    List<String[]> rows = new ArrayList<>();
    rows.add(row(key, labels, Function.identity()));
    if (!key.equals("tracker")) {
      rows.add(row("tracker", results, r -> r.tracker().toString())); // as resolved
    }
    rows.add(row("IO page table", results, MigrationResult::ioPageTable));
    rows.add(row("converged", results, r -> r.converged() ? "yes" : "NO (forced stop)"));
    rows.add(row("rounds", results, r -> Integer.toString(r.rounds().size())));
    rows.add(row("total time", results, r -> time(r.totalNanos())));
    rows.add(row("downtime", results, r -> time(r.downtimeNanos())));
    rows.add(row("bytes sent", results, r -> size(r.bytesSent())));
    rows.add(row("pages at stop", results, r -> Long.toString(r.stopCopy().dirtyPages())));
    rows.add(row("harvest time", results, r -> time(harvestNanos(r))));
    rows.add(row("verification", results, r -> r.verdict().passed() ? "PASSED" : "FAILED"));
    int[] widths = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int c = 0; c < row.length; c++) {
        widths[c] = Math.max(widths[c], row[c].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder b = new StringBuilder();
      for (int c = 0; c < row.length; c++) {
        String cell = row[c];
        b.append(c == 0 ? padRight(cell, widths[c]) : "  " + padLeft(cell, widths[c]));
      }
      out.println(b.toString().stripTrailing());
    }
    for (int i = 0; i < results.size(); i++) {
      if (!results.get(i).verdict().passed()) {
        out.println(labels.get(i) + ": verification " + results.get(i).verdict().message());
      }
    }
  }

  private static <T> String[] row(String name, List<T> items, Function<T, String> cell) {
    String[] row = new String[items.size() + 1];
    row[0] = name;
    for (int i = 0; i < items.size(); i++) {
      row[i + 1] = cell.apply(items.get(i));
    }
    return row;
  }

  // --- shared pieces --------------------------------------------------------------------------

  static List<Round> allRounds(MigrationResult r) {
    List<Round> all = new ArrayList<>(r.rounds());
    all.add(r.stopCopy());
    return all;
  }

  static long harvestNanos(MigrationResult r) {
    long total = 0;
    for (Round round : allRounds(r)) {
      total += round.harvestNanos();
    }
    return total;
  }

  private static List<String> scenarioFields(MigrationResult r) {
    Scenario s = r.scenario();
    List<String> f = new ArrayList<>();
    f.add("\"memory_bytes\": " + s.memory());
    f.add("\"io_page_size\": " + s.ioPageSize());
    f.add("\"devices\": " + s.devices());
    f.add("\"dma_rate_bytes_per_s\": " + number(s.dmaRate()));
    f.add("\"working_set_bytes\": " + s.workingSet());
    f.add("\"locality\": " + quote(s.locality().name().toLowerCase(Locale.ROOT)));
    f.add("\"cpu_dirty_rate_bytes_per_s\": " + number(s.cpuDirtyRate()));
    f.add("\"tracker\": " + quote(r.tracker().toString()));
    f.add("\"iommu\": " + quote(r.iommu()));
    f.add("\"io_page_table\": " + quote(r.ioPageTable()));
    f.add("\"split\": " + quote(s.split().name().toLowerCase(Locale.ROOT)));
    f.add("\"harvest_chunk_bytes\": " + s.harvestChunk());
    f.add("\"bandwidth_bytes_per_s\": " + number(s.bandwidth()));
    f.add("\"downtime_limit_ns\": " + s.downtimeLimit());
    f.add("\"max_rounds\": " + s.maxRounds());
    f.add("\"device_state_bytes\": " + s.deviceState());
    f.add("\"device_dirty_rate_bytes_per_s\": " + number(s.deviceDirtyRate()));
    f.add("\"seed\": " + s.seed());
    return f;
  }

  private static List<String> summaryFields(MigrationResult r) {
    List<String> f = new ArrayList<>();
    f.add("\"converged\": " + r.converged());
    f.add("\"rounds\": " + r.rounds().size());
    f.add("\"total_ns\": " + r.totalNanos());
    f.add("\"downtime_ns\": " + r.downtimeNanos());
    f.add("\"bytes_sent\": " + r.bytesSent());
    f.add("\"device_bytes_sent\": " + r.deviceBytesSent());
    f.add("\"harvest_ns\": " + harvestNanos(r));
    f.add("\"verified\": " + r.verdict().passed());
    f.add("\"pages_differing\": " + r.verdict().pagesDiffering());
    f.add("\"verdict\": " + quote(r.verdict().message()));
    return f;
  }

  private static String number(double value) {
    return String.format(Locale.ROOT, "%.0f", value);
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }

  /** Formats bytes with a binary unit, without a zero fraction: {@code 4 GiB}, {@code 1.50 GiB}. */
  static String size(long bytes) {
    return Units.formatSize((double) bytes).replace(".00 ", " ");
  }

  /** Formats nanoseconds with a readable unit, e.g. {@code 12.3 ms}. */
  static String time(long nanos) {
    return Units.formatDuration((double) nanos);
  }

  /** Formats bytes per second with a decimal unit, e.g. {@code 400 MB/s}. */
  static String rate(double bytesPerSecond) {
    String[] units = {"B/s", "kB/s", "MB/s", "GB/s", "TB/s"};
    double v = bytesPerSecond;
    int u = 0;
    while (v >= 1000 && u < units.length - 1) {
      v /= 1000;
      u++;
    }
    return String.format(Locale.ROOT, v >= 100 || u == 0 ? "%.0f %s" : "%.3g %s", v, units[u]);
  }

  /** Formats a byte rate as bits per second, e.g. {@code 25 Gbit/s}. */
  static String bits(double bytesPerSecond) {
    return rate(bytesPerSecond * 8).replace("B/s", "bit/s");
  }

  private static String plural(String word, long n) {
    return n == 1 ? word : word + "s";
  }

  private static String padRight(String s, int width) {
    return s + " ".repeat(width - s.length());
  }

  private static String padLeft(String s, int width) {
    return " ".repeat(width - s.length()) + s;
  }
}
