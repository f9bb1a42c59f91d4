package org.jvfio.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

class SimCommandTest {
  /** A scenario that runs in a fraction of a second. */
  private static final String[] SMALL = {
    "--memory",
    "256M",
    "--working-set",
    "64M",
    "--device-state",
    "256K",
    "--dma-rate",
    "100MB/s",
    "--bandwidth",
    "10Gbit/s",
    "--tracker",
    "iommu:mock"
  };

  private record Run(int status, String out, String err) {}

  private static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status = SimCommand.execute(new PrintWriter(out), new PrintWriter(err), args);
    return new Run(status, out.toString(), err.toString());
  }

  private static Run runSmall(String... args) {
    String[] all = Arrays.copyOf(SMALL, SMALL.length + args.length);
    System.arraycopy(args, 0, all, SMALL.length, args.length);
    return run(all);
  }

  private static SimCommand parse(String... args) {
    SimCommand command = new SimCommand(new PrintWriter(new StringWriter()), null);
    CommandLine cmd = new CommandLine(command);
    cmd.setCaseInsensitiveEnumValuesAllowed(true);
    cmd.parseArgs(args);
    return command;
  }

  @Test
  void parse_noArguments_givesTheScenarioDefaults() {
    assertEquals(Scenario.builder().build(), parse().scenario());
  }

  @Test
  void parse_units_convertToBytesAndNanoseconds() {
    Scenario s =
        parse(
                "--memory",
                "16G",
                "--io-page-size",
                "2M",
                "--dma-rate",
                "2GB/s",
                "--bandwidth",
                "25Gbit/s",
                "--downtime",
                "300ms",
                "--cpu-dirty-rate",
                "1GiB/s",
                "--working-set",
                "512M",
                "--device-state",
                "1M",
                "--tracker",
                "device:mlx5",
                "--split",
                "EAGER",
                "--locality",
                "hot",
                "--seed",
                "7")
            .scenario();
    assertEquals(16L << 30, s.memory());
    assertEquals(2L << 20, s.ioPageSize());
    assertEquals(2e9, s.dmaRate());
    assertEquals(3.125e9, s.bandwidth());
    assertEquals(300_000_000L, s.downtimeLimit());
    assertEquals(1L << 30, s.cpuDirtyRate());
    assertEquals(512L << 20, s.workingSet());
    assertEquals(1L << 20, s.deviceState());
    assertEquals(Tracker.device("mlx5"), s.tracker());
    assertEquals(SplitPolicy.EAGER, s.split());
    assertEquals(Locality.HOT, s.locality());
    assertEquals(7, s.seed());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--memory=3X",
        "--memory=3M",
        "--io-page-size=8K",
        "--devices=0",
        "--dma-rate=fast",
        "--bandwidth=0B/s",
        "--bandwidth=1B/s",
        "--downtime=5",
        "--tracker=magic",
        "--tracker=device:qat",
        "--tracker=iommu:foo",
        "--format=xml",
        "--locality=random",
        "--working-set=8G",
        "--compare=nonsense",
        "--compare=color=red,blue",
        "--compare=io-page-size=4K,3K",
        "--compare=tracker=none,iommu:foo",
        "--chart=out.gif",
        "--no-such-option"
      })
  void execute_badValue_isAOneLineUsageErrorWithStatus2(String arg) {
    Run r = run(arg);
    assertEquals(2, r.status(), arg + ": " + r.err());
    assertTrue(r.out().isEmpty(), r.out());
    assertEquals(1, r.err().lines().count(), r.err());
    assertTrue(r.err().startsWith("jvfio-sim: "), r.err());
    assertTrue(r.err().strip().endsWith("(try --help)"), r.err());
    int eq = arg.indexOf('=');
    String option = eq < 0 ? arg : arg.substring(0, eq);
    String value = arg.substring(eq + 1);
    assertTrue(r.err().contains(option), "names " + option + ": " + r.err());
    if (eq > 0 && !option.equals("--compare")) {
      assertTrue(r.err().contains(option + " " + value + ": "), "echoes " + value + ": " + r.err());
    }
  }

  @Test
  void execute_memoryNotAMultipleOf2M_namesTheOptionAndTheInputAsTyped() {
    Run r = run("--memory", "3M");
    assertEquals(2, r.status());
    assertEquals(
        "jvfio-sim: --memory 3M: memory must be a multiple of 2 MiB up to 16 TiB (try --help)",
        r.err().strip());
  }

  @Test
  void execute_unknownIommuModel_isAUsageErrorListingTheModels() {
    Run r = run("--tracker", "iommu:foo");
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("--tracker iommu:foo: no IOMMU model named 'foo' ("), r.err());
    assertTrue(r.err().contains("mock"), r.err());
  }

  @Test
  void execute_optionTheDefaultsRefuse_blamesThatOption() {
    Run r = run("--memory", "256M"); // the default working set is 1G
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().startsWith("jvfio-sim: --memory 256M: working set"), r.err());
  }

  @Test
  void execute_chartInAMissingDirectory_failsBeforeTheRun(@TempDir Path dir) {
    Path chart = dir.resolve("missing").resolve("rounds.png");
    Run r = runSmall("--progress", "--chart", chart.toString());
    assertEquals(2, r.status(), r.err());
    assertEquals(
        "jvfio-sim: --chart "
            + chart
            + ": no such directory: "
            + chart.getParent()
            + " (try --help)",
        r.err().strip());
    assertTrue(r.out().isEmpty(), "nothing ran: " + r.out());
  }

  @Test
  void execute_chartIsADirectory_failsBeforeTheRun(@TempDir Path dir) throws IOException {
    Path chart = Files.createDirectory(dir.resolve("rounds.svg"));
    Run r = runSmall("--chart", chart.toString());
    assertEquals(2, r.status(), r.err());
    assertTrue(r.err().contains("is a directory"), r.err());
    assertTrue(r.out().isEmpty(), r.out());
  }

  @Test
  void execute_chart_saysWhereItWroteIt(@TempDir Path dir) {
    Path chart = dir.resolve("rounds.svg");
    Run r = runSmall("--format", "csv", "--chart", chart.toString());
    assertEquals(0, r.status(), r.err());
    assertTrue(r.err().contains("chart written to " + chart + "\n"), r.err());
    assertFalse(r.out().contains("chart written"), "stdout stays CSV");
  }

  @Test
  void generateCompletion_printsABashCompletionScript() {
    Run r = run("generate-completion");
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("complete -F"), r.out());
    assertTrue(r.out().contains("--io-page-size"), "completes the options");
  }

  @Test
  void defaultFactory_instantiatesTheCommand() throws Exception {
    SimCommand command = CommandLine.defaultFactory().create(SimCommand.class);
    assertEquals("jvfio-sim", new CommandLine(command).getCommandName());
  }

  @Test
  void execute_help_explainsEveryOptionWithItsUnit() {
    Run r = run("--help");
    assertEquals(0, r.status());
    for (CommandLine.Model.OptionSpec option :
        new CommandLine(new SimCommand(null, null)).getCommandSpec().options()) {
      assertTrue(r.out().contains(option.longestName()), option.longestName());
    }
    for (String unit : List.of("SIZE", "RATE", "DURATION", "bytes", "Gbit/s", "Default: 4G")) {
      assertTrue(r.out().contains(unit), unit);
    }
  }

  @Test
  void execute_table_showsRoundsSummaryAndVerdict() {
    Run r = runSmall();
    assertEquals(0, r.status(), r.err());
    assertTrue(r.out().contains("round   dirty pages"), r.out());
    assertTrue(r.out().contains("\n    1         65536"), r.out());
    assertTrue(r.out().contains(" stop "), r.out());
    assertTrue(r.out().contains("converged after "), r.out());
    assertTrue(r.out().contains("verification PASSED"), r.out());
  }

  @Test
  void execute_csv_isParseable() {
    Run r = runSmall("--format", "csv");
    assertEquals(0, r.status(), r.err());
    List<String> lines = r.out().lines().toList();
    String[] header = lines.get(0).split(",", -1);
    assertEquals("round", header[0]);
    assertEquals(7, header.length);
    for (String line : lines.subList(1, lines.size())) {
      String[] cells = line.split(",", -1);
      assertEquals(header.length, cells.length, line);
      Long.parseLong(cells[0]);
      assertTrue(cells[1].equals("pre-copy") || cells[1].equals("stop-copy"), line);
      for (int c = 2; c < cells.length; c++) {
        Double.parseDouble(cells[c]);
      }
    }
    assertTrue(lines.get(lines.size() - 1).contains(",stop-copy,"));
    assertTrue(r.err().contains("verification PASSED"), r.err());
  }

  @Test
  void execute_json_isParseable() {
    Run r = runSmall("--format", "json");
    assertEquals(0, r.status(), r.err());
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) new Json(r.out()).parse();
    assertEquals(true, json.get("verified"));
    assertEquals("iommu:mock", json.get("tracker"));
    assertEquals((double) (256L << 20), json.get("memory_bytes"));
    List<?> rounds = (List<?>) json.get("round_table");
    assertEquals(((Double) json.get("rounds")).intValue() + 1, rounds.size());
    Map<?, ?> first = (Map<?, ?>) rounds.get(0);
    assertEquals(65536.0, first.get("dirty_pages"));
  }

  @Test
  void execute_compare_printsVariantsSideBySide() {
    Run table = runSmall("--compare", "tracker=iommu:mock,device:pds,none", "--max-rounds", "4");
    assertEquals(0, table.status(), table.err());
    String header = table.out().lines().filter(l -> l.startsWith("tracker ")).findFirst().get();
    assertTrue(header.matches("tracker\\s+iommu:mock\\s+device:pds\\s+none"), header);
    assertEquals(
        1, table.out().lines().filter(l -> l.startsWith("tracker ")).count(), "one tracker row");
    assertTrue(table.out().contains("NO (forced stop)"), table.out());

    Run csv = runSmall("--compare", "io-page-size=4K,2M", "--format", "csv");
    List<String> lines = csv.out().lines().toList();
    assertEquals(3, lines.size(), csv.out());
    assertTrue(lines.get(1).startsWith("4K,iommu:mock,4096,"), lines.get(1));
    assertTrue(lines.get(2).startsWith("2M,iommu:mock,2097152,"), lines.get(2));

    Run json =
        runSmall("--compare", "split=none,eager", "--io-page-size", "2M", "--format", "json");
    Map<?, ?> parsed = (Map<?, ?>) new Json(json.out()).parse();
    assertEquals("split", parsed.get("compare"));
    List<?> variants = (List<?>) parsed.get("variants");
    assertEquals(2, variants.size());
    assertEquals("eager", ((Map<?, ?>) variants.get(1)).get("split"));
  }

  @Test
  void execute_chart_writesSvgAndPng(@TempDir Path dir) throws IOException {
    Path svg = dir.resolve("rounds.svg");
    Path png = dir.resolve("rounds.png");
    assertEquals(0, runSmall("--chart", svg.toString()).status());
    assertEquals(
        0, runSmall("--compare", "tracker=iommu:mock,none", "--chart", png.toString()).status());

    String text = Files.readString(svg, StandardCharsets.UTF_8);
    assertTrue(text.contains("<svg"), text.substring(0, Math.min(200, text.length())));
    byte[] head = Arrays.copyOf(Files.readAllBytes(png), 8);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, head);
  }

  @Test
  void execute_sameSeedAndOptions_sameOutput() {
    String[] args = {"--cpu-dirty-rate", "20MB/s", "--locality", "hot", "--seed", "42"};
    Run a = runSmall(args);
    Run b = runSmall(args);
    assertEquals(a.out(), b.out());
    assertFalse(a.out().equals(runSmall("--seed", "43").out()));
  }

  @Test
  void execute_progress_drawsOnStderrOnly() {
    Run r = runSmall("--progress", "--format", "csv");
    assertTrue(r.err().contains("\rround 1/30 ["), r.err());
    assertFalse(r.out().contains("\r"));
    assertFalse(runSmall("--progress", "--quiet").err().contains("\r"));
  }

  /** A minimal JSON reader (objects, arrays, strings, numbers, booleans) for the tests. */
  static final class Json {
    private final String s;
    private int i;

    Json(String s) {
      this.s = s;
    }

    Object parse() {
      Object v = value();
      ws();
      if (i != s.length()) {
        throw new IllegalArgumentException("trailing text at " + i);
      }
      return v;
    }

    private Object value() {
      ws();
      char c = s.charAt(i);
      if (c == '{') {
        Map<String, Object> m = new LinkedHashMap<>();
        i++;
        ws();
        if (s.charAt(i) == '}') {
          i++;
          return m;
        }
        do {
          ws();
          String key = string();
          ws();
          expect(':');
          m.put(key, value());
          ws();
        } while (s.charAt(i++) == ',');
        if (s.charAt(i - 1) != '}') {
          throw new IllegalArgumentException("bad object at " + i);
        }
        return m;
      } else if (c == '[') {
        List<Object> l = new ArrayList<>();
        i++;
        ws();
        if (s.charAt(i) == ']') {
          i++;
          return l;
        }
        do {
          l.add(value());
          ws();
        } while (s.charAt(i++) == ',');
        if (s.charAt(i - 1) != ']') {
          throw new IllegalArgumentException("bad array at " + i);
        }
        return l;
      } else if (c == '"') {
        return string();
      } else if (s.startsWith("true", i)) {
        i += 4;
        return true;
      } else if (s.startsWith("false", i)) {
        i += 5;
        return false;
      }
      int start = i;
      while (i < s.length() && "+-0123456789.eE".indexOf(s.charAt(i)) >= 0) {
        i++;
      }
      return Double.parseDouble(s.substring(start, i));
    }

    private String string() {
      expect('"');
      StringBuilder b = new StringBuilder();
      while (s.charAt(i) != '"') {
        char c = s.charAt(i++);
        if (c == '\\') {
          char e = s.charAt(i++);
          if (e == 'u') {
            b.append((char) Integer.parseInt(s.substring(i, i + 4), 16));
            i += 4;
          } else {
            b.append(e);
          }
        } else {
          b.append(c);
        }
      }
      i++;
      return b.toString();
    }

    private void expect(char c) {
      if (s.charAt(i++) != c) {
        throw new IllegalArgumentException("expected " + c + " at " + (i - 1));
      }
    }

    private void ws() {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
    }
  }
}
