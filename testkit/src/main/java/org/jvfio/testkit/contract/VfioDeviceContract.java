package org.jvfio.testkit.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaLoggingReport;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.MigrationDataStream;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationFsm;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.PrecopyInfo;
import org.jvfio.core.vfio.VfioDevice;
import org.jvfio.core.vfio.VfioDeviceDriver;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;
import org.jvfio.testkit.gen.DmaWrite;
import org.jvfio.testkit.oracle.ReferenceDirtyModel;

/**
 * The properties every {@link VfioDeviceDriver} (a variant driver's migration and DMA-logging ops)
 * must satisfy behind a {@link VfioDevice}, as an abstract JUnit 5 class in the style of
 * guava-testlib.
 *
 * <pre>{@code
 * class MyDriverContractTest extends VfioDeviceContract {
 *   protected VfioDeviceDriver newDriver(long seed) { return MyDriver.seeded(seed); }
 *   protected Set<MigrationFlag> expectedMigrationFlags() { return EnumSet.of(STOP_COPY, P2P); }
 *   protected byte[] deviceState(VfioDeviceDriver d) { return ((MyDriver) d).state(); }
 * }
 * }</pre>
 *
 * <p>The properties: the device reports the driver's migration flags; every state change executes
 * exactly the arcs of {@link MigrationFsm#path}, a refused one executes none and changes nothing,
 * and a failed arc leaves the device where the previous arc ended or in ERROR, which a reset
 * leaves; a save (with pre-copy and state changes during it, if the flags allow) resumed into
 * another device yields equal state, without changing the source, and pre-copy info agrees with the
 * stream; and, if the driver has a tracker, every DMA-logging report contains exactly the granules
 * written since the last report (a {@link ReferenceDirtyModel} at the tracker's page size).
 * Features come from the driver: pre-copy from its flags, logging from {@link
 * VfioDeviceDriver#dmaTracker()}; tests of absent features are skipped.
 *
 * <p>Runs through the testkit's {@link Property} runner, seeded and shrinking; tries scale with
 * {@code -Djvfio.tries}. The test methods are public and take no arguments, so they can also be
 * called directly.
 */
public abstract class VfioDeviceContract {
  private static final int MAX_SHRINKS = 100;
  private static final int MAX_READS = 1 << 20;

  /** Creates the suite; a subclass supplies the driver. */
  protected VfioDeviceContract() {}

  /**
   * Returns a new driver, its device in RUNNING; its initial state is drawn from {@code seed}, so
   * that drivers made with different seeds differ (a round trip into an equal device proves
   * nothing).
   *
   * @param seed the seed of the random choices
   * @return a new driver, its device in RUNNING; its initial state is drawn from {@code seed}, so
   *     that drivers made with different seeds differ (a round trip into an equal device proves
   *     nothing)
   */
  protected abstract VfioDeviceDriver newDriver(long seed);

  /**
   * Returns the migration flags the driver must report.
   *
   * @return the migration flags the driver must report
   */
  protected abstract Set<MigrationFlag> expectedMigrationFlags();

  /**
   * Returns the driver's device state, the bytes a migration must carry.
   *
   * @param driver the driver under test
   * @return the driver's device state, the bytes a migration must carry
   */
  protected abstract byte[] deviceState(VfioDeviceDriver driver);

  /**
   * Changes the driver's device state as the running device would (called only in RUNNING,
   * RUNNING_P2P, PRE_COPY and PRE_COPY_P2P). Does nothing by default.
   *
   * @param driver the driver under test
   */
  protected void mutate(VfioDeviceDriver driver) {}

  /**
   * Called after every step with the driver under test, for its own invariants.
   *
   * @param driver the driver under test
   */
  protected void checkInvariants(VfioDeviceDriver driver) {}

  // --- migration ------------------------------------------------------------------------------

