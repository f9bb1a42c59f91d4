package org.jvfio.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * Builds {@code libjvfio-preload.so} and the C test programs of {@code src/test/c} with the system
 * C compiler and runs each against a {@link BridgeServer} in this JVM, unmodified C code over the
 * socket: the dirty-tracking client (IOMMU_TEST_CMD), the port of the kernel selftest's mock-domain
 * fixtures, the migration client, the EFAULT client and the fork client and the ioctl loop
 * (multi-threaded). Skipped, with a message, where no C compiler exists.
 */
class CProgramsTest {
  @TempDir static Path dir;
  private static String cc;
  private static BridgeServer server;

  @BeforeAll
  static void build() throws Exception {
    cc = compiler();
    if (cc == null) {
      System.err.println("CProgramsTest: no C compiler (cc or gcc), the C programs are skipped");
    }
    Assumptions.assumeTrue(cc != null, "no C compiler (cc or gcc): the C programs are skipped");
    run(
        List.of(
            cc,
            "-shared",
            "-fPIC",
            "-O2",
            "-Wall",
            "-o",
            dir.resolve("libjvfio-preload.so").toString(),
            "src/main/c/jvfio_preload.c",
            "-ldl",
            "-lpthread"));
    for (String p :
        List.of(
            "dirty_tracking",
            "efault",
            "migration",
            "ioctl_overhead",
            "fork",
            "dup_syscall",
            "selftest_dirty",
            "selftest_mock_domain",
            "selftest_access",
            "selftest_compat",
            "selftest_ioas",
            "selftest_nested",
            "selftest_fault",
            "selftest_viommu")) {
      List<String> compile =
          new ArrayList<>(
              List.of(
                  cc,
                  "-std=gnu11",
                  "-O2",
                  "-D_FORTIFY_SOURCE=2", // __open_2, __read_chk: the library must catch them too
                  "-Wall",
                  "-Isrc/main/c",
                  "-Isrc/test/c",
                  "-o",
                  dir.resolve(p).toString(),
                  "src/test/c/" + p + ".c",
                  "-lpthread"));
      if (!compiles(compile)) {
        compile.add(1, "-DJVFIO_GENERATED_UAPI"); // the header generated from the api records
        run(compile);
      }
    }
    FakeKernel.Builder kernel =
        FakeKernel.builder()
            .guestMemory(1L << 30)
            .iommu("mock")
            .device(
                ReferenceMigrationDriver.seeded(
                    java.util.Set.of(MigrationFlag.STOP_COPY), 7, 100_000))
            .iommufdTest();
    server = BridgeServer.start(kernel, dir.resolve("kernel.sock"));
  }

  @AfterAll
  static void stop() throws IOException {
    if (server != null) {
      server.close();
    }
  }

