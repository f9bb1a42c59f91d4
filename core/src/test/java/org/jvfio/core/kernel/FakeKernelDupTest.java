package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_RESET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_STOP_COPY;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * {@code dup}, {@code dup2} and {@code dup3} ({@code fs/file.c}): the new fd refers to the same
 * open file, the file is released at its last close, and the errnos come in {@code ksys_dup3}'s
 * order.
 */
class FakeKernelDupTest {
  private static final int O_CLOEXEC = 0x80000;

  private static FakeKernel kernel() {
    return FakeKernel.builder()
        .guestMemory(1L << 20)
        .iommu(MockIommuDriver.create(true, false))
        .device(ReferenceMigrationDriver.seeded(Set.of(MigrationFlag.STOP_COPY), 7, 10_000))
        .build();
  }

  private final FakeKernel kernel = kernel();
  private final Syscalls sys = new Syscalls(kernel);

  @Test
  void dup_iommufd_sharesTheContextUntilTheLastClose() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    assertEquals(1, sys.ioasAlloc(fd));
    int copy = (int) ok(kernel.dup(fd));
    assertEquals(fd + 1, copy, "the lowest free number");
    assertEquals(2, sys.ioasAlloc(copy), "the same iommufd: its next object id");
    ok(kernel.close(fd));
    assertEquals(3, sys.ioasAlloc(copy), "closing one fd keeps the file");
    ok(kernel.close(copy));
    assertErrno(Errno.EBADF, kernel.ioctl(copy, 0, 0));
  }

  @Test
  void dup_deviceFd_isReleasedOnlyByTheLastClose() {
    int iommufd = sys.open(FakeKernel.IOMMU_PATH);
    int dev = sys.open(FakeKernel.devicePath(0));
    sys.bind(dev, iommufd);
    int copy = (int) ok(kernel.dup(dev));
    int second = sys.open(FakeKernel.devicePath(0));
    ok(kernel.close(dev));
    ok(sys.ioctl(copy, VFIO_DEVICE_RESET, 0)); // still bound through the copy
    assertErrno(Errno.EINVAL, sys.bind(second, iommufd, new int[1]));
    ok(kernel.close(copy)); // the release: the device is unbound
    sys.bind(second, iommufd);
  }

  @Test
  void dup_dataFd_sharesTheStreamPosition() {
    byte[] alternating = stopCopyStream(kernel, true);
    byte[] oneFd = stopCopyStream(kernel(), false);
    assertTrue(oneFd.length > 10_000);
    assertArrayEquals(oneFd, alternating);
  }

  /** Reads a STOP_COPY stream to its end, 1000 bytes a call, alternating with a dup if asked. */
  private static byte[] stopCopyStream(FakeKernel k, boolean alternate) {
    Syscalls s = new Syscalls(k);
    int dev = s.open(FakeKernel.devicePath(0));
    s.bind(dev, s.open(FakeKernel.IOMMU_PATH));
    long arg =
        s.feature(
            dev,
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            8,
            new VfioDeviceFeatureMigState(VFIO_DEVICE_STATE_STOP_COPY, 0)::encode);
    int data = s.payload(arg, 8, VfioDeviceFeatureMigState::decode).dataFd();
    int[] fds = {data, alternate ? (int) ok(k.dup(data)) : data};
    long buf = s.mem.allocate(1000);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; ; i++) {
      int n = (int) ok(k.read(fds[i % 2], buf, 1000));
      if (n == 0) {
        return out.toByteArray();
      }
      byte[] b = new byte[n];
      s.mem.read(buf, ByteBuffer.wrap(b));
      out.write(b, 0, n);
    }
  }

  @Test
  void dup2_ontoAnOpenFd_closesItsFileFirst() {
    int iommufd = sys.open(FakeKernel.IOMMU_PATH);
    int dev = sys.open(FakeKernel.devicePath(0));
    int devId = sys.bind(dev, iommufd);
    int ioas = sys.ioasAlloc(iommufd);
    assertEquals(dev, kernel.dup2(iommufd, dev));
    assertEquals(devId, sys.ioasAlloc(dev), "dev is the iommufd, where the unbind freed devId");
    assertEquals(ioas + 1, sys.ioasAlloc(iommufd));
    int again = sys.open(FakeKernel.devicePath(0));
    sys.bind(again, iommufd); // the device file was released: unbound
  }

  @Test
  void dup2_belowThree_leavesTheLowestFreeNumberFromThree() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    assertEquals(1, kernel.dup2(fd, 1));
    assertEquals(fd + 1, kernel.open(FakeKernel.IOMMU_PATH));
    assertEquals(fd + 2, kernel.dup(1));
    assertEquals(1, sys.ioasAlloc(fd + 2));
  }

  @Test
  void dup2_sameFd_returnsItIfOpen() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    assertEquals(fd, kernel.dup2(fd, fd));
    assertEquals(1, sys.ioasAlloc(fd));
    assertErrno(Errno.EBADF, kernel.dup2(9, 9));
    assertErrno(Errno.EBADF, kernel.dup2(-1, -1));
  }

  @Test
  void dup3_checksFlagsThenSameFdThenNewfdThenOldfd() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    int other = sys.open(FakeKernel.IOMMU_PATH);
    assertErrno(Errno.EINVAL, kernel.dup3(fd, 9, 1));
    assertErrno(Errno.EINVAL, kernel.dup3(20, 9, 0x40)); // flags before EBADF
    assertErrno(Errno.EINVAL, kernel.dup3(fd, fd, 0));
    assertErrno(Errno.EINVAL, kernel.dup3(20, 20, 0)); // the same fd before EBADF
    assertErrno(Errno.EBADF, kernel.dup3(fd, -1, 0));
    assertErrno(Errno.EBADF, kernel.dup3(20, other, 0));
    assertEquals(1, sys.ioasAlloc(other), "a refused dup3 leaves newfd open");
    assertEquals(9, kernel.dup3(fd, 9, O_CLOEXEC));
    assertEquals(1, sys.ioasAlloc(9));
    assertEquals(2, sys.ioasAlloc(fd));
    assertErrno(Errno.EBADF, kernel.dup(20));
    assertErrno(Errno.EBADF, kernel.dup(-1));
  }

  @Test
  void dup_numbersFromTheUnusedFdSupplier() {
    AtomicInteger next = new AtomicInteger(40);
    FakeKernel k =
        FakeKernel.builder()
            .guestMemory(1L << 20)
            .iommu(MockIommuDriver.create(true, false))
            .unusedFd(next::getAndIncrement)
            .build();
    int fd = (int) ok(k.open(FakeKernel.IOMMU_PATH));
    assertEquals(40, fd);
    assertEquals(41, k.dup(fd));
    next.set(-1);
    assertErrno(Errno.EMFILE, k.dup(fd));
    assertEquals(1, new Syscalls(k).ioasAlloc(41));
  }
}