  /**
   * The device reports the expected migration flags ({@code ENOTTY} for a driver without migration)
   * and the driver always returns the same tracker.
   */
  @Test
  public void migrationFlags_reportedByTheDevice() {
    VfioDeviceDriver driver = newDriver(1);
    VfioDevice device = VfioDevice.create(driver);
    Set<MigrationFlag> expected = expectedMigrationFlags();
    if (expected.isEmpty()) {
      assertFalse(device.supportsMigration());
      assertEquals(Errno.ENOTTY, assertThrows(UapiException.class, device::migrationFlags).errno());
    } else {
      assertTrue(expected.contains(MigrationFlag.STOP_COPY), "STOP_COPY is mandatory");
      assertEquals(expected, device.migrationFlags());
      assertEquals(MigrationState.RUNNING, device.state());
    }
    Optional<DmaTracker> t = driver.dmaTracker();
    if (t.isPresent()) {
      assertSame(t.get(), driver.dmaTracker().get(), "dmaTracker() must return one tracker");
    }
    checkInvariants(driver);
  }

  private record StateCase(long seed, List<MigrationState> targets) {}

  /**
   * Random targets, valid or not: a valid one executes exactly the arcs of {@link
   * MigrationFsm#path}, in order, and ends in the target; a refused one ({@code EINVAL}) executes
   * no arc and changes neither the state nor the device state; a driver failure leaves the device
   * in the state before the failed arc or in ERROR, after the arcs of the path up to the failed
   * one, and a reset then returns it to RUNNING.
   */
  @Test
  public void setState_followsFsmPathsAndRefusalsChangeNothing() {
    Set<MigrationFlag> flags = expectedMigrationFlags();
    assumeTrue(!flags.isEmpty(), "no migration");
    Gen<StateCase> cases =
        Gen.zip(
            Gen.longs(0, Long.MAX_VALUE),
            Gen.lists(Gen.oneOf(MigrationState.values()), 1, 12),
            StateCase::new);
    property("state changes follow the FSM", 100)
        .forAll(
            cases,
            c -> {
              VfioDeviceDriver driver = newDriver(c.seed());
              RecordingDriver rec = new RecordingDriver(driver);
              VfioDevice device = VfioDevice.create(rec);
              for (MigrationState target : c.targets()) {
                setState(device, rec, flags, target);
                checkInvariants(driver);
                if (isRunning(device.state())) {
                  mutate(driver);
                  checkInvariants(driver);
                }
              }
            });
  }

  private void setState(
      VfioDevice device, RecordingDriver rec, Set<MigrationFlag> flags, MigrationState target) {
    MigrationState cur = device.state();
    List<MigrationArc> path;
    try {
      path = MigrationFsm.path(flags, cur, target);
    } catch (UapiException refused) {
      path = null;
    }
    int seen = rec.arcs.size();
    byte[] before = deviceState(rec.delegate);
    if (path == null) {
      UapiException e = assertThrows(UapiException.class, () -> device.setState(target));
      assertEquals(Errno.EINVAL, e.errno(), () -> cur + " -> " + target);
      assertEquals(cur, device.state(), "a refusal changes the state");
      assertEquals(List.of(), rec.arcs.subList(seen, rec.arcs.size()), "a refusal ran arcs");
      assertArrayEquals(before, deviceState(rec.delegate), "a refusal changed the device state");
      return;
    }
    try {
      Optional<MigrationDataStream> stream = device.setState(target);
      assertEquals(path, rec.arcs.subList(seen, rec.arcs.size()), () -> cur + " -> " + target);
      assertEquals(target, device.state());
      MigrationArc last = path.isEmpty() ? null : path.get(path.size() - 1);
      assertEquals(last != null && last.startsDataTransfer(), stream.isPresent(), "data stream");
      if (stream.isPresent() && stream.get().isSaving()) {
        readSome(stream.get(), target);
      }
    } catch (UapiException e) {
      List<MigrationArc> ran = List.copyOf(rec.arcs.subList(seen, rec.arcs.size()));
      assertFalse(ran.isEmpty(), () -> "a valid request failed without an arc: " + e);
      assertEquals(path.subList(0, ran.size()), ran, () -> cur + " -> " + target);
      MigrationArc failed = ran.get(ran.size() - 1);
      MigrationState after = device.state();
      assertTrue(
          after == failed.from() || after == MigrationState.ERROR,
          () -> "after " + failed + " failed (" + e + ") the device is in " + after);
      if (after == MigrationState.ERROR) {
        device.reset();
        assertEquals(MigrationState.RUNNING, device.state());
      }
    }
  }

