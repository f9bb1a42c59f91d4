package org.jvfio.testkit.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuIoasAlloc;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.kernel.UserMemory;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;
import org.opentest4j.AssertionFailedError;

/**
 * {@link FakeKernel}'s fd table against a reference model of the kernel's ({@code fs/file.c}), over
 * random sequences of open, {@code dup}, {@code dup2}, close and a probe of the file behind an fd:
 *
 * <ul>
 *   <li>new fds are the lowest free numbers from 3; {@code dup2} takes the number asked for;
 *   <li>an fd and its duplicates are one open file: an iommufd's IOAS ids count up across them;
 *   <li>a file is released at its last close, or when {@code dup2} replaces its last fd: IOMMU
 *       group 0 opens ({@code EBUSY} otherwise) exactly when no fd refers to a file of device 0's
 *       cdev;
 *   <li>a closed fd is {@code EBADF} for every call, and a refused call changes nothing.
 * </ul>
 *
 * Two broken twins must fail it: one whose dup opens the path anew (a second open file), and one
 * whose close releases the file while a duplicate still refers to it.
 */
class FdTablePropertyTest {
  private static final int FDS = 8; // fd numbers 3..10 are chosen from

  /** One step: {@code kind} on fd {@code 3 + a} (and {@code 3 + b} for DUP2). */
  record Step(Kind kind, int a, int b) {}

  enum Kind {
    OPEN_IOMMU,
    OPEN_DEVICE,
    DUP,
    DUP2,
    CLOSE,
    PROBE
  }

  private static final Gen<List<Step>> SEQUENCES =
      Gen.lists(
          Gen.zip(
              Gen.oneOf(Kind.values()),
              Gen.zip(Gen.ints(0, FDS - 1), Gen.ints(0, FDS + 1), List::of),
              (k, ab) -> new Step(k, ab.get(0), ab.get(1))),
          1,
          40);

  /** The system calls the property drives. */
  interface Fds {
    int open(String path);

    int dup(int fd);

    int dup2(int oldfd, int newfd);

    int close(int fd);

    /** IOMMU_IOAS_ALLOC: the new IOAS id, or -errno (EINVAL on a cdev file not bound). */
    int probe(int fd);
  }

  /** The real kernel, with device 0 (its cdev and IOMMU group 0). */
  static class Real implements Fds {
    final FakeKernel kernel =
        FakeKernel.builder()
            .guestMemory(1L << 20)
            .iommu(MockIommuDriver.create(true, false))
            .device(ReferenceMigrationDriver.seeded(Set.of(MigrationFlag.STOP_COPY), 1, 4096))
            .build();
    final UserMemory mem = kernel.userMemory();
    final long arg = mem.allocate(IommuIoasAlloc.SIZE);

    @Override
    public int open(String path) {
      return kernel.open(path);
    }

    @Override
    public int dup(int fd) {
      return kernel.dup(fd);
    }

    @Override
    public int dup2(int oldfd, int newfd) {
      return kernel.dup2(oldfd, newfd);
    }

    @Override
    public int close(int fd) {
      return kernel.close(fd);
    }

    @Override
    public int probe(int fd) {
      ByteBuffer b = ByteBuffer.allocate(IommuIoasAlloc.SIZE).order(ByteOrder.LITTLE_ENDIAN);
      mem.write(arg, b.putInt(0, IommuIoasAlloc.SIZE));
      int rc = kernel.ioctl(fd, Iommufd.IOMMU_IOAS_ALLOC, arg);
      return rc < 0
          ? rc
          : mem.read(arg, IommuIoasAlloc.SIZE).order(ByteOrder.LITTLE_ENDIAN).getInt(8);
    }
  }

  /** The reference: fd → file, file → what it is and its next IOAS id. */
  private static final class Model {
    final Map<Integer, Integer> fds = new HashMap<>();
    final Map<Integer, int[]> files = new HashMap<>(); // {isDevice, nextIoasId}
    int nextFile;

    int lowestFree() {
      int fd = 3;
      while (fds.containsKey(fd)) {
        fd++;
      }
      return fd;
    }

    int open(boolean device) {
      int fd = lowestFree();
      fds.put(fd, nextFile);
      files.put(nextFile++, new int[] {device ? 1 : 0, 1});
      return fd;
    }

