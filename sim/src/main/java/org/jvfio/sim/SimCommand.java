package org.jvfio.sim;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.jvfio.core.spi.IommuDriver;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The {@code jvfio-sim} command line: runs one simulated pre-copy migration, or one scenario under
 * several trackers or IO page sizes side by side ({@code --compare}), prints the rounds, the
 * summary and the verification verdict, and optionally a chart. {@code --help} lists every option
 * with its unit.
 *
 * <p>Exit status: 0 when every run verified, 1 when a verification failed or a run failed, 2 for a
 * usage error. A usage error is one line on stderr that names the option and echoes the value as
 * typed, and is found before anything runs (unknown tracker or IOMMU names, values the scenario
 * refuses, a chart path that cannot be written). {@code jvfio-sim generate-completion} prints a
 * bash/zsh completion script.
 */
@Command(
    name = "jvfio-sim",
    mixinStandardHelpOptions = true,
    subcommands = AutoComplete.GenerateCompletion.class,
    version = "jvfio-sim 0.1.0",
    sortOptions = false,
    usageHelpWidth = 100,
    description = {
      "Simulates a pre-copy live migration of a VM with devices that DMA into guest memory, on"
          + " the jvfio models of iommufd dirty tracking, VFIO device DMA logging and the VFIO"
          + " migration protocol, on a simulated clock. Every run ends by comparing the"
          + " destination's memory and device state with the source's: a dirty page lost"
          + " anywhere in the stack fails the verification.",
      "",
      "Sizes take K, M, G, T (powers of 1024): 4K, 2M, 16G. Rates take decimal or binary"
          + " prefixes and bytes or bits: 400MB/s, 2GiB/s, 25Gbit/s. Durations: 300ms, 2s, 50us.",
      ""
    },
    footer = {
      "",
      "Examples:",
      "  jvfio-sim                                        the default scenario",
      "  jvfio-sim --compare tracker=iommu,device:mlx5,device:pds,none",
      "  jvfio-sim --compare io-page-size=4K,2M,1G        what huge IOPTEs cost",
      "  jvfio-sim --io-page-size 2M --compare split=none,eager",
      "  jvfio-sim --memory 64G --io-page-size 2M --format csv --chart rounds.svg",
      "  source <(jvfio-sim generate-completion)          tab completion in bash or zsh",
      "",
      "Exit status: 0 verified, 1 verification failed or run error, 2 usage error."
    })
