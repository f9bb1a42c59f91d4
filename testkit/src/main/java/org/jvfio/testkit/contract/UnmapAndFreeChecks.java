package org.jvfio.testkit.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.testkit.contract.DomainPlan.Region;
import org.jvfio.testkit.oracle.ReferencePageTable;
import org.jvfio.testkit.oracle.ReferencePageTable.Leaf;

/*
 * The bodies of IommuDomainContract's unmap and free properties, kept here so that the contract
 * class stays readable. Each method is one try of one property; the contract generates the cases.
 */
final class UnmapAndFreeChecks {
  private UnmapAndFreeChecks() {}

  /** One unmap: kind 0 from the hole before a region, 1 across the hole after it, 2 mid-leaf. */
  record UnmapCase(DomainPlan plan, int kind, int region, int choice) {}

  /**
   * Returns what the kernel's unmap of {@code [iova, iova + length)} removes over {@code ref}, as
   * iommupt's {@code __unmap_range} (and io-pgtable-arm, which refuses a partial leaf the same
   * way): 0 if {@code iova} is not the first byte of a leaf (a hole, or inside a leaf); else the
   * leaves from {@code iova} on, up to the first hole.
   */
  static long kernelUnmap(ReferencePageTable ref, long iova, long length) {
    Optional<Leaf> at = ref.leaf(iova);
    if (at.isEmpty() || at.get().iova() != iova) {
      return 0;
    }
    long last = iova + length - 1;
    long total = 0;
    for (long cur = iova; Long.compareUnsigned(cur, last) <= 0; ) {
      Optional<Leaf> l = ref.leaf(cur);
      if (l.isEmpty() || l.get().iova() != cur) {
        break;
      }
      total += l.get().size();
      cur = l.get().last() + 1;
      if (cur == 0) {
        break;
      }
    }
    return total;
  }

  /**
   * Returns what io-pgtable-arm's unmap of {@code [iova, iova + length)} removes over {@code ref}:
   * {@code iommu_unmap} cuts the range into the largest aligned pieces of {@code pageSizes}; a
   * piece that is a leaf of its size is removed, one that covers a table frees the table whole
   * (holes in it included), one inside a larger leaf is refused and one over nothing stops the
   * unmap ({@code __arm_lpae_unmap}).
   */
  static long piecewiseUnmap(ReferencePageTable ref, long pageSizes, long iova, long length) {
    long done = 0;
    while (done != length) {
      long cur = iova + done;
      long left = length - done;
      long limit = Long.highestOneBit(left); // iommu_pgsize: aligned to cur, at most left
      long align = Long.lowestOneBit(cur);
      if (align != 0 && align < limit) {
        limit = align;
      }
      long piece = Long.highestOneBit(pageSizes & (limit | (limit - 1)));
      Optional<Leaf> at = ref.leaf(cur);
      if (at.isPresent() && at.get().size() > piece) {
        return done; // a partial large leaf: refused
      }
      if (at.isEmpty() && ref.leaves(cur, piece).isEmpty()) {
        return done; // nothing there: the walk meets an invalid entry
      }
      done += piece; // a leaf of the piece's size, or a table freed whole
    }
    return done;
  }

  /** Runs one unmap of {@code c} on a fixture whose plan is mapped, and checks the outcome. */
  static void checkUnmap(DomainFixture f, UnmapCase c, long unit, boolean piecewise) {
    Region r = c.plan().region(c.region());
    long iova;
    long length;
    List<Leaf> leaves = f.reference.leaves(r.iova(), r.length());
    if (c.kind() == 0 || leaves.isEmpty()) {
      iova = r.iova() - unit; // the hole before every region, then the region
      length = r.length() + unit;
    } else if (c.kind() == 1) {
      Region next = c.plan().region(c.region() + 1);
      iova = r.iova(); // the region, the hole after it, and the next region if it is above
      boolean above = Long.compareUnsigned(next.iova(), r.iova()) > 0;
      length = above ? next.last() - iova + 1 : r.length() + unit;
    } else {
      Leaf first = leaves.get(0);
      long steps = first.size() / unit;
      iova = first.iova() + (steps > 1 ? unit * (1 + c.choice() % (steps - 1)) : 0);
      length = r.last() - iova + 1;
    }
    long expected =
        piecewise
            ? piecewiseUnmap(f.reference, f.domain.pageSizeBitmap(), iova, length)
            : kernelUnmap(f.reference, iova, length);
    long got = f.domain.unmap(iova, length);
    IotlbGather g = new IotlbGather();
    g.addRange(iova, length);
    f.domain.iotlbSync(g);
    String what = "unmap" + DomainFixture.hex(iova) + "+" + DomainFixture.hex(length);
    assertEquals(expected, got, () -> what + " over " + f.reference);
    if (expected != 0) {
      for (Leaf l : f.reference.leaves(iova, expected)) {
        f.reference.unmap(l.iova(), l.size());
      }
      f.dirty.forget(iova, expected);
    }
    f.checkTranslations();
  }

