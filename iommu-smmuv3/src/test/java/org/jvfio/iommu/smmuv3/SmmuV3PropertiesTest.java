package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.jvfio.core.spi.IommuDomain.IOMMU_READ;
import static org.jvfio.core.spi.IommuDomain.IOMMU_WRITE;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;

/**
 * Seeded properties a domain contract checks, run against SMMUv3 at every granule and BBM level.
 * Reproduce a failure with {@code -Djvfio.seed=... -Djvfio.tries=...}; the message names the seed,
 * the try and the operation.
 */
class SmmuV3PropertiesTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final long PA = 0x10_0000_0000L; // output = PA + iova: contiguous, block-aligned

  private static long block(Granule g) {
    return Long.highestOneBit(g.pageSizeBitmap() & ~(1L << 30));
  }

  /** Blocks per test region: four, but two 512 MiB blocks (16 Ki pages) at 64 KiB. */
  private static int blocks(Granule g) {
    return g == Granule.G64K ? 2 : 4;
  }

  /** Maps [0, blocks * block) without holes: each block as a block or as runs of pages. */
  private static int[] mapRegion(IommuDomain d, Granule g, SplittableRandom rnd) {
    long b = block(g);
    int perBlock = (int) (b / g.size());
    int[] prot = new int[blocks(g) * perBlock];
    for (int i = 0; i < blocks(g); i++) {
      long base = i * b;
      int kind = rnd.nextInt(4);
      if (kind < 2) {
        int p = kind == 0 ? IOMMU_READ | IOMMU_WRITE : IOMMU_READ;
        d.map(base, PA + base, b, p);
        Arrays.fill(prot, i * perBlock, (i + 1) * perBlock, p);
        continue;
      }
      boolean uniform = kind == 2;
      for (int page = 0; page < perBlock; ) {
        int run = 1 + rnd.nextInt(Math.min(perBlock - page, 64));
        int p = uniform || rnd.nextInt(4) != 0 ? IOMMU_READ | IOMMU_WRITE : IOMMU_READ;
        long iova = base + page * g.size();
        d.map(iova, PA + iova, run * g.size(), p);
        Arrays.fill(prot, i * perBlock + page, i * perBlock + page + run, p);
        page += run;
      }
    }
    return prot;
  }

  /**
   * Random DMA writes, harvests, splits and collapses over a fully mapped region: every page
   * written since the previous harvest is reported (no false negatives), nothing read-only is ever
   * reported, a NO_CLEAR harvest neither loses nor clears, a split keeps the reported set exactly,
   * a collapse never shrinks it, and every translation keeps its output address and permission.
   */
  @Test
  void randomOperations_neverLoseAWriteAndKeepTranslations() {
    for (int t = 0; t < TRIES; t++) {
      SplittableRandom rnd = new SplittableRandom(SEED + t);
      Granule g = Granule.values()[rnd.nextInt(3)];
      int bbml = rnd.nextInt(3);
      String ctx = "seed=0x" + Long.toHexString(SEED) + " try=" + t + " " + g + " BBML" + bbml;
      IommuDomain d =
          SmmuV3Driver.builder()
              .granule(g)
              .bbml(bbml)
              .build()
              .allocateDomain(DomainConfig.DIRTY_TRACKING);
      long ps = g.size();
      long b = block(g);
      long region = blocks(g) * b;
      int[] prot = mapRegion(d, g, rnd);
      TestDma.enableTracking(d, 0, region);
      TestDma dma = new TestDma(d);
      BitSet written = new BitSet();
      for (int op = 0; op < 40; op++) {
        String where = ctx + " op=" + op;
        int kind = rnd.nextInt(20);
        if (kind < 10) {
          int page = rnd.nextInt(prot.length);
          long iova = page * ps + rnd.nextLong(ps);
          boolean ok = dma.write(iova);
          assertEquals((prot[page] & IOMMU_WRITE) != 0, ok, where + " write 0x" + hex(iova));
          if (ok) {
            written.set(page);
          }
        } else if (kind < 13) {
          checkHarvest(d, region, ps, prot, written, 0, where);
          written.clear();
        } else if (kind < 15) {
          IovaBitmap a = checkHarvest(d, region, ps, prot, written, NO_CLEAR, where);
          IovaBitmap again = TestDma.harvest(d, 0, region, ps, NO_CLEAR);
          assertArrayEquals(a.words(), again.words(), where + " NO_CLEAR changed state");
        } else if (kind < 17) {
          long first = rnd.nextInt(blocks(g)) * b;
          long len = (1 + rnd.nextInt((int) ((region - first) / b))) * b;
          IovaBitmap before = TestDma.harvest(d, 0, region, ps, NO_CLEAR);
          d.split(first, len, pickSize(g, rnd));
          IovaBitmap after = TestDma.harvest(d, 0, region, ps, NO_CLEAR);
          assertArrayEquals(before.words(), after.words(), where + " split changed dirt");
        } else if (kind < 19) {
          long first = rnd.nextInt(blocks(g)) * b;
          long len = (1 + rnd.nextInt((int) ((region - first) / b))) * b;
          IovaBitmap before = TestDma.harvest(d, 0, region, ps, NO_CLEAR);
          d.collapse(first, len);
          IovaBitmap after = TestDma.harvest(d, 0, region, ps, NO_CLEAR);
          before.forEachDirty(
              iova ->
                  assertTrue(after.isDirty(iova), () -> where + " collapse lost 0x" + hex(iova)));
        } else {
          for (int k = 0; k < 8; k++) {
            int page = rnd.nextInt(prot.length);
            long iova = page * ps + rnd.nextLong(ps);
            Translation tr =
                d.translate(iova).orElseThrow(() -> new AssertionError(where + " unmapped"));
            assertEquals(PA + iova, tr.physicalOf(iova), where);
            assertEquals((prot[page] & IOMMU_WRITE) != 0, tr.writable(), where);
            assertTrue((g.pageSizeBitmap() & tr.size()) != 0, where);
            assertEquals(PA + iova, d.iovaToPhys(iova).orElseThrow(), where);
          }
        }
      }
      checkHarvest(d, region, ps, prot, written, 0, ctx + " final");
    }
  }

  private static final int NO_CLEAR = Iommufd.IOMMU_DIRTY_NO_CLEAR;

  private static long pickSize(Granule g, SplittableRandom rnd) {
    long sizes = g.pageSizeBitmap() & ~(1L << 30);
    return rnd.nextBoolean() ? Long.lowestOneBit(sizes) : Long.highestOneBit(sizes);
  }

  private static IovaBitmap checkHarvest(
      IommuDomain d, long region, long ps, int[] prot, BitSet written, int flags, String where) {
    IovaBitmap got = TestDma.harvest(d, 0, region, ps, flags);
    for (int p = written.nextSetBit(0); p >= 0; p = written.nextSetBit(p + 1)) {
      int page = p;
      assertTrue(got.isDirty(p * ps), () -> where + " lost the write to page " + page);
    }
    got.forEachDirty(
        iova ->
            assertTrue(
                (prot[(int) (iova / ps)] & IOMMU_WRITE) != 0,
                () -> where + " reported read-only 0x" + hex(iova)));
    return got;
  }

  /**
   * The iommufd live-migration scenario end to end: map, enable (clear first), pre-copy rounds of
   * DMA writes and harvests copying the reported pages, a final stop-and-copy; the destination must
   * equal the source page for page.
   */
  @ParameterizedTest
  @EnumSource(Granule.class)
  void precopyMigration_destinationEqualsSource(Granule g) {
    SplittableRandom rnd = new SplittableRandom(SEED ^ g.ordinal());
    IommuDomain d = SmmuV3Driver.withGranule(g).allocateDomain(DomainConfig.DIRTY_TRACKING);
    long ps = g.size();
    long region = blocks(g) * block(g);
    int[] prot = mapRegion(d, g, rnd);
    GuestMemory src = GuestMemory.create(PA, region, 1);
    GuestMemory dst = GuestMemory.create(PA, region, 2);
    TestDma.enableTracking(d, 0, region);
    dst.copyFrom(src, PA, region);
    TestDma dma = new TestDma(d);
    long readOnlyWrites = 0;
    for (int round = 0; round < 20; round++) {
      for (int w = 0; w < 50; w++) {
        long iova = rnd.nextLong(region);
        readOnlyWrites += (prot[(int) (iova / ps)] & IOMMU_WRITE) == 0 ? 1 : 0;
        if (dma.write(iova)) {
          src.write(PA + iova, 1);
        }
      }
      if (round % 5 == 4) {
        d.split(0, region, g.size());
      } else if (round % 5 == 2) {
        d.collapse(0, region);
      }
      copyDirty(TestDma.harvest(d, 0, region, ps, 0), src, dst, ps);
    }
    copyDirty(TestDma.harvest(d, 0, region, ps, 0), src, dst, ps);
    assertEquals(-1, dst.firstDifference(src), g + " seed=0x" + Long.toHexString(SEED));
    assertEquals(readOnlyWrites, dma.faults(), "faults exactly on read-only pages");
  }

  private static void copyDirty(IovaBitmap b, GuestMemory src, GuestMemory dst, long ps) {
    b.forEachDirty(iova -> dst.copyFrom(src, PA + iova, ps));
  }

  /**
   * DMA from two threads while the control plane harvests, splits and collapses: at the end the
   * migrated copy equals the source. A write that straddles an invalidation completes before the
   * invalidation is considered complete (the read/write lock stands for the SMMU's CMD_SYNC waiting
   * for outstanding transactions), so nothing may be lost. Bounded by iteration counts.
   */
  @ParameterizedTest
  @EnumSource(Granule.class)
  void concurrentDma_withHarvestSplitCollapse_losesNothing(Granule g) throws Exception {
    for (int bbml : new int[] {0, 2}) {
      runConcurrent(g, bbml);
    }
  }

  private static void runConcurrent(Granule g, int bbml) throws Exception {
    String ctx = g + " BBML" + bbml + " seed=0x" + Long.toHexString(SEED);
    SplittableRandom rnd = new SplittableRandom(SEED + 31 * g.ordinal() + bbml);
    IommuDomain d =
        SmmuV3Driver.builder()
            .granule(g)
            .bbml(bbml)
            .build()
            .allocateDomain(DomainConfig.DIRTY_TRACKING);
    long ps = g.size();
    long b = block(g);
    long region = blocks(g) * b;
    for (int i = 0; i < blocks(g); i++) {
      d.map(i * b, PA + i * b, b, IOMMU_READ | IOMMU_WRITE);
    }
    GuestMemory src = GuestMemory.create(PA, region, 1);
    GuestMemory dst = GuestMemory.create(PA, region, 2);
    TestDma.enableTracking(d, 0, region);
    dst.copyFrom(src, PA, region);
    ReentrantReadWriteLock inFlight = new ReentrantReadWriteLock();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> error = new AtomicReference<>();
    List<Thread> threads = new ArrayList<>();
    for (int k = 0; k < 2; k++) {
      SplittableRandom r = rnd.split();
      Thread th =
          new Thread(
              () -> {
                TestDma dma = new TestDma(d);
                try {
                  for (int w = 0; w < 1_000_000 && !stop.get(); w++) {
                    long iova = r.nextInt(8) * (region / 8) + r.nextLong(4 * ps);
                    inFlight.readLock().lock();
                    try {
                      if (dma.write(iova)) {
                        src.write(PA + iova, 1);
                      }
                    } finally {
                      inFlight.readLock().unlock();
                    }
                  }
                } catch (Throwable e) {
                  error.set(e);
                }
              });
      threads.add(th);
      th.start();
    }
    for (int round = 0; round < 300; round++) {
      int op = rnd.nextInt(3);
      if (op == 0) {
        d.split(rnd.nextInt(blocks(g)) * b, b, ps);
      } else if (op == 1) {
        d.collapse(0, region);
      }
      quiesce(inFlight);
      IovaBitmap got = TestDma.harvest(d, 0, region, ps, 0);
      quiesce(inFlight);
      copyDirty(got, src, dst, ps);
    }
    stop.set(true);
    for (Thread th : threads) {
      th.join();
    }
    if (error.get() != null) {
      fail(ctx, error.get());
    }
    copyDirty(TestDma.harvest(d, 0, region, ps, 0), src, dst, ps);
    long diff = dst.firstDifference(src);
    assertEquals(-1, diff, ctx + " stale page at PA 0x" + hex(diff));
  }

  /** Waits until every DMA write that started before now has completed. */
  private static void quiesce(ReentrantReadWriteLock inFlight) {
    inFlight.writeLock().lock();
    inFlight.writeLock().unlock();
  }

  private static String hex(long v) {
    return Long.toHexString(v);
  }
}
