package org.jvfio.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Read-and-clear of a fully mapped range at 4 KiB leaves ({@code read_and_clear_dirty} into a 4 KiB
 * iova bitmap) against its floor: a branch-free read-and-clear of a flat {@code long[]} holding as
 * many entries as the table has leaves, ORing each entry's dirty bit into a bitmap of the same
 * size.
 *
 * <p>One operation harvests the whole range once; before each, the same fraction of leaves is
 * dirtied again (through the hardware path for the model, by setting the bit for the floor), in a
 * setup that is not measured. Dirty leaves are scattered (uniform) or clustered (runs of 512).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, batchSize = 1)
@Measurement(iterations = 8, batchSize = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class ReadAndClearBench {
  private static final long PAGE = 4096;
  private static final long BASE_IOVA = 1L << 40;
  private static final long BASE_PA = 0x1000_0000_0000L;

  /** The vendor model, by registered name. */
  @Param({"mock"})
  public String driver;

  /** GiB of IOVA mapped at 4 KiB leaves (64 GiB = 16 Mi leaves). */
  @Param({"64"})
  public int gib;

  /** Percent of leaves dirty before each harvest. */
  @Param({"0", "1", "50", "100"})
  public int dirtyPercent;

  /** Whether dirty leaves come in runs of 512 (clustered) rather than scattered uniformly. */
  @Param({"false", "true"})
  public boolean clustered;

  private IommuDomain domain;
  private long length;
  private long[] dirtyPages;
  private long[] bitmapWords;
  private long[] flatEntries;
  private long[] flatBitmap;

  @Setup(Level.Trial)
  public void mapRange() {
    length = (long) gib << 30;
    domain = IommuDriver.named(driver).allocateDomain(DomainConfig.DIRTY_TRACKING);
    // A physical address 4 KiB off any larger alignment forces 4 KiB leaves everywhere.
    domain.map(BASE_IOVA, BASE_PA + PAGE, length, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    domain.setDirtyTracking(true);
    long pages = length / PAGE;
    // Each leaf (scattered) or each run of 512 leaves (clustered) is dirty with the given
    // probability: no duplicates, and the fraction is what the parameter says.
    SplittableRandom rnd = new SplittableRandom(7);
    int unit = clustered ? 512 : 1;
    long[] chosen = new long[(int) pages];
    int n = 0;
    for (long first = 0; first < pages; first += unit) {
      if (rnd.nextInt(100) < dirtyPercent) {
        for (int j = 0; j < unit; j++) {
          chosen[n++] = first + j;
        }
      }
    }
    dirtyPages = java.util.Arrays.copyOf(chosen, n);
    bitmapWords = new long[(int) IovaBitmap.wordCount(length, PAGE)];
    flatEntries = new long[(int) pages];
    flatBitmap = new long[bitmapWords.length];
  }

  @Setup(Level.Iteration)
  public void dirty() {
    for (long page : dirtyPages) {
      long iova = BASE_IOVA + page * PAGE;
      Translation t = domain.translate(iova).orElseThrow();
      domain.setDirtyByHardware(t);
      flatEntries[(int) page] |= FLOOR_DIRTY;
    }
    domain.iotlb().invalidateAll();
  }

  /** Model: the vendor's read-and-clear, then the one IOTLB sync iommufd issues per call. */
  @Benchmark
  public long harvest_model() {
    IovaBitmap bitmap = IovaBitmap.wrap(BASE_IOVA, length, PAGE, bitmapWords);
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(BASE_IOVA, length, 0, IommuDirtyBitmap.of(bitmap, gather));
    domain.iotlbSync(gather);
    return bitmapWords[0];
  }

  private static final int FLOOR_SHIFT = 6;
  private static final long FLOOR_DIRTY = 1L << FLOOR_SHIFT;

  /**
   * Floor: read every entry, OR its dirty bit into the bitmap, write it back clean; branch-free,
   * the least work that touches the same number of 8-byte entries.
   */
  @Benchmark
  public long harvest_floor() {
    long[] entries = flatEntries;
    long[] bits = flatBitmap;
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
