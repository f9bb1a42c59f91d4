package org.jvfio.bench;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.jvfio.core.bitmap.IovaBitmap;
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
 * Iova bitmap marking ({@code iova_bitmap_set}) against its floor: the same bits set by a plain
 * word loop ({@code Arrays.fill} for runs, {@code words[i >>> 6] |= 1L << i} for scattered bits).
 *
 * <p>One operation marks a whole 1 GiB bitmap at 4 KiB (262 144 bits) as records of {@code
 * runPages} pages each (a dirty 2 MiB IOPTE is a run of 512), or 4096 scattered single pages.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class BitmapMarkBench {
  private static final long PAGE = 4096;
  private static final int BITS = 1 << 18; // 1 GiB at 4 KiB

  private long[] words;
  private IovaBitmap bitmap;
  private int[] scattered;

  /** The run length of the run benchmarks (the scattered ones do not depend on it). */
  @State(Scope.Thread)
  public static class Runs {
    /** Pages per recorded run: 1 (4 KiB leaves), 512 (2 MiB leaves), 262144 (one 1 GiB leaf). */
    @Param({"1", "512", "262144"})
    public int runPages;
  }

  @Setup(Level.Trial)
  public void setUp() {
    words = new long[BITS / 64];
    bitmap = IovaBitmap.wrap(0, BITS * PAGE, PAGE, new long[BITS / 64]);
    SplittableRandom rnd = new SplittableRandom(42);
    scattered = new int[BITS / 64];
    for (int i = 0; i < scattered.length; i++) {
      scattered[i] = rnd.nextInt(BITS);
    }
  }

  /** Model: every run recorded through {@link IovaBitmap#set}. */
  @Benchmark
  public long runs_model(Runs r) {
    long runBytes = r.runPages * PAGE;
    for (long iova = 0; iova < BITS * PAGE; iova += runBytes) {
      bitmap.set(iova, runBytes);
    }
    return bitmap.words()[0];
  }

  /** Floor: the same bits with a per-record OR for sub-word runs, whole-word fills otherwise. */
  @Benchmark
  public long runs_floor(Runs r) {
    int runPages = r.runPages;
    if (runPages < 64) {
      long mask = (1L << runPages) - 1;
      for (int bit = 0; bit < BITS; bit += runPages) {
        words[bit >>> 6] |= mask << bit;
      }
    } else {
      int runWords = runPages / 64;
      for (int w = 0; w < words.length; w += runWords) {
        Arrays.fill(words, w, w + runWords, -1L);
      }
    }
    return words[0];
  }

  /** Model: 4096 scattered single pages through {@link IovaBitmap#set}. */
  @Benchmark
  public long scattered_model() {
    for (int bit : scattered) {
      bitmap.set(bit * PAGE, PAGE);
    }
    return bitmap.words()[0];
  }

  /** Floor: the same scattered bits with a plain OR. */
  @Benchmark
  public long scattered_floor() {
    for (int bit : scattered) {
      words[bit >>> 6] |= 1L << bit;
    }
    return words[0];
  }
}
