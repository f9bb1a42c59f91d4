package org.jvfio.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The CPU time of the benchmark thread, reported by JMH as the secondary results {@code cpuNs} and
 * {@code ops} (summed over the iterations): on a machine shared with other work, wall-clock time
 * includes the time the thread waits for a core, CPU time does not. {@link BenchReport} computes
 * CPU nanoseconds per operation from them. A benchmark calls {@link #start} and {@link #stop}
 * around its measured work.
 */
@State(Scope.Thread)
@AuxCounters(AuxCounters.Type.EVENTS)
public class CpuTime {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Nanoseconds of CPU time of the measured work in this iteration. */
  public long cpuNs;

  /** Operations measured in this iteration. */
  public long ops;

  private long started;

  /** Resets the counter for an iteration. */
  @Setup(Level.Iteration)
  public void reset() {
    cpuNs = 0;
    ops = 0;
  }

  void start() {
    started = THREADS.getCurrentThreadCpuTime();
  }

  void stop(long operations) {
    cpuNs += THREADS.getCurrentThreadCpuTime() - started;
    ops += operations;
  }
}
