package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.core.vfio.DmaLoggingReportWindowTest.report;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * {@link VfioDevice}'s edges that the feature, migration and DMA-logging suites do not reach: what
 * the device itself checks or does whatever its driver says (the migration flags at creation, the
 * ENOTTY of a device without migration ops, the driver's reset, a driver that throws something
 * other than an errno), the ERROR state through the byte door, one-byte logging pages, and
 * DMA_LOGGING_REPORT's core checks at the byte door while logging.
 */
class VfioDeviceEdgesTest {
  private static final long K4 = 4096;
  private static final int REPORT =
      VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT | VFIO_DEVICE_FEATURE_GET;

  /**
   * A driver whose arcs succeed unless told otherwise, with the migration flags it is given; it
   * counts its resets.
   */
  private static final class ScriptedDriver implements VfioDeviceDriver {
    final Set<MigrationFlag> flags;
    RuntimeException failNextArc;
    int resets;

    ScriptedDriver(Set<MigrationFlag> flags) {
      this.flags = flags;
    }

    @Override
    public Set<MigrationFlag> migrationFlags() {
      return flags;
    }

    @Override
    public void executeArc(MigrationArc arc) {
      RuntimeException e = failNextArc;
      failNextArc = null;
      if (e != null) {
        throw e;
      }
    }

    @Override
    public MigrationState stateAfterFailedArc(MigrationArc arc, UapiException failure) {
      return MigrationState.ERROR;
    }

    @Override
    public int save(ByteBuffer dst) {
      return 0;
    }

    @Override
    public PrecopyInfo precopyInfo() {
      return new PrecopyInfo(0, 0);
    }

    @Override
    public void resume(ByteBuffer src) {}

    @Override
    public long stopCopyLength() {
      return 42;
    }

    @Override
    public void reset() {
      resets++;
    }

    @Override
    public Optional<DmaTracker> dmaTracker() {
      return Optional.of(DmaTracker.exact());
    }
  }

  @Test
  void create_migrationFlagsWithoutStopCopy_isRefused() {
    for (Set<MigrationFlag> flags :
        List.of(EnumSet.of(MigrationFlag.P2P), EnumSet.of(MigrationFlag.PRE_COPY))) {
      assertThrows(
          IllegalArgumentException.class,
          () -> VfioDevice.create(new ScriptedDriver(flags)),
          flags::toString);
    }
    assertEquals(
        MigrationState.RUNNING,
        VfioDevice.create(new ScriptedDriver(EnumSet.of(MigrationFlag.STOP_COPY))).state());
  }

  @Test
  void migDataSize_deviceWithoutMigrationOps_enottyWhateverTheDriverSays() {
    VfioDevice dev = VfioDevice.create(new ScriptedDriver(Set.of()));
    assertErrno(Errno.ENOTTY, dev::migDataSize);
    assertEquals(
        42,
        VfioDevice.create(new ScriptedDriver(EnumSet.of(MigrationFlag.STOP_COPY)))
            .migDataSize()
            .stopCopyLength());
  }

  @Test
  void resetAndClose_callTheDriversReset() {
    ScriptedDriver driver = new ScriptedDriver(EnumSet.of(MigrationFlag.STOP_COPY));
    VfioDevice dev = VfioDevice.create(driver);
    dev.reset();
    assertEquals(1, driver.resets);
    dev.closeDevice();
    assertEquals(2, driver.resets);
  }

  @Test
  void setState_driverThrowsANonErrno_errorStateSessionEndedAndTheThrowablePropagates() {
    ScriptedDriver driver = new ScriptedDriver(EnumSet.of(MigrationFlag.STOP_COPY));
    VfioDevice dev = VfioDevice.create(driver);
    MigrationDataStream stream = dev.setState(MigrationState.STOP_COPY).orElseThrow();
    IllegalStateException bug = new IllegalStateException("driver bug");
    driver.failNextArc = bug;
    assertSame(
        bug, assertThrows(IllegalStateException.class, () -> dev.setState(MigrationState.STOP)));
    assertEquals(MigrationState.ERROR, dev.state());
    assertTrue(stream.isEnded());
  }

