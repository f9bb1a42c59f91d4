package org.jvfio.testkit.contract;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.pt.PageTable;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.PrecopyInfo;
import org.jvfio.core.vfio.VfioDeviceDriver;
import org.jvfio.testkit.fake.FakeVfioDeviceDriver;

/**
 * Deliberately broken implementations and the contracts over them, for {@link BrokenTwinsTest}.
 * Kept out of the test class so that JUnit does not discover the contract subclasses by themselves.
 */
final class BrokenTwins {
  private BrokenTwins() {}

  /** A domain that forwards everything to a correct one. */
  static class DelegatingDomain implements IommuDomain {
    final IommuDomain delegate;
    final IommuDriver driver;

    DelegatingDomain(IommuDomain delegate, IommuDriver driver) {
      this.delegate = delegate;
      this.driver = driver;
    }

    @Override
    public IommuDriver driver() {
      return driver;
    }

    @Override
    public DomainConfig config() {
      return delegate.config();
    }

    @Override
    public long pageSizeBitmap() {
      return delegate.pageSizeBitmap();
    }

    @Override
    public void map(long iova, long physical, long size, int prot) {
      delegate.map(iova, physical, size, prot);
    }

    @Override
    public long unmap(long iova, long size) {
      return delegate.unmap(iova, size);
    }

    @Override
    public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
      return delegate.unmapReadingDirty(iova, size, dirty);
    }

    @Override
    public void free() {
      delegate.free();
    }

    @Override
    public long apertureEnd() {
      return delegate.apertureEnd();
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
      return delegate.iovaToPhys(iova);
    }

    @Override
    public boolean hasDirtyOps() {
      return delegate.hasDirtyOps();
    }

    @Override
    public void setDirtyTracking(boolean enable) {
      delegate.setDirtyTracking(enable);
    }

    @Override
    public boolean isDirtyTracking() {
      return delegate.isDirtyTracking();
    }

