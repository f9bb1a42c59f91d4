package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;

/**
 * DMA from several threads while the control plane splits, harvests and collapses
 * (docs/fidelity.md, "Split and collapse"): no write may be lost. Bounded by epochs, not time.
 *
 * <p>Oracle: a logical clock. A writer reads the clock before each write; a harvest ticks it after
 * its sync and stamps the pages it reported. In each epoch the writers write a few hundred random
 * pages while the control plane splits, harvests and collapses; then the writers pause, a last
 * harvest runs, and every page must carry a stamp no older than the start of its last write: some
 * harvest that ended after that write began reported the page, so a consumer copying after it sees
 * the write. Few writes per page per epoch keep a lost dirty bit from being masked by a later one.
 */
class VtdConcurrentDmaTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final long M2 = 1L << 21;
  private static final long REGION = 4 * M2;
  private static final int PAGES = (int) (REGION >>> 12);
  private static final int WRITERS = 2;
  private static final int EPOCHS = 1500;
  private static final int WRITES_PER_EPOCH = 300;
  private static final int RACES = 500;

  @Test
  void dmaDuringSplitCollapseAndHarvest_noWriteLost() throws Exception {
    IntelDomain d = new IntelSsDriver().allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0, 0x4000_0000L, REGION, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    TestDma.enableTracking(d, 0, REGION);
    AtomicLong clock = new AtomicLong(1);
    AtomicLongArray lastWriteStart = new AtomicLongArray(PAGES);
    long[] lastReported = new long[PAGES];
    CyclicBarrier barrier = new CyclicBarrier(WRITERS + 1);
    ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
    try {
      Future<?>[] writers = new Future<?>[WRITERS];
      for (int w = 0; w < WRITERS; w++) {
        long seed = SEED + 1 + w;
        writers[w] =
            pool.submit(
                () -> {
                  SplittableRandom r = new SplittableRandom(seed);
                  TestDma dma = new TestDma(d);
                  for (int epoch = 0; epoch < EPOCHS; epoch++) {
                    barrier.await(30, TimeUnit.SECONDS);
                    for (int i = 0; i < WRITES_PER_EPOCH; i++) {
                      int page = r.nextInt(PAGES);
                      lastWriteStart.accumulateAndGet(page, clock.get(), Math::max);
                      assertTrue(dma.write((long) page << 12), "seed=" + seed + " fault");
                    }
                    barrier.await(30, TimeUnit.SECONDS);
                  }
                  return null;
                });
      }
      SplittableRandom r = new SplittableRandom(SEED);
      for (int epoch = 0; epoch < EPOCHS; epoch++) {
        barrier.await(30, TimeUnit.SECONDS);
        long from = M2 * r.nextInt(4);
        long length = M2 * (1 + r.nextInt((int) ((REGION - from) / M2)));
        d.split(from, length, r.nextBoolean() ? 1L << 12 : M2);
        harvest(d, clock, lastReported);
        d.collapse(0, REGION); // right after a harvest: the writers are re-dirtying children
        barrier.await(30, TimeUnit.SECONDS);
        harvest(d, clock, lastReported);
        for (int p = 0; p < PAGES; p++) {
          long started = lastWriteStart.get(p);
          if (started != 0 && lastReported[p] < started) {
            throw new AssertionError(
                "seed=0x" + Long.toHexString(SEED) + " epoch " + epoch + ": lost page " + p);
          }
        }
      }
      for (Future<?> f : writers) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertEquals(0, TestDma.harvest(d, 0, REGION, 0).cardinality(), "quiet after the end");
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * The collapse race aimed at directly: after a harvest cleaned a split 2 MiB region, one write to
   * a random child races with its collapse (both released by a spin on a shared epoch counter).
   * Whenever the new leaf was built clean, only the re-read after the invalidation can carry that
   * write's D into it.
   */
  @Test
  void writeRacingCollapse_isCarriedIntoTheNewLeaf() throws Exception {
    IntelDomain d = new IntelSsDriver().allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0, 0x4000_0000L, M2, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    TestDma.enableTracking(d, 0, M2);
    AtomicLong epoch = new AtomicLong();
    AtomicLong written = new AtomicLong(-1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> writer =
          pool.submit(
              () -> {
                SplittableRandom r = new SplittableRandom(SEED);
                TestDma dma = new TestDma(d);
                for (long e = 1; e <= RACES; e++) {
                  while (epoch.get() < e) {
                    Thread.onSpinWait();
                  }
                  long page = (long) r.nextInt(512) << 12;
                  assertTrue(dma.write(page), "IO page fault at " + page + " during a collapse");
                  written.set(page);
                }
                return null;
              });
      for (long e = 1; e <= RACES; e++) {
        d.split(0, M2, 1L << 12);
        IovaBitmap before = TestDma.harvest(d, 0, M2, 0);
        written.set(-1);
        epoch.set(e);
        d.collapse(0, M2);
        while (written.get() < 0) {
          if (writer.isDone()) {
            writer.get(); // surfaces the writer's failure instead of spinning forever
            throw new AssertionError("writer ended early");
          }
          Thread.onSpinWait();
        }
        IovaBitmap after = TestDma.harvest(d, 0, M2, 0);
        assertTrue(
            after.isDirty(written.get()),
            "seed=0x" + Long.toHexString(SEED) + " race " + e + ": write lost; before " + before);
      }
      writer.get(30, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }
  }

  private static void harvest(IntelDomain d, AtomicLong clock, long[] lastReported) {
    IovaBitmap bm = TestDma.harvest(d, 0, REGION, 0);
    long stamp = clock.incrementAndGet();
    bm.forEachDirty(iova -> lastReported[(int) (iova >>> 12)] = stamp);
  }
}
