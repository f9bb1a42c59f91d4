package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DATA_SIZE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_PROBE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.Vfio;
import org.jvfio.core.UapiException;

/** {@code VFIO_DEVICE_FEATURE}'s core checks. */
class VfioDeviceFeatureTest {
  private static final int G = VFIO_DEVICE_FEATURE_GET;
  private static final int S = VFIO_DEVICE_FEATURE_SET;
  private static final int P = VFIO_DEVICE_FEATURE_PROBE;

  /** The (SET/GET support, minsz) each feature passes to vfio_check_feature(). */
  private record FeatureRow(int index, int ops, int minsz) {}

  private static final List<FeatureRow> FEATURES =
      List.of(
          new FeatureRow(VFIO_DEVICE_FEATURE_MIGRATION, G, 8),
          new FeatureRow(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE, G | S, 8),
          new FeatureRow(VFIO_DEVICE_FEATURE_DMA_LOGGING_START, S, 24),
          new FeatureRow(VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, S, 0),
          new FeatureRow(VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT, G, 32),
          new FeatureRow(VFIO_DEVICE_FEATURE_MIG_DATA_SIZE, G, 8));

  /**
   * vfio_check_feature()'s decisions for a feature that exists: returns null for "execute", "0" for
   * a successful probe, or the errno.
   */
  private static Object decision(boolean probe, boolean get, boolean set, FeatureRow f, int size) {
    boolean getOk = (f.ops() & G) != 0;
    boolean setOk = (f.ops() & S) != 0;
    if (!probe && get && set) {
      return Errno.EINVAL; // rejected before dispatch
    }
    if ((get && !getOk) || (set && !setOk)) {
      return Errno.EINVAL; // vfio_check_feature, also with PROBE
    }
    if (probe) {
      return "0";
    }
    if (!get && !set) {
      return Errno.EINVAL;
    }
    return size >= f.minsz() ? null : Errno.EINVAL;
  }

  /** A device with migration (all flags), an exact tracker, and a user memory for pointers. */
  private static final class Rig {
    final TestUserMemory memory = new TestUserMemory();
    final VfioDevice device;
    final long rangeAddress;
    final long bitmapAddress;

    Rig() {
      device =
          VfioDevice.create(
              ReferenceMigrationDriver.create(
                  EnumSet.allOf(MigrationFlag.class),
                  new byte[100],
                  64,
                  Optional.of(DmaTracker.exact())));
      rangeAddress = memory.allocate(16);
      memory.block(rangeAddress).putLong(0, 0x10000).putLong(8, 0x10000);
      bitmapAddress = memory.allocate(8);
    }

    /** A payload of {@code size} bytes whose prefix is a valid struct for feature {@code f}. */
    ByteBuffer payload(int index, int size) {
      ByteBuffer b = ByteBuffer.allocate(Math.max(size, 32)).order(ByteOrder.LITTLE_ENDIAN);
      switch (index) {
        case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
          b.putInt(0, Vfio.VFIO_DEVICE_STATE_RUNNING);
          break;
        case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
          b.putLong(0, 4096).putInt(8, 1).putLong(16, rangeAddress);
          break;
        case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
          device.startDmaLogging(
              new DmaLoggingControl(4096, List.of(new DmaLoggingRange(0x10000, 0x10000))));
          b.putLong(0, 0x10000).putLong(8, 0x10000).putLong(16, 4096).putLong(24, bitmapAddress);
          break;
        default:
          break;
      }
      return b.limit(size);
    }
  }

