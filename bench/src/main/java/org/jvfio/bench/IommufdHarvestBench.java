package org.jvfio.bench;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.bench.Fixture.BASE_IOVA;
import static org.jvfio.bench.Fixture.BASE_PA;
import static org.jvfio.bench.Fixture.PAGE;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.TimeUnit;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * What the iommufd layer adds to a harvest: {@code IOMMU_HWPT_GET_DIRTY_BITMAP} through {@link
 * IommufdContext#hwptGetDirtyBitmap} (argument checks, the IOAS area walk that splits the range,
 * the bitmap window, one IOTLB sync per call) against the HWPT domain's own read-and-clear of the
 * same range into the same bitmap, followed by the same one IOTLB sync ({@code domain} floor, the
 * {@code vs Domain} line of the report). One device on a dirty-tracking HWPT of the vendor, the
 * range mapped by {@code IOMMU_IOAS_MAP} at 4 KiB leaves (the user address is 4 KiB-aligned and no
 * more); before each harvest the same leaves are dirtied through the hardware's interlocked update,
 * in a setup that is not measured. The ratio is 1.00× if the layer adds nothing per leaf.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, batchSize = 1)
@Measurement(iterations = 10, batchSize = 1)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
public class IommufdHarvestBench {
  /** The vendor model, by registered name. */
  @Param({"mock", "amd-v1", "intel-ss", "smmuv3"})
  public String driver;

  /** GiB of IOVA mapped at 4 KiB leaves (4 GiB = 1 Mi leaves). */
  @Param({"4"})
  public int gib;

  /** Percent of leaves dirty (scattered) before each harvest. */
  @Param({"0", "50"})
  public int dirtyPercent;

  private IommufdContext fd;
  private int hwpt;
  private IommuDomain domain;
  private long length;
  private Fixture.Dirtier dirtier;
  private long[] bitmapWords;

  @Setup(Level.Trial)
  public void mapThroughIommufd() {
    Fixture.loadEveryFormat();
    length = (long) gib << 30;
    long userVa = BASE_PA + PAGE; // 4 KiB-aligned and no more: 4 KiB leaves
    fd = IommufdContext.create(GuestMemory.create(BASE_PA, length + (2L << 20), 1));
    int ioas = fd.ioasAlloc(0);
    int dev = fd.bindDevice(IommuDriver.named(driver), DmaWriteListener.NONE);
    hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
    fd.attach(dev, hwpt);
    fd.ioasMap(ioas, IoasMap.fixed(userVa, length, BASE_IOVA));
    fd.hwptSetDirtyTracking(hwpt, 1);
    domain = fd.domain(hwpt);
    if (domain.translate(BASE_IOVA).orElseThrow().size() != PAGE) {
      throw new IllegalStateException(driver + " did not map 4 KiB leaves through iommufd");
    }
    Fixture.clean(domain, length); // Arm maps writable leaves dirty: start clean everywhere
    long[] dirtyPages = Fixture.chooseDirty(length / PAGE, dirtyPercent, false);
    dirtier = new Fixture.Dirtier(domain, PAGE, dirtyPages);
    bitmapWords = new long[(int) IovaBitmap.wordCount(length, PAGE)];
  }

  @Setup(Level.Iteration)
  public void dirty() {
    dirtier.dirty();
  }

  /** Model: {@code IOMMU_HWPT_GET_DIRTY_BITMAP} of the whole range through the iommufd layer. */
  @Benchmark
  public long getDirty_model(CpuTime cpu) {
    cpu.start();
    fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, 0, BASE_IOVA, length, PAGE), bitmapWords);
    long result = bitmapWords[0];
    cpu.stop(1);
    return result;
  }

  /**
   * Both paths in one fork, so that they share the JIT's code (which differs between forks by more
   * than the layer could cost): each operation harvests through iommufd or through the domain, in
   * turn, after the same dirtying; JMH reports the CPU time of each as {@code iommufdNs} and {@code
   * domainNs}, over {@code harvests} operations each.
   */
  @Benchmark
  public long getDirty_sameFork(PairedCpuTime cpu) {
    boolean throughIommufd = (cpu.turn++ & 1) == 0;
    long start = PairedCpuTime.now();
    if (throughIommufd) {
      fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, 0, BASE_IOVA, length, PAGE), bitmapWords);
    } else {
      Fixture.harvest(domain, length, IovaBitmap.wrap(BASE_IOVA, length, PAGE, bitmapWords));
    }
    long spent = PairedCpuTime.now() - start;
    if (throughIommufd) {
      cpu.iommufdNs += spent;
      cpu.harvests++;
    } else {
      cpu.domainNs += spent;
    }
    return bitmapWords[0];
  }

  /** The CPU time of each path of {@link #getDirty_sameFork}, summed over the iterations. */
  @State(Scope.Thread)
  @AuxCounters(AuxCounters.Type.EVENTS)
  public static class PairedCpuTime {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    /** Nanoseconds of CPU time spent in harvests through iommufd. */
    public long iommufdNs;

    /** Nanoseconds of CPU time spent in harvests through the domain. */
    public long domainNs;

    /** Harvests through iommufd (as many as through the domain, give or take one). */
    public long harvests;

    int turn;

    /** Resets the counters for an iteration. */
    @Setup(Level.Iteration)
    public void reset() {
      iommufdNs = 0;
      domainNs = 0;
      harvests = 0;
    }

    static long now() {
      return THREADS.getCurrentThreadCpuTime();
    }
  }

  /** Floor: the HWPT domain's own read-and-clear of the same range, then the one IOTLB sync. */
  @Benchmark
  public long getDirty_floorDomain(CpuTime cpu) {
    cpu.start();
    Fixture.harvest(domain, length, IovaBitmap.wrap(BASE_IOVA, length, PAGE, bitmapWords));
    long result = bitmapWords[0];
    cpu.stop(1);
    return result;
  }
}