  /**
   * Races {@link IommuDomain#unmapReadingDirty} against a DMA writer until the writer made progress
   * during the call (at most {@code attempts} races): see {@link #raceUnmapReadingDirty}.
   */
  static void raceUntilConclusive(IommuDriver driver, long seed, long unit, int attempts)
      throws InterruptedException {
    for (int a = 0; a < attempts; a++) {
      if (raceUnmapReadingDirty(driver, seed + a, unit, 16384)) {
        return;
      }
    }
  }

  /**
   * One race of {@link IommuDomain#unmapReadingDirty} against a DMA writer dirtying fresh pages in
   * random order: every page a write reached before the unmap took its leaf must be reported.
   * Returns whether the race was conclusive: the writer completed at least 8 writes while the call
   * ran (each then has an even chance to fall between a read and an unmap made as two steps).
   */
  static boolean raceUnmapReadingDirty(IommuDriver driver, long seed, long unit, int pages)
      throws InterruptedException {
    IommuDomain d = driver.allocateDomain(DomainConfig.DIRTY_TRACKING);
    long iova = 1L << 30;
    long length = pages * unit;
    long pa = DomainPlan.MEMORY_BASE + unit; // misaligned for larger leaves: one leaf per page
    GuestMemory memory = GuestMemory.create(DomainPlan.MEMORY_BASE, length + 2 * unit, seed);
    DmaEngine engine = new DmaEngine(List.of(memory), 16);
    d.map(iova, pa, length, DomainPlan.RW);
    IotlbGather clean = new IotlbGather();
    d.readAndClearDirty(iova, length, 0, IommuDirtyBitmap.gatherOnly(clean));
    d.iotlbSync(clean);
    d.setDirtyTracking(true);

    int[] order = new int[pages];
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = 0; i < pages; i++) {
      int j = rnd.nextInt(i + 1);
      order[i] = order[j];
      order[j] = i;
    }
    boolean[] written = new boolean[pages];
    AtomicInteger done = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    Thread writer =
        new Thread(
            () -> {
              try {
                for (int i = 0; i < pages && !stop.get(); i++) {
                  DmaResult res =
                      engine.write(1, d, iova + order[i] * unit, 8, DmaWriteListener.NONE);
                  written[order[i]] = res.bytes() > 0;
                  done.incrementAndGet();
                }
              } catch (Throwable e) {
                failure.set(e);
              }
            },
            "contract-unmap-writer");
    writer.start();
    for (int spins = 0; done.get() < 256 && writer.isAlive() && spins < 1 << 24; spins++) {
      Thread.onSpinWait();
    }
    IovaBitmap bitmap = IovaBitmap.allocate(iova, length, unit);
    IotlbGather gather = new IotlbGather();
    int before = done.get();
    long got = d.unmapReadingDirty(iova, length, IommuDirtyBitmap.of(bitmap, gather));
    int during = done.get() - before;
    gather.addRange(iova, length);
    d.iotlbSync(gather);
    stop.set(true);
    writer.join();
    if (failure.get() != null) {
      throw new AssertionError("the writer failed", failure.get());
    }
    assertEquals(length, got, "unmapReadingDirty removed every leaf");
    List<Long> lost = new ArrayList<>();
    for (int p = 0; p < pages; p++) {
      if (written[p] && !bitmap.isDirty(iova + p * unit)) {
        lost.add(iova + p * unit);
      }
    }
    assertTrue(lost.isEmpty(), () -> "writes before the unmap not reported at " + hex(lost));
    d.free();
    return during >= 8;
  }

  private static String hex(List<Long> iovas) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < Math.min(8, iovas.size()); i++) {
      b.append(DomainFixture.hex(iovas.get(i))).append(' ');
    }
    return b.append("(").append(iovas.size()).append(" pages)").toString();
  }

  /**
   * Maps a plan, unmaps half its regions, splits and collapses what the driver can, frees the
   * domain and checks that its memory holds exactly the frames it held before the domain existed (a
   * driver may share one memory between its domains, or give each its own).
   */
  static void checkFree(IommuDriver driver, DomainPlan plan, boolean splits, long smallest) {
    IommuDomain probe = driver.allocateDomain(DomainConfig.PLAIN);
    PageTableMemory shared = probe.memory();
    long before = shared.framesInUse();
    IommuDomain d = driver.allocateDomain(DomainConfig.PLAIN);
    long base = d.memory() == shared ? before : 0;
    int i = 0;
    for (Region r : plan.regions()) {
      d.map(r.iova(), r.physical(), r.length(), r.prot());
      if (splits) {
        d.split(r.iova(), r.length(), smallest);
      }
      if (i++ % 2 == 1) {
        d.unmap(r.iova(), r.length());
      } else if (splits) {
        d.collapse(r.iova(), r.length());
      }
    }
    assertTrue(d.memory().framesInUse() > base, "the domain holds frames");
    d.free();
    assertEquals(base, d.memory().framesInUse(), "frames left after free of " + plan);
    probe.free();
  }
}