  @TestFactory
  List<DynamicTest> probeGetSet_everyCombination_matchesSpecDecisionTable() {
    List<DynamicTest> tests = new ArrayList<>();
    for (FeatureRow f : FEATURES) {
      for (int bits = 0; bits < 8; bits++) {
        boolean probe = (bits & 4) != 0;
        boolean get = (bits & 2) != 0;
        boolean set = (bits & 1) != 0;
        int flags = f.index() | (probe ? P : 0) | (get ? G : 0) | (set ? S : 0);
        for (int size : new int[] {0, Math.max(0, f.minsz() - 1), f.minsz(), f.minsz() + 8}) {
          Object want = decision(probe, get, set, f, size);
          String name =
              "feature "
                  + f.index()
                  + (probe ? " PROBE" : "")
                  + (get ? " GET" : "")
                  + (set ? " SET" : "")
                  + " argsz-8="
                  + size
                  + " -> "
                  + (want == null ? "execute" : want);
          tests.add(
              DynamicTest.dynamicTest(
                  name,
                  () -> {
                    Rig rig = new Rig();
                    ByteBuffer payload = rig.payload(f.index(), size);
                    if (want instanceof Errno) {
                      UapiException e =
                          assertThrows(
                              UapiException.class,
                              () -> rig.device.feature(flags, payload, rig.memory));
                      assertEquals(want, e.errno(), e.getMessage());
                    } else {
                      rig.device.feature(flags, payload, rig.memory);
                      boolean probed = "0".equals(want);
                      if (f.index() == VFIO_DEVICE_FEATURE_DMA_LOGGING_START) {
                        assertEquals(!probed, rig.device.dmaTracker().get().isLogging());
                      }
                    }
                  }));
        }
      }
    }
    return tests;
  }

