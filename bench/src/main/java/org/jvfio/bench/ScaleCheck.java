package org.jvfio.bench;

import static org.jvfio.bench.Fixture.BASE_IOVA;
import static org.jvfio.bench.Fixture.PAGE;

import java.util.Locale;
import java.util.SplittableRandom;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;

/**
 * The scale check (not a test): maps 4 TiB of IOVA at 4 KiB leaves under one vendor model (1 Gi
 * leaves, 8 GiB of entries), dirties a fraction of the leaves through the hardware path ({@code
 * translate} + {@code setDirtyByHardware}, what a DMA write on an IOTLB miss does), harvests the
 * whole range into a 4 KiB bitmap, checks that exactly the dirtied pages came back, harvests again
 * (now clean), and prints the entries visited, the times, and the memory held, next to the
 * read-scan and read-and-clear floors per entry over a flat {@code long[]} of 64 Mi entries.
 *
 * <p>Arguments: {@code [driver [TiB [dirty percent [floor: true|false]]]]}, default {@code amd-v1 4
 * 5 true}. Heap: the tables take 2 GiB per TiB and the 4 KiB bitmap 32 MiB per TiB; the floors 0.5
 * GiB. 4 TiB runs in a 10 GiB heap ({@code bin/jvfio-bench --scale} passes {@code -Xmx10g} unless
 * {@code JAVA_OPTS} is set), 1 TiB in the default heap of a 24 GiB machine.
 */
public final class ScaleCheck {
  private static final long FLOOR_ENTRIES = 1L << 26;

  private ScaleCheck() {}

  /**
   * Runs the check.
   *
   * @throws IllegalStateException if the harvest does not return exactly the dirtied pages
   */
  public static void main(String[] args) {
    String driver = args.length > 0 ? args[0] : "amd-v1";
    long tib = args.length > 1 ? Long.parseLong(args[1]) : 4;
    int percent = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    boolean floor = args.length <= 3 || Boolean.parseBoolean(args[3]);
    long length = tib << 40;
    long leaves = length / PAGE;
    Runtime rt = Runtime.getRuntime();
    print(
        "scale check: %s, %d TiB at 4 KiB = %,d leaves, %d%% dirty", driver, tib, leaves, percent);
    print("max heap %,d MiB, %d processors", rt.maxMemory() >> 20, rt.availableProcessors());

    long t0 = System.nanoTime();
    IommuDomain domain = IommuDriver.named(driver).allocateDomain(DomainConfig.DIRTY_TRACKING);
    domain.map(
        BASE_IOVA,
        Fixture.BASE_PA + PAGE,
        length,
        IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    domain.setDirtyTracking(true);
    Fixture.clean(domain, length);
    long t1 = System.nanoTime();
    PageTableMemory m = domain.memory();
    print(
        "map: %.1f s; tables: %,d frames = %,d MiB (hardware), PageTableMemory holds %,d MiB",
        (t1 - t0) / 1e9, m.framesInUse(), m.framesInUse() >> 8, m.bytesHeld() >> 20);

    SplittableRandom rnd = new SplittableRandom(0x5EEDF00DL);
    long dirtied = 0;
    for (long p = 0; p < leaves; p++) {
      if (rnd.nextInt(100) < percent) {
        Translation t = domain.translate(BASE_IOVA + p * PAGE).orElseThrow();
        if (!domain.setDirtyByHardware(t)) {
          throw new IllegalStateException("hardware update refused at page " + p);
        }
        dirtied++;
      }
    }
    domain.iotlb().invalidateAll();
    long t2 = System.nanoTime();
    print("dirtied %,d leaves through the hardware path in %.1f s", dirtied, (t2 - t1) / 1e9);

    IovaBitmap bitmap = IovaBitmap.allocate(BASE_IOVA, length, PAGE);
    for (int round = 1; round <= 2; round++) {
      long h0 = System.nanoTime();
      Fixture.harvest(domain, length, bitmap);
      long h1 = System.nanoTime();
      long found = bitmap.cardinality();
      print(
          "harvest %d: %,d entries read (%,d frames x 512) in %.3f s = %.3f s per TiB = %.2f"
              + " ns/leaf; %,d dirty pages reported",
          round,
          m.framesInUse() * 512,
          m.framesInUse(),
          (h1 - h0) / 1e9,
          (h1 - h0) / 1e9 / tib,
          (h1 - h0) / (double) leaves,
          found);
      if (found != (round == 1 ? dirtied : 0)) {
        throw new IllegalStateException("harvest " + round + " reported " + found + " pages");
      }
      java.util.Arrays.fill(bitmap.words(), 0);
    }
    if (floor) {
      // Per-entry floors over a flat array far larger than the caches (not the whole range: a
      // Java array holds fewer than 2^31 entries, and the heap is better left to the tables).
      int n = (int) Math.min(leaves, FLOOR_ENTRIES);
      long[] flat = new long[n];
      long[] bits = new long[n / 64];
      rnd = new SplittableRandom(0x5EEDF00DL);
      for (int p = 0; p < flat.length; p++) {
        flat[p] = rnd.nextInt(100) < percent ? Fixture.FLOOR_DIRTY : 0;
      }
      long f0 = System.nanoTime();
      long sink = Fixture.readScanFloor(flat);
      long f1 = System.nanoTime();
      sink ^= Fixture.readAndClearFloor(flat, bits);
      long f2 = System.nanoTime();
      print(
          "floors over a flat long[] of %,d entries: read-scan %.2f ns/entry, read-and-clear %.2f"
              + " ns/entry (%d)",
          n, (f1 - f0) / (double) n, (f2 - f1) / (double) n, sink & 1);
    }
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    print(
        "heap used after GC: %,d MiB (tables %,d MiB, bitmap %,d MiB)",
        (rt.totalMemory() - rt.freeMemory()) >> 20,
        m.bytesHeld() >> 20,
        (long) bitmap.words().length * 8 >> 20);
  }

  private static void print(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
  }
}
