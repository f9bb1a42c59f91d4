package org.jvfio.testkit.fake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaLoggingReport;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.VfioDevice;

class FakeVfioDeviceDriverTest {
  static final MigrationArc STOP_TO_STOP_COPY =
      new MigrationArc(MigrationState.STOP, MigrationState.STOP_COPY);

  @Test
  void failArc_toError_failsOnceWithTheErrnoAndResetRecovers() {
    FakeVfioDeviceDriver driver =
        FakeVfioDeviceDriver.builder()
            .failArc(STOP_TO_STOP_COPY, Errno.EIO, MigrationState.ERROR)
            .build();
    VfioDevice device = VfioDevice.create(driver);
    UapiException e =
        assertThrows(UapiException.class, () -> device.setState(MigrationState.STOP_COPY));
    assertEquals(Errno.EIO, e.errno());
    assertEquals(MigrationState.ERROR, device.state());
    assertEquals(MigrationState.ERROR, driver.state());
    device.reset();
    assertTrue(device.setState(MigrationState.STOP_COPY).isPresent(), "fails only once");
    assertEquals(
        List.of(
            new MigrationArc(MigrationState.RUNNING, MigrationState.RUNNING_P2P),
            new MigrationArc(MigrationState.RUNNING_P2P, MigrationState.STOP),
            STOP_TO_STOP_COPY,
            new MigrationArc(MigrationState.RUNNING, MigrationState.RUNNING_P2P),
            new MigrationArc(MigrationState.RUNNING_P2P, MigrationState.STOP),
            STOP_TO_STOP_COPY),
        driver.arcs());
    driver.checkInvariants();
  }

  @Test
  void failArc_toFrom_leavesTheDeviceBeforeTheArc() {
    FakeVfioDeviceDriver driver =
        FakeVfioDeviceDriver.builder()
            .failArc(STOP_TO_STOP_COPY, Errno.ENOMEM, MigrationState.STOP)
            .build();
    VfioDevice device = VfioDevice.create(driver);
    assertEquals(
        Errno.ENOMEM,
        assertThrows(UapiException.class, () -> device.setState(MigrationState.STOP_COPY)).errno());
    assertEquals(MigrationState.STOP, device.state());
    driver.checkInvariants();
  }

  @Test
  void failArc_toAnotherState_isRefused() {
    assertThrows(
        IllegalArgumentException.class,
        () ->
            FakeVfioDeviceDriver.builder()
                .failArc(STOP_TO_STOP_COPY, Errno.EIO, MigrationState.RUNNING));
  }

  @Test
  void failReport_nthReportFailsWithEioUntilStopped() {
    FakeVfioDeviceDriver driver =
        FakeVfioDeviceDriver.builder().tracker(DmaTracker.exact()).failReport(2).build();
    VfioDevice device = VfioDevice.create(driver);
    device.startDmaLogging(new DmaLoggingControl(4096, List.of(new DmaLoggingRange(0, 1 << 20))));
    DmaLoggingReport report = new DmaLoggingReport(0, 1 << 20, 4096);
    device.reportDmaLogging(report, IovaBitmap.allocate(0, 1 << 20, 4096));
    for (int i = 0; i < 2; i++) {
      UapiException e =
          assertThrows(
              UapiException.class,
              () -> device.reportDmaLogging(report, IovaBitmap.allocate(0, 1 << 20, 4096)));
      assertEquals(Errno.EIO, e.errno());
    }
    device.stopDmaLogging();
    assertFalse(driver.dmaTracker().orElseThrow().isFailed());
  }

  @Test
  void mutate_whileRunning_changesChunksAndPrecopySendsThemAgain() {
    FakeVfioDeviceDriver driver =
        FakeVfioDeviceDriver.builder().stateSize(8192).chunksDirtiedPerMutate(2).seed(9).build();
    byte[] before = driver.deviceState();
    driver.mutate();
    assertFalse(Arrays.equals(before, driver.deviceState()));
    VfioDevice device = VfioDevice.create(driver);
    var stream = device.setState(MigrationState.PRE_COPY).orElseThrow();
    while (stream.precopyInfo().initialBytes() > 0) {
      stream.read(ByteBuffer.allocate(1000));
    }
    driver.mutate();
    assertTrue(stream.precopyInfo().dirtyBytes() > 0, "mutated chunks are dirty data");
  }

  @Test
  void mutate_whileStopped_isRefused() {
    FakeVfioDeviceDriver driver = FakeVfioDeviceDriver.builder().build();
    VfioDevice.create(driver).setState(MigrationState.STOP);
    assertThrows(IllegalStateException.class, driver::mutate);
  }

  @Test
  void checkInvariants_arcFromTheWrongState_fails() {
    FakeVfioDeviceDriver driver = FakeVfioDeviceDriver.builder().build();
    driver.executeArc(new MigrationArc(MigrationState.STOP, MigrationState.RUNNING_P2P));
    assertThrows(AssertionError.class, driver::checkInvariants);
  }

  @Test
  void seed_determinesTheState() {
    assertArrayEquals(
        FakeVfioDeviceDriver.builder().seed(3).build().deviceState(),
        FakeVfioDeviceDriver.builder().seed(3).build().deviceState());
    assertFalse(
        Arrays.equals(
            FakeVfioDeviceDriver.builder().seed(3).build().deviceState(),
            FakeVfioDeviceDriver.builder().seed(4).build().deviceState()));
  }
}
