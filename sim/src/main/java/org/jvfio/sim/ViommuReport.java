package org.jvfio.sim;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/*
 * Prints the viommu subcommand's results in the main simulator's formats (Report.Format): the
 * one-line summaries (table); CSV with a header and one line per round (one run) or per compared
 * sync setting; JSON as one object of scalars with a round table, or a comparison object with an
 * array of variant objects. Lost pages are guest-physical addresses in hex, ';'-separated in CSV.
 */
final class ViommuReport {
  private ViommuReport() {}

  static void print(ViommuMigration.Result r, Report.Format format, PrintWriter out) {
    switch (format) {
      case CSV -> {
        out.println("round,phase,pages_sent,bytes_sent");
        for (Round round : r.rounds()) {
          out.printf(
              Locale.ROOT,
              "%d,%s,%d,%d%n",
              round.index(),
              round.stopCopy() ? "stop-copy" : "pre-copy",
              round.dirtyPages(),
              round.bytesSent());
        }
      }
      case JSON -> {
        out.println("{");
        for (String field : fields(r)) {
          out.println("  " + field + ",");
        }
        out.println("  \"round_table\": [");
        List<Round> rounds = r.rounds();
        for (int i = 0; i < rounds.size(); i++) {
          Round round = rounds.get(i);
          out.printf(
              Locale.ROOT,
              "    {\"round\": %d, \"phase\": \"%s\", \"pages_sent\": %d, \"bytes_sent\": %d}%s%n",
              round.index(),
              round.stopCopy() ? "stop-copy" : "pre-copy",
              round.dirtyPages(),
              round.bytesSent(),
              i + 1 < rounds.size() ? "," : "");
        }
        out.println("  ]");
        out.println("}");
      }
      default -> out.println(r.summary());
    }
    out.flush();
  }

  static void printComparison(
      List<ViommuMigration.Result> results, Report.Format format, PrintWriter out) {
    switch (format) {
      case CSV -> {
        out.println("sync,iommu,regime,verified,lost_pages,remaps,pages_copied,lost_gpas");
        for (ViommuMigration.Result r : results) {
          ViommuMigration.Config c = r.config();
          out.printf(
              Locale.ROOT,
              "%s,%s,%s,%b,%d,%d,%d,%s%n",
              label(c.sync()),
              c.iommu(),
              label(c.regime()),
              r.passed(),
              r.lostPages().size(),
              r.remaps(),
              r.pagesCopied(),
              hex(r.lostPages(), ";"));
        }
      }
      case JSON -> {
        out.println("{");
        out.println("  \"compare\": \"sync\",");
        out.println("  \"variants\": [");
        for (int i = 0; i < results.size(); i++) {
          out.println(
              "    {"
                  + String.join(", ", fields(results.get(i)))
                  + "}"
                  + (i + 1 < results.size() ? "," : ""));
        }
        out.println("  ]");
        out.println("}");
      }
      default -> results.forEach(r -> out.println(r.summary()));
    }
    out.flush();
  }

  private static List<String> fields(ViommuMigration.Result r) {
    ViommuMigration.Config c = r.config();
    List<String> f = new ArrayList<>();
    f.add("\"iommu\": " + Report.quote(c.iommu()));
    f.add("\"regime\": " + Report.quote(label(c.regime())));
    f.add("\"sync\": " + Report.quote(label(c.sync())));
    f.add("\"verified\": " + r.passed());
    f.add("\"remaps\": " + r.remaps());
    f.add("\"pages_copied\": " + r.pagesCopied());
    f.add("\"lost_pages\": " + r.lostPages().size());
    f.add(
        "\"lost_gpas\": ["
            + r.lostPages().stream()
                .map(p -> Report.quote("0x" + Long.toHexString(p)))
                .collect(Collectors.joining(", "))
            + "]");
    return f;
  }

  static String label(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }

  private static String hex(List<Long> pages, String separator) {
    return pages.stream()
        .map(p -> "0x" + Long.toHexString(p))
        .collect(Collectors.joining(separator));
  }
}
