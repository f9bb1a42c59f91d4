package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_RESET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_ERROR;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_RESUMING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_RUNNING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_STOP;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Optional;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingControl;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingRange;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingReport;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * Regression tests, through the syscall door, for the inputs an outside fuzzer found escaping as
 * Java exceptions or answered with the wrong errno: a DMA_LOGGING_REPORT sized from its length
 * before it was validated, a resume stream whose header claims 1 GiB, a DMA-logging START larger
 * than the heap, and GET_DIRTY_BITMAP with length 0 at a non-zero IOVA.
 */
class FakeKernelBadInputTest {
  private static final long PAGE = 4096;
  private static final long GUEST = 4L << 20;

  private final FakeKernel kernel =
      FakeKernel.builder()
          .guestMemory(GUEST)
          .iommu(MockIommuDriver.create(true, false))
          .device(
              ReferenceMigrationDriver.create(
                  EnumSet.allOf(MigrationFlag.class),
                  new byte[8192],
                  4096,
                  Optional.of(DmaTracker.exact())))
          .build();
  private final Syscalls sys = new Syscalls(kernel);
  private final int iommufd = sys.open(FakeKernel.IOMMU_PATH);
  private final int deviceFd = sys.open(FakeKernel.devicePath(0));
  private final int devId = sys.bind(deviceFd, iommufd);

  private int feature(int flags, int size, java.util.function.Consumer<ByteBuffer> payload) {
    return sys.ioctl(deviceFd, VFIO_DEVICE_FEATURE, sys.featureArg(flags, size, payload));
  }

  private int report(long iova, long length, long bitmap) {
    return feature(
        VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
        VfioDeviceFeatureDmaLoggingReport.SIZE,
        new VfioDeviceFeatureDmaLoggingReport(iova, length, PAGE, bitmap)::encode);
  }

  private int start(long iova, long length) {
    long range =
        sys.put(
            VfioDeviceFeatureDmaLoggingRange.SIZE,
            new VfioDeviceFeatureDmaLoggingRange(iova, length)::encode);
    return feature(
        VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
        VfioDeviceFeatureDmaLoggingControl.SIZE,
        new VfioDeviceFeatureDmaLoggingControl(PAGE, 1, 0, range)::encode);
  }

  /** A 16-byte bitmap, length 2^44: EINVAL while not logging, EFAULT while logging; no OOM. */
  @Test
  void report_hugeLength_answersWithoutSizingFromIt() {
    long bitmap = sys.mem.allocate(16);
    for (int i = 0; i < 32; i++) {
      assertErrno(Errno.EINVAL, report(0, 1L << 44, bitmap));
    }
    ok(start(0, 1L << 44));
    for (int i = 0; i < 32; i++) {
      assertErrno(Errno.EFAULT, report(0, 1L << 44, bitmap));
    }
    ok(report(0, 128 * PAGE, bitmap));
    ok(feature(VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, 0, b -> {}));
  }

  /** START over [0, 2^45) at 4 KiB: the log is sparse, so repeated STARTs need no 1 GiB each. */
  @Test
  void start_hugeRange_isSparse() {
    for (int i = 0; i < 16; i++) {
      ok(start(0, 1L << 45));
      ok(feature(VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, 0, b -> {}));
    }
    assertErrno(Errno.ENOMEM, start(0, 1L << 48));
  }

  /** MIG_DEVICE_STATE SET: the ioctl's result, and the reply's data_fd in {@code dataFd[0]}. */
  private int setState(int state, int[] dataFd) {
    long arg =
        sys.featureArg(
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            VfioDeviceFeatureMigState.SIZE,
            new VfioDeviceFeatureMigState(state, 0)::encode);
    int rc = sys.ioctl(deviceFd, VFIO_DEVICE_FEATURE, arg);
    dataFd[0] = sys.payload(arg, 8, VfioDeviceFeatureMigState::decode).dataFd();
    return rc;
  }

  private int setState(int state) {
    return setState(state, new int[1]);
  }

  /** Goes RUNNING to STOP to RESUMING and returns the resuming data fd. */
  private int resuming() {
    ok(setState(VFIO_DEVICE_STATE_STOP));
    int[] data = new int[1];
    ok(setState(VFIO_DEVICE_STATE_RESUMING, data));
    return data[0];
  }

  private int getState() {
    long arg =
        sys.feature(
            deviceFd,
            VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            VfioDeviceFeatureMigState.SIZE,
            new VfioDeviceFeatureMigState(0, 0)::encode);
    return sys.payload(arg, 8, VfioDeviceFeatureMigState::decode).deviceState();
  }

  /**
   * A 36-byte resume stream with a valid header claiming 1 GiB of state: SET STOP fails with EINVAL
   * (truncated) instead of allocating 1 GiB, the device goes to ERROR as the driver says, every
   * later call answers with an errno, and RESET recovers it.
   */
  @Test
  void resume_headerClaimingOneGiB_einvalThenErrorThenResetRecovers() {
    int data = resuming();
    ByteBuffer stream = ByteBuffer.allocate(36).order(ByteOrder.LITTLE_ENDIAN);
    stream.putInt(0x4D46564A).putShort((short) 1).putShort((short) 0).putLong(1L << 30);
    stream.putInt(4096);
    CRC32C crc = new CRC32C();
    crc.update(stream.array(), 0, 20);
    stream.putInt((int) crc.getValue());
    long buf = sys.mem.allocate(stream.array());
    assertEquals(36, kernel.write(data, buf, 36));
    for (int i = 0; i < 8; i++) {
      assertErrno(Errno.EINVAL, setState(VFIO_DEVICE_STATE_STOP));
      assertEquals(VFIO_DEVICE_STATE_ERROR, getState());
      assertErrno(Errno.ENODEV, (int) kernel.write(data, buf, 36));
      assertErrno(Errno.EINVAL, setState(VFIO_DEVICE_STATE_RUNNING));
      ok(sys.ioctl(deviceFd, VFIO_DEVICE_RESET, 0));
      assertEquals(VFIO_DEVICE_STATE_RUNNING, getState());
      data = resuming();
      assertEquals(36, kernel.write(data, buf, 36));
    }
    ok(kernel.close(data));
  }

  /**
   * GET_DIRTY_BITMAP with length 0: {@code iommufd_check_iova_range} checks {@code
   * check_add_overflow(iova, length - 1)} first, so a non-zero IOVA is EOVERFLOW; IOVA 0 passes it
   * and the model refuses the empty range with EINVAL.
   */
  @Test
  void getDirtyBitmap_lengthZero_eoverflowUnlessIovaIsZero() {
    int ioasId = sys.ioasAlloc(iommufd);
    sys.ioasMapFixed(iommufd, ioasId, kernel.guestMemory(0).base(), GUEST, 1L << 24);
    int hwptId = sys.hwptAlloc(iommufd, devId, ioasId, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    long bitmap = sys.mem.allocate(64);
    assertErrno(Errno.EOVERFLOW, sys.getDirtyBitmap(iommufd, hwptId, 1L << 24, 0, PAGE, bitmap, 0));
    assertErrno(Errno.EOVERFLOW, sys.getDirtyBitmap(iommufd, hwptId, PAGE, 0, PAGE, bitmap, 0));
    assertErrno(Errno.EINVAL, sys.getDirtyBitmap(iommufd, hwptId, 0, 0, PAGE, bitmap, 0));
  }
}