  private static void readSome(MigrationDataStream stream, MigrationState state) {
    try {
      assertTrue(stream.read(ByteBuffer.allocate(4096)) >= 0);
    } catch (UapiException e) {
      assertTrue(
          e.errno() == Errno.ENOMSG && state != MigrationState.STOP_COPY,
          () -> "read in " + state + ": " + e);
    }
  }

  private record RoundTrip(
      long seed, boolean precopy, int mutations, int readSize, List<Integer> writeSizes) {}

  /**
   * A save (through pre-copy with state changes between reads, when the flags have PRE_COPY, and
   * STOP_COPY) resumed into a device with another state gives the destination the source's state
   * byte for byte and leaves the source's state unchanged; in pre-copy, {@code
   * VFIO_MIG_GET_PRECOPY_INFO} reports bytes exactly when a read returns some.
   */
  @Test
  public void saveResume_roundTripYieldsEqualState() {
    Set<MigrationFlag> flags = expectedMigrationFlags();
    assumeTrue(!flags.isEmpty(), "no migration");
    boolean precopy = flags.contains(MigrationFlag.PRE_COPY);
    Gen<RoundTrip> cases =
        src ->
            new RoundTrip(
                src.nextLong(0, Long.MAX_VALUE),
                precopy && src.nextBoolean(),
                src.nextInt(0, 3),
                src.nextInt(1, 16384),
                Gen.lists(Gen.ints(1, 16384), 1, 8).generate(src));
    property("save and resume round-trip the state", 40).forAll(cases, this::roundTrip);
  }

  private void roundTrip(RoundTrip c) {
    VfioDeviceDriver src = newDriver(c.seed());
    VfioDeviceDriver dst = newDriver(~c.seed());
    VfioDevice source = VfioDevice.create(src);
    VfioDevice destination = VfioDevice.create(dst);
    ByteArrayOutputStream saved = new ByteArrayOutputStream();
    ByteBuffer buffer = ByteBuffer.allocate(c.readSize());
    MigrationDataStream out;
    if (c.precopy()) {
      out = source.setState(MigrationState.PRE_COPY).orElseThrow();
      for (int m = 0; m <= c.mutations(); m++) {
        drainPrecopy(out, buffer, saved);
        checkInvariants(src);
        if (m < c.mutations()) {
          mutate(src);
        }
      }
      assertEquals(Optional.empty(), source.setState(MigrationState.STOP_COPY), "new stream");
    } else {
      for (int m = 0; m < c.mutations(); m++) {
        mutate(src);
      }
      out = source.setState(MigrationState.STOP_COPY).orElseThrow();
    }
    byte[] expected = deviceState(src);
    for (int reads = 0; ; reads++) {
      assertTrue(reads < MAX_READS, "the STOP_COPY stream never ends");
      buffer.clear();
      int n = out.read(buffer);
      if (n == 0) {
        break;
      }
      saved.write(buffer.array(), 0, n);
    }
    source.setState(MigrationState.STOP);
    checkInvariants(src);
    MigrationDataStream in = destination.setState(MigrationState.RESUMING).orElseThrow();
    byte[] bytes = saved.toByteArray();
    for (int off = 0, i = 0; off < bytes.length; i++) {
      int n = Math.min(bytes.length - off, c.writeSizes().get(i % c.writeSizes().size()));
      assertEquals(n, in.write(ByteBuffer.wrap(bytes, off, n)));
      off += n;
    }
    destination.setState(MigrationState.STOP);
    checkInvariants(dst);
    assertArrayEquals(expected, deviceState(dst), "the destination's state after resuming");
    assertArrayEquals(expected, deviceState(src), "the source's state after saving");
    source.setState(MigrationState.RUNNING);
    destination.setState(MigrationState.RUNNING);
    checkInvariants(src);
    checkInvariants(dst);
  }

