package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_FAULT_QUEUE_ALLOC;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_PRE_COPY;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuFaultAlloc;
import org.jvfio.api.iommufd.IommuHwptPgfault;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;
import org.jvfio.core.vfio.UserAccess;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * The order of the VFS's checks on read(2), write(2), pread(2) and pwrite(2), the same for every
 * file: {@code ksys_pread64} refuses a negative offset (EINVAL), a bad fd (EBADF) and a stream
 * (ESPIPE, {@code FMODE_PREAD}); then {@code vfs_read} and {@code vfs_write} ({@code
 * fs/read_write.c}) refuse the wrong access mode (EBADF) and a file without the method (EINVAL),
 * then a buffer beyond user space ({@code access_ok}, EFAULT), then an end beyond a signed 64-bit
 * offset ({@code rw_verify_area}, EINVAL); only then does the file's own method run. Each row below
 * is a call that two of those checks refuse, answered by the earlier one.
 */
class VfsOrderTest {
  /** Eight bytes here cross {@code TASK_SIZE_MAX}, the end of user space. */
  private static final long ACROSS_THE_END = UserAccess.TASK_SIZE_MAX - 4;

  private final FakeKernel kernel =
      FakeKernel.builder()
          .iommu(MockIommuDriver.create())
          .device(
              ReferenceMigrationDriver.create(
                  EnumSet.allOf(MigrationFlag.class),
                  new byte[8192],
                  4096,
                  Optional.of(DmaTracker.exact())))
          .device(VfioDeviceDriver.withoutMigration(Optional.empty()))
          .build();
  private final Syscalls sys = new Syscalls(kernel);
  private final int iommufd = sys.open(FakeKernel.IOMMU_PATH);
  private final int deviceFd = sys.open(FakeKernel.devicePath(0));
  private final long buf = sys.mem.allocate(64);

  VfsOrderTest() {
    sys.bind(deviceFd, iommufd);
  }

  @Test
  void deviceFd_accessOkBeforeTheDriverAndTheCountUncut() {
    int unbound = sys.open(FakeKernel.devicePath(1));
    assertErrno(Errno.EFAULT, kernel.read(unbound, ACROSS_THE_END, 8)); // before "not bound"
    assertErrno(Errno.EINVAL, kernel.read(unbound, buf, 8));
    assertErrno(Errno.EFAULT, kernel.pwrite(unbound, ACROSS_THE_END, 8, 0));
    // access_ok sees the whole count: it is not cut to MAX_RW_COUNT first
    assertErrno(Errno.EFAULT, kernel.pread(deviceFd, buf, 1L << 47, 0));
    assertErrno(Errno.EFAULT, kernel.read(deviceFd, buf, -1L));
    assertErrno(Errno.EFAULT, kernel.write(deviceFd, buf, Long.MIN_VALUE));
    // rw_verify_area after access_ok: the end of a valid buffer's count overflows the offset
    assertErrno(Errno.EINVAL, kernel.pread(deviceFd, buf, 1L << 32, Long.MAX_VALUE - (1L << 31)));
    assertEquals(8, ok(kernel.pread(deviceFd, buf, 8, 0)), "the same device reads");
  }

  @Test
  void fileWithoutTheMethod_einvalBeforeAccessOk() {
    assertErrno(Errno.EINVAL, kernel.read(iommufd, ACROSS_THE_END, 8));
    assertErrno(Errno.EINVAL, kernel.write(iommufd, ACROSS_THE_END, 8));
    assertErrno(Errno.EINVAL, kernel.pread(iommufd, ACROSS_THE_END, 8, 0));
  }

  @Test
  void dataFd_accessModeBeforeAccessOk_espipeBeforeTheOffsetCheck() {
    int data = preCopyDataFd();
    assertErrno(Errno.EBADF, kernel.write(data, ACROSS_THE_END, 8)); // the saving file is O_RDONLY
    assertErrno(Errno.EFAULT, kernel.read(data, ACROSS_THE_END, 8));
    assertErrno(Errno.ESPIPE, kernel.pread(data, buf, 16, Long.MAX_VALUE - 8));
    assertErrno(Errno.ESPIPE, kernel.pwrite(data, ACROSS_THE_END, 8, 0));
    assertEquals(8, ok(kernel.read(data, buf, 8)), "the stream was not touched");
  }

  @Test
  void faultFd_accessOkBeforeTheQueue() {
    long arg = sys.put(16, new IommuFaultAlloc(16, 0, 0, 0)::encode);
    ok(sys.ioctl(iommufd, IOMMU_FAULT_QUEUE_ALLOC, arg));
    int faultFd = sys.get(arg, 16, IommuFaultAlloc::decode).outFaultFd();
    int size = IommuHwptPgfault.SIZE;
    assertErrno(Errno.EFAULT, kernel.read(faultFd, ACROSS_THE_END, size)); // not 0: nothing queued
    assertErrno(Errno.EFAULT, kernel.read(faultFd, ACROSS_THE_END, size - 1)); // not ESPIPE
    assertEquals(0, ok(kernel.read(faultFd, buf, size)), "an empty queue reads 0");
    assertErrno(Errno.ESPIPE, kernel.pread(faultFd, buf, size, Long.MAX_VALUE));
  }

  private int preCopyDataFd() {
    long arg =
        sys.feature(
            deviceFd,
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            VfioDeviceFeatureMigState.SIZE,
            new VfioDeviceFeatureMigState(VFIO_DEVICE_STATE_PRE_COPY, 0)::encode);
    return sys.payload(arg, VfioDeviceFeatureMigState.SIZE, VfioDeviceFeatureMigState::decode)
        .dataFd();
  }
}
