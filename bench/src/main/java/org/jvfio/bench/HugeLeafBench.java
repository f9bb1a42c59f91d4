package org.jvfio.bench;

import static org.jvfio.bench.Fixture.BASE_IOVA;
import static org.jvfio.bench.Fixture.FLOOR_DIRTY;
import static org.jvfio.bench.Fixture.FLOOR_SHIFT;
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
 * Read-and-clear of a range mapped at 2 MiB or 1 GiB leaves into a 4 KiB report bitmap, where the
 * cost is the expansion of each dirty leaf into 512 or 262 144 bits (at 2 MiB and 1 GiB the entry
 * walk is negligible; the bitmap expansion is the cost), against the bitmap-marking floor: a
 * read-and-clear of a flat {@code long[]} of as many entries as there are leaves, filling each
 * dirty leaf's bitmap words with {@code -1L} word by word.
 *
 * <p>256 GiB are mapped (131 072 leaves of 2 MiB, 256 of 1 GiB); the bitmap has 64 Mi bits.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class HugeLeafBench {
  private static final long LENGTH = 256L << 30;

  /** The vendor model and leaf size (the mock has no 1 GiB leaves). */
  @Param({
    "mock/2M",
    "amd-v1/2M",
    "amd-v1/1G",
    "intel-ss/2M",
    "intel-ss/1G",
    "smmuv3/2M",
    "smmuv3/1G"
  })
  public String model;

  /** Percent of leaves dirty (scattered) before each harvest. */
  @Param({"0", "1", "50", "100"})
  public int dirtyPercent;

  private IommuDomain domain;
  private Fixture.Dirtier dirtier;
  private long[] dirtyLeaves;
  private long[] bitmapWords;
  private long[] flatEntries;
  private long[] flatBitmap;
  private int wordsPerLeaf;

  @Setup(Level.Trial)
  public void mapRange(BenchmarkParams params) {
    Fixture.loadEveryFormat();
    String[] parts = model.split("/", -1);
    long leaf = parts[1].equals("1G") ? 1L << 30 : 1L << 21;
    dirtyLeaves = Fixture.chooseDirty(LENGTH / leaf, dirtyPercent, false);
    if (Fixture.isModel(params)) {
      domain = Fixture.mapped(parts[0], leaf, LENGTH);
      dirtier = new Fixture.Dirtier(domain, leaf, dirtyLeaves);
    }
    bitmapWords = new long[(int) IovaBitmap.wordCount(LENGTH, PAGE)];
    flatEntries = new long[(int) (LENGTH / leaf)];
    flatBitmap = new long[bitmapWords.length];
    wordsPerLeaf = (int) (leaf / PAGE / 64);
  }

  @Setup(Level.Iteration)
  public void dirty() {
    if (dirtier != null) {
      dirtier.dirty();
    }
    Fixture.dirtyFloor(flatEntries, dirtyLeaves);
  }

  /** Model: the vendor's read-and-clear into a 4 KiB bitmap, then the IOTLB sync. */
  @Benchmark
  public long harvest_model(CpuTime cpu) {
    cpu.start();
    IovaBitmap bitmap = IovaBitmap.wrap(BASE_IOVA, LENGTH, PAGE, bitmapWords);
    Fixture.harvest(domain, LENGTH, bitmap);
    long result = bitmapWords[0];
    cpu.stop(1);
    return result;
  }

  /** Floor: read-and-clear each leaf entry, and fill the words of each dirty one. */
  @Benchmark
  public long harvest_floor(CpuTime cpu) {
    cpu.start();
    long[] entries = flatEntries;
    long[] bits = flatBitmap;
    int wpl = wordsPerLeaf;
    for (int i = 0; i < entries.length; i++) {
      long e = entries[i];
      entries[i] = e & ~FLOOR_DIRTY;
      if (((e >>> FLOOR_SHIFT) & 1) != 0) {
        for (int w = i * wpl; w < (i + 1) * wpl; w++) {
          bits[w] = -1L;
        }
      }
    }
    long result = bits[0];
    cpu.stop(1);
    return result;
  }
}
