package org.jvfio.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_IOVA_RANGES;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MASK;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_MIG_GET_PRECOPY_INFO;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvfio.api.Errno;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.kernel.UserMemory;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * A seeded syscall fuzzer for {@link FakeKernel}, on every IOMMU driver: random and mutated ioctls,
 * structs, lengths and addresses on {@code /dev/iommu}, the VFIO device cdevs and the migration
 * data fds (see {@link FuzzGen}), with three checks:
 *
 * <ul>
 *   <li>nothing escapes: every call returns a number, no {@link Throwable} comes out;
 *   <li>a refused call ({@code -errno}) leaves every visible state as it was: the fd table, each
 *       IOAS's allowed ranges, each HWPT's dirty bitmap (read with NO_CLEAR), each device's
 *       migration state and DMA-logging tracker, each data fd's pre-copy progress (the one
 *       documented exception: a failed MIG_DEVICE_STATE SET may leave the device in ERROR, as the
 *       kernel's drivers do);
 *   <li>nothing is allocated in proportion to an unvalidated length: this class runs in its own
 *       surefire fork with a 256 MiB heap (sim's pom), where such an allocation is an {@link
 *       OutOfMemoryError} that the first check reports.
 * </ul>
 *
 * <p>Bounded for CI ({@code jvfio.tries / 40} programs of {@value #CALLS} calls per driver);
 * widened with {@code -Djvfio.tries}, reseeded with {@code -Djvfio.seed}. A failure is shrunk by
 * dropping calls while it still fails the same way, and printed as a list of syscalls.
 */
class SyscallFuzzTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final int CALLS = 40;

  /** Builds the kernel every program runs on: four devices behind {@code iommu}. */
  static FakeKernel kernel(String iommu) {
    EnumSet<MigrationFlag> all = EnumSet.allOf(MigrationFlag.class);
    return FakeKernel.builder()
        .guestMemory(FuzzGen.GUEST)
        .iommu(iommu)
        .device(
            ReferenceMigrationDriver.create(
                all, new byte[12_000], 4096, Optional.of(DmaTracker.exact())))
        .device(
            ReferenceMigrationDriver.create(
                EnumSet.of(MigrationFlag.STOP_COPY),
                new byte[100],
                64,
                Optional.of(DmaTracker.mlx5Like(2, 12, 21, 12, 40))))
        .device(
            ReferenceMigrationDriver.create(
                all, new byte[5000], 1000, Optional.of(DmaTracker.pdsLike())))
        .device(VfioDeviceDriver.withoutMigration(Optional.empty()))
        .build();
  }

  /** How a program failed: at which call, and a signature that shrinking must preserve. */
  private record Failure(int index, String signature, String detail) {}

  @ParameterizedTest
  @ValueSource(strings = {"amd-v1", "intel-ss", "smmuv3", "mock"})
  void fuzz_nothingEscapesAndRefusalsChangeNothing(String iommu) {
    int programs = Math.max(2, TRIES / 40);
    long guestBase = kernel(iommu).guestMemory(0).base();
    List<FuzzCall> setup = FuzzGen.setup(guestBase);
    assertSetupSucceeds(iommu, setup);
    for (int p = 0; p < programs; p++) {
      long seed = SEED ^ (p * 0x9E3779B97F4A7C15L) ^ iommu.hashCode();
      FuzzGen gen = new FuzzGen(new SplittableRandom(seed));
      List<FuzzCall> calls = new ArrayList<>(setup);
      for (int c = 0; c < CALLS; c++) {
        calls.add(gen.next());
      }
      Optional<Failure> failure = run(iommu, calls, true);
      if (failure.isPresent()) {
        List<FuzzCall> minimal = shrink(iommu, calls, failure.get());
        StringBuilder b = new StringBuilder();
        b.append(iommu).append(", program seed 0x").append(Long.toHexString(seed));
        b.append(" (-Djvfio.seed=0x").append(Long.toHexString(SEED)).append("): ");
        b.append(run(iommu, minimal, true).orElse(failure.get()).detail());
        b.append("\nminimal reproducer (").append(minimal.size()).append(" calls):\n");
        minimal.forEach(c -> b.append("  ").append(c).append('\n'));
        fail(b.toString());
      }
    }
  }

  /** The regressions the issue reported, replayed as syscalls on every driver. */
  @ParameterizedTest
  @ValueSource(strings = {"amd-v1", "intel-ss", "smmuv3", "mock"})
  void reproducers_ofTheReportedDefects(String iommu) {
    long guestBase = kernel(iommu).guestMemory(0).base();
    List<FuzzCall> calls = new ArrayList<>(FuzzGen.setup(guestBase));
    calls.addAll(FuzzGen.reportedDefects());
    Optional<Failure> failure = run(iommu, calls, true);
    assertTrue(failure.isEmpty(), () -> failure.get().detail());
  }

  private static void assertSetupSucceeds(String iommu, List<FuzzCall> setup) {
    FakeKernel k = kernel(iommu);
    for (FuzzCall c : setup) {
      long rc = c.run(k);
      assertTrue(rc >= 0, () -> iommu + ": setup call " + c + " failed: " + rc);
    }
  }

  /** Runs {@code calls} on a fresh kernel; returns the first failure of a check. */
  private static Optional<Failure> run(String iommu, List<FuzzCall> calls, boolean checkState) {
    FakeKernel k = kernel(iommu);
    Probe probe = new Probe(k);
    for (int i = 0; i < calls.size(); i++) {
      FuzzCall c = calls.get(i);
      String before = checkState ? probe.snapshot() : "";
      long rc;
      try {
        rc = c.run(k);
      } catch (Throwable t) { // the check: nothing may escape, not even an Error
        return Optional.of(new Failure(i, "escape " + t.getClass().getName(), c + " threw " + t));
      }
      if (checkState && rc < 0) {
        String after = probe.snapshot();
        if (!before.equals(after) && !wentToError(c, before, after)) {
          return Optional.of(
              new Failure(
                  i,
                  "changed " + c.kind() + " " + c.request(),
                  c
                      + " returned "
                      + Errno.of((int) -rc)
                      + " and changed state\nbefore:\n"
                      + before
                      + "after:\n"
                      + after));
        }
      }
    }
    return Optional.empty();
  }

  /** A failed MIG_DEVICE_STATE SET may put the device in ERROR (the driver's choice). */
  private static boolean wentToError(FuzzCall c, String before, String after) {
    if (c.kind() != FuzzCall.Kind.IOCTL
        || c.request() != VFIO_DEVICE_FEATURE
        || c.arg().length < 8) {
      return false;
    }
    int flags = ByteBuffer.wrap(c.arg()).order(ByteOrder.LITTLE_ENDIAN).getInt(4);
    return (flags & VFIO_DEVICE_FEATURE_MASK) == VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE
        && (flags & VFIO_DEVICE_FEATURE_SET) != 0
        && count(after, "state=ERROR") > count(before, "state=ERROR");
  }

  private static int count(String s, String what) {
    int n = 0;
    for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }

  /** Drops calls (last first) while the program still fails with the same signature at its end. */
  private static List<FuzzCall> shrink(String iommu, List<FuzzCall> calls, Failure failure) {
    List<FuzzCall> current = new ArrayList<>(calls.subList(0, failure.index() + 1));
    boolean changed = true;
    for (int pass = 0; changed && pass < 3; pass++) {
      changed = false;
      for (int i = current.size() - 2; i >= 0; i--) {
        List<FuzzCall> candidate = new ArrayList<>(current);
        candidate.remove(i);
        Optional<Failure> f = run(iommu, candidate, failure.signature().startsWith("changed"));
        if (f.isPresent()
            && f.get().signature().equals(failure.signature())
            && f.get().index() == candidate.size() - 1) {
          current = candidate;
          changed = true;
        }
      }
    }
    return current;
  }

  /**
   * Reads the visible state through the syscall surface (and the devices' read-only accessors),
   * with buffers allocated once so that probing changes nothing.
   */
  private static final class Probe {
    private final FakeKernel k;
    private final UserMemory mem;
    private final long struct;
    private final long ranges;
    private final long bitmap;
    private final int bitmapBytes = (int) (FuzzGen.GUEST / FuzzGen.PAGE / 8);

    Probe(FakeKernel k) {
      this.k = k;
      this.mem = k.userMemory();
      this.struct = mem.allocate(64);
      this.ranges = mem.allocate(16 * 8);
      this.bitmap = mem.allocate(bitmapBytes);
    }

    private long ioctl(int fd, int request, ByteBuffer arg) {
      mem.write(struct, arg.flip());
      return k.ioctl(fd, request, struct);
    }

    private ByteBuffer buf() {
      return ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    }

    private byte[] read(long addr, int n) {
      byte[] b = new byte[n];
      mem.read(addr, ByteBuffer.wrap(b));
      return b;
    }

    String snapshot() {
      StringBuilder s = new StringBuilder();
      for (int fd = 0; fd <= FuzzGen.LAST_FD + 2; fd++) {
        long open = k.ioctl(fd, 0, 0);
        if (open == -Errno.EBADF.code()) {
          continue;
        }
        s.append("fd ").append(fd).append(": ").append(open);
        for (int id = 1; id <= 9; id++) {
          long rc =
              ioctl(
                  fd,
                  IOMMU_IOAS_IOVA_RANGES,
                  buf().putInt(32).putInt(id).putInt(8).putInt(0).putLong(ranges).putLong(0));
          if (rc != -Errno.ENOTTY.code() && rc != -Errno.EINVAL.code()) {
            s.append(" ioas").append(id).append('=').append(rc);
            if (rc >= 0) {
              s.append(Arrays.toString(read(struct, 32)))
                  .append(Arrays.toString(read(ranges, 128)));
            }
          }
          mem.write(bitmap, ByteBuffer.allocate(bitmapBytes));
          rc =
              ioctl(
                  fd,
                  IOMMU_HWPT_GET_DIRTY_BITMAP,
                  buf()
                      .putInt(48)
                      .putInt(id)
                      .putInt(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR)
                      .putInt(0)
                      .putLong(FuzzGen.IOVA)
                      .putLong(FuzzGen.GUEST)
                      .putLong(FuzzGen.PAGE)
                      .putLong(bitmap));
          if (rc != -Errno.ENOTTY.code() && rc != -Errno.EINVAL.code()) {
            s.append(" hwpt").append(id).append('=').append(rc);
            if (rc >= 0) {
              s.append('#').append(Arrays.hashCode(read(bitmap, bitmapBytes)));
            }
          }
        }
        long rc =
            ioctl(
                fd,
                VFIO_DEVICE_FEATURE,
                buf()
                    .putInt(16)
                    .putInt(VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE)
                    .putLong(0));
        s.append(" mig=").append(rc).append(rc >= 0 ? Arrays.toString(read(struct, 16)) : "");
        rc = ioctl(fd, VFIO_MIG_GET_PRECOPY_INFO, buf().putInt(24).putInt(0).putLong(0).putLong(0));
        s.append(" precopy=").append(rc).append(rc >= 0 ? Arrays.toString(read(struct, 24)) : "");
        s.append('\n');
      }
      for (int d = 0; d < k.deviceCount(); d++) {
        s.append("vfio").append(d).append(": ").append(k.device(d));
        k.device(d).dmaTracker().ifPresent(t -> s.append(" failed=").append(t.isFailed()));
        s.append('\n');
      }
      return s.toString();
    }
  }
}
