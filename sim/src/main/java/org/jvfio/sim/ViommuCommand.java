package org.jvfio.sim;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.jvfio.core.UapiException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code viommu} subcommand: migrates a guest whose vIOMMU remaps its DMA buffers every round
 * ({@link ViommuMigration}) and verifies it, with the VMM's unmap-time dirty sync on or off.
 */
@Command(
    name = "viommu",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Migrates a guest whose vIOMMU unmaps and remaps its device's DMA buffers every round, and"
          + " compares the destination's memory with the source's. In shadow mode (an emulated"
          + " vIOMMU) a guest unmap is an IOMMU_IOAS_UNMAP: with --sync on the VMM first reads"
          + " the range's dirty bits, as QEMU does since Dec 2025; with --sync off (older QEMU)"
          + " pages written through a mapping removed between two syncs are lost and named. In"
          + " nested mode the guest remaps in its own stage 1 and nothing is lost (VT-d); an"
          + " SMMUv3 nest parent has no dirty tracking in Linux, so that setup is refused.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  jvfio-sim viommu --compare sync=on,off",
      "  jvfio-sim viommu --iommu smmuv3 --compare sync=on,off",
      "  jvfio-sim viommu --regime nested --compare sync=on,off",
      "  jvfio-sim viommu --compare sync=on,off --format csv --chart viommu.svg",
      "",
      "Exit status: 0 every run verified, 1 a run failed verification, 2 a usage error or the"
          + " kernel refused the setup."
    })
final class ViommuCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(names = "--iommu", description = "IOMMU driver (default: ${DEFAULT-VALUE})")
  String iommu = "intel-ss";

  @Option(names = "--regime", description = "shadow or nested (default: ${DEFAULT-VALUE})")
  ViommuMigration.Regime regime = ViommuMigration.Regime.SHADOW;

  @Option(names = "--sync", description = "unmap-time dirty sync: on or off (default: on)")
  ViommuMigration.Sync sync = ViommuMigration.Sync.ON;

  @Option(names = "--ram-pages", description = "guest RAM in 4 KiB pages (default: 4096)")
  int ramPages = 4096;

  @Option(names = "--buffers", description = "DMA buffers mapped at once (default: 64)")
  int buffers = 64;

  @Option(names = "--rounds", description = "pre-copy rounds (default: 8)")
  int rounds = 8;

  @Option(names = "--writes", description = "device writes per round (default: 200)")
  int writes = 200;

  @Option(names = "--remaps", description = "guest remaps per round (default: 16)")
  int remaps = 16;

  @Option(names = "--seed", description = "random seed (default: 1)")
  long seed = 1;

  @Option(names = "--compare", paramLabel = "sync=V1,V2", description = "run each sync setting")
  String compare;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "Output: table, csv or json (default: ${DEFAULT-VALUE})")
  Report.Format format;

  @Option(
      names = "--chart",
      paramLabel = "FILE",
      description = "Also write a chart of the pages sent per round: FILE.svg or FILE.png")
  Path chart;

  @Override
  public Integer call() throws IOException {
    String problem = SimCommand.chartPathProblem(chart);
    if (problem != null) {
      throw new ParameterException(spec.commandLine(), "--chart " + chart + ": " + problem);
    }
    List<ViommuMigration.Sync> syncs = new ArrayList<>();
    if (compare == null) {
      syncs.add(sync);
    } else {
      if (!compare.startsWith("sync=")) {
        throw new ParameterException(spec.commandLine(), "--compare wants sync=on,off");
      }
      for (String v : compare.substring(5).split(",")) {
        try {
          syncs.add(ViommuMigration.Sync.valueOf(v.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new ParameterException(spec.commandLine(), "sync is on or off, not " + v);
        }
      }
    }
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<ViommuMigration.Result> results = new ArrayList<>();
    for (ViommuMigration.Sync s : syncs) {
      ViommuMigration.Config c =
          new ViommuMigration.Config(
              iommu, regime, s, ramPages, buffers, rounds, writes, remaps, seed);
      try {
        results.add(ViommuMigration.run(c));
      } catch (UapiException e) {
        err.println(ViommuMigration.refusal(c, e));
        err.flush();
        return 2;
      }
    }
    if (compare == null) {
      ViommuReport.print(results.get(0), format, out);
    } else {
      ViommuReport.printComparison(results, format, out);
    }
    if (format != Report.Format.TABLE) {
      results.forEach(r -> err.println(r.summary()));
    }
    if (chart != null) {
      Chart.writeRounds(chartTitle(), chartLabels(results), chartRounds(results), chart);
      err.println("chart written to " + chart);
    }
    err.flush();
    return results.stream().allMatch(ViommuMigration.Result::passed) ? 0 : 1;
  }

  String chartTitle() {
    return "jvfio-sim viommu: "
        + iommu
        + " "
        + ViommuReport.label(regime)
        + ", pages sent per round by the VMM's unmap-time sync";
  }

  static List<String> chartLabels(List<ViommuMigration.Result> results) {
    return results.stream().map(r -> "sync=" + ViommuReport.label(r.config().sync())).toList();
  }

  static List<List<Round>> chartRounds(List<ViommuMigration.Result> results) {
    return results.stream().map(ViommuMigration.Result::rounds).toList();
  }
}