  private static void drainPrecopy(
      MigrationDataStream out, ByteBuffer buffer, ByteArrayOutputStream saved) {
    for (int reads = 0; ; reads++) {
      assertTrue(reads < MAX_READS, "the pre-copy stream never pauses");
      PrecopyInfo info = out.precopyInfo();
      boolean pending = info.initialBytes() != 0 || info.dirtyBytes() != 0;
      buffer.clear();
      if (!pending) {
        UapiException e = assertThrows(UapiException.class, () -> out.read(buffer), "read");
        assertEquals(Errno.ENOMSG, e.errno(), "read with no pre-copy bytes pending");
        return;
      }
      int n;
      try {
        n = out.read(buffer);
      } catch (UapiException e) {
        throw new AssertionError("read failed while precopy info says " + info, e);
      }
      assertTrue(n > 0, () -> "read returned nothing while precopy info says " + info);
      saved.write(buffer.array(), 0, n);
    }
  }

  private static boolean isRunning(MigrationState s) {
    return s == MigrationState.RUNNING
        || s == MigrationState.RUNNING_P2P
        || s == MigrationState.PRE_COPY
        || s == MigrationState.PRE_COPY_P2P;
  }

  // --- DMA logging ----------------------------------------------------------------------------

  /** Writes into the requested ranges, then a report of one of them. */
  private record LogRound(List<DmaWrite> writes, int report, int pageSizeChoice) {}

  private record LogCase(
      long seed, int hintShift, List<DmaLoggingRange> ranges, List<LogRound> rounds) {}

  private static Gen<LogCase> logCases() {
    return src -> {
      long seed = src.nextLong(0, Long.MAX_VALUE);
      int hintShift = src.nextInt(12, 14);
      long unit = 64L << hintShift; // a pds-like report is exact on 64-page boundaries
      int n = src.nextInt(1, 3);
      List<DmaLoggingRange> ranges = new ArrayList<>();
      long iova = unit * src.nextLong(0, 1 << 12);
      for (int i = 0; i < n; i++) {
        iova += unit * src.nextLong(0, 2);
        long length = unit * src.nextLong(1, 2);
        ranges.add(new DmaLoggingRange(iova, length));
        iova += length;
      }
      Gen<DmaWrite> write =
          s -> {
            DmaLoggingRange r = ranges.get(s.nextInt(0, n - 1));
            long offset = s.nextLong(0, r.length() - 1);
            long max = Math.min(2L << hintShift, r.length() - offset);
            return new DmaWrite(r.iova() + offset, s.nextLong(1, max));
          };
      Gen<LogRound> round =
          s ->
              new LogRound(
                  Gen.lists(write, 0, 8).generate(s), s.nextInt(0, n - 1), s.nextInt(0, 2));
      return new LogCase(seed, hintShift, ranges, Gen.lists(round, 1, 4).generate(src));
    };
  }

  /**
   * With logging started over a few ranges, every report of a range contains exactly the granules
   * (at the page size the tracker chose) written since they were last reported, at report page
   * sizes below, at and above the tracking granule; a second report of the same range is empty;
   * after a stop, reports fail with {@code EINVAL}. Starts the tracker refuses for its own limits
   * ({@code EOPNOTSUPP}, {@code ENOMEM}) end the try.
   */
  @Test
  public void dmaLogging_reportsExactlyTheGranulesWrittenSinceTheLastReport() {
    assumeTrue(newDriver(1).dmaTracker().isPresent(), "no DMA-logging tracker");
    property("reports contain every write since the last report", 60)
        .forAll(logCases(), this::logging);
  }