    boolean deviceFileOpen() {
      for (int file : fds.values()) {
        if (files.get(file)[0] == 1) {
          return true;
        }
      }
      return false;
    }
  }

  static void check(Fds sut, List<Step> steps) {
    Model ref = new Model();
    for (Step s : steps) {
      int fd = 3 + s.a();
      Integer file = ref.fds.get(fd);
      switch (s.kind()) {
        case OPEN_IOMMU -> assertEquals(ref.open(false), sut.open(FakeKernel.IOMMU_PATH), "" + s);
        case OPEN_DEVICE ->
            assertEquals(ref.open(true), sut.open(FakeKernel.devicePath(0)), "" + s);
        case DUP -> {
          int want = file == null ? -Errno.EBADF.code() : ref.lowestFree();
          assertEquals(want, sut.dup(fd), "" + s);
          if (file != null) {
            ref.fds.put(want, file);
          }
        }
        case DUP2 -> {
          int newfd = 3 + s.b();
          assertEquals(file == null ? -Errno.EBADF.code() : newfd, sut.dup2(fd, newfd), "" + s);
          if (file != null) {
            ref.fds.put(newfd, file);
          }
        }
        case CLOSE -> {
          assertEquals(file == null ? -Errno.EBADF.code() : 0, sut.close(fd), "" + s);
          ref.fds.remove(fd);
        }
        case PROBE -> {
          int want;
          if (file == null) {
            want = -Errno.EBADF.code();
          } else if (ref.files.get(file)[0] == 1) {
            want = -Errno.EINVAL.code(); // an unbound device: every ioctl is EINVAL
          } else {
            want = ref.files.get(file)[1]++;
          }
          assertEquals(want, sut.probe(fd), "" + s);
        }
      }
      int group = sut.open(FakeKernel.groupPath(0));
      if (ref.deviceFileOpen()) {
        assertEquals(-Errno.EBUSY.code(), group, "group 0 while a cdev file is open, after " + s);
      } else {
        assertEquals(ref.lowestFree(), group, "group 0 once every cdev file is released, " + s);
        assertEquals(0, sut.close(group));
      }
    }
  }

  /** A twin whose dup opens the fd's path again: a new open file, not the same one. */
  static final class DupOpensAnew extends Real {
    final Map<Integer, String> paths = new HashMap<>();

    @Override
    public int open(String path) {
      int fd = super.open(path);
      paths.put(fd, path);
      return fd;
    }

    @Override
    public int dup(int fd) {
      String path = paths.get(fd);
      return path == null ? kernel.dup(fd) : open(path);
    }
  }

  /** A twin whose close releases the file even while a duplicate refers to it. */
  static final class ReleasesAtFirstClose extends Real {
    final Map<Integer, Integer> token = new HashMap<>();
    int next;

    private int track(int oldfd, int newfd) {
      if (newfd >= 0) {
        token.put(newfd, token.computeIfAbsent(oldfd, k -> next++));
      }
      return newfd;
    }

    @Override
    public int dup(int fd) {
      return track(fd, super.dup(fd));
    }

    @Override
    public int dup2(int oldfd, int newfd) {
      return track(oldfd, super.dup2(oldfd, newfd));
    }

    @Override
    public int close(int fd) {
      Integer t = token.remove(fd);
      int rc = super.close(fd);
      token.entrySet().removeIf(e -> e.getValue().equals(t) && super.close(e.getKey()) == 0);
      return rc;
    }
  }

  @Test
  void fdTable_followsTheKernelsOpenFileRules() {
    Property.named("fd table: dup, dup2, close")
        .forAll(SEQUENCES, steps -> check(new Real(), steps));
  }

  @Test
  void brokenTwin_dupOpeningANewFile_isCaught() {
    assertThrows(
        AssertionFailedError.class,
        () ->
            Property.named("twin: dup opens anew")
                .forAll(SEQUENCES, steps -> check(new DupOpensAnew(), steps)));
  }

  @Test
  void brokenTwin_releasingAtTheFirstClose_isCaught() {
    assertThrows(
        AssertionFailedError.class,
        () ->
            Property.named("twin: releases at the first close")
                .forAll(SEQUENCES, steps -> check(new ReleasesAtFirstClose(), steps)));
  }
}
