package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/** Migration through {@link VfioDevice}: FSM walks, data streams, the reference driver. */
class VfioDeviceMigrationTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);

  private static final Set<MigrationFlag> ALL = EnumSet.allOf(MigrationFlag.class);
  private static final Set<MigrationFlag> PRE_COPY =
      EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY);

  private static VfioDevice device(ReferenceMigrationDriver driver) {
    return VfioDevice.create(driver);
  }

  /** Reads {@code s} with reads of random sizes until ENOMSG (pre-copy) or 0 (STOP_COPY). */
  private static byte[] drain(MigrationDataStream s, SplittableRandom rnd, int maxRead) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (true) {
      ByteBuffer buf = ByteBuffer.allocate(1 + rnd.nextInt(maxRead));
      int n;
      try {
        n = s.read(buf);
      } catch (UapiException e) {
        assertEquals(Errno.ENOMSG, e.errno(), e.getMessage());
        return out.toByteArray();
      }
      if (n == 0) {
        return out.toByteArray();
      }
      assertEquals(n, buf.position());
      out.write(buf.array(), 0, n);
    }
  }

  private static void writeAll(MigrationDataStream s, byte[] data, SplittableRandom rnd, int max) {
    int off = 0;
    while (off < data.length) {
      int n = Math.min(data.length - off, 1 + rnd.nextInt(max));
      assertEquals(n, s.write(ByteBuffer.wrap(data, off, n)));
      off += n;
    }
  }

  @Test
  void wholeMigration_preCopyStopCopyResume_destinationEqualsSource() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    ReferenceMigrationDriver a = ReferenceMigrationDriver.seeded(ALL, SEED, 50_000);
    ReferenceMigrationDriver b = ReferenceMigrationDriver.seeded(ALL, SEED + 1, 7);
    VfioDevice src = device(a);
    VfioDevice dst = device(b);

    MigrationDataStream out = src.setState(MigrationState.PRE_COPY).orElseThrow();
    PrecopyInfo info = out.precopyInfo();
    assertTrue(info.initialBytes() > 50_000);
    assertEquals(0, info.dirtyBytes());
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    byte[] initial = drain(out, rnd, 3000);
    assertEquals(info.initialBytes(), initial.length);
    stream.writeBytes(initial);
    assertEquals(new PrecopyInfo(0, 0), out.precopyInfo());
    assertErrno(Errno.ENOMSG, () -> out.read(ByteBuffer.allocate(10)));

    // The guest keeps running: the device state changes and the changes are streamed as dirty data.
    a.writeState(10, new byte[] {1, 2, 3});
    a.writeState(40_000, new byte[5000]);
    PrecopyInfo dirty = out.precopyInfo();
    assertEquals(0, dirty.initialBytes());
    assertTrue(dirty.dirtyBytes() > 5000);
    byte[] dirtyData = drain(out, rnd, 700);
    assertEquals(dirty.dirtyBytes(), dirtyData.length);
    stream.writeBytes(dirtyData);
    a.writeState(49_999, new byte[] {42});

    // PRE_COPY -> STOP_COPY continues the session (PRE_COPY_P2P in between): no new stream.
    assertEquals(Optional.empty(), src.setState(MigrationState.STOP_COPY));
    assertErrno(Errno.EINVAL, out::precopyInfo);
    assertEquals(src.migDataSize().stopCopyLength(), drainAndCount(out, rnd, stream));
    assertEquals(0, out.read(ByteBuffer.allocate(100)));
    assertEquals(0, out.read(ByteBuffer.allocate(100)));
    assertThrows(IllegalStateException.class, () -> a.writeState(0, new byte[1]));

    // Destination: RUNNING -> RESUMING walks via RUNNING_P2P and STOP; only the last arc's fd.
    MigrationDataStream in = dst.setState(MigrationState.RESUMING).orElseThrow();
    assertFalse(in.isSaving());
    writeAll(in, stream.toByteArray(), rnd, 4096);
    assertEquals(Optional.empty(), dst.setState(MigrationState.RUNNING));
    assertTrue(in.isEnded());
    assertEquals(MigrationState.RUNNING, dst.state());
    assertArrayEquals(a.deviceState(), b.deviceState());

    assertEquals(Optional.empty(), src.setState(MigrationState.STOP));
    assertTrue(out.isEnded());
    assertErrno(Errno.ENODEV, () -> out.read(ByteBuffer.allocate(1)));
  }

  private static long drainAndCount(
      MigrationDataStream s, SplittableRandom rnd, ByteArrayOutputStream sink) {
    byte[] rest = drain(s, rnd, 5000);
    sink.writeBytes(rest);
    return rest.length;
  }

  @Test
  void saveResume_roundTrip_overGeneratedStatesChunkSizesAndFlags() {
    List<Set<MigrationFlag>> flagSets =
        List.of(
            EnumSet.of(MigrationFlag.STOP_COPY),
            EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.P2P),
            PRE_COPY,
            ALL);
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES; t++) {
      long caseSeed = rnd.nextLong();
      SplittableRandom r = new SplittableRandom(caseSeed);
      Set<MigrationFlag> flags = flagSets.get(r.nextInt(flagSets.size()));
      int size = r.nextInt(4) == 0 ? r.nextInt(10) : r.nextInt(20_000);
      int chunk = 1 + r.nextInt(r.nextBoolean() ? 64 : 5000);
      String where = "seed=0x" + Long.toHexString(SEED) + " case=0x" + Long.toHexString(caseSeed);
      byte[] state = new byte[size];
      for (int i = 0; i < size; i++) {
        state[i] = (byte) r.nextInt(256);
      }
      ReferenceMigrationDriver a =
          ReferenceMigrationDriver.create(flags, state, chunk, Optional.empty());
      ReferenceMigrationDriver b =
          ReferenceMigrationDriver.create(flags, new byte[r.nextInt(100)], chunk, Optional.empty());
      VfioDevice src = device(a);
      VfioDevice dst = device(b);
      ByteArrayOutputStream stream = new ByteArrayOutputStream();
      MigrationDataStream out;
      if (flags.contains(MigrationFlag.PRE_COPY)) {
        out = src.setState(MigrationState.PRE_COPY).orElseThrow();
        for (int round = r.nextInt(4); round >= 0; round--) {
          PrecopyInfo info = out.precopyInfo();
          byte[] got = drain(out, r, 1 + r.nextInt(3000));
          assertEquals(info.initialBytes() + info.dirtyBytes(), got.length, where);
          stream.writeBytes(got);
          for (int m = r.nextInt(5); m > 0 && size > 0; m--) {
            int off = r.nextInt(size);
            byte[] change = new byte[1 + r.nextInt(Math.min(size - off, 3000))];
            r.nextBytes(change);
            a.writeState(off, change);
          }
        }
        assertEquals(Optional.empty(), src.setState(MigrationState.STOP_COPY), where);
      } else {
        out = src.setState(MigrationState.STOP_COPY).orElseThrow();
      }
      long estimate = src.migDataSize().stopCopyLength();
      byte[] rest = drain(out, r, 1 + r.nextInt(9000));
      assertEquals(estimate, rest.length, where);
      stream.writeBytes(rest);
      MigrationDataStream in = dst.setState(MigrationState.RESUMING).orElseThrow();
      writeAll(in, stream.toByteArray(), r, 1 + r.nextInt(10_000));
      dst.setState(MigrationState.RUNNING);
      assertArrayEquals(a.deviceState(), b.deviceState(), where);
    }
  }

  /** A complete saved stream of a device with {@code size} seeded bytes. */
  private static byte[] savedStream(long seed, int size) {
    VfioDevice src =
        device(ReferenceMigrationDriver.seeded(EnumSet.of(MigrationFlag.STOP_COPY), seed, size));
    return drain(
        src.setState(MigrationState.STOP_COPY).orElseThrow(), new SplittableRandom(seed), 9000);
  }

  @Test
  void resume_truncatedOrCorruptedStream_resumingToStopFailsEinvalIntoError() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    byte[] good = savedStream(SEED, 10_000);
    for (int t = 0; t < TRIES; t++) {
      byte[] bad;
      String what;
      if (rnd.nextBoolean()) {
        bad = Arrays.copyOf(good, rnd.nextInt(good.length));
        what = "truncated to " + bad.length;
      } else {
        bad = good.clone();
        int at = rnd.nextInt(bad.length);
        bad[at] ^= (byte) (1 + rnd.nextInt(255));
        what = "byte " + at + " corrupted";
      }
      ReferenceMigrationDriver b =
          ReferenceMigrationDriver.seeded(EnumSet.of(MigrationFlag.STOP_COPY), 99, 300);
      byte[] before = b.deviceState();
      VfioDevice dst = device(b);
      MigrationDataStream in = dst.setState(MigrationState.RESUMING).orElseThrow();
      in.write(ByteBuffer.wrap(bad));
      UapiException e =
          assertThrows(
              UapiException.class,
              () -> dst.setState(MigrationState.RUNNING),
              "seed=0x" + Long.toHexString(SEED) + " " + what);
      assertEquals(Errno.EINVAL, e.errno(), what);
      assertEquals(MigrationState.ERROR, dst.state(), what);
      assertArrayEquals(before, b.deviceState(), what);
      assertTrue(in.isEnded(), what);
      assertErrno(Errno.ENODEV, () -> in.write(ByteBuffer.allocate(1)));
    }
  }

  @Test
  void resume_trailingBytesOrEmptyStream_einval() {
    byte[] good = savedStream(SEED, 100);
    for (byte[] bad : List.of(new byte[0], Arrays.copyOf(good, good.length + 1))) {
      VfioDevice dst =
          device(ReferenceMigrationDriver.seeded(EnumSet.of(MigrationFlag.STOP_COPY), 1, 10));
      dst.setState(MigrationState.RESUMING).orElseThrow().write(ByteBuffer.wrap(bad));
      assertErrno(Errno.EINVAL, () -> dst.setState(MigrationState.STOP));
      assertEquals(MigrationState.ERROR, dst.state());
    }
  }

  @Test
  void error_isLeftOnlyByReset() {
    VfioDevice dev =
        device(ReferenceMigrationDriver.seeded(EnumSet.of(MigrationFlag.STOP_COPY), 1, 10));
    assertTrue(dev.setState(MigrationState.RESUMING).isPresent());
    assertErrno(Errno.EINVAL, () -> dev.setState(MigrationState.STOP));
    assertEquals(MigrationState.ERROR, dev.state());
    for (MigrationState target : MigrationState.values()) {
      if (target != MigrationState.ERROR) {
        assertErrno(Errno.EINVAL, () -> dev.setState(target));
        assertEquals(MigrationState.ERROR, dev.state());
      }
    }
    // Asking for the current state does nothing, even in ERROR (the driver's loop never runs).
    assertEquals(Optional.empty(), dev.setState(MigrationState.ERROR));
    dev.reset();
    assertEquals(MigrationState.RUNNING, dev.state());
    assertTrue(dev.setState(MigrationState.STOP_COPY).isPresent());
  }

  @Test
  void setState_errorAsTargetOrUnsupportedState_einvalAndNothingChanges() {
    VfioDevice dev =
        device(ReferenceMigrationDriver.seeded(EnumSet.of(MigrationFlag.STOP_COPY), 1, 10));
    for (MigrationState target :
        List.of(
            MigrationState.ERROR,
            MigrationState.RUNNING_P2P,
            MigrationState.PRE_COPY,
            MigrationState.PRE_COPY_P2P)) {
      assertErrno(Errno.EINVAL, () -> dev.setState(target));
      assertEquals(MigrationState.RUNNING, dev.state());
    }
  }

  @Test
  void setState_stopCopyToPreCopy_blockedEinvalSessionKept() {
    VfioDevice dev = device(ReferenceMigrationDriver.seeded(ALL, 1, 10));
    MigrationDataStream s = dev.setState(MigrationState.STOP_COPY).orElseThrow();
    assertErrno(Errno.EINVAL, () -> dev.setState(MigrationState.PRE_COPY));
    assertErrno(Errno.EINVAL, () -> dev.setState(MigrationState.PRE_COPY_P2P));
    assertEquals(MigrationState.STOP_COPY, dev.state());
    assertFalse(s.isEnded());
    assertTrue(s.read(ByteBuffer.allocate(10)) > 0);
  }

  @Test
  void streams_onlyTheStartingArcsReturnOne() {
    VfioDevice dev = device(ReferenceMigrationDriver.seeded(ALL, 1, 10));
    assertEquals(Optional.empty(), dev.setState(MigrationState.RUNNING_P2P));
    MigrationDataStream s = dev.setState(MigrationState.PRE_COPY_P2P).orElseThrow();
    assertEquals(Optional.empty(), dev.setState(MigrationState.PRE_COPY));
    assertEquals(Optional.empty(), dev.setState(MigrationState.PRE_COPY_P2P));
    assertFalse(s.isEnded());
    assertEquals(Optional.empty(), dev.setState(MigrationState.STOP_COPY));
    assertFalse(s.isEnded());
    assertEquals(Optional.empty(), dev.setState(MigrationState.STOP));
    assertTrue(s.isEnded());
    assertTrue(dev.setState(MigrationState.RESUMING).isPresent());
  }

  @Test
  void stream_directionAndCloseErrnos() {
    VfioDevice dev = device(ReferenceMigrationDriver.seeded(ALL, 1, 10));
    MigrationDataStream save = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    assertErrno(Errno.EBADF, () -> save.write(ByteBuffer.allocate(1)));
    assertEquals(0, save.read(ByteBuffer.allocate(0)));
    save.close();
    assertErrno(Errno.EBADF, () -> save.read(ByteBuffer.allocate(1)));
    assertErrno(Errno.EBADF, save::precopyInfo);
    // Closing the fd does not end the session: the device is still in PRE_COPY.
    assertEquals(MigrationState.PRE_COPY, dev.state());
    dev.setState(MigrationState.STOP);
    MigrationDataStream resume = dev.setState(MigrationState.RESUMING).orElseThrow();
    assertErrno(Errno.EBADF, () -> resume.read(ByteBuffer.allocate(1)));
    assertErrno(Errno.ENOTTY, resume::precopyInfo);
    assertEquals(0, resume.write(ByteBuffer.allocate(0)));
  }

  @Test
  void precopyInfo_outsidePreCopyEinval_oldSessionEnodev() {
    VfioDevice dev = device(ReferenceMigrationDriver.seeded(PRE_COPY, 1, 10));
    MigrationDataStream first = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    first.precopyInfo();
    dev.setState(MigrationState.RUNNING);
    assertTrue(first.isEnded());
    assertErrno(Errno.EINVAL, first::precopyInfo);
    assertErrno(Errno.ENODEV, () -> first.read(ByteBuffer.allocate(1)));
    MigrationDataStream second = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    assertErrno(Errno.ENODEV, first::precopyInfo);
    assertTrue(second.precopyInfo().initialBytes() > 0);
    dev.setState(MigrationState.STOP_COPY);
    assertErrno(Errno.EINVAL, second::precopyInfo);
  }

  @Test
  void precopyInfo_byteDoor_argszCheckedFieldsWritten() {
    VfioDevice dev = device(ReferenceMigrationDriver.seeded(PRE_COPY, 1, 100));
    MigrationDataStream s = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    ByteBuffer arg = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 23);
    assertErrno(Errno.EINVAL, () -> s.precopyInfo(arg));
    assertErrno(Errno.EINVAL, () -> s.precopyInfo(ByteBuffer.allocate(16)));
    arg.putInt(0, 24).putInt(4, 0x55);
    s.precopyInfo(arg);
    assertEquals(24, arg.getInt(0));
    assertEquals(0x55, arg.getInt(4)); // flags echoed, as the drivers do
    assertEquals(s.precopyInfo().initialBytes(), arg.getLong(8));
    assertEquals(0, arg.getLong(16));
  }

  @Test
  void reset_endsTheSessionAndKeepsLogging() {
    ReferenceMigrationDriver drv =
        ReferenceMigrationDriver.create(ALL, new byte[10], 4, Optional.of(DmaTracker.exact()));
    VfioDevice dev = device(drv);
    dev.startDmaLogging(new DmaLoggingControl(4096, List.of(new DmaLoggingRange(0, 4096))));
    MigrationDataStream s = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    dev.reset();
    assertEquals(MigrationState.RUNNING, dev.state());
    assertTrue(s.isEnded());
    assertErrno(Errno.ENODEV, () -> s.read(ByteBuffer.allocate(1)));
    assertTrue(dev.dmaTracker().orElseThrow().isLogging());
  }

  @Test
  void stopCopyEstimate_equalsTheBytesStreamedInEveryPhase() {
    ReferenceMigrationDriver drv = ReferenceMigrationDriver.seeded(PRE_COPY, 5, 9000);
    VfioDevice dev = device(drv);
    long whole = dev.migDataSize().stopCopyLength();
    MigrationDataStream s = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    assertEquals(whole, dev.migDataSize().stopCopyLength());
    s.read(ByteBuffer.allocate(1000));
    assertEquals(whole - 1000, dev.migDataSize().stopCopyLength());
    dev.setState(MigrationState.STOP_COPY);
    assertEquals(whole - 1000, drain(s, new SplittableRandom(1), 333).length);
    assertEquals(0, dev.migDataSize().stopCopyLength());
  }

  /** A driver that fails a chosen arc, to observe combined transitions failing part way. */
  private static final class FailingDriver implements VfioDeviceDriver {
    final List<MigrationArc> executed = new ArrayList<>();
    final MigrationArc failing;
    final MigrationState afterFailure;

    FailingDriver(MigrationArc failing, MigrationState afterFailure) {
      this.failing = failing;
      this.afterFailure = afterFailure;
    }

    @Override
    public Set<MigrationFlag> migrationFlags() {
      return ALL;
    }

    @Override
    public void executeArc(MigrationArc arc) {
      if (arc.equals(failing)) {
        throw new UapiException(Errno.EIO, "injected");
      }
      executed.add(arc);
    }

    @Override
    public MigrationState stateAfterFailedArc(MigrationArc arc, UapiException failure) {
      return afterFailure;
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
    public void resume(ByteBuffer src) {
      src.position(src.limit());
    }

    @Override
    public long stopCopyLength() {
      return 0;
    }

    @Override
    public void reset() {}

    @Override
    public Optional<DmaTracker> dmaTracker() {
      return Optional.empty();
    }
  }

  @Test
  void combinedTransition_driverFailsPartWay_stateIsAfterLastGoodArc() {
    FailingDriver drv =
        new FailingDriver(
            new MigrationArc(MigrationState.STOP, MigrationState.STOP_COPY), MigrationState.STOP);
    VfioDevice dev = VfioDevice.create(drv);
    // RUNNING -> STOP_COPY is RUNNING -> RUNNING_P2P -> STOP -> STOP_COPY with P2P.
    assertErrno(Errno.EIO, () -> dev.setState(MigrationState.STOP_COPY));
    assertEquals(MigrationState.STOP, dev.state());
    assertEquals(
        List.of(
            new MigrationArc(MigrationState.RUNNING, MigrationState.RUNNING_P2P),
            new MigrationArc(MigrationState.RUNNING_P2P, MigrationState.STOP)),
        drv.executed);
  }

  @Test
  void combinedTransition_driverFailsIntoError_sessionEnds() {
    FailingDriver drv =
        new FailingDriver(
            new MigrationArc(MigrationState.PRE_COPY, MigrationState.PRE_COPY_P2P),
            MigrationState.ERROR);
    VfioDevice dev = VfioDevice.create(drv);
    MigrationDataStream s = dev.setState(MigrationState.PRE_COPY).orElseThrow();
    assertErrno(Errno.EIO, () -> dev.setState(MigrationState.STOP_COPY));
    assertEquals(MigrationState.ERROR, dev.state());
    assertTrue(s.isEnded());
  }

  @Test
  void create_flagsWithoutStopCopy_refused() {
    assertThrows(
        IllegalArgumentException.class,
        () -> ReferenceMigrationDriver.seeded(EnumSet.of(MigrationFlag.PRE_COPY), 1, 1));
  }
}
