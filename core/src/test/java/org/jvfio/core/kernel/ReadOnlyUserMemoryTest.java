package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_STOP_COPY;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingControl;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingRange;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingReport;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaLoggingReport;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * Output buffers in read-only or partly unmapped user memory: the kernel cannot write them, so the
 * call fails with {@code EFAULT} before anything is consumed, or, for an iommufd dirty bitmap the
 * kernel cannot pin for writing, succeeds with nothing harvested.
 */
class ReadOnlyUserMemoryTest {
  private static final long PAGE = 4096;
  private static final long GUEST = 1L << 20;
  private static final int BITMAP = (int) (GUEST / PAGE / 8);

  private final FakeKernel kernel =
      FakeKernel.builder()
          .guestMemory(GUEST)
          .iommu(MockIommuDriver.create())
          .device(
              ReferenceMigrationDriver.create(
                  EnumSet.of(MigrationFlag.STOP_COPY),
                  new byte[100],
                  64,
                  Optional.of(DmaTracker.exact())))
          .build();
  private final Syscalls sys = new Syscalls(kernel);
  private final UserMemory mem = sys.mem;
  private final int iommufd = sys.open(FakeKernel.IOMMU_PATH);
  private final int deviceFd = sys.open(FakeKernel.devicePath(0));
  private final int hwpt;

  ReadOnlyUserMemoryTest() {
    int devId = sys.bind(deviceFd, iommufd);
    int ioas = sys.ioasAlloc(iommufd);
    sys.ioasMapFixed(iommufd, ioas, kernel.guestMemory(0).base(), GUEST, 0);
    hwpt = sys.hwptAlloc(iommufd, devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    sys.attach(deviceFd, hwpt);
  }

  private long readOnly(int size) {
    long addr = mem.allocate(size);
    mem.protect(addr, size, false);
    return addr;
  }

  @Test
  void iommuBitmapInReadOnlyMemory_harvestsNothingAndLosesNothing() {
    ok(sys.setDirtyTracking(iommufd, hwpt, true));
    kernel.dmaWrite(0, 5 * PAGE, PAGE);
    long ro = readOnly(BITMAP);
    ok(sys.getDirtyBitmap(iommufd, hwpt, 0, GUEST, PAGE, ro, 0));
    assertArrayEquals(new byte[1], mem.read(ro, 1).array());
    long rw = mem.allocate(BITMAP);
    ok(sys.getDirtyBitmap(iommufd, hwpt, 0, GUEST, PAGE, rw, 0));
    assertEquals(1 << 5, mem.read(rw, 1).get(), "the dirty bit is still there");
  }

  @Test
  void deviceReportIntoReadOnlyMemory_isEfaultAndKeepsTheLog() {
    long range = sys.put(16, new DmaLoggingRange(0, GUEST).toStruct()::encode);
    sys.feature(
        deviceFd,
        VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
        VfioDeviceFeatureDmaLoggingControl.SIZE,
        new DmaLoggingControl(PAGE, List.of(new DmaLoggingRange(0, GUEST))).toStruct(range)
            ::encode);
    kernel.dmaWrite(0, 2 * PAGE, PAGE);
    long ro = readOnly(BITMAP);
    long arg =
        sys.featureArg(
            VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
            VfioDeviceFeatureDmaLoggingReport.SIZE,
            new DmaLoggingReport(0, GUEST, PAGE).toStruct(ro)::encode);
    assertErrno(Errno.EFAULT, sys.ioctl(deviceFd, VFIO_DEVICE_FEATURE, arg));
    long rw = mem.allocate(BITMAP);
    sys.feature(
        deviceFd,
        VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
        VfioDeviceFeatureDmaLoggingReport.SIZE,
        new DmaLoggingReport(0, GUEST, PAGE).toStruct(rw)::encode);
    assertEquals(1 << 2, mem.read(rw, 1).get(), "the log was not cleared by the failed report");
    VfioDeviceFeatureDmaLoggingRange.decode(mem.read(range, 16)); // the ranges stayed readable
  }

  @Test
  void migrationReadIntoReadOnlyOrFreedMemory_isEfaultAndConsumesNothing() {
    long arg =
        sys.feature(
            deviceFd,
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            VfioDeviceFeatureMigState.SIZE,
            new VfioDeviceFeatureMigState(VFIO_DEVICE_STATE_STOP_COPY, 0)::encode);
    int dataFd =
        sys.payload(arg, VfioDeviceFeatureMigState.SIZE, VfioDeviceFeatureMigState::decode)
            .dataFd();
    assertErrno(Errno.EFAULT, kernel.read(dataFd, readOnly(4096), 64));
    long buf = mem.allocate(2 * 4096);
    mem.free(buf + 4096, 4096);
    assertErrno(Errno.EFAULT, kernel.read(dataFd, buf + 4000, 200)); // runs into the freed page
    long n = ok(kernel.read(dataFd, buf, 4096));
    ByteBuffer first = mem.read(buf, 4);
    assertEquals(0x4D46564A, first.getInt(), "the stream starts at its header: nothing was lost");
    assertEquals(24 + (16 + 64) + (16 + 36) + 12, n); // header, chunks of 64 and 36, end
  }
}
