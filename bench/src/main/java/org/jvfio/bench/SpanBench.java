package org.jvfio.bench;

import static org.jvfio.bench.Fixture.BASE_IOVA;
import static org.jvfio.bench.Fixture.BASE_PA;
import static org.jvfio.bench.Fixture.PAGE;

import java.util.concurrent.TimeUnit;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
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
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * Read-and-clear cost follows the mapped entries, not the span: 64 GiB mapped at 4 KiB leaves as 64
 * pieces of 1 GiB, one every 16 GiB, harvested as one 1 TiB range (15/16 of it holes) into a 4 KiB
 * bitmap of the whole span; the floor is the dense one over the same 16 Mi entries. Compare the
 * ratio with {@link ReadAndClearBench} at 1 % scattered.
 *
 * <p>Not for {@code smmuv3}: an Arm walk ends at the first hole with {@code EINVAL} ({@code
 * IommuCapability.HOLE_ABORTS_HARVEST}), so a range with holes cannot be harvested in one call.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class SpanBench {
  private static final long GIB = 1L << 30;
  private static final int PIECES = 64;
  private static final long STRIDE = 16 * GIB;
  private static final long SPAN = PIECES * STRIDE;

  /** The vendor model, by registered name. */
  @Param({"mock", "amd-v1", "intel-ss"})
  public String driver;

  /** Percent of leaves dirty (scattered) before each harvest. */
  @Param({"1"})
  public int dirtyPercent;

  private IommuDomain domain;
  private Fixture.Dirtier dirtier;
  private long[] dirtyPages;
  private long[] bitmapWords;
  private long[] flatEntries;
  private long[] flatBitmap;

  @Setup(Level.Trial)
  public void mapPieces(BenchmarkParams params) {
    Fixture.loadEveryFormat();
    long pages = PIECES * GIB / PAGE;
    dirtyPages = Fixture.chooseDirty(pages, dirtyPercent, false);
    flatEntries = new long[(int) pages];
    flatBitmap = new long[(int) (pages / 64)];
    if (!Fixture.isModel(params)) {
      return;
    }
    domain = IommuDriver.named(driver).allocateDomain(DomainConfig.DIRTY_TRACKING);
    for (int p = 0; p < PIECES; p++) {
      domain.map(
          BASE_IOVA + p * STRIDE,
          BASE_PA + PAGE + p * GIB,
          GIB,
          IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    }
    domain.setDirtyTracking(true);
    // Leaf index n lives in piece n / 2^18: express it as a leaf index of the whole span.
    long[] spanIndexes = new long[dirtyPages.length];
    for (int i = 0; i < spanIndexes.length; i++) {
      long n = dirtyPages[i];
      spanIndexes[i] = (n >>> 18) * (STRIDE / PAGE) + (n & ((1 << 18) - 1));
    }
    dirtier = new Fixture.Dirtier(domain, PAGE, spanIndexes);
    bitmapWords = new long[(int) IovaBitmap.wordCount(SPAN, PAGE)];
  }

  @Setup(Level.Iteration)
  public void dirty() {
    if (dirtier != null) {
      dirtier.dirty();
    }
    Fixture.dirtyFloor(flatEntries, dirtyPages);
  }

  /** Model: one read-and-clear of the whole 1 TiB span, then the IOTLB sync. */
  @Benchmark
  public long span_model(CpuTime cpu) {
    cpu.start();
    IovaBitmap bitmap = IovaBitmap.wrap(BASE_IOVA, SPAN, PAGE, bitmapWords);
    Fixture.harvest(domain, SPAN, bitmap);
    long result = bitmapWords[0];
    cpu.stop(1);
    return result;
  }

  /** Floor: the read-only scan of the 16 Mi mapped entries (the memory-read limit). */
  @Benchmark
  public long span_floorReadScan(CpuTime cpu) {
    cpu.start();
    long result = Fixture.readScanFloor(flatEntries);
    cpu.stop(1);
    return result;
  }

  /** Floor: the dense read-and-clear floor over the 16 Mi mapped entries. */
  @Benchmark
  public long span_floor(CpuTime cpu) {
    cpu.start();
    long result = Fixture.readAndClearFloor(flatEntries, flatBitmap);
    cpu.stop(1);
    return result;
  }
}
