package org.jvfio.testkit.fake;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.testkit.gen.DmaWorkload;
import org.jvfio.testkit.gen.DmaWrite;
import org.jvfio.testkit.oracle.ReferenceDirtyModel;

/**
 * A guest that makes one device DMA: it drives {@link DmaWorkload}s through the IOMMU, either
 * through {@link IommufdContext#dmaWrite} or directly through a {@link DmaEngine} and a domain
 * (docs/architecture.md, "DMA"), and records every write into {@link ReferenceDirtyModel}s, so that
 * a test can compare what trackers report with what was written.
 *
 * <p>A write that completed without a fault is recorded with {@link
 * ReferenceDirtyModel#recordWrite}; one with faults, of which only some pages were written, with
 * {@link ReferenceDirtyModel#recordPossiblyDirty}. Faults are counted, not thrown.
 *
 * <p>{@link #run} executes the streams of a workload one after another on the calling thread;
 * {@link #runConcurrently} gives each stream its own thread, as one device's DMA queues would. The
 * models are updated under this guest's lock after each write completes. Thread-safe.
 */
public final class FakeGuest {
  /** Where the guest's device DMA goes: one write of {@code [iova, iova + length)}. */
  @FunctionalInterface
  public interface DmaPort {
    /**
     * Writes {@code [iova, iova + length)} by DMA and returns the outcome.
     *
     * @param iova the first IO virtual address of the range
     * @param length the length of the range in bytes
     * @return the engine's result: bytes written, or the IO page fault
     */
    DmaResult write(long iova, long length);
  }

  private final DmaPort port;
  private final List<ReferenceDirtyModel> models;
  private long writes;
  private long bytes;
  private long faults;
  private String violation;

  private FakeGuest(DmaPort port, List<ReferenceDirtyModel> models) {
    this.port = Objects.requireNonNull(port, "port");
    this.models = List.copyOf(models);
  }

  /**
   * Returns a guest whose device {@code devId} writes through {@code iommufd}.
   *
   * @param iommufd the iommufd context the device is bound to
   * @param devId the device id in {@code iommufd}
   * @return a guest whose device {@code devId} writes through {@code iommufd}
   */
  public static FakeGuest of(IommufdContext iommufd, int devId) {
    return new FakeGuest((iova, length) -> iommufd.dmaWrite(devId, iova, length), List.of());
  }

  /**
   * Returns a guest whose device {@code deviceId} writes through {@code domain} with {@code
   * engine}, telling {@code tracker} (the device's DMA-logging tracker, or {@link
   * DmaWriteListener#NONE}) of every chunk written.
   *
   * @param engine the DMA engine that makes the writes
   * @param deviceId the device id its writes carry
   * @param domain the IOMMU domain the writes translate through
   * @param tracker the device's DMA-logging tracker, or none
   * @return a guest whose device {@code deviceId} writes through {@code domain} with {@code
   *     engine}, telling {@code tracker} (the device's DMA-logging tracker, or {@link
   *     DmaWriteListener#NONE}) of every chunk written
   */
  public static FakeGuest of(
      DmaEngine engine, int deviceId, IommuDomain domain, DmaWriteListener tracker) {
    return new FakeGuest(
        (iova, length) -> engine.write(deviceId, domain, iova, length, tracker), List.of());
  }

  /**
   * Returns a guest writing through {@code port}.
   *
   * @param port the port the writes go through
   * @return a guest writing through {@code port}
   */
  public static FakeGuest of(DmaPort port) {
    return new FakeGuest(port, List.of());
  }

  /**
   * Returns a guest like this one (same port, fresh counters) that records into {@code models}.
   *
   * @param models the models to record into
   * @return a guest like this one (same port, fresh counters) that records into {@code models}
   */
  public FakeGuest recordingInto(ReferenceDirtyModel... models) {
    return new FakeGuest(port, List.of(models));
  }

  /**
   * Makes one write and records it; returns the engine's result.
   *
   * @param iova the first IO virtual address of the range
   * @param length the length of the range in bytes
   * @return the engine's result: bytes written, or the IO page fault
   */
  public DmaResult write(long iova, long length) {
    DmaResult r = port.write(iova, length);
    synchronized (this) {
      writes++;
      bytes += r.bytes();
      faults += r.faults();
      if (violation == null
          && (r.bytes() < 0
              || Long.compareUnsigned(r.bytes(), length) > 0
              || r.faults() < 0
              || (r.faults() == 0) != (r.bytes() == length))) {
        violation = "DMA of 0x" + Long.toHexString(iova) + "+" + length + " returned " + r;
      }
      for (ReferenceDirtyModel m : models) {
        if (r.faults() == 0) {
          m.recordWrite(iova, length);
        } else {
          m.recordPossiblyDirty(iova, length);
        }
      }
    }
    return r;
  }

  /**
   * Runs every stream of {@code workload}, one after another, on the calling thread.
   *
   * @param workload the writes to make
   * @return the writes, bytes and faults of all the streams
   */
  public DmaResult run(DmaWorkload workload) {
    long b = 0;
    int f = 0;
    for (List<DmaWrite> stream : workload.streams()) {
      for (DmaWrite w : stream) {
        DmaResult r = write(w.iova(), w.length());
        b += r.bytes();
        f += r.faults();
      }
    }
    return new DmaResult(b, f);
  }

  /**
   * Runs each stream of {@code workload} on its own thread and waits for all of them.
   *
   * @param workload the writes to make
   * @return the writes, bytes and faults of all the streams
   * @throws IllegalStateException wrapping the first exception a stream threw
   * @throws InterruptedException if interrupted while waiting
   */
  public DmaResult runConcurrently(DmaWorkload workload) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long[] bytesOf = new long[workload.streams().size()];
    int[] faultsOf = new int[bytesOf.length];
    for (int i = 0; i < bytesOf.length; i++) {
      int s = i;
      List<DmaWrite> stream = workload.streams().get(i);
      Thread t =
          new Thread(
              () -> {
                try {
                  for (DmaWrite w : stream) {
                    DmaResult r = write(w.iova(), w.length());
                    bytesOf[s] += r.bytes();
                    faultsOf[s] += r.faults();
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                }
              },
              "fake-guest-dma-" + i);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("a DMA stream failed", failure.get());
    }
    long b = 0;
    int f = 0;
    for (int i = 0; i < bytesOf.length; i++) {
      b += bytesOf[i];
      f += faultsOf[i];
    }
    return new DmaResult(b, f);
  }

  /**
   * Returns how many writes this guest made.
   *
   * @return how many writes this guest made
   */
  public synchronized long writes() {
    return writes;
  }

  /**
   * Returns how many bytes its writes transferred.
   *
   * @return how many bytes its writes transferred
   */
  public synchronized long bytes() {
    return bytes;
  }

  /**
   * Returns how many pages of its writes faulted.
   *
   * @return how many pages of its writes faulted
   */
  public synchronized long faults() {
    return faults;
  }

  /**
   * Checks that every DMA result was consistent: no more bytes than asked, and faults exactly when
   * bytes are missing.
   *
   * @throws AssertionError naming the first inconsistent write
   */
  public synchronized void checkInvariants() {
    if (violation != null) {
      throw new AssertionError(violation);
    }
  }

  @Override
  public synchronized String toString() {
    return "FakeGuest[writes=" + writes + ", bytes=" + bytes + ", faults=" + faults + "]";
  }
}
