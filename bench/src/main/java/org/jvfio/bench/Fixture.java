package org.jvfio.bench;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;

/**
 * Shared set-up of the benchmarks: a dirty-tracking domain of a registered driver with a range
 * mapped at one leaf size, and a way to dirty chosen leaves again through the hardware path.
 */
final class Fixture {
  static final long PAGE = 4096;
  static final long BASE_IOVA = 1L << 40;
  static final long BASE_PA = 1L << 44; // aligned to every leaf size used here

  /** Floor entries carry their dirty bit here (the x86 D position). */
  static final int FLOOR_SHIFT = 6;

  static final long FLOOR_DIRTY = 1L << FLOOR_SHIFT;

  private Fixture() {}

  /** Returns whether the running benchmark is a model (a floor needs no domain). */
  static boolean isModel(org.openjdk.jmh.infra.BenchmarkParams params) {
    return params.getBenchmark().endsWith("_model");
  }

  /**
   * Returns a new dirty-tracking domain of {@code driver} with {@code [BASE_IOVA, + length)} mapped
   * read-write at leaves of {@code leaf} bytes, tracking on and every leaf clean.
   */
  static IommuDomain mapped(String driver, long leaf, long length) {
    IommuDomain domain = IommuDriver.named(driver).allocateDomain(DomainConfig.DIRTY_TRACKING);
    // The physical address is aligned to the leaf size and to nothing larger (iommu_pgsize).
    long pa = BASE_PA + leaf;
    domain.map(BASE_IOVA, pa, length, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    long[] walked = domain.walk(BASE_IOVA);
    if (domain.translate(BASE_IOVA).orElseThrow().size() != leaf) {
      throw new IllegalStateException(
          driver
              + " did not map "
              + leaf
              + "-byte leaves: "
              + Arrays.stream(walked)
                  .mapToObj(Long::toHexString)
                  .collect(Collectors.joining(" ", "walk [", "]")));
    }
    domain.setDirtyTracking(true);
    clean(domain, length); // Arm maps writable leaves dirty: start clean everywhere
    return domain;
  }

  /**
   * Exercises every registered driver's domain (map at several leaf sizes, DMA writes, harvests,
   * split and collapse where supported, free) a few thousand times, so that the shared call sites
   * of the page-table engine, the harvest kernel and the DMA engine have seen every format before
   * the measurement starts, as in the simulator and the contract suites (issue 15, item 8). Runs in
   * set-up only.
   */
  static void loadEveryFormat() {
    long length = 8L << 20;
    GuestMemory memory = GuestMemory.create(BASE_PA, length + (2L << 20), 1);
    DmaEngine engine = new DmaEngine(List.of(memory), 16);
    for (int round = 0; round < 8; round++) {
      for (IommuDriver driver : IommuDriver.available()) {
        boolean tracks = driver.capabilities().contains(IommuCapability.DIRTY_TRACKING);
        IommuDomain d =
            driver.allocateDomain(tracks ? DomainConfig.DIRTY_TRACKING : DomainConfig.PLAIN);
        d.map(BASE_IOVA, BASE_PA, length / 2, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
        d.map(
            BASE_IOVA + length / 2,
            BASE_PA + length / 2 + PAGE,
            length / 2,
            IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
        if (tracks) {
          d.setDirtyTracking(true);
        }
        boolean splits = driver.capabilities().contains(IommuCapability.SPLIT_COLLAPSE);
        for (int pass = 0; pass < 4; pass++) {
          for (long off = 0; off < length; off += 16 * PAGE) {
            engine.write(0, d, BASE_IOVA + off, 64, DmaWriteListener.NONE);
          }
          if (tracks) {
            harvest(d, length, IovaBitmap.allocate(BASE_IOVA, length, PAGE));
          }
          if (splits) {
            d.split(BASE_IOVA, length / 2, PAGE);
            d.collapse(BASE_IOVA, length / 2);
          }
        }
        d.free();
      }
    }
  }

  /** Reads-and-clears the whole range without a bitmap and syncs, as enabling tracking does. */
  static void clean(IommuDomain domain, long length) {
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(BASE_IOVA, length, 0, IommuDirtyBitmap.gatherOnly(gather));
    domain.iotlbSync(gather);
    domain.iotlb().invalidateAll();
  }

  /**
   * One {@code IOMMU_HWPT_GET_DIRTY_BITMAP} as iommufd performs it on {@code [BASE_IOVA, +length)}:
   * the vendor's read-and-clear into {@code bitmap}, then the one IOTLB sync per call.
   */
  static void harvest(IommuDomain domain, long length, IovaBitmap bitmap) {
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(BASE_IOVA, length, 0, IommuDirtyBitmap.of(bitmap, gather));
    domain.iotlbSync(gather);
  }

  /** Sets the floor's dirty bit in the flat entries at {@code indexes}. */
  static void dirtyFloor(long[] entries, long[] indexes) {
    for (long i : indexes) {
      entries[(int) i] |= FLOOR_DIRTY;
    }
  }

  /**
   * Leaves to dirty again and again through {@link IommuDomain#setDirtyByHardware}: each is walked
   * once here, and each {@link #dirty()} replays the IOMMU's interlocked update on the walked slot
   * (what a DMA write through a freshly walked translation does), without walking again.
   */
  static final class Dirtier {
    private final IommuDomain domain;
    private final long leaf;
    private final long[] iovas;
    private final long[] slots;
    private final long[] entries;
    private final long[] physicals;

    Dirtier(IommuDomain domain, long leaf, long[] leafIndexes) {
      this.domain = domain;
      this.leaf = leaf;
      int n = leafIndexes.length;
      iovas = new long[n];
      slots = new long[n];
      entries = new long[n];
      physicals = new long[n];
      for (int i = 0; i < n; i++) {
        Translation t = domain.translate(BASE_IOVA + leafIndexes[i] * leaf).orElseThrow();
        iovas[i] = t.iova();
        slots[i] = t.slot();
        entries[i] = t.entry();
        physicals[i] = t.physical();
      }
    }

    void dirty() {
      for (int i = 0; i < iovas.length; i++) {
        Translation t =
            new Translation(iovas[i], leaf, physicals[i], true, true, false, slots[i], entries[i]);
        if (!domain.setDirtyByHardware(t)) {
          throw new IllegalStateException("leaf moved: 0x" + Long.toHexString(iovas[i]));
        }
      }
      domain.iotlb().invalidateAll();
    }
  }

  /**
   * Chooses dirty leaves among {@code leaves}: each leaf (scattered) or each run of 512 leaves
   * (clustered) is dirty with probability {@code percent}%, from a fixed seed.
   */
  static long[] chooseDirty(long leaves, int percent, boolean clustered) {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(7);
    int unit = clustered ? 512 : 1;
    long[] chosen = new long[(int) leaves];
    int n = 0;
    for (long first = 0; first < leaves; first += unit) {
      if (rnd.nextInt(100) < percent) {
        for (int j = 0; j < unit && first + j < leaves; j++) {
          chosen[n++] = first + j;
        }
      }
    }
    return java.util.Arrays.copyOf(chosen, n);
  }

  /**
   * The read-scan floor: an OR of every entry, which the JIT vectorises; the memory-read limit of
   * any walk over the same number of 8-byte entries.
   */
  static long readScanFloor(long[] entries) {
    long acc = 0;
    for (long e : entries) {
      acc |= e;
    }
    return acc;
  }

  /**
   * The read-and-clear floor: read every entry, OR its dirty bit into the bitmap word, write it
   * back clean; branch-free, the least work that touches the same number of 8-byte entries.
   */
  static long readAndClearFloor(long[] entries, long[] bits) {
    for (int w = 0; w < bits.length; w++) {
      long acc = 0;
      int base = w << 6;
      for (int i = 0; i < 64; i++) {
        long e = entries[base + i];
        acc |= ((e >>> FLOOR_SHIFT) & 1) << i;
        entries[base + i] = e & ~FLOOR_DIRTY;
      }
      bits[w] |= acc;
    }
    return bits[0];
  }
}