  /**
   * Compiles; returns false (instead of failing) if the kernel headers have {@code
   * <linux/iommufd.h>} without its dirty tracking (the {@code #error} of {@code uapi.h}).
   */
  private static boolean compiles(List<String> compile) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(compile).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    int exit = p.waitFor();
    if (exit != 0 && out.contains("without iommufd dirty tracking")) {
      return false;
    }
    assertEquals(0, exit, compile + " failed:\n" + out);
    return true;
  }

  /** The system C compiler ({@code cc}, else {@code gcc}), or null. */
  static String compiler() {
    return Programs.find("cc", "gcc");
  }

  private static String run(List<String> command) throws IOException, InterruptedException {
    return Programs.run(
        command,
        server == null
            ? Map.of()
            : Map.of(
                "JVFIO_SOCKET",
                server.socket().toString(),
                "LD_PRELOAD",
                dir.resolve("libjvfio-preload.so").toString()));
  }

  private static String program(String name, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(dir.resolve(name).toString()));
    cmd.addAll(List.of(args));
    String out = run(cmd);
    assertTrue(out.contains(name + ": ok"), out);
    return out;
  }

  @Test
  void dirtyTracking_mockDeviceMarksAndBitmapsReadBack() throws Exception {
    program("dirty_tracking");
  }

  /**
   * The kernel selftest's {@code iommufd_dirty_tracking} fixture (all nine buffer sizes) and its
   * {@code iommufd_ioas} cases that need only the mock, ported in C.
   */
  @Test
  void selftestDirty_kernelSelftestFixturesPass() throws Exception {
    program("selftest_dirty");
  }

  /**
   * The kernel selftest's {@code iommufd_mock_domain} fixture (one and two mock domains, with and
   * without huge pages, and the file variants over a memfd), ported in C: maps of the program's own
   * buffers, munmap'd ({@code EFAULT}) and read-only ones, {@code IOMMU_IOAS_MAP_FILE} of memfds
   * ({@code EINVAL} beyond the end of the file), every length and alignment, with {@code
   * MD_CHECK_MAP} and {@code MD_CHECK_REFS}.
   */
  @Test
  void selftestMockDomain_kernelSelftestFixturePasses() throws Exception {
    program("selftest_mock_domain");
  }

  /**
   * The kernel selftest's tests that use an in-kernel access ({@code IOMMU_TEST_OP_CREATE_ACCESS},
   * {@code ACCESS_PAGES}, {@code ACCESS_RW}), ported in C: {@code iommufd_ioas}'s access tests on
   * every variant and {@code iommufd_mock_domain.user_copy}.
   */
  @Test
  void selftestAccess_kernelSelftestAccessTestsPass() throws Exception {
    program("selftest_access");
  }

  /**
   * The kernel selftest's VFIO compatibility tests: the {@code iommufd} fixture's type1 and {@code
   * IOMMU_VFIO_IOAS} cases and {@code vfio_compat_mock_domain} (Ver1v2 and Ver1v0), ported in C.
   */
  @Test
  void selftestCompat_vfioCompatFixturesPass() throws Exception {
    program("selftest_compat");
  }

  /**
   * The kernel selftest's {@code iommufd_ioas} tests that {@code selftest_dirty} leaves out and
   * that need only the mock: {@code ioas_option_huge_pages}, {@code ioas_iova_alloc}, {@code
   * ioas_align_change}, and {@code fork_gone} and {@code fork_present} (pages a forked child
   * mapped, pinned or read through its mm while it lives, {@code EFAULT} once it has gone), ported
   * in C ({@code copy_sweep} is in {@code selftest_access}).
   */
  @Test
  void selftestIoas_remainingIoasFixtureTestsPass() throws Exception {
    program("selftest_ioas");
  }

  /**
   * The kernel selftest's {@code iommufd_ioas.alloc_hwpt_nested}, ported in C: the mock's nested
   * HWPTs, {@code MD_CHECK_IOTLB}, {@code IOMMU_HWPT_INVALIDATE} with selftest data, replace and
   * destroy order, and its IOPF steps (a fault queue, a nested HWPT with {@code
   * IOMMU_HWPT_FAULT_ID_VALID}, a fault triggered, read and answered).
   */
  @Test
  void selftestNested_allocHwptNestedPasses() throws Exception {
    program("selftest_nested");
  }

  /**
   * The fault queue in C: {@code IOMMU_FAULT_QUEUE_ALLOC}, a fault-capable paging HWPT, {@code
   * IOMMU_TEST_OP_TRIGGER_IOPF}, the queue fd's read and write with their errnos, and the iopf part
   * of the selftest's {@code iommufd_device_pasid.pasid_attach} (PASID 2048).
   */
  @Test
  void selftestFault_faultQueueAndIopfPass() throws Exception {
    assertTrue(program("selftest_fault").contains("selftest_fault: ok"));
  }

  /**
   * The kernel selftest's {@code iommufd_viommu} fixture (no vIOMMU, and a mock vIOMMU on a nest
   * parent), ported in C: vIOMMU allocation errnos, the mock vIOMMU's per-device cache
   * invalidation, vDEVICE tombstones, and the vEVENTQ's allocation, read and destroy rules.
   */
  @Test
  void selftestViommu_kernelSelftestViommuFixturePasses() throws Exception {
    program("selftest_viommu");
  }

  @Test
  void efault_badPointersFailWithoutACrash() throws Exception {
    program("efault");
  }

  @Test
  void migration_readsTheDataFdToTheEndThenResumes() throws Exception {
    assertTrue(program("migration").contains("saved and resumed"));
  }

  @Test
  void fork_childSharesTheParentsFilesAndClosesOnlyItsCopy() throws Exception {
    program("fork");
  }

  @Test
  void dupAndSyscall_shareTheOpenFileAndAreServedLikeTheWrappers() throws Exception {
    program("dup_syscall");
  }

  @Test
  void ioctlLoop_fromFourThreads() throws Exception {
    program("ioctl_overhead", "500", "4");
  }
}
