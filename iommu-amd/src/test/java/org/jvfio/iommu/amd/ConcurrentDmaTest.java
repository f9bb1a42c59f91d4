package org.jvfio.iommu.amd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.iommu.amd.AmdV1DomainTest.K4;
import static org.jvfio.iommu.amd.AmdV1DomainTest.K64;
import static org.jvfio.iommu.amd.AmdV1DomainTest.M2;
import static org.jvfio.iommu.amd.AmdV1DomainTest.RW;
import static org.jvfio.iommu.amd.AmdV1DomainTest.harvest;

import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.jvfio.core.spi.DomainConfig;

/**
 * DMA writers on several threads race harvests, splits and collapses; no write may be lost
 * (docs/architecture.md, "Concurrency"). Bounded by iteration counts, not time: each phase's
 * writers do a fixed number of writes while the control thread does a fixed number of operations;
 * after the phase, every page written in it must be in the union of the phase's harvests.
 */
class ConcurrentDmaTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final long WINDOW = 32L << 20;
  private static final int PAGES = (int) (WINDOW / K4);
  private static final int WRITERS = 3;
  private static final int WRITES = 4000;
  private static final int PHASES = 8;

  @Test
  void writersRacingHarvestSplitCollapse_noWriteLost_noSpuriousFault() throws Exception {
    AmdV1Domain d = new AmdV1Driver().allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0, 0x1000_0000L + K4, 8L << 20, RW); // 4 KiB leaves
    d.map(8L << 20, 0x2000_0000L, 8L << 20, RW); // 2 MiB leaves... and one 8 MiB run
    d.map(16L << 20, 0x3000_0000L + K64, 8L << 20, RW); // 64 KiB runs
    d.map(24L << 20, 0x4080_0000L, 8L << 20, RW); // one 8 MiB run of four 2 MiB replicas
    d.setDirtyTracking(true);
    SplittableRandom control = new SplittableRandom(SEED);

    for (int phase = 0; phase < PHASES; phase++) {
      BitSet[] written = new BitSet[WRITERS];
      AtomicReference<Throwable> failure = new AtomicReference<>();
      CountDownLatch start = new CountDownLatch(1);
      Thread[] threads = new Thread[WRITERS];
      for (int w = 0; w < WRITERS; w++) {
        BitSet mine = written[w] = new BitSet(PAGES);
        SplittableRandom rnd = control.split();
        threads[w] =
            new Thread(
                () -> {
                  try {
                    start.await();
                    TestDma dma = new TestDma(d);
                    for (int i = 0; i < WRITES; i++) {
                      int page = rnd.nextInt(PAGES);
                      if (!dma.write(page * K4 + rnd.nextInt(4096))) {
                        throw new AssertionError("spurious fault at page " + page);
                      }
                      mine.set(page);
                    }
                  } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                  }
                });
        threads[w].start();
      }
      BitSet reported = new BitSet(PAGES);
      start.countDown();
      for (int op = 0; op < 12; op++) {
        long va = control.nextLong(WINDOW) & -K4;
        long len = K4 << control.nextInt(14);
        switch (control.nextInt(3)) {
          case 0:
            d.split(va, len, K4 << control.nextInt(10));
            break;
          case 1:
            d.collapse(va & -M2, len);
            break;
          default:
            reported.or(BitSet.valueOf(harvest(d, 0, WINDOW, 0).words()));
        }
      }
      for (Thread t : threads) {
        t.join();
      }
      if (failure.get() != null) {
        throw new AssertionError(
            "phase " + phase + ", seed 0x" + Long.toHexString(SEED), failure.get());
      }
      reported.or(BitSet.valueOf(harvest(d, 0, WINDOW, 0).words()));
      BitSet lost = new BitSet(PAGES);
      for (BitSet w : written) {
        lost.or(w);
      }
      lost.andNot(reported);
      assertTrue(
          lost.isEmpty(),
          "phase " + phase + " lost dirty pages " + lost + ", seed 0x" + Long.toHexString(SEED));
    }
    assertEquals(0, harvest(d, 0, WINDOW, 0).cardinality(), "quiet after the last phase");
  }
}