    @Override
    public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
      delegate.readAndClearDirty(iova, size, flags, dirty);
    }

    @Override
    public void split(long iova, long length, long pageSize) {
      delegate.split(iova, length, pageSize);
    }

    @Override
    public void collapse(long iova, long length) {
      delegate.collapse(iova, length);
    }

    @Override
    public long[] walk(long iova) {
      return delegate.walk(iova);
    }

    @Override
    public String describeEntry(long entry, int level) {
      return delegate.describeEntry(entry, level);
    }

    @Override
    public Iotlb iotlb() {
      return delegate.iotlb();
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
      delegate.iotlbSync(gather);
    }

    @Override
    public PageTableMemory memory() {
      return delegate.memory();
    }

    @Override
    public Optional<Translation> translate(long iova) {
      return delegate.translate(iova);
    }

    @Override
    public boolean setDirtyByHardware(Translation t) {
      return delegate.setDirtyByHardware(t);
    }
  }

  /** A driver whose domains are the mock's, wrapped by {@code breaker}. */
  static IommuDriver broken(
      String name, BiFunction<IommuDomain, IommuDriver, IommuDomain> breaker) {
    return broken(name, breaker, Set.of());
  }

  /**
   * A driver whose domains are the mock's, wrapped by {@code breaker}, claiming {@code extra}
   * capabilities besides the mock's.
   */
  static IommuDriver broken(
      String name,
      BiFunction<IommuDomain, IommuDriver, IommuDomain> breaker,
      Set<IommuCapability> extra) {
    return broken(name, MockIommuDriver.create(), breaker, extra);
  }

  /** As {@link #broken(String, BiFunction, Set)} over the domains of {@code mock}. */
  static IommuDriver broken(
      String name,
      IommuDriver mock,
      BiFunction<IommuDomain, IommuDriver, IommuDomain> breaker,
      Set<IommuCapability> extra) {
    EnumSet<IommuCapability> caps = EnumSet.copyOf(mock.capabilities());
    caps.addAll(extra);
    Set<IommuCapability> capabilities = Set.copyOf(caps);
    return new IommuDriver() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Set<IommuCapability> capabilities() {
        return capabilities;
      }

      @Override
      public long pageSizeBitmap() {
        return mock.pageSizeBitmap();
      }

      @Override
      public IommuDomain allocateDomain(DomainConfig config) {
        return breaker.apply(mock.allocateDomain(config), this);
      }
    };
  }

  /**
   * Drops the dirty record of the last 4 KiB of every 2 MiB table (entry 511): the leaf is cleared
   * but never reported, as a walk with an off-by-one end would.
   */
  static final class DropsLastEntryOfTable extends DelegatingDomain {
    DropsLastEntryOfTable(IommuDomain delegate, IommuDriver driver) {
      super(delegate, driver);
    }

    @Override
    public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
      IovaBitmap all = IovaBitmap.allocate(iova, size, 4096);
      IotlbGather gather = new IotlbGather();
      delegate.readAndClearDirty(iova, size, flags, IommuDirtyBitmap.of(all, gather));
      all.forEachDirty(
          page -> {
            if (((page >>> 12) & 511) != 511) {
              dirty.record(page, 4096);
            }
          });
      if (!gather.isEmpty()) {
        dirty.gather().addRange(gather.start(), gather.end() - gather.start() + 1);
      }
    }
  }

  /** Forgets the IOTLB invalidation after clearing: iotlbSync does nothing. */
  static final class ForgetsInvalidation extends DelegatingDomain {
    ForgetsInvalidation(IommuDomain delegate, IommuDriver driver) {
      super(delegate, driver);
    }

    @Override
    public void iotlbSync(IotlbGather gather) {}
  }

  /**
   * Unmaps reading dirty as the {@link IommuDomain} default does: a {@code NO_CLEAR} read, then an
   * unmap. A write that dirties a leaf between the two is lost.
   */
  static final class ReadsThenUnmaps extends DelegatingDomain {
    ReadsThenUnmaps(IommuDomain delegate, IommuDriver driver) {
      super(delegate, driver);
    }

    @Override
    public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
      delegate.readAndClearDirty(iova, size, Iommufd.IOMMU_DIRTY_NO_CLEAR, dirty);
      return delegate.unmap(iova, size);
    }
  }

  /**
   * Unmaps every leaf that starts in the range, stepping over holes and over a start inside a leaf,
   * as the mock once did and as legacy drivers' clear loops did.
   */
  static final class SkipsHoles extends DelegatingDomain {
    SkipsHoles(IommuDomain delegate, IommuDriver driver) {
      super(delegate, driver);
    }

    @Override
    public long unmap(long iova, long size) {
      long total = 0;
      long end = iova + size;
      for (long cur = iova; Long.compareUnsigned(cur, end) < 0; ) {
        long got = delegate.unmap(cur, end - cur);
        total += got;
        cur += got != 0 ? got : 4096;
      }
      return total;
    }
  }

  /** Splits every leaf to the smallest page size, whatever size it was asked for. */
  static final class SplitsToTheSmallest extends DelegatingDomain {
    SplitsToTheSmallest(IommuDomain delegate, IommuDriver driver) {
      super(delegate, driver);
    }

    @Override
    public void split(long iova, long length, long pageSize) {
      delegate.split(iova, length, Long.lowestOneBit(delegate.pageSizeBitmap()));
    }
  }

  /** Frees nothing: the domain's table frames stay allocated. */
  static final class LeaksOnFree extends DelegatingDomain {
    LeaksOnFree(IommuDomain delegate, IommuDriver driver) {
      super(delegate, driver);
    }

    @Override
    public void free() {}
  }

  /** The contract over {@code driver}; anonymous, so that JUnit does not run it by itself. */
  static IommuDomainContract domainContract(IommuDriver driver) {
    return new IommuDomainContract() {
      @Override
      protected IommuDriver driver() {
        return driver;
      }
    };
  }

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

  /** The contract over the lossy driver; anonymous, so that JUnit does not run it by itself. */
  static VfioDeviceContract lossyContract() {
    return new VfioDeviceContract() {
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
    };
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

  /** The fake with an mlx5-like tracker that misses writes, as an anonymous contract. */
  static VfioDeviceContract lossyLogContract() {
    return new FakeDriverMlx5ContractTest() {
      @Override
      protected VfioDeviceDriver newDriver(long seed) {
        return FakeVfioDeviceDriver.builder()
            .flags(FLAGS)
            .seed(seed)
            .tracker(new MissesWrites(DmaTracker.mlx5Like(2, 12, 16, 12, 40)))
            .build();
      }
    };
  }

  /**
   * The format contract over {@link ContiguousFormatContractTest#format4k} with the read-and-clear
   * {@code harvester}.
   */
  static final class ContiguousFormatContract extends PtFormatContract {
    private final Harvester harvester;

    ContiguousFormatContract(Harvester harvester) {
      this.harvester = harvester;
    }

    @Override
    protected PtFormat format() {
      return ContiguousFormatContractTest.format4k();
    }

    @Override
    protected long expectedPageSizes() {
      return ContiguousFormatContractTest.PAGE_SIZES;
    }

    @Override
    protected Harvester harvester() {
      return harvester;
    }
  }

  /**
   * A read-and-clear that takes each leaf's dirty state from the first entry of its run only, as a
   * format whose {@code pt_entry_is_write_dirty} ignored the other entries of a contiguous entry
   * would: a dirty update landing on another entry is never reported. A dirty leaf is recorded and,
   * if clearing, cleaned through the engine.
   */
  static void readsFirstEntryOfRunOnly(
      PageTable table, long iova, long size, boolean clear, IommuDirtyBitmap dirty) {
    PtFormat f = table.format();
    long end = iova + size;
    for (long va = iova; Long.compareUnsigned(va, end) < 0; ) {
      long[] words = table.walk(va);
      if (words.length == 0) {
        return;
      }
      int level = table.topLevel() + 1 - words.length;
      long e = words[words.length - 1];
      if (!f.isLeaf(e, level)) {
        va = (va | ((1L << f.shift(level)) - 1)) + 1;
        continue;
      }
      long start = va & -f.leafSize(e, level);
      long next = start + f.leafSize(e, level);
      long[] head = table.walk(start);
      if (f.isDirty(head[head.length - 1])) {
        dirty.record(va, Math.min(next, end) - va);
        if (clear) {
          table.readAndClearDirty(
              start, next - start, true, IommuDirtyBitmap.gatherOnly(new IotlbGather()));
        }
      }
      va = next;
    }
  }
}
