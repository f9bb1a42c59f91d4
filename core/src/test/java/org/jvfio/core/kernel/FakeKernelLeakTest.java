package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_PRE_COPY;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * Nothing leaks: every object a file, a HWPT or a device holds is released when the kernel releases
 * it. Counted through what the syscalls hand out, which the kernel hands out lowest-free first: fd
 * numbers, object ids, and a device that can be bound again. A full cycle (open, bind, IOAS, map,
 * HWPT, attach, dirty tracking, DMA logging, a pre-copy data fd, DMA, then destroy and close) run
 * many times gets the same numbers every time, and failed allocations consume none. (Page-table
 * frames are counted by the page-table engine's own tests.)
 */
class FakeKernelLeakTest {
  private static final long GUEST = 1L << 20;
  private static final long IOVA = 1L << 24;
  private static final long PAGE = 4096;

  private final FakeKernel kernel =
      FakeKernel.builder()
          .guestMemory(GUEST)
          .iommu(MockIommuDriver.create(true, false))
          .device(
              ReferenceMigrationDriver.create(
                  EnumSet.allOf(MigrationFlag.class),
                  new byte[10_000],
                  4096,
                  Optional.of(DmaTracker.exact())))
          .build();
  private final Syscalls sys = new Syscalls(kernel);

  private int destroy(int fd, int id) {
    return sys.ioctl(fd, IOMMU_DESTROY, sys.put(8, new IommuDestroy(8, id)::encode));
  }

  /** One full cycle; returns the numbers it was handed. */
  private List<Integer> cycle() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    int deviceFd = sys.open(FakeKernel.devicePath(0));
    int devId = sys.bind(deviceFd, fd);
    int ioas = sys.ioasAlloc(fd);
    sys.ioasMapFixed(fd, ioas, kernel.guestMemory(0).base(), GUEST, IOVA);
    int[] failed = new int[1];
    assertErrno(Errno.EOPNOTSUPP, sys.hwptAlloc(fd, HwptAlloc.paging(1 << 8, devId, ioas), failed));
    int hwpt = sys.hwptAlloc(fd, devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    sys.attach(deviceFd, hwpt);
    ok(sys.setDirtyTracking(fd, hwpt, true));
    List<DmaLoggingRange> ranges = List.of(new DmaLoggingRange(IOVA, GUEST));
    long rangesAddr = sys.put(16, ranges.get(0).toStruct()::encode);
    sys.feature(
        deviceFd,
        VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
        24,
        new DmaLoggingControl(PAGE, ranges).toStruct(rangesAddr)::encode);
    long arg =
        sys.feature(
            deviceFd,
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            8,
            new VfioDeviceFeatureMigState(VFIO_DEVICE_STATE_PRE_COPY, 0)::encode);
    int data = sys.payload(arg, 8, VfioDeviceFeatureMigState::decode).dataFd();
    ok(kernel.read(data, sys.mem.allocate(64), 64));
    kernel.dmaWrite(0, IOVA, 4 * PAGE);
    long bitmap = sys.mem.allocate(GUEST / PAGE / 8);
    ok(sys.getDirtyBitmap(fd, hwpt, IOVA, GUEST, PAGE, bitmap, 0));

    // Closing the device file resets the device, ends its session, stops logging and unbinds it.
    ok(kernel.close(deviceFd));
    assertEquals(MigrationState.RUNNING, kernel.device(0).state());
    assertFalse(kernel.device(0).dmaTracker().orElseThrow().isLogging());
    assertErrno(Errno.ENODEV, kernel.read(data, sys.mem.allocate(8), 8));
    assertErrno(Errno.ENOENT, sys.hwptAlloc(fd, HwptAlloc.paging(0, devId, ioas), failed));
    // The HWPT (no longer attached) and the IOAS (no longer used) can be destroyed.
    ok(destroy(fd, hwpt));
    ok(destroy(fd, ioas));
    assertErrno(Errno.ENOENT, destroy(fd, hwpt));
    ok(kernel.close(data));
    ok(kernel.close(fd));
    return List.of(fd, deviceFd, data, devId, ioas, hwpt);
  }

  @Test
  void fullCycle_manyTimes_handsOutTheSameFdsAndIds() {
    List<Integer> first = cycle();
    List<List<Integer>> later = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      later.add(cycle());
    }
    for (List<Integer> numbers : later) {
      assertEquals(first, numbers, "[iommufd, device fd, data fd, dev id, IOAS, HWPT]");
    }
    for (int fd : new int[] {3, 4, 5}) {
      assertErrno(Errno.EBADF, kernel.close(fd));
    }
  }

  /** Inside one iommufd: objects destroyed free their ids; failed allocations take none. */
  @Test
  void allocAndDestroy_inOneContext_reusesIds() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    int deviceFd = sys.open(FakeKernel.devicePath(0));
    int devId = sys.bind(deviceFd, fd);
    int ioas = sys.ioasAlloc(fd);
    int[] out = new int[1];
    int hwpt = sys.hwptAlloc(fd, devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    for (int i = 0; i < 100; i++) {
      assertErrno(Errno.EOPNOTSUPP, sys.hwptAlloc(fd, HwptAlloc.paging(1 << 8, devId, ioas), out));
      assertErrno(Errno.EINVAL, sys.hwptAlloc(fd, HwptAlloc.paging(0, devId, 99), out));
      ok(destroy(fd, hwpt));
      assertEquals(hwpt, sys.hwptAlloc(fd, devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING));
      int extra = sys.ioasAlloc(fd);
      assertEquals(hwpt + 1, extra);
      ok(destroy(fd, extra));
    }
    ok(kernel.close(deviceFd));
    ok(kernel.close(fd));
  }
}
