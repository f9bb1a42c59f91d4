package org.jvfio.testkit.fake;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.PrecopyInfo;
import org.jvfio.core.vfio.ReferenceMigrationDriver;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * A configurable fake VFIO variant driver for tests of VMMs and of jvfio itself: the migration ops
 * and DMA-logging tracker of a device whose state is a seeded byte array, with a chosen pre-copy
 * behaviour and injected failures.
 *
 * <pre>{@code
 * FakeVfioDeviceDriver driver = FakeVfioDeviceDriver.builder()
 *     .flags(EnumSet.of(STOP_COPY, P2P, PRE_COPY))
 *     .stateSize(256 << 10).chunksDirtiedPerMutate(4)
 *     .tracker(DmaTracker.mlx5Like(4, 12, 21, 12, 40))
 *     .failArc(new MigrationArc(STOP, STOP_COPY), Errno.EIO, MigrationState.ERROR)
 *     .build();
 * VfioDevice device = VfioDevice.create(driver);
 * }</pre>
 *
 * <p>The migration data path is core's {@link ReferenceMigrationDriver} (its stream format, its
 * validation on RESUMING→STOP), so a round trip through this fake is byte-exact. Pre-copy
 * behaviour: the whole state is the initial data; {@link #mutate()} changes {@code
 * chunksDirtiedPerMutate} random chunks, as a running device would, and chunks already streamed
 * become dirty data. Failures: {@link Builder#failArc} makes the next execution of an arc fail with
 * an errno and leaves the device where it says; {@link Builder#failReport} puts the tracker into
 * its error state just before the n-th report, which then fails with {@code EIO}.
 *
 * <p>The fake also checks how it is used: {@link #checkInvariants()} fails if an arc did not start
 * where the previous one ended, if the state changed while the device was stopped, or if a data
 * method was called outside its session's states. It records the arcs it executed ({@link
 * #arcs()}). Thread-safe: every method is synchronized.
 */
public final class FakeVfioDeviceDriver implements VfioDeviceDriver {
  private final ReferenceMigrationDriver inner;
  private final int chunkSize;
  private final int chunksPerMutate;
  private final Map<MigrationArc, Failure> failures;
  private final Optional<DmaTracker> tracker;
  private final SplittableRandom random;
  private final List<MigrationArc> arcs = new ArrayList<>();
  private MigrationState state = MigrationState.RUNNING;
  private Failure lastFailure;
  private byte[] frozen;
  private String violation;

  private record Failure(Errno errno, MigrationState after) {}

  private FakeVfioDeviceDriver(Builder b) {
    SplittableRandom seeded = new SplittableRandom(b.seed);
    byte[] bytes = new byte[b.stateSize];
    seeded.nextBytes(bytes);
    this.random = seeded.split();
    this.chunkSize = b.chunkSize;
    this.chunksPerMutate = b.chunksPerMutate;
    this.failures = new HashMap<>(b.failures);
    this.tracker = b.tracker.map(t -> b.failReport > 0 ? new FailingTracker(t, b.failReport) : t);
    this.inner = ReferenceMigrationDriver.create(b.flags, bytes, b.chunkSize, this.tracker);
  }

  /**
   * Returns a builder with the defaults: see the setters of {@link Builder}.
   *
   * @return a builder with the defaults: see the setters of {@link Builder}
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Configures a {@link FakeVfioDeviceDriver}. Not thread-safe. */
  public static final class Builder {
    private Set<MigrationFlag> flags =
        EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.P2P, MigrationFlag.PRE_COPY);
    private int stateSize = 64 << 10;
    private int chunkSize = ReferenceMigrationDriver.DEFAULT_CHUNK_SIZE;
    private int chunksPerMutate = 1;
    private long seed;
    private Optional<DmaTracker> tracker = Optional.empty();
    private final Map<MigrationArc, Failure> failures = new HashMap<>();
    private int failReport;

    private Builder() {}

    /**
     * Sets the migration flags (default STOP_COPY, P2P, PRE_COPY).
     *
     * @param flags the migration flags the device reports
     * @return this builder
     * @throws IllegalArgumentException if they lack STOP_COPY
     */
    public Builder flags(Set<MigrationFlag> flags) {
      if (!flags.contains(MigrationFlag.STOP_COPY)) {
        throw new IllegalArgumentException("flags " + flags + " lack STOP_COPY");
      }
      this.flags = EnumSet.copyOf(flags);
      return this;
    }

    /**
     * Sets the size of the device state in bytes (default 64 KiB): the initial pre-copy data.
     *
     * @param bytes the size in bytes
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder stateSize(int bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("state size " + bytes);
      }
      this.stateSize = bytes;
      return this;
    }

    /**
     * Sets the chunk size of the stream (default 4 KiB): the unit of dirty data.
     *
     * @param bytes the size in bytes
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder chunkSize(int bytes) {
      if (bytes <= 0) {
        throw new IllegalArgumentException("chunk size " + bytes);
      }
      this.chunkSize = bytes;
      return this;
    }

    /**
     * Sets how many random chunks one {@link #mutate()} rewrites (default 1): the dirtying rate.
     *
     * @param chunks the number of chunks
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder chunksDirtiedPerMutate(int chunks) {
      if (chunks < 0) {
        throw new IllegalArgumentException("chunks " + chunks);
      }
      this.chunksPerMutate = chunks;
      return this;
    }

    /**
     * Sets the seed of the initial state and of {@link #mutate()} (default 0).
     *
     * @param seed the seed of the random choices
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Gives the device a DMA-logging tracker (default none), e.g. {@link DmaTracker#exact()},
     * {@link DmaTracker#mlx5Like}, {@link DmaTracker#pdsLike()}.
     *
     * @param tracker the device's DMA-logging tracker, or none
     * @return this builder
     */
    public Builder tracker(DmaTracker tracker) {
      this.tracker = Optional.of(tracker);
      return this;
    }

    /**
     * Makes the next execution of {@code arc} fail with {@code errno}, leaving the device in {@code
     * after}; later executions succeed.
     *
     * @param arc the arc that fails
     * @param errno the errno the execution fails with
     * @param after the state the device is left in
     * @return this builder
     * @throws IllegalArgumentException unless {@code after} is {@code arc.from()} or ERROR (the
     *     states the uAPI allows after a failed arc)
     */
    public Builder failArc(MigrationArc arc, Errno errno, MigrationState after) {
      if (after != arc.from() && after != MigrationState.ERROR) {
        throw new IllegalArgumentException(
            "after a failed "
                + arc
                + " the device is in "
                + arc.from()
                + " or ERROR, not "
                + after);
      }
      failures.put(arc, new Failure(Objects.requireNonNull(errno, "errno"), after));
      return this;
    }

    /**
     * Makes the tracker fail just before its {@code n}-th report since the driver was built: that
     * report and every later one fail with {@code EIO} until logging is stopped.
     *
     * @param n the first report that fails, counting from 1
     * @return this builder
     * @throws IllegalArgumentException if {@code n < 1}
     */
    public Builder failReport(int n) {
      if (n < 1) {
        throw new IllegalArgumentException("n " + n);
      }
      this.failReport = n;
      return this;
    }

    /**
     * Builds the driver.
     *
     * @return the driver
     * @throws IllegalStateException if a report failure is configured without a tracker
     */
    public FakeVfioDeviceDriver build() {
      if (failReport > 0 && tracker.isEmpty()) {
        throw new IllegalStateException("failReport without a tracker");
      }
      return new FakeVfioDeviceDriver(this);
    }
  }

  // --- the device's view ----------------------------------------------------------------------

  /**
   * Returns a copy of the device state.
   *
   * @return a copy of the device state
   */
  public synchronized byte[] deviceState() {
    return inner.deviceState();
  }

  /**
   * Rewrites {@code chunksDirtiedPerMutate} random chunks of the state with random bytes, as the
   * running device does.
   *
   * @throws IllegalStateException if the device is not running (STOP, STOP_COPY, RESUMING, ERROR)
   */
  public synchronized void mutate() {
    int size = inner.deviceState().length;
    if (size == 0) {
      return;
    }
    for (int i = 0; i < chunksPerMutate; i++) {
      int offset = random.nextInt((size + chunkSize - 1) / chunkSize) * chunkSize;
      byte[] data = new byte[Math.min(chunkSize, size - offset)];
      random.nextBytes(data);
      inner.writeState(offset, data);
    }
  }

  /**
   * Returns the arcs this driver executed (successfully or not), in order.
   *
   * @return the arcs this driver executed (successfully or not), in order
   */
  public synchronized List<MigrationArc> arcs() {
    return List.copyOf(arcs);
  }

  /**
   * Returns the migration state this driver believes the device is in.
   *
   * @return the migration state this driver believes the device is in
   */
  public synchronized MigrationState state() {
    return state;
  }

  /**
   * Checks that the driver was used as the uAPI says: each arc started where the previous one (or a
   * failure, or a reset) left the device; the state did not change while stopped; data moved only
   * in its session's states.
   *
   * @throws AssertionError naming the first violation
   */
  public synchronized void checkInvariants() {
    if (violation != null) {
      throw new AssertionError(violation);
    }
    if (frozen != null && !Arrays.equals(frozen, inner.deviceState())) {
      throw new AssertionError("device state changed in " + state);
    }
  }

  private void violated(String what) {
    if (violation == null) {
      violation = what;
    }
  }

  private void enter(MigrationState s) {
    state = s;
    boolean running =
        s == MigrationState.RUNNING
            || s == MigrationState.RUNNING_P2P
            || s == MigrationState.PRE_COPY
            || s == MigrationState.PRE_COPY_P2P;
    frozen = running ? null : inner.deviceState();
  }

  // --- VfioDeviceDriver -----------------------------------------------------------------------

  @Override
  public Set<MigrationFlag> migrationFlags() {
    return inner.migrationFlags();
  }

  @Override
  public synchronized void executeArc(MigrationArc arc) {
    arcs.add(arc);
    if (arc.from() != state) {
      violated("arc " + arc + " executed in " + state);
    }
    lastFailure = failures.remove(arc);
    if (lastFailure != null) {
      throw new UapiException(lastFailure.errno(), "injected failure of " + arc);
    }
    try {
      inner.executeArc(arc);
    } catch (UapiException e) {
      lastFailure = null;
      throw e;
    }
    enter(arc.to());
  }

  @Override
  public synchronized MigrationState stateAfterFailedArc(MigrationArc arc, UapiException failure) {
    MigrationState after =
        lastFailure != null ? lastFailure.after() : inner.stateAfterFailedArc(arc, failure);
    lastFailure = null;
    enter(after);
    return after;
  }

  @Override
  public synchronized int save(ByteBuffer dst) {
    if (!state.isSaving()) {
      violated("save in " + state);
    }
    return inner.save(dst);
  }

  @Override
  public synchronized PrecopyInfo precopyInfo() {
    if (state != MigrationState.PRE_COPY && state != MigrationState.PRE_COPY_P2P) {
      violated("precopyInfo in " + state);
    }
    return inner.precopyInfo();
  }

  @Override
  public synchronized void resume(ByteBuffer src) {
    if (state != MigrationState.RESUMING) {
      violated("resume in " + state);
    }
    inner.resume(src);
  }

  @Override
  public synchronized long stopCopyLength() {
    return inner.stopCopyLength();
  }

  @Override
  public synchronized void reset() {
    inner.reset();
    lastFailure = null;
    enter(MigrationState.RUNNING);
  }

  @Override
  public Optional<DmaTracker> dmaTracker() {
    return tracker;
  }

  @Override
  public synchronized String toString() {
    return "FakeVfioDeviceDriver[" + inner + ", failures=" + failures.keySet() + "]";
  }

  /*
   * A tracker that fails just before its n-th report: delegates everything and calls fail() on the
   * delegate first, so that the delegate's own error state (EIO until stopped) is what users see.
   */
  private static final class FailingTracker implements DmaTracker {
    private final DmaTracker delegate;
    private final int failAt;
    private int reports;

    FailingTracker(DmaTracker delegate, int failAt) {
      this.delegate = delegate;
      this.failAt = failAt;
    }

    @Override
    public DmaLoggingControl start(DmaLoggingControl requested) {
      return delegate.start(requested);
    }

    @Override
    public void stop() {
      delegate.stop();
    }

    @Override
    public synchronized void readAndClear(long iova, long length, IovaBitmap dirty) {
      if (++reports == failAt) {
        delegate.fail();
      }
      delegate.readAndClear(iova, length, dirty);
    }

    @Override
    public boolean isLogging() {
      return delegate.isLogging();
    }

    @Override
    public long pageSize() {
      return delegate.pageSize();
    }

    @Override
    public List<DmaLoggingRange> effectiveRanges() {
      return delegate.effectiveRanges();
    }

    @Override
    public void fail() {
      delegate.fail();
    }

    @Override
    public boolean isFailed() {
      return delegate.isFailed();
    }

    @Override
    public void recordWrite(long iova, long length) {
      delegate.recordWrite(iova, length);
    }
  }
}
