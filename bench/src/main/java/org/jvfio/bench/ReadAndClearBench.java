package org.jvfio.bench;

import static org.jvfio.bench.Fixture.BASE_IOVA;
import static org.jvfio.bench.Fixture.PAGE;

import java.util.concurrent.TimeUnit;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.spi.IommuDomain;
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
 * Read-and-clear of a fully mapped range at 4 KiB leaves ({@code read_and_clear_dirty} into a 4 KiB
 * iova bitmap, then the one IOTLB sync iommufd issues) against two floors over a flat {@code
 * long[]} holding as many entries as the table has leaves: the read-only scan (an OR-reduction the
 * JIT vectorises, the memory-read limit: the floor of a harvest that finds little dirty), and a
 * branch-free read-and-clear that writes every entry back and ORs its dirty bit into a bitmap of
 * the same size (the floor of a harvest that finds much dirty). Every registered format is
 * exercised first ({@link Fixture#loadEveryFormat}), as in a JVM that runs several vendors.
 *
 * <p>One operation harvests the whole range once; before each, the same leaves are dirtied again
 * (through the hardware's interlocked update for the model, by setting the bit for the floor), in a
 * setup that is not measured. Dirty leaves are scattered (uniform) or clustered (runs of 512).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms4g", "-Xmx4g"})
public class ReadAndClearBench {
  /** The vendor model, by registered name. */
  @Param({"mock", "amd-v1", "intel-ss", "smmuv3"})
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
  private Fixture.Dirtier dirtier;
  private long[] dirtyPages;
  private long[] bitmapWords;
  private long[] flatEntries;
  private long[] flatBitmap;

  @Setup(Level.Trial)
  public void mapRange(BenchmarkParams params) {
    Fixture.loadEveryFormat();
    length = (long) gib << 30;
    dirtyPages = Fixture.chooseDirty(length / PAGE, dirtyPercent, clustered);
    if (Fixture.isModel(params)) {
      domain = Fixture.mapped(driver, PAGE, length);
      dirtier = new Fixture.Dirtier(domain, PAGE, dirtyPages);
    }
    bitmapWords = new long[(int) IovaBitmap.wordCount(length, PAGE)];
    flatEntries = new long[(int) (length / PAGE)];
    flatBitmap = new long[bitmapWords.length];
  }

  @Setup(Level.Iteration)
  public void dirty() {
    if (dirtier != null) {
      dirtier.dirty();
    }
    Fixture.dirtyFloor(flatEntries, dirtyPages);
  }

  /** Model: the vendor's read-and-clear, then the one IOTLB sync iommufd issues per call. */
  @Benchmark
  public long harvest_model(CpuTime cpu) {
    cpu.start();
    IovaBitmap bitmap = IovaBitmap.wrap(BASE_IOVA, length, PAGE, bitmapWords);
    Fixture.harvest(domain, length, bitmap);
    long result = bitmapWords[0];
    cpu.stop(1);
    return result;
  }

  /** Floor: {@link Fixture#readScanFloor} over as many entries as the table has leaves. */
  @Benchmark
  public long harvest_floorReadScan(CpuTime cpu) {
    cpu.start();
    long result = Fixture.readScanFloor(flatEntries);
    cpu.stop(1);
    return result;
  }

  /** Floor: {@link Fixture#readAndClearFloor} over as many entries as the table has leaves. */
  @Benchmark
  public long harvest_floor(CpuTime cpu) {
    cpu.start();
    long result = Fixture.readAndClearFloor(flatEntries, flatBitmap);
    cpu.stop(1);
    return result;
  }
}
