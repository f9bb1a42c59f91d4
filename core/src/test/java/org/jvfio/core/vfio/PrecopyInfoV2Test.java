package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_PROBE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_PRECOPY_INFO_REINIT;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioPrecopyInfo;

/**
 * {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2} (feature 12) and {@code VFIO_PRECOPY_INFO_REINIT},
 * as the 2026 series defines them in {@code drivers/vfio/vfio_main.c} and {@code
 * include/linux/vfio.h} ({@code vfio_check_precopy_ioctl}).
 */
class PrecopyInfoV2Test {
  private static final int V2 = VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2;
  private static final int CHUNK = 64;
  private static final int STATE = 256; // 4 chunks

  private static ReferenceMigrationDriver driver(EnumSet<MigrationFlag> flags) {
    return ReferenceMigrationDriver.create(flags, new byte[STATE], CHUNK, Optional.empty());
  }

  private static ByteBuffer none() {
    return ByteBuffer.allocate(0);
  }

  /** VFIO_MIG_GET_PRECOPY_INFO at the byte level with {@code flags} as the user passes them. */
  private static VfioPrecopyInfo query(MigrationDataStream s, int flags) {
    ByteBuffer arg = ByteBuffer.allocate(VfioPrecopyInfo.SIZE).order(ByteOrder.LITTLE_ENDIAN);
    new VfioPrecopyInfo(VfioPrecopyInfo.SIZE, flags, 0, 0).encode(arg);
    s.precopyInfo(arg.flip());
    return VfioPrecopyInfo.decode(arg);
  }

  @Test
  void feature_withoutPreCopy_einvalEvenForProbe() {
    VfioDevice stopCopyOnly = VfioDevice.create(driver(EnumSet.of(MigrationFlag.STOP_COPY)));
    VfioDevice noMigration = VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.empty()));
    for (VfioDevice d : new VfioDevice[] {stopCopyOnly, noMigration}) {
      assertErrno(Errno.EINVAL, () -> d.feature(V2 | VFIO_DEVICE_FEATURE_SET, none()));
      assertErrno(
          Errno.EINVAL,
          () -> d.feature(V2 | VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET, none()));
      assertErrno(Errno.EINVAL, d::enablePrecopyInfoV2);
    }
  }

  @Test
  void feature_setOnly_probeChangesNothing() {
    VfioDevice d = VfioDevice.create(driver(EnumSet.allOf(MigrationFlag.class)));
    assertErrno(Errno.EINVAL, () -> d.feature(V2 | VFIO_DEVICE_FEATURE_GET, none()));
    assertErrno(
        Errno.EINVAL,
        () -> d.feature(V2 | VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE, none()));
    d.feature(V2 | VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_PROBE, none());
    assertFalse(d.precopyInfoV2());
    d.feature(V2 | VFIO_DEVICE_FEATURE_SET, none()); // no payload needed
    assertTrue(d.precopyInfoV2());
    d.closeDevice();
    assertFalse(d.precopyInfoV2(), "close_device drops the opt-in");
  }

  @Test
  void withoutOptIn_flagsAreEchoedAndANewInitialChunkCountsAsDirty() {
    ReferenceMigrationDriver drv =
        driver(EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY));
    VfioDevice d = VfioDevice.create(drv);
    MigrationDataStream s = d.setState(MigrationState.PRE_COPY).orElseThrow();
    drain(s);
    assertEquals(0xdead, query(s, 0xdead).flags(), "bug-compatible echo");
    drv.reinitialize();
    VfioPrecopyInfo info = query(s, 0);
    assertEquals(0, info.flags());
    assertEquals(0, info.initialBytes());
    assertEquals(4 * (16 + CHUNK), info.dirtyBytes(), "the new data as dirty bytes");
  }

  @Test
  void withOptIn_reinitIsReportedOnceWithFreshInitialBytes() {
    ReferenceMigrationDriver drv =
        driver(EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY));
    VfioDevice d = VfioDevice.create(drv);
    d.enablePrecopyInfoV2();
    MigrationDataStream s = d.setState(MigrationState.PRE_COPY).orElseThrow();
    drain(s);
    drv.writeState(0, new byte[] {1}); // one dirty chunk
    VfioPrecopyInfo dirty = query(s, 0xdead);
    assertEquals(0, dirty.flags(), "flags are an output, cleared on entry");
    assertEquals(16 + CHUNK, dirty.dirtyBytes());
    drv.reinitialize();
    VfioPrecopyInfo reinit = query(s, 0);
    assertEquals(VFIO_PRECOPY_INFO_REINIT, reinit.flags());
    assertEquals(4 * (16 + CHUNK), reinit.initialBytes(), "all of the state is new initial data");
    assertEquals(0, reinit.dirtyBytes(), "dirty bytes restart from zero");
    assertEquals(new PrecopyInfo(4 * (16 + CHUNK), 0), s.precopyInfo(), "reported once");
    ByteBuffer part = ByteBuffer.allocate(16 + CHUNK);
    assertEquals(16 + CHUNK, s.read(part));
    assertEquals(3 * (16 + CHUNK), query(s, 0).initialBytes(), "decreases as it is read");
    drain(s);
    assertEquals(new PrecopyInfo(0, 0), s.precopyInfo());
  }

  @Test
  void hisiAcc_withOptIn_reportsFlagsZero() {
    HisiAccDriver hisi =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID,
            new HisiAccDriver.PfConfig(8, 0, 0),
            HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    VfioDevice d = VfioDevice.create(hisi);
    MigrationDataStream s = d.setState(MigrationState.PRE_COPY).orElseThrow();
    assertEquals(7, query(s, 7).flags());
    d.feature(V2 | VFIO_DEVICE_FEATURE_SET, none());
    VfioPrecopyInfo info = query(s, 7);
    assertEquals(new VfioPrecopyInfo(VfioPrecopyInfo.SIZE, 0, 40, 0), info);
  }

  private static void drain(MigrationDataStream s) {
    ByteBuffer buf = ByteBuffer.allocate(4096);
    while (true) {
      buf.clear();
      try {
        if (s.read(buf) == 0) {
          return;
        }
      } catch (org.jvfio.core.UapiException e) {
        assertEquals(Errno.ENOMSG, e.errno());
        return;
      }
    }
  }
}