  @Test
  void feature_unknownFlagBits_einvalBeforeAnythingElse() {
    VfioDevice noOps = VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.empty()));
    for (int bit = 19; bit < 32; bit++) {
      int flags = VFIO_DEVICE_FEATURE_MIGRATION | G | (1 << bit);
      assertErrno(Errno.EINVAL, () -> noOps.feature(flags, ByteBuffer.allocate(8)));
    }
  }

  @Test
  void feature_getAndSetWithoutProbe_einvalEvenForMissingOps() {
    VfioDevice noOps = VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.empty()));
    assertErrno(
        Errno.EINVAL,
        () -> noOps.feature(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | G | S, ByteBuffer.allocate(8)));
    assertErrno(Errno.EINVAL, () -> noOps.feature(1234 | G | S, ByteBuffer.allocate(8)));
  }

  @Test
  void feature_deviceWithoutMigrationOrLogging_enottyEvenWithProbe() {
    VfioDevice noOps = VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.empty()));
    for (FeatureRow f : FEATURES) {
      for (int extra : new int[] {P, P | f.ops(), f.ops() == (G | S) ? G : f.ops()}) {
        assertErrno(Errno.ENOTTY, () -> noOps.feature(f.index() | extra, ByteBuffer.allocate(64)));
      }
    }
    assertErrno(Errno.ENOTTY, noOps::migrationFlags);
    assertErrno(Errno.ENOTTY, noOps::state);
    assertErrno(Errno.ENOTTY, () -> noOps.setState(MigrationState.STOP));
    assertErrno(Errno.ENOTTY, noOps::migDataSize);
    assertErrno(Errno.ENOTTY, noOps::stopDmaLogging);
    assertFalse(noOps.supportsMigration());
  }

  @Test
  void feature_loggingOnlyDevice_migrationEnottyLoggingWorks() {
    VfioDevice dev =
        VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(DmaTracker.exact())));
    assertErrno(Errno.ENOTTY, () -> dev.feature(VFIO_DEVICE_FEATURE_MIGRATION | P, empty()));
    dev.feature(VFIO_DEVICE_FEATURE_DMA_LOGGING_START | P | S, empty());
    dev.feature(VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP | S, empty());
  }

  @Test
  void feature_migrationOnlyDevice_loggingEnotty() {
    VfioDevice dev =
        VfioDevice.create(
            ReferenceMigrationDriver.create(EnumSet.of(MigrationFlag.STOP_COPY), new byte[8]));
    for (int index = 6; index <= 8; index++) {
      int flags = index | P;
      assertErrno(Errno.ENOTTY, () -> dev.feature(flags, empty()));
    }
    dev.feature(VFIO_DEVICE_FEATURE_MIGRATION | P | G, empty());
    assertTrue(dev.dmaTracker().isEmpty());
  }

  @Test
  void feature_indicesNotModelledOrUnknown_enotty() {
    Rig rig = new Rig();
    for (int index : new int[] {0, 3, 4, 5, 10, 11, 13, 0xffff}) {
      assertErrno(Errno.ENOTTY, () -> rig.device.feature(index | P, empty()));
      assertErrno(Errno.ENOTTY, () -> rig.device.feature(index | S, ByteBuffer.allocate(64)));
    }
  }

  @Test
  void probe_neverReadsThePayload() {
    Rig rig = new Rig();
    // PROBE with an empty payload and no user memory succeeds for every feature and op it supports.
    for (FeatureRow f : FEATURES) {
      rig.device.feature(f.index() | P | f.ops(), empty());
      rig.device.feature(f.index() | P, ByteBuffer.allocate(0).asReadOnlyBuffer());
    }
    assertFalse(rig.device.dmaTracker().get().isLogging());
  }

  @Test
  void migrationGet_writesFlags() {
    Rig rig = new Rig();
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    rig.device.feature(VFIO_DEVICE_FEATURE_MIGRATION | G, b);
    assertEquals(0x7, b.getLong(0));
  }

  @Test
  void migDeviceStateGet_writesStateAndMinusOne() {
    Rig rig = new Rig();
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 0x1234);
    rig.device.feature(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | G, b);
    assertEquals(Vfio.VFIO_DEVICE_STATE_RUNNING, b.getInt(0));
    assertEquals(-1, b.getInt(4));
  }

  @Test
  void migDeviceStateSet_writesBackRequestedStateOnSuccessAndFailure() {
    Rig rig = new Rig();
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0, Vfio.VFIO_DEVICE_STATE_STOP_COPY).putInt(4, 77);
    Optional<MigrationDataStream> stream =
        rig.device.feature(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | S, b);
    assertTrue(stream.isPresent());
    assertEquals(Vfio.VFIO_DEVICE_STATE_STOP_COPY, b.getInt(0));
    assertEquals(-1, b.getInt(4));
    // STOP_COPY -> PRE_COPY is blocked: EINVAL, echoes the requested value, nothing changes.
    b.putInt(0, Vfio.VFIO_DEVICE_STATE_PRE_COPY).putInt(4, 77);
    assertErrno(
        Errno.EINVAL, () -> rig.device.feature(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | S, b));
    assertEquals(Vfio.VFIO_DEVICE_STATE_PRE_COPY, b.getInt(0));
    assertEquals(-1, b.getInt(4));
    assertEquals(MigrationState.STOP_COPY, rig.device.state());
    assertFalse(stream.get().isEnded());
  }

  @Test
  void migDeviceStateSet_valueOutOfRange_einvalAndEchoed() {
    Rig rig = new Rig();
    for (int value : new int[] {8, 9, -1, Integer.MIN_VALUE}) {
      ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value);
      assertErrno(
          Errno.EINVAL, () -> rig.device.feature(VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE | S, b));
      assertEquals(value, b.getInt(0));
      assertEquals(MigrationState.RUNNING, rig.device.state());
    }
  }

  @Test
  void migDataSizeGet_writesTheEstimate() {
    Rig rig = new Rig();
    ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    rig.device.feature(VFIO_DEVICE_FEATURE_MIG_DATA_SIZE | G, b);
    assertEquals(rig.device.migDataSize().stopCopyLength(), b.getLong(0));
    assertTrue(b.getLong(0) > 100);
  }

  @Test
  void payload_isReadFromItsPosition() {
    Rig rig = new Rig();
    ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    b.position(8);
    rig.device.feature(VFIO_DEVICE_FEATURE_MIGRATION | G, b);
    assertEquals(0, b.getLong(0));
    assertEquals(0x7, b.getLong(8));
  }

  private static ByteBuffer empty() {
    return ByteBuffer.allocate(0);
  }

  static void assertErrno(Errno errno, Executable call) {
    UapiException e = assertThrows(UapiException.class, call);
    assertEquals(errno, e.errno(), e.getMessage());
  }
}
