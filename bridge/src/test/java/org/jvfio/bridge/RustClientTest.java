package org.jvfio.bridge;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * Builds the Rust client of {@code src/test/rust} (std only) with {@code cargo build --offline}
 * into {@code target/rust} and runs it with {@code bin/jvfio-run} against a {@link BridgeServer} in
 * this JVM: an iommufd dirty-tracking client as a rust-vmm user writes one, whose {@code
 * #[repr(C)]} structs come from the generated {@code uapi.rs}. Skipped, with a message, where cargo
 * or a C compiler (for {@code libjvfio-preload.so}) is missing.
 */
class RustClientTest {
  private static final Path PROJECT = Path.of("src/test/rust");
  private static final Path TARGET = Path.of("target/rust");
  @TempDir static Path dir;
  private static BridgeServer server;

  @BeforeAll
  static void build() throws Exception {
    // cargo on the PATH, else in ~/.cargo/bin where rustup puts it
    String cargo =
        Programs.find(
            "cargo", Path.of(System.getProperty("user.home"), ".cargo/bin/cargo").toString());
    String missing =
        cargo == null ? "no cargo" : CProgramsTest.compiler() == null ? "no C compiler" : null;
    if (missing != null) {
      System.err.println("RustClientTest: " + missing + ", the Rust client is skipped");
    }
    Assumptions.assumeTrue(missing == null, missing + ": the Rust client is skipped");
    run(
        List.of(
            cargo,
            "build",
            "--offline",
            "--locked",
            "--manifest-path",
            PROJECT.resolve("Cargo.toml").toString(),
            "--target-dir",
            TARGET.toString()));
    FakeKernel.Builder kernel =
        FakeKernel.builder()
            .guestMemory(1L << 30)
            .iommu("mock")
            .device(ReferenceMigrationDriver.seeded(Set.of(MigrationFlag.STOP_COPY), 7, 10_000))
            .iommufdTest();
    server = BridgeServer.start(kernel, dir.resolve("kernel.sock"));
  }

  @AfterAll
  static void stop() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    return Programs.run(
        command, server == null ? Map.of() : Map.of("JVFIO_SOCKET", server.socket().toString()));
  }

  @Test
  void rustClient_mapsTracksAndReadsTheBitmapsUnderJvfioRun() throws Exception {
    Path client = TARGET.resolve("debug/jvfio-rust-client");
    assertTrue(Files.isExecutable(client), client + " was not built");
    String out = run(List.of("../bin/jvfio-run", "--", client.toString()));
    assertTrue(out.contains("rust_client: ok"), out);
  }
}
