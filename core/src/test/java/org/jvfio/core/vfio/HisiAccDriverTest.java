package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.vfio.HisiAccDriver.PfConfig;
import org.jvfio.core.vfio.HisiAccDriver.Revision;

/** The hisi_acc migration driver: stream layout, resume errors and match_done (typed door). */
class HisiAccDriverTest {
  private static final PfConfig PF = new PfConfig(64, 128, 3);
  private static final int DEV = HisiAccDriver.HISI_SEC_VF_DEV_ID;

  private static VfioDevice device(HisiAccDriver driver) {
    return VfioDevice.create(driver);
  }

  private static byte[] readAll(MigrationDataStream s) {
    ByteBuffer buf = ByteBuffer.allocate(1024);
    while (s.read(buf) > 0) {
      // keep reading until the end of file
    }
    return Arrays.copyOf(buf.array(), buf.position());
  }

  /** The whole stream of a source whose guest programmed the queues with {@code seed}. */
  private static byte[] save(PfConfig pf, int devId, long seed) {
    HisiAccDriver d = HisiAccDriver.create(devId, pf, Revision.MATCH_DONE_RESET_ON_OPEN);
    d.programQueues(seed);
    return readAll(device(d).setState(MigrationState.STOP_COPY).orElseThrow());
  }

