package org.jvfio.bench;

import static org.jvfio.bench.Fixture.BASE_IOVA;
import static org.jvfio.bench.Fixture.FLOOR_DIRTY;
import static org.jvfio.bench.Fixture.PAGE;

import java.util.concurrent.TimeUnit;
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
 * Split of 1 GiB of 2 MiB leaves into 4 KiB leaves, and the collapse back (docs/fidelity.md, "Split
 * and collapse"; with the IOTLB invalidation of each replaced leaf), against floors over flat
 * arrays: writing the 262 144 child entries and 512 table pointers (split), and reading the 262 144
 * entries, checking their contiguity and ORing their dirty bits, then writing 512 leaves
 * (collapse).
 *
 * <p>Single shots, so that the mock, which never frees a collapsed table (a walk in flight may
 * still read it), holds a bounded number of them.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 10, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
@Fork(1)
public class SplitCollapseBench {
  private static final long HUGE = 1L << 21;
  private static final long LENGTH = 1L << 30;
  private static final int LEAVES = (int) (LENGTH / PAGE);
  private static final int TABLES = (int) (LENGTH / HUGE);
  private static final long ADDR = 0x000F_FFFF_FFFF_F000L;

  /** The vendor model, by registered name. */
  @Param({"mock", "amd-v1", "intel-ss", "smmuv3"})
  public String driver;

  private IommuDomain domain;
  private final long[] children = new long[LEAVES];
  private final long[] parents = new long[TABLES];

  @Setup(Level.Trial)
  public void map(BenchmarkParams params) {
    Fixture.loadEveryFormat();
    if (Fixture.isModel(params)) {
      domain = Fixture.mapped(driver, HUGE, LENGTH);
    }
    for (int i = 0; i < LEAVES; i++) {
      children[i] = (Fixture.BASE_PA + HUGE + i * PAGE) | 0x7 | (i % 3 == 0 ? FLOOR_DIRTY : 0);
    }
  }

  /**
   * Before each shot (not measured), brings the range into the shape the measured method starts
   * from: 2 MiB leaves before a split, 4 KiB leaves before a collapse, and checks it. (A helper
   * {@code @State} whose setup takes this class would get a second instance of it from JMH, with a
   * domain of its own, and reshape that one instead.)
   */
  @Setup(Level.Iteration)
  public void reshape(BenchmarkParams params) {
    String name = params.getBenchmark();
    if (name.endsWith("split_model")) {
      domain.collapse(BASE_IOVA, LENGTH);
      expectLeaves(HUGE);
    } else if (name.endsWith("collapse_model")) {
      domain.split(BASE_IOVA, LENGTH, PAGE);
      expectLeaves(PAGE);
    }
  }

  /** Model: split every 2 MiB leaf of the range to 4 KiB leaves. */
  @Benchmark
  public long split_model(CpuTime cpu) {
    cpu.start();
    domain.split(BASE_IOVA, LENGTH, PAGE);
    long result = domain.walk(BASE_IOVA).length;
    cpu.stop(1);
    expectLeaves(PAGE);
    return result;
  }

  /**
   * Fails the run unless the first and last page of the range are mapped by leaves of {@code size}.
   */
  void expectLeaves(long size) {
    for (long iova : new long[] {BASE_IOVA, BASE_IOVA + LENGTH - PAGE}) {
      long leaf = domain.translate(iova).orElseThrow().size();
      if (leaf != size) {
        throw new IllegalStateException(driver + ": leaf of " + leaf + " bytes, expected " + size);
      }
    }
  }

  /** Floor: write 512 tables of 512 computed entries and 512 table pointers. */
  @Benchmark
  public long split_floor(CpuTime cpu) {
    cpu.start();
    for (int t = 0; t < TABLES; t++) {
      long leaf = parents[t] | (Fixture.BASE_PA + t * HUGE) | 0x7;
      for (int i = t * 512; i < (t + 1) * 512; i++) {
        children[i] = (leaf & ~0x1FF000L) + ((long) (i & 511) << 12);
      }
      parents[t] = (Fixture.BASE_PA + t * 4096L) | 0x3;
    }
    long result = children[LEAVES - 1];
    cpu.stop(1);
    return result;
  }

  /** Model: collapse the 512 tables back into 2 MiB leaves. */
  @Benchmark
  public long collapse_model(CpuTime cpu) {
    cpu.start();
    domain.collapse(BASE_IOVA, LENGTH);
    long result = domain.walk(BASE_IOVA).length;
    cpu.stop(1);
    expectLeaves(HUGE);
    return result;
  }

  /** Floor: check each table's 512 entries for contiguity, OR their dirty bits, write the leaf. */
  @Benchmark
  public long collapse_floor(CpuTime cpu) {
    cpu.start();
    long collapsed = 0;
    for (int t = 0; t < TABLES; t++) {
      long base = children[t * 512] & ADDR;
      long dirty = 0;
      long bad = 0;
      for (int i = 0; i < 512; i++) {
        long c = children[t * 512 + i];
        bad |= (c & ADDR) ^ (base + ((long) i << 12));
        dirty |= c & FLOOR_DIRTY;
      }
      if (bad == 0) {
        parents[t] = base | 0x87 | dirty;
        collapsed++;
      }
    }
    long result = collapsed;
    cpu.stop(1);
    return result;
  }
}