  private void logging(LogCase c) {
    VfioDeviceDriver driver = newDriver(c.seed());
    VfioDevice device = VfioDevice.create(driver);
    DmaTracker tracker = driver.dmaTracker().orElseThrow();
    DmaLoggingControl chosen;
    try {
      chosen = device.startDmaLogging(new DmaLoggingControl(1L << c.hintShift(), c.ranges()));
    } catch (UapiException e) {
      assertTrue(
          e.errno() == Errno.EOPNOTSUPP || e.errno() == Errno.ENOMEM,
          () -> "START of " + c.ranges() + " refused: " + e);
      assertFalse(tracker.isLogging(), "a refused START started logging");
      return;
    }
    long granule = chosen.pageSize();
    assertTrue(tracker.isLogging());
    assertEquals(granule, tracker.pageSize());
    ReferenceDirtyModel model = ReferenceDirtyModel.atGranule(granule);
    for (LogRound round : c.rounds()) {
      for (DmaWrite w : round.writes()) {
        device.dmaListener().recordWrite(w.iova(), w.length());
        model.recordWrite(w.iova(), w.length());
      }
      DmaLoggingRange r = c.ranges().get(round.report());
      long pageSize = Math.max(4096, granule << (round.pageSizeChoice() - 1));
      checkReport(device, model, r, pageSize);
      checkInvariants(driver);
    }
    for (DmaLoggingRange r : c.ranges()) {
      checkReport(device, model, r, granule);
      IovaBitmap again = report(device, r, granule);
      assertEquals(0, again.cardinality(), () -> "second report of " + r);
    }
    device.stopDmaLogging();
    assertFalse(tracker.isLogging());
    DmaLoggingRange r = c.ranges().get(0);
    UapiException e = assertThrows(UapiException.class, () -> report(device, r, granule));
    assertEquals(Errno.EINVAL, e.errno(), "report after STOP");
    checkInvariants(driver);
  }

  private static IovaBitmap report(VfioDevice device, DmaLoggingRange r, long pageSize) {
    IovaBitmap got = IovaBitmap.allocate(r.iova(), r.length(), pageSize);
    device.reportDmaLogging(new DmaLoggingReport(r.iova(), r.length(), pageSize), got);
    return got;
  }

  private static void checkReport(
      VfioDevice device, ReferenceDirtyModel model, DmaLoggingRange r, long pageSize) {
    IovaBitmap got = report(device, r, pageSize);
    IovaBitmap expected = model.expectedBitmap(r.iova(), r.length(), pageSize);
    if (!Arrays.equals(expected.words(), got.words())) {
      long[] g = got.words();
      long[] m = expected.words();
      for (int i = 0; i < g.length; i++) {
        if (g[i] != m[i]) {
          long diff = g[i] ^ m[i];
          long page = r.iova() + (((long) i << 6) + Long.numberOfTrailingZeros(diff)) * pageSize;
          fail(
              "report of "
                  + r
                  + " at 0x"
                  + Long.toHexString(pageSize)
                  + ((m[i] & diff) != 0 ? " lost the written page 0x" : " reported the page 0x")
                  + Long.toHexString(page)
                  + "; model "
                  + model);
        }
      }
    }
    model.onHarvest(r.iova(), r.length());
  }

  private Property property(String name, int baseTries) {
    Property p = Property.named(getClass().getSimpleName() + ": " + name);
    return p.withTries(Math.max(1, baseTries * p.tries() / Property.DEFAULT_TRIES))
        .withMaxShrinks(MAX_SHRINKS);
  }
}
