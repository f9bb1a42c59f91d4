package org.jvfio.testkit.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.testkit.contract.ContractRunner.Outcome.FAILED;
import static org.jvfio.testkit.contract.ContractRunner.Outcome.PASSED;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.PrecopyInfo;
import org.jvfio.core.vfio.VfioDeviceDriver;
import org.jvfio.testkit.contract.ContractRunner.Outcome;
import org.jvfio.testkit.fake.FakeVfioDeviceDriver;

/** The device contract must fail for deliberately broken drivers. */
class BrokenDeviceTwinsTest {
  static final Set<MigrationFlag> STOP_COPY_ONLY = EnumSet.of(MigrationFlag.STOP_COPY);

  /**
   * A driver that streams its raw state and, on RESUMING→STOP, loads all of it but the last 4 KiB
   * chunk: a device that loses a chunk of its state.
   */
  static final class LosesLastChunk implements VfioDeviceDriver {
    byte[] state;
    ByteBuffer saving;
    byte[] resumed = new byte[0];

    LosesLastChunk(long seed) {
      state = new byte[12_000];
      new SplittableRandom(seed).nextBytes(state);
    }

    @Override
    public Set<MigrationFlag> migrationFlags() {
      return STOP_COPY_ONLY;
    }

    @Override
    public void executeArc(MigrationArc arc) {
      if (arc.from() == MigrationState.RESUMING) {
        int keep = Math.max(0, Math.min(resumed.length, state.length) - 4096);
        System.arraycopy(resumed, 0, state, 0, keep);
      }
      if (arc.to() == MigrationState.STOP_COPY) {
        saving = ByteBuffer.wrap(state.clone());
      }
      if (arc.to() == MigrationState.RESUMING) {
        resumed = new byte[0];
      }
    }

    @Override
    public int save(ByteBuffer dst) {
      int n = Math.min(dst.remaining(), saving.remaining());
      dst.put(saving.array(), saving.position(), n);
      saving.position(saving.position() + n);
      return n;
    }

    @Override
    public PrecopyInfo precopyInfo() {
      throw new UnsupportedOperationException();
    }

    @Override
    public void resume(ByteBuffer src) {
      int old = resumed.length;
      resumed = Arrays.copyOf(resumed, old + src.remaining());
      src.get(resumed, old, src.remaining());
    }

    @Override
    public long stopCopyLength() {
      return state.length;
    }

    @Override
    public void reset() {}

    @Override
    public Optional<DmaTracker> dmaTracker() {
      return Optional.empty();
    }
  }

  static final class LossyContract extends VfioDeviceContract {
    @Override
    protected VfioDeviceDriver newDriver(long seed) {
      return new LosesLastChunk(seed);
    }

    @Override
    protected Set<MigrationFlag> expectedMigrationFlags() {
      return STOP_COPY_ONLY;
    }

    @Override
    protected byte[] deviceState(VfioDeviceDriver driver) {
      return ((LosesLastChunk) driver).state.clone();
    }
  }

  /** A tracker that misses writes to the last 4 KiB of every 64 KiB: a lossy DMA log. */
  static final class MissesWrites implements DmaTracker {
    final DmaTracker delegate;

    MissesWrites(DmaTracker delegate) {
      this.delegate = delegate;
    }

    @Override
    public void recordWrite(long iova, long length) {
      for (long p = iova & -4096; Long.compareUnsigned(p, iova + length - 1) <= 0; p += 4096) {
        if (((p >>> 12) & 15) != 15) {
          long from = Math.max(p, iova);
          delegate.recordWrite(from, Math.min(p + 4096, iova + length) - from);
        }
      }
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
    public void readAndClear(long iova, long length, IovaBitmap dirty) {
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
  }

  /** The fake with an mlx5-like tracker that misses writes. */
  static final class LossyLogContract extends FakeDriverContractTest.Mlx5Like {
    @Override
    protected VfioDeviceDriver newDriver(long seed) {
      return FakeVfioDeviceDriver.builder()
          .flags(FLAGS)
          .seed(seed)
          .tracker(new MissesWrites(DmaTracker.mlx5Like(2, 12, 16, 12, 40)))
          .build();
    }
  }

  @Test
  void contract_failsForDeviceLosingAChunkOfItsState() throws Exception {
    Map<String, Outcome> outcomes = ContractRunner.run(new LossyContract());
    assertEquals(FAILED, outcomes.get("saveResume_roundTripYieldsEqualState"), outcomes::toString);
    assertEquals(
        PASSED,
        outcomes.get("setState_followsFsmPathsAndRefusalsChangeNothing"),
        outcomes::toString);
  }

  @Test
  void contract_failsForTrackerMissingWrites() throws Exception {
    Map<String, Outcome> outcomes = ContractRunner.run(new LossyLogContract());
    assertEquals(
        FAILED,
        outcomes.get("dmaLogging_reportsExactlyTheGranulesWrittenSinceTheLastReport"),
        outcomes::toString);
    assertEquals(PASSED, outcomes.get("saveResume_roundTripYieldsEqualState"), outcomes::toString);
  }
}
