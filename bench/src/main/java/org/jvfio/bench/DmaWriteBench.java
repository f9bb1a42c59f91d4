package org.jvfio.bench;

import static org.jvfio.bench.Fixture.BASE_IOVA;
import static org.jvfio.bench.Fixture.BASE_PA;
import static org.jvfio.bench.Fixture.PAGE;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.IommuDomain;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

/**
 * The DMA write path of {@link DmaEngine#write} (one 64-byte write per operation) against a plain
 * {@code long[]} compare-and-swap loop, the least a write that may have to set a dirty bit can
 * cost:
 *
 * <ul>
 *   <li>{@code hit}: the translation is in the IOTLB and cached dirty (512 pages, cycled);
 *   <li>{@code miss}: every write misses the IOTLB (65 536 pages in turn, 64 times the IOTLB's 1024
 *       slots) and walks the table; the leaves are already dirty, so no A/D update;
 *   <li>{@code clean}: the first write to each of 65 536 clean leaves: a miss, a walk and the A/D
 *       compare-and-swap. Before each invocation (not measured) the range is harvested clean.
 * </ul>
 *
 * The floors compare-and-swap one element per operation of a {@code long[]} of as many elements as
 * the model touches pages.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class DmaWriteBench {
  private static final int PAGES = 1 << 16;
  private static final int HOT = 512;
  private static final long LENGTH = (long) PAGES * PAGE;
  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  /** The vendor model, by registered name. */
  @Param({"mock", "amd-v1", "intel-ss", "smmuv3"})
  public String driver;

  private IommuDomain domain;
  private DmaEngine engine;
  private final long[] hotFloor = new long[HOT];
  private final long[] wideFloor = new long[PAGES];
  private boolean firstWrites;

  @Setup(Level.Trial)
  public void mapAndWarm(BenchmarkParams params) {
    firstWrites = params.getBenchmark().endsWith("clean_model");
    Fixture.loadEveryFormat();
    domain = Fixture.mapped(driver, PAGE, LENGTH);
    engine = new DmaEngine(List.of(GuestMemory.create(BASE_PA + PAGE, LENGTH, 1)), 16);
    for (int p = 0; p < PAGES; p++) {
      engine.write(0, domain, BASE_IOVA + (long) p * PAGE, 64, DmaWriteListener.NONE);
    }
  }

  /** Model: IOTLB hits on translations cached dirty. */
  @Benchmark
  @OperationsPerInvocation(PAGES)
  public long hit_model(CpuTime cpu) {
    cpu.start();
    long bytes = 0;
    for (int i = 0; i < PAGES; i++) {
      long iova = BASE_IOVA + (long) (i & (HOT - 1)) * PAGE;
      bytes += engine.write(0, domain, iova, 64, DmaWriteListener.NONE).bytes();
    }
    long result = bytes;
    cpu.stop(PAGES);
    return result;
  }

  /** Floor: one compare-and-swap per write over {@value #HOT} elements. */
  @Benchmark
  @OperationsPerInvocation(PAGES)
  public long hit_floor(CpuTime cpu) {
    cpu.start();
    long result = casLoop(hotFloor, HOT - 1);
    cpu.stop(PAGES);
    return result;
  }

  /** Model: IOTLB misses and walks, leaves already dirty. */
  @Benchmark
  @OperationsPerInvocation(PAGES)
  public long miss_model(CpuTime cpu) {
    cpu.start();
    long result = writeEveryPage();
    cpu.stop(PAGES);
    return result;
  }

  /** Floor: one compare-and-swap per write over {@value #PAGES} elements. */
  @Benchmark
  @OperationsPerInvocation(PAGES)
  public long miss_floor(CpuTime cpu) {
    cpu.start();
    long result = casLoop(wideFloor, PAGES - 1);
    cpu.stop(PAGES);
    return result;
  }

  /**
   * Before each invocation of {@link #clean_model} (not measured): every leaf clean, nothing
   * cached. (A helper {@code @State} whose setup takes this class would get a second instance of it
   * from JMH, with a domain of its own, and clean that one instead.)
   */
  @Setup(Level.Invocation)
  public void cleanBeforeFirstWrites() {
    if (firstWrites) {
      Fixture.clean(domain, LENGTH);
    }
  }

  /** Model: first writes to clean leaves (miss, walk, A/D compare-and-swap). */
  @Benchmark
  @OperationsPerInvocation(PAGES)
  public long clean_model(CpuTime cpu) {
    cpu.start();
    long result = writeEveryPage();
    cpu.stop(PAGES);
    return result;
  }

  /** Floor: one compare-and-swap per write over {@value #PAGES} elements. */
  @Benchmark
  @OperationsPerInvocation(PAGES)
  public long clean_floor(CpuTime cpu) {
    cpu.start();
    long result = casLoop(wideFloor, PAGES - 1);
    cpu.stop(PAGES);
    return result;
  }

  private long writeEveryPage() {
    long bytes = 0;
    for (int i = 0; i < PAGES; i++) {
      bytes +=
          engine.write(0, domain, BASE_IOVA + (long) i * PAGE, 64, DmaWriteListener.NONE).bytes();
    }
    return bytes;
  }

  private static long casLoop(long[] a, int mask) {
    long sum = 0;
    for (int i = 0; i < PAGES; i++) {
      int j = i & mask;
      long v = (long) LONGS.getVolatile(a, j);
      if (LONGS.compareAndSet(a, j, v, v | 0x40)) {
        sum++;
      }
    }
    return sum;
  }
}