  private static ByteBuffer migState(int deviceState) {
    return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0, deviceState);
  }

  /**
   * SET ERROR while in ERROR asks for the current state: the driver's loop never runs and the call
   * succeeds; from any other state ERROR is refused.
   */
  @Test
  void migDeviceStateSet_errorWhileInError_succeeds() {
    ScriptedDriver driver = new ScriptedDriver(EnumSet.of(MigrationFlag.STOP_COPY));
    VfioDevice dev = VfioDevice.create(driver);
    int set = VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | VFIO_DEVICE_FEATURE_SET;
    int error = MigrationState.ERROR.value();
    assertErrno(Errno.EINVAL, () -> dev.feature(set, migState(error)));
    driver.failNextArc = new UapiException(Errno.EIO, "arc failed");
    assertErrno(Errno.EIO, () -> dev.setState(MigrationState.STOP));
    assertEquals(MigrationState.ERROR, dev.state());
    ByteBuffer payload = migState(error);
    assertEquals(Optional.empty(), dev.feature(set, payload));
    assertEquals(error, payload.getInt(0));
    assertEquals(-1, payload.getInt(4));
    assertEquals(MigrationState.ERROR, dev.state());
  }

  @Test
  void feature_unknownFlags_messageNamesTheUnknownBits() {
    VfioDevice dev = VfioDevice.create(new ScriptedDriver(EnumSet.of(MigrationFlag.STOP_COPY)));
    UapiException e =
        assertThrows(
            UapiException.class,
            () ->
                dev.feature(
                    VFIO_DEVICE_FEATURE_MIGRATION | VFIO_DEVICE_FEATURE_GET | (1 << 20),
                    ByteBuffer.allocate(8)));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().endsWith("unknown feature flags 0x100000"), e::getMessage);
  }

  private static DmaLoggingControl oneBytePages(long... iovaLength) {
    DmaLoggingRange[] ranges = new DmaLoggingRange[iovaLength.length / 2];
    for (int i = 0; i < ranges.length; i++) {
      ranges[i] = new DmaLoggingRange(iovaLength[2 * i], iovaLength[2 * i + 1]);
    }
    return new DmaLoggingControl(1, List.of(ranges));
  }

  /**
   * A page size of 1 is a power of two: ranges are then byte-aligned, and two ranges that share one
   * byte overlap (EINVAL, the kernel's interval-tree check), while adjacent ones do not.
   */
  @Test
  void startDmaLogging_oneBytePages_rangesSharingOneByte_einval() {
    long[][] overlapping = {
      {0x1000, 1, 0x1000, 1}, // the same byte
      {0x1000, 2, 0x1001, 1}, // the later range starts on the earlier one's last byte
      {0x2000, 1, 0x1fff, 2} // the later range ends on the earlier one's first byte
    };
    for (long[] r : overlapping) {
      VfioDevice dev = VfioDevice.create(new ScriptedDriver(Set.of()));
      assertErrno(Errno.EINVAL, () -> dev.startDmaLogging(oneBytePages(r)));
      assertFalse(dev.dmaTracker().orElseThrow().isLogging());
    }
    VfioDevice dev = VfioDevice.create(new ScriptedDriver(Set.of()));
    dev.startDmaLogging(oneBytePages(0x1001, 1, 0x1000, 1, 0x1002, 1));
    assertEquals(
        List.of(
            new DmaLoggingRange(0x1000, 1),
            new DmaLoggingRange(0x1001, 1),
            new DmaLoggingRange(0x1002, 1)),
        dev.dmaTracker().orElseThrow().effectiveRanges());
  }

  /**
   * The core's REPORT checks come before the driver's at the byte door too: a bad page size, an
   * {@code iova + length} past 2^64 and a zero length are refused while logging (where the driver
   * would accept them), and the overflow is EOVERFLOW even when not logging (where the driver would
   * say EINVAL). Nothing is cleared.
   */
  @Test
  void byteDoorReport_coreChecksBeforeTheDrivers() {
    TestUserMemory mem = new TestUserMemory();
    long bitmap = mem.allocate(64);
    VfioDevice dev = VfioDevice.create(new ScriptedDriver(Set.of()));
    assertErrno(Errno.EOVERFLOW, () -> dev.feature(REPORT, report(-K4, 2 * K4, K4, bitmap), mem));
    dev.startDmaLogging(new DmaLoggingControl(K4, List.of(new DmaLoggingRange(0, 1L << 40))));
    dev.dmaListener().recordWrite(0, 1);
    Object[][] bad = {
      {0L, 64 * K4, 0L, Errno.EINVAL},
      {0L, 64 * K4, 2048L, Errno.EINVAL},
      {0L, 64 * K4, 3 * K4, Errno.EINVAL},
      {0L, 0L, K4, Errno.EINVAL},
      {-K4, 2 * K4, K4, Errno.EOVERFLOW},
    };
    for (Object[] b : bad) {
      assertErrno(
          (Errno) b[3],
          () -> dev.feature(REPORT, report((long) b[0], (long) b[1], (long) b[2], bitmap), mem));
    }
    dev.feature(REPORT, report(0, 64 * K4, K4, bitmap), mem);
    assertEquals(1, mem.block(bitmap).get(0));
  }

  /**
   * A tracker that is not jvfio's gets a bitmap of the user buffer's size: the model's limit is a
   * buffer of 2 GiB - 16 bytes, beyond which the report is ENOMEM, before the buffer is read.
   */
  @Test
  void byteDoorReport_foreignTracker_bitmapOf2GiB_enomemBeforeReadingIt() {
    UserAccess everything =
        new UserAccess() {
          @Override
          public ByteBuffer read(long address, int length) {
            throw new AssertionError("read before the size check");
          }

          @Override
          public void write(long address, ByteBuffer source) {
            throw new AssertionError("write before the size check");
          }

          @Override
          public boolean isAccessible(long address, long length) {
            return true;
          }
        };
    DmaTracker foreign = new VfioDeviceForeignTrackerTest.Foreign(DmaTracker.exact());
    VfioDevice dev = VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(foreign)));
    dev.startDmaLogging(new DmaLoggingControl(K4, List.of(new DmaLoggingRange(0, K4))));
    long length = (1L << 34) * K4; // 2^34 pages: a bitmap of 2^31 bytes
    assertErrno(Errno.ENOMEM, () -> dev.feature(REPORT, report(0, length, K4, 0x1000), everything));
  }

  /** A foreign tracker's 4 MiB bitmap (2^25 pages, 128 GiB of IOVA) is read and written whole. */
  @Test
  void byteDoorReport_foreignTracker_bitmapOf4MiB_isServed() {
    long pages = 1L << 25;
    DmaTracker foreign = new VfioDeviceForeignTrackerTest.Foreign(DmaTracker.exact());
    VfioDevice dev = VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(foreign)));
    dev.startDmaLogging(new DmaLoggingControl(K4, List.of(new DmaLoggingRange(0, pages * K4))));
    dev.dmaListener().recordWrite(0, 1);
    dev.dmaListener().recordWrite((pages - 1) * K4, 1);
    TestUserMemory mem = new TestUserMemory();
    int bytes = (int) (pages / 8);
    long bitmap = mem.allocate(bytes);
    dev.feature(REPORT, report(0, pages * K4, K4, bitmap), mem);
    assertEquals(1, mem.block(bitmap).get(0));
    assertEquals((byte) 0x80, mem.block(bitmap).get(bytes - 1));
  }
}
