package org.jvfio.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/** The server's console commands and the command line's sizes. */
class ConsoleTest {
  private static String run(String script) throws IOException {
    FakeKernel kernel =
        FakeKernel.builder()
            .guestMemory(1L << 20)
            .iommu("mock")
            .device(
                ReferenceMigrationDriver.seeded(java.util.Set.of(MigrationFlag.STOP_COPY), 1, 64))
            .build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    new Console(kernel, new PrintStream(out, true, StandardCharsets.UTF_8))
        .run(new BufferedReader(new StringReader(script)));
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void dmaWrite_ofAnUnboundDevice_faultsOnEveryPage() throws IOException {
    assertEquals(
        "dmaWrite: 0 bytes, 2 faults\ndmaRead: 0 bytes, 1 faults\n",
        run("# a comment\n\ndmaWrite 0 0x1000000 8192\ndmaRead 0 4096 1\nfaults 0\n"));
  }

  @Test
  void badLines_areReportedAndTheConsoleGoesOn() throws IOException {
    assertEquals(
        "jvfio-kernel: frobnicate: unknown command (dmaWrite, dmaRead, faults, sleep)\n"
            + "jvfio-kernel: dmaWrite 0 1: expected 3 arguments\n"
            + "jvfio-kernel: dmaWrite 7 0 4096: no device 7\n"
            + "dmaWrite: 0 bytes, 1 faults\n",
        run("frobnicate\ndmaWrite 0 1\ndmaWrite 7 0 4096\ndmaWrite 0 0 4096\n"));
  }

  @Test
  void size_parsesUnits() {
    assertEquals(4096, KernelCommand.size("4096"));
    assertEquals(64L << 10, KernelCommand.size("64k"));
    assertEquals(256L << 20, KernelCommand.size("256M"));
    assertEquals(1L << 30, KernelCommand.size("1G"));
    assertThrows(ArithmeticException.class, () -> KernelCommand.size("99999999999G"));
  }
}