public final class SimCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--memory",
      paramLabel = "SIZE",
      defaultValue = "4G",
      converter = SizeConverter.class,
      description =
          "Guest RAM in bytes, a multiple of 2M; above 3G the rest sits at 4G (x86 PCI hole)."
              + " Default: ${DEFAULT-VALUE}.")
  long memory;

  @Option(
      names = "--io-page-size",
      paramLabel = "SIZE",
      defaultValue = "4K",
      converter = SizeConverter.class,
      description =
          "Host page size backing guest RAM: 4K, 2M or 1G. It bounds the IOPTE leaves, and a"
              + " dirty leaf reports all of its 4 KiB pages. Default: ${DEFAULT-VALUE}.")
  long ioPageSize;

  @Option(
      names = "--devices",
      paramLabel = "N",
      defaultValue = "2",
      description = "Number of devices doing DMA (1 to 64). Default: ${DEFAULT-VALUE}.")
  int devices;

  @Option(
      names = "--dma-rate",
      paramLabel = "RATE",
      defaultValue = "400MB/s",
      converter = RateConverter.class,
      description =
          "DMA write rate of each device, bytes per second, in 4 KiB writes."
              + " Default: ${DEFAULT-VALUE}.")
  double dmaRate;

  @Option(
      names = "--working-set",
      paramLabel = "SIZE",
      defaultValue = "1G",
      converter = SizeConverter.class,
      description =
          "Bytes of guest RAM each device writes into (devices' sets are spread over RAM)."
              + " Default: ${DEFAULT-VALUE}.")
  long workingSet;

  @Option(
      names = "--locality",
      paramLabel = "KIND",
      defaultValue = "uniform",
      description =
          "Where DMA lands in the working set: uniform, hot (90%% into a tenth of it) or"
              + " sequential (a ring). Default: ${DEFAULT-VALUE}.")
  Locality locality;

  @Option(
      names = "--cpu-dirty-rate",
      paramLabel = "RATE",
      defaultValue = "0B/s",
      converter = RateConverter.class,
      description =
          "vCPU write rate, bytes per second, uniform over all RAM; tracked exactly (KVM dirty"
              + " log). Default: ${DEFAULT-VALUE}.")
  double cpuDirtyRate;

  @Option(
      names = "--device-state",
      paramLabel = "SIZE",
      defaultValue = "64M",
      converter = SizeConverter.class,
      description =
          "Internal state of each device in bytes (0 to 256M), saved through its VFIO migration"
              + " stream (pre-copy, then STOP_COPY). Default: ${DEFAULT-VALUE}.")
  long deviceState;

  @Option(
      names = "--device-dirty-rate",
      paramLabel = "RATE",
      defaultValue = "4MB/s",
      converter = RateConverter.class,
      description =
          "How fast each running device changes its state, bytes per second; changed parts are"
              + " sent again. Default: ${DEFAULT-VALUE}.")
  double deviceDirtyRate;

  @Option(
      names = "--device-model",
      paramLabel = "MODEL",
      defaultValue = "reference",
      converter = DeviceModelConverter.class,
      description = {
        "The devices' migration driver. Default: ${DEFAULT-VALUE}.",
        "reference  an opaque state of --device-state bytes, chunked",
        "hisi       HiSilicon accelerator VF: no DMA logging, 40-byte match",
        "           data in pre-copy, 176 bytes of registers at stop-copy"
      })
  DeviceModel deviceModel;

  @Option(
      names = "--tracker",
      paramLabel = "TRACKER",
      defaultValue = "iommu",
      converter = TrackerConverter.class,
      description = {
        "How device DMA is tracked. Default: ${DEFAULT-VALUE}.",
        "iommu[:VENDOR]  IOMMU HWPT dirty bits; VENDOR: amd-v1, intel-ss,",
        "                smmuv3, mock ('iommu': amd-v1 if present, else mock)",
        "device:exact    device DMA logging, a bitmap over the RAM ranges",
        "device:mlx5     mlx5-like: a list of dirty addresses, 4 ranges",
        "device:pds      pds-like: one region over all ranges, two bitmaps",
        "type1           legacy container, physical devices: all mapped pages",
        "                dirty every round",
        "type1-pinned    legacy container, emulated devices that pin pages",
        "none            no DMA tracking: every page dirty every round"
      })
  Tracker tracker;

  @Option(
      names = "--split",
      paramLabel = "POLICY",
      defaultValue = "none",
      description =
          "Large IOPTEs under IOMMU tracking: none, or eager (split to 4 KiB when tracking"
              + " starts, collapse when it stops; a model-only feature). Default: ${DEFAULT-VALUE}.")
  SplitPolicy split;

  @Option(
      names = "--harvest-chunk",
      paramLabel = "SIZE",
      defaultValue = "0",
      converter = SizeConverter.class,
      description =
          "IOVA per IOMMU harvest call: 0 harvests each RAM range at once; a size harvests in"
              + " chunks from the range start. Chunks that cut IOPTE leaves lose dirty pages, as on"
              + " the kernel (try 3M with --io-page-size 2M). Default: ${DEFAULT-VALUE}.")
  long harvestChunk;

  @Option(
      names = "--bandwidth",
      paramLabel = "RATE",
      defaultValue = "25Gbit/s",
      converter = RateConverter.class,
      description = "Migration link bandwidth. Default: ${DEFAULT-VALUE}.")
  double bandwidth;

  @Option(
      names = "--downtime",
      paramLabel = "DURATION",
      defaultValue = "50ms",
      converter = DurationConverter.class,
      description =
          "Downtime limit: pre-copy stops when the estimated stop-and-copy fits in it."
              + " Default: ${DEFAULT-VALUE}.")
  long downtime;

  @Option(
      names = "--max-rounds",
      paramLabel = "N",
      defaultValue = "30",
      description =
          "Most pre-copy rounds (the first sends all RAM) before a forced stop-and-copy."
              + " Default: ${DEFAULT-VALUE}.")
  int maxRounds;

  @Option(
      names = "--seed",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "Seed of every random choice; same seed, same output. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "Output: table, csv or json. Default: ${DEFAULT-VALUE}.")
  Report.Format format;

  @Option(
      names = "--chart",
      paramLabel = "FILE",
      description =
          "Also write a chart of dirty pages and bytes sent per round: FILE.svg or FILE.png.")
  Path chart;

  @Option(
      names = "--compare",
      paramLabel = "KEY=V1,V2,...",
      description =
          "Run the scenario once per value and print the runs side by side. KEY: tracker,"
              + " io-page-size, split, harvest-chunk, locality, bandwidth, downtime, dma-rate,"
              + " devices.")
  String compare;

  @Option(
      names = "--progress",
      description = "Show a progress bar on stderr (default: only when stderr is a terminal).")
  boolean progress;

  @Option(
      names = {"-q", "--quiet"},
      description = "Never show the progress bar.")
  boolean quiet;

  private final PrintWriter out;
  private final PrintWriter err;

  /**
   * Creates the command writing to {@code System.out} and {@code System.err}, for picocli's factory
   * (as {@code picocli.AutoComplete} uses it).
   */
  public SimCommand() {
    this(
        new PrintWriter(System.out, true, StandardCharsets.UTF_8),
        new PrintWriter(System.err, true, StandardCharsets.UTF_8));
  }

  SimCommand(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  /**
   * Runs the command line and exits with its status.
   *
   * @param args the command-line arguments
   */
  public static void main(String[] args) {
    System.setProperty("java.awt.headless", "true");
    PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
    PrintWriter err = new PrintWriter(System.err, true, StandardCharsets.UTF_8);
    System.exit(execute(out, err, args));
  }

  /** Runs the command line with the given streams and returns the exit status. */
  static int execute(PrintWriter out, PrintWriter err, String... args) {
    CommandLine cmd = new CommandLine(new SimCommand(out, err));
    cmd.addSubcommand("viommu", new ViommuCommand());
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.setOut(out);
    cmd.setErr(err);
    cmd.setParameterExceptionHandler(
        (e, arguments) -> {
          String message = e.getMessage();
          if (e.getCause() instanceof CommandLine.TypeConversionException
              && e.getArgSpec() instanceof CommandLine.Model.OptionSpec option) {
            message = option.longestName() + " " + e.getValue() + ": " + e.getCause().getMessage();
          }
          message = message.strip().replaceAll("\\s*\\R\\s*", "; ");
          err.println("jvfio-sim: " + message + " (try --help)");
          err.flush();
          return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
    cmd.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          err.println("jvfio-sim: " + e.getMessage());
          err.flush();
          return 1;
        });
    return cmd.execute(args);
  }

  /** Returns the scenario the options describe. */
  Scenario scenario() {
    Scenario.Builder b = Scenario.builder();
    setters().values().forEach(set -> set.accept(b));
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw blame(e);
    }
  }

  /** The scenario's options by name, each with what it sets on a builder. */
  private Map<String, Consumer<Scenario.Builder>> setters() {
    return Map.ofEntries(
        Map.entry("--memory", b -> b.memory(memory)),
        Map.entry("--io-page-size", b -> b.ioPageSize(ioPageSize)),
        Map.entry("--devices", b -> b.devices(devices)),
        Map.entry("--dma-rate", b -> b.dmaRate(dmaRate)),
        Map.entry("--working-set", b -> b.workingSet(workingSet)),
        Map.entry("--locality", b -> b.locality(locality)),
        Map.entry("--cpu-dirty-rate", b -> b.cpuDirtyRate(cpuDirtyRate)),
        Map.entry("--tracker", b -> b.tracker(tracker)),
        Map.entry("--split", b -> b.split(split)),
        Map.entry("--harvest-chunk", b -> b.harvestChunk(harvestChunk)),
        Map.entry("--bandwidth", b -> b.bandwidth(bandwidth)),
        Map.entry("--downtime", b -> b.downtimeLimit(downtime)),
        Map.entry("--max-rounds", b -> b.maxRounds(maxRounds)),
        Map.entry("--device-state", b -> b.deviceState(deviceState)),
        Map.entry("--device-dirty-rate", b -> b.deviceDirtyRate(deviceDirtyRate)),
        Map.entry("--device-model", b -> b.deviceModel(deviceModel)),
        Map.entry("--seed", b -> b.seed(seed)));
  }

  /**
   * Returns the usage error for a scenario the options do not make: it names the first option (in
   * {@code --help} order) given on the command line that the scenario refuses on its own, the
   * others at their defaults, with its value as typed; or, if none fails alone, the combination.
   */
  private ParameterException blame(IllegalArgumentException e) {
    CommandLine.ParseResult given = spec.commandLine().getParseResult();
    Map<String, Consumer<Scenario.Builder>> setters = setters();
    for (CommandLine.Model.OptionSpec option : spec.options()) {
      Consumer<Scenario.Builder> set = setters.get(option.longestName());
      if (set == null || !given.hasMatchedOption(option)) {
        continue;
      }
      Scenario.Builder alone = Scenario.builder();
      set.accept(alone);
      try {
        alone.build();
      } catch (IllegalArgumentException refused) {
        return usageError(
            option.longestName() + " " + typed(given, option) + ": " + reason(refused), refused);
      }
    }
    return usageError("these options together: " + reason(e), e);
  }

  /** Returns the value of {@code option} as the user typed it. */
  private static String typed(CommandLine.ParseResult given, CommandLine.Model.OptionSpec option) {
    return String.join(",", given.matchedOption(option.longestName()).originalStringValues());
  }

  /** Returns the scenario's reason without the raw number it appends (bytes, bytes/s, ns). */
  private static String reason(IllegalArgumentException e) {
    return e.getMessage().replaceFirst(":\\s*[-+0-9.Ee]+$", "");
  }

  private ParameterException usageError(String message, Exception cause) {
    return new ParameterException(spec.commandLine(), message, cause);
  }

  /**
   * Runs the simulation, or the comparison, and returns the exit status.
   *
   * @return 0 if every run verified, else 1
   * @throws IOException if the chart cannot be written
   */
  @Override
  public Integer call() throws IOException {
    Scenario base = scenario();
    checkChartPath();
    if (compare == null) {
      MigrationResult r = Simulation.run(base, progressBar(base, ""));
      Report.print(r, format, out);
      if (format != Report.Format.TABLE) {
        err.println("verification " + r.verdict().message());
      }
      if (chart != null) {
        Chart.write(r, chart);
        err.println("chart written to " + chart);
      }
      return r.verdict().passed() ? 0 : 1;
    }
    int eq = compare.indexOf('=');
    if (eq <= 0 || eq == compare.length() - 1) {
      throw usageError("--compare " + compare + ": wants KEY=V1,V2,...", null);
    }
    String key = compare.substring(0, eq).trim().toLowerCase(Locale.ROOT);
    List<String> labels = new ArrayList<>();
    List<Scenario> variants = new ArrayList<>();
    for (String value : compare.substring(eq + 1).split(",", -1)) {
      labels.add(value.trim());
      variants.add(variant(base, key, value.trim()));
    }
    List<MigrationResult> results = new ArrayList<>();
    boolean passed = true;
    for (int i = 0; i < variants.size(); i++) {
      MigrationResult r =
          Simulation.run(variants.get(i), progressBar(variants.get(i), labels.get(i)));
      results.add(r);
      passed &= r.verdict().passed();
    }
    Report.printComparison(key, labels, results, format, out);
    if (chart != null) {
      Chart.write(key, labels, results, chart);
      err.println("chart written to " + chart);
    }
    return passed ? 0 : 1;
  }

  /** Returns {@code base} with the option {@code key} set to {@code value}. */
  private Scenario variant(Scenario base, String key, String value) {
    Scenario.Builder b = base.toBuilder();
    try {
      switch (key) {
        case "tracker" -> b.tracker(parseTracker(value));
        case "io-page-size" -> b.ioPageSize(Units.parseSize(value));
        case "split" -> b.split(SplitPolicy.valueOf(value.toUpperCase(Locale.ROOT)));
        case "harvest-chunk" -> b.harvestChunk(Units.parseSize(value));
        case "locality" -> b.locality(Locality.valueOf(value.toUpperCase(Locale.ROOT)));
        case "bandwidth" -> b.bandwidth(Units.parseRate(value));
        case "downtime" -> b.downtimeLimit(Units.parseDuration(value));
        case "dma-rate" -> b.dmaRate(Units.parseRate(value));
        case "devices" -> b.devices(Integer.parseInt(value));
        default -> {
          throw new IllegalArgumentException(
              "cannot compare by '"
                  + key
                  + "' (tracker, io-page-size, split, harvest-chunk, locality,"
                  + " bandwidth, downtime, dma-rate, devices)");
        }
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      throw usageError("--compare " + key + "=" + value + ": " + reason(e), e);
    }
  }

  /**
   * Checks before anything runs that {@code --chart} names a .svg or .png file that can be written:
   * its directory exists and is writable, and it is not itself a directory.
   */
  private void checkChartPath() {
    String problem = chartPathProblem(chart);
    if (problem != null) {
      throw usageError("--chart " + chart + ": " + problem, null);
    }
  }

  /**
   * Returns what is wrong with {@code --chart chart}, or null if it can be written (or is null).
   */
  static String chartPathProblem(Path chart) {
    if (chart == null) {
      return null;
    }
    Path dir = chart.toAbsolutePath().getParent();
    if (!Chart.supports(chart)) {
      return "must name a .svg or .png file";
    } else if (Files.isDirectory(chart)) {
      return "is a directory";
    } else if (dir == null || !Files.isDirectory(dir)) {
      return "no such directory: " + dir;
    } else if (!Files.isWritable(dir) || (Files.exists(chart) && !Files.isWritable(chart))) {
      return "cannot write there";
    }
    return null;
  }

  /**
   * Parses a tracker as {@link Tracker#parse} does, and checks that an IOMMU vendor it names is
   * registered, so that an unknown one is a usage error rather than a failed run.
   */
  static Tracker parseTracker(String text) {
    Tracker t = Tracker.parse(text);
    if (t.kind() == Tracker.Kind.IOMMU && !t.profile().equals(Tracker.AUTO)) {
      List<String> names = IommuDriver.available().stream().map(IommuDriver::name).toList();
      if (!names.contains(t.profile())) {
        throw new IllegalArgumentException(
            "no IOMMU model named '" + t.profile() + "' (" + String.join(", ", names) + ")");
      }
    }
    return t;
  }

  private Consumer<Round> progressBar(Scenario s, String label) {
    if (quiet || !(progress || interactive())) {
      return r -> {};
    }
    String prefix = label.isEmpty() ? "" : label + " ";
    return r -> {
      if (r.stopCopy()) {
        err.print("\r" + " ".repeat(70) + "\r");
      } else {
        int width = 30;
        int filled = (int) Math.min(width, (long) width * r.index() / s.maxRounds());
        err.printf(
            Locale.ROOT,
            "\r%sround %d/%d [%s%s] %d pages dirty",
            prefix,
            r.index(),
            s.maxRounds(),
            "#".repeat(filled),
            ".".repeat(width - filled),
            r.dirtyPages());
      }
      err.flush();
    };
  }

  /**
   * Returns whether the process talks to a terminal: {@code System.console()} is null otherwise on
   * JDK 17 to 21; from JDK 22 it is never null and {@code Console.isTerminal()} tells.
   */
  @SuppressWarnings("SystemConsoleNull")
  private static boolean interactive() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 17 to 21: a console exists only on a terminal
    }
  }

  // --- converters -----------------------------------------------------------------------------

  static final class SizeConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return convertOrThrow(() -> Units.parseSize(value));
    }
  }

  static final class RateConverter implements CommandLine.ITypeConverter<Double> {
    @Override
    public Double convert(String value) {
      return convertOrThrow(() -> Units.parseRate(value));
    }
  }

  static final class DurationConverter implements CommandLine.ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
      return convertOrThrow(() -> Units.parseDuration(value));
    }
  }

  static final class DeviceModelConverter implements CommandLine.ITypeConverter<DeviceModel> {
    @Override
    public DeviceModel convert(String value) {
      return convertOrThrow(() -> DeviceModel.parse(value));
    }
  }

  static final class TrackerConverter implements CommandLine.ITypeConverter<Tracker> {
    @Override
    public Tracker convert(String value) {
      return convertOrThrow(() -> parseTracker(value));
    }
  }

  private static <T> T convertOrThrow(Supplier<T> parse) {
    try {
      return parse.get();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.TypeConversionException(e.getMessage());
    }
  }
}
