package org.jvfio.bridge;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code jvfio-kernel} command: builds a {@link FakeKernel} with the builder's options (guest
 * memory, IOMMU driver, devices and their migration profiles, {@code PAGE_SIZE}, {@code
 * CONFIG_IOMMUFD_TEST}) and serves it on a UNIX socket with a {@link BridgeServer} until it is
 * killed or its console input ends. {@code bin/jvfio-kernel} and {@code bin/jvfio-run} run it; see
 * {@code docs/bridge.md}.
 */
@Command(
    name = "jvfio-kernel",
    mixinStandardHelpOptions = true,
    description = "Serves a jvfio FakeKernel to LD_PRELOADed C programs over a UNIX socket.")
public final class KernelCommand implements Callable<Integer> {
  @Option(names = "--socket", required = true, description = "the UNIX socket to listen on")
  Path socket;

  @Option(
      names = "--memory",
      description = "guest RAM at the next guest address, e.g. 1G (repeatable; default one 1G)")
  List<String> memories = new ArrayList<>();

  @Option(names = "--iommu", description = "the IOMMU driver of the devices (default: mock)")
  String iommu = "mock";

  @Option(
      names = "--device",
      description =
          "a VFIO device: stop-copy, pre-copy or p2p, optionally :STATE_BYTES (repeatable)")
  List<String> devices = new ArrayList<>();

  @Option(names = "--page-size", description = "the kernel's PAGE_SIZE: 4096, 16384 or 65536")
  long pageSize = 4096;

  @Option(names = "--iommufd-test", description = "CONFIG_IOMMUFD_TEST: answer IOMMU_TEST_CMD")
  boolean iommufdTest;

  @Option(names = "--script", description = "console commands to run once the server listens")
  Path script;

  @Option(names = "--console", description = "read console commands from stdin")
  boolean console;

  /** Creates the command with its defaults (picocli sets the options). */
  public KernelCommand() {}

  /**
   * Runs the command line.
   *
   * @param args the options
   */
  public static void main(String[] args) {
    System.exit(new CommandLine(new KernelCommand()).execute(args));
  }

  /** Builds the kernel, listens, runs the script and console, and waits to be killed. */
  @Override
  public Integer call() throws Exception {
    FakeKernel.Builder b = FakeKernel.builder().pageSize(pageSize);
    if (memories.isEmpty()) {
      memories.add("1G");
    }
    for (String m : memories) {
      b.guestMemory(size(m));
    }
    b.iommu(iommu);
    long seed = 1;
    for (String d : devices) {
      String[] p = d.split(":", 2);
      int state = p.length > 1 ? (int) size(p[1]) : 64 << 10;
      b.device(ReferenceMigrationDriver.seeded(profile(p[0]), seed++, state));
    }
    if (iommufdTest) {
      b.iommufdTest();
    }
    try (BridgeServer server = BridgeServer.start(b, socket)) {
      System.err.println("jvfio-kernel: listening on " + socket);
      Console c = new Console(server.kernel(), System.err);
      if (script != null) {
        c.run(Files.newBufferedReader(script, StandardCharsets.UTF_8));
      }
      if (console) {
        c.run(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)));
      } else {
        new CountDownLatch(1).await(); // until killed
      }
    }
    return 0;
  }

  private static Set<MigrationFlag> profile(String name) {
    switch (name) {
      case "stop-copy":
        return EnumSet.of(MigrationFlag.STOP_COPY);
      case "pre-copy":
        return EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY);
      case "p2p":
        return EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.P2P, MigrationFlag.PRE_COPY);
      default:
        throw new CommandLine.ParameterException(
            new CommandLine(new KernelCommand()), "unknown device profile " + name);
    }
  }

  /** Parses 4096, 64K, 256M, 1G. */
  static long size(String s) {
    String u = s.toUpperCase(Locale.ROOT);
    int shift = u.endsWith("K") ? 10 : u.endsWith("M") ? 20 : u.endsWith("G") ? 30 : 0;
    String digits = shift == 0 ? u : u.substring(0, u.length() - 1);
    return Math.multiplyExact(Long.parseLong(digits), 1L << shift);
  }
}