  @Test
  void precopy_sendsTheMatchDataEarlyThenEof() {
    HisiAccDriver d = HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN);
    d.programQueues(7);
    VfioDevice dev = device(d);
    assertEquals(EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY), dev.migrationFlags());
    assertTrue(dev.dmaTracker().isEmpty());
    assertErrno(Errno.ENOTTY, dev::stopDmaLogging);
    MigrationDataStream s = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    assertEquals(new PrecopyInfo(40, 0), s.precopyInfo());
    ByteBuffer first = ByteBuffer.allocate(16);
    assertEquals(16, s.read(first));
    assertEquals(new PrecopyInfo(24, 0), s.precopyInfo());
    byte[] rest = readAll(s);
    assertEquals(24, rest.length);
    assertEquals(0, s.read(ByteBuffer.allocate(8)), "EOF, not ENOMSG");
    assertEquals(new PrecopyInfo(0, 0), s.precopyInfo());
    ByteBuffer m = ByteBuffer.allocate(40).order(ByteOrder.LITTLE_ENDIAN);
    m.put(first.flip()).put(rest).flip();
    assertEquals(HisiAccDriver.ACC_DEV_MAGIC_V2, m.getLong(0));
    assertEquals(64, m.getInt(8));
    assertEquals(DEV, m.getInt(12));
    assertEquals(3, m.getInt(16));
    assertEquals(128, m.getInt(20));
    assertEquals(HisiAccDriver.QM_READY, m.getInt(24));
    assertEquals(1, m.getShort(28), "major_ver");
    assertTrue(dev.setState(MigrationState.STOP_COPY).isEmpty(), "the same session continues");
    byte[] regs = readAll(s);
    assertEquals(136, regs.length);
    assertEquals(176, dev.migDataSize().stopCopyLength());
    ByteBuffer r = ByteBuffer.wrap(regs).order(ByteOrder.LITTLE_ENDIAN);
    long eqeDma = r.getLong(144 - 40);
    long dw1 = r.getInt(64 + 4 - 40) & 0xffff_ffffL;
    long dw2 = r.getInt(64 + 8 - 40) & 0xffff_ffffL;
    assertEquals(dw2 << 32 | dw1, eqeDma, "eqe_dma = qm_eqc_dw[2] << 32 | qm_eqc_dw[1]");
    assertArrayEquals(Arrays.copyOf(regs, 136), Arrays.copyOf(d.registerState(), 136));
    assertErrno(Errno.EINVAL, s::precopyInfo);
  }

  @Test
  void notReadyVf_streamIsMatchDataOnly_andAValidImage() {
    HisiAccDriver src = HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN);
    byte[] image = readAll(device(src).setState(MigrationState.STOP_COPY).orElseThrow());
    assertEquals(40, image.length);
    assertEquals(
        HisiAccDriver.QM_NOT_READY,
        ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN).getInt(24));
    HisiAccDriver dst = HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN);
    VfioDevice dev = device(dst);
    byte[] before = dst.registerState();
    dev.setState(MigrationState.RESUMING).orElseThrow().write(ByteBuffer.wrap(image));
    dev.setState(MigrationState.STOP);
    assertEquals(MigrationState.STOP, dev.state());
    assertArrayEquals(before, dst.registerState(), "nothing loaded");
  }

  @Test
  void resume_tooLongIsEnomem_partialImageFailsTheArcAndStaysResuming() {
    byte[] image = save(PF, DEV, 9);
    assertEquals(176, image.length);
    for (int length : new int[] {0, 41, 175}) {
      VfioDevice dev = device(HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN));
      MigrationDataStream s = dev.setState(MigrationState.RESUMING).orElseThrow();
      s.write(ByteBuffer.wrap(image, 0, length));
      assertErrno(Errno.EINVAL, () -> dev.setState(MigrationState.STOP));
      assertEquals(MigrationState.RESUMING, dev.state(), length + " bytes");
      assertFalse(s.isEnded(), "the resuming fd stays installed");
    }
    VfioDevice dev = device(HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN));
    MigrationDataStream s = dev.setState(MigrationState.RESUMING).orElseThrow();
    assertErrno(Errno.ENOMEM, () -> s.write(ByteBuffer.allocate(177)));
    assertEquals(170, s.write(ByteBuffer.wrap(image, 0, 170)));
    assertErrno(Errno.ENOMEM, () -> s.write(ByteBuffer.allocate(7))); // 170 + 7 > 176
    assertEquals(6, s.write(ByteBuffer.wrap(image, 170, 6)));
    dev.setState(MigrationState.STOP);
  }

  @Test
  void resume_mismatch_isEfaultAfterTheBytesAreStored() {
    List<byte[]> bad =
        List.of(
            save(new PfConfig(32, 128, 3), DEV, 1), // qp_num
            save(new PfConfig(64, 128, 2), DEV, 1), // que_iso_cfg
            save(PF, HisiAccDriver.HISI_ZIP_VF_DEV_ID, 1)); // dev_id
    byte[] badMagic = save(PF, DEV, 1);
    badMagic[0] ^= 1;
    for (byte[] image : List.of(bad.get(0), bad.get(1), bad.get(2), badMagic)) {
      HisiAccDriver dst = HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN);
      VfioDevice dev = device(dst);
      MigrationDataStream s = dev.setState(MigrationState.RESUMING).orElseThrow();
      assertEquals(39, s.write(ByteBuffer.wrap(image, 0, 39)), "not checked below 40 bytes");
      assertErrno(Errno.EFAULT, () -> s.write(ByteBuffer.wrap(image, 39, 1)));
      assertErrno(Errno.EFAULT, () -> s.write(ByteBuffer.wrap(image, 40, 136)));
      assertErrno(Errno.ENOMEM, () -> s.write(ByteBuffer.allocate(1))); // 176 bytes stored
      assertFalse(dst.matchDone());
    }
    byte[] qpBaseOnly = save(new PfConfig(64, 0, 3), DEV, 1); // qp_base is not checked
    VfioDevice dev = device(HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN));
    assertEquals(
        176,
        dev.setState(MigrationState.RESUMING).orElseThrow().write(ByteBuffer.wrap(qpBaseOnly)));
  }

  @Test
  void matchDone_beforeTheFixSkipsTheCheckOfASecondMigration() {
    assertTrue(secondMismatchedMigrationAccepted(Revision.BEFORE_MATCH_DONE_FIX));
    assertFalse(secondMismatchedMigrationAccepted(Revision.MATCH_DONE_RESET_ON_OPEN));
  }

  private static boolean secondMismatchedMigrationAccepted(Revision revision) {
    HisiAccDriver dst = HisiAccDriver.create(DEV, PF, revision);
    VfioDevice dev = device(dst);
    dev.openDevice();
    dev.setState(MigrationState.RESUMING).orElseThrow().write(ByteBuffer.wrap(save(PF, DEV, 1)));
    dev.setState(MigrationState.RUNNING);
    assertTrue(dst.matchDone());
    dev.closeDevice(); // the VMM closes the device; a later VMM opens it for another migration
    dev.openDevice();
    byte[] stranger = save(new PfConfig(16, 0, 1), DEV, 2);
    MigrationDataStream s = dev.setState(MigrationState.RESUMING).orElseThrow();
    try {
      s.write(ByteBuffer.wrap(stranger));
      return true;
    } catch (org.jvfio.core.UapiException e) {
      assertEquals(Errno.EFAULT, e.errno());
      return false;
    }
  }

  @Test
  void migration_carriesTheRegisters() {
    HisiAccDriver src = HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN);
    HisiAccDriver dst = HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN);
    src.programQueues(42);
    assertNotEquals(Arrays.toString(src.registerState()), Arrays.toString(dst.registerState()));
    VfioDevice in = device(dst);
    in.setState(MigrationState.RESUMING)
        .orElseThrow()
        .write(
            ByteBuffer.wrap(readAll(device(src).setState(MigrationState.STOP_COPY).orElseThrow())));
    in.setState(MigrationState.RUNNING);
    assertArrayEquals(src.registerState(), dst.registerState());
  }

  @Test
  void reset_keepsTheMigrationStateAndStream() {
    HisiAccDriver d = HisiAccDriver.create(DEV, PF, Revision.MATCH_DONE_RESET_ON_OPEN);
    VfioDevice dev = device(d);
    MigrationDataStream s = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    dev.reset();
    assertEquals(MigrationState.PRE_COPY, dev.state(), "aer_reset_done returned early");
    assertEquals(40, readAll(s).length);
    dev.closeDevice();
    assertEquals(MigrationState.RUNNING, dev.state(), "close_device does reset");
    assertTrue(s.isEnded());
  }
}
