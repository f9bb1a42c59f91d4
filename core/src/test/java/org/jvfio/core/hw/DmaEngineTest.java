package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.core.spi.MockIommuDriver;

class DmaEngineTest {
  static final long MEM = 0x1_0000_0000L;
  static final long PAGE = 4096;
  static final long IOVA = 0x10_0000L;
  static final int RW = IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE;

  final GuestMemory memory = GuestMemory.create(MEM, 16L << 20, 7);
  final DmaEngine engine = new DmaEngine(List.of(memory), 4);
  final IommuDomain domain =
      MockIommuDriver.create(true, false).allocateDomain(DomainConfig.DIRTY_TRACKING);

  /** Reads and clears the dirty bits of one page; flushes the IOTLB only if {@code sync}. */
  IovaBitmap harvest(boolean sync) {
    IovaBitmap bitmap = IovaBitmap.allocate(IOVA, 4 * PAGE, PAGE);
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(IOVA, 4 * PAGE, 0, IommuDirtyBitmap.of(bitmap, gather));
    if (sync) {
      domain.iotlbSync(gather);
    }
    return bitmap;
  }

  /**
   * The invalidation's completion wait drains writes under way: while a two-page write is held
   * between its pages, an invalidation of the IOTLB does not return; it returns once the write has
   * stored its second page.
   */
  @Test
  void invalidation_waitsForTheWriteUnderWay() throws Exception {
    domain.map(IOVA, MEM, 4 * PAGE, RW);
    domain.setDirtyTracking(true);
    long before = memory.token(MEM + PAGE);
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    DmaWriteListener pauseAfterFirstPage =
        (iova, length) -> {
          if (iova == IOVA) {
            inside.countDown();
            awaitUninterruptibly(release);
          }
        };
    Thread writer = new Thread(() -> engine.write(1, domain, IOVA, 2 * PAGE, pauseAfterFirstPage));
    writer.start();
    inside.await();
    AtomicBoolean invalidated = new AtomicBoolean();
    Thread invalidator =
        new Thread(
            () -> {
              domain.iotlb().invalidateAll();
              invalidated.set(true);
            });
    invalidator.start();
    invalidator.join(200);
    assertFalse(invalidated.get(), "the invalidation completed while a write was under way");
    assertEquals(before, memory.token(MEM + PAGE));
    release.countDown();
    invalidator.join();
    writer.join();
    assertTrue(invalidated.get());
    assertNotEquals(before, memory.token(MEM + PAGE), "the drained write stored its second page");
    assertEquals(2, harvest(true).cardinality());
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    while (true) {
      try {
        latch.await();
        return;
      } catch (InterruptedException e) {
        // keep waiting: the test releases the latch
      }
    }
  }

  @Test
  void write_afterHarvestWithoutInvalidation_isInvisible() {
    domain.map(IOVA, MEM, 4 * PAGE, RW);
    domain.setDirtyTracking(true);
    engine.write(1, domain, IOVA, 8, DmaWriteListener.NONE);
    assertTrue(harvest(false).isDirty(IOVA));
    // The translation is still cached dirty: the second write leaves no trace.
    engine.write(1, domain, IOVA, 8, DmaWriteListener.NONE);
    assertFalse(harvest(true).isDirty(IOVA), "a stale IOTLB entry must hide the write");
  }

  @Test
  void write_afterHarvestWithInvalidation_isVisible() {
    domain.map(IOVA, MEM, 4 * PAGE, RW);
    domain.setDirtyTracking(true);
    engine.write(1, domain, IOVA, 8, DmaWriteListener.NONE);
    assertTrue(harvest(true).isDirty(IOVA));
    long misses = domain.iotlb().misses();
    engine.write(1, domain, IOVA, 8, DmaWriteListener.NONE);
    assertEquals(misses + 1, domain.iotlb().misses(), "the flush must have dropped the entry");
    assertTrue(harvest(true).isDirty(IOVA));
    assertEquals(0, harvest(true).cardinality());
  }

  @Test
  void write_trackingOff_setsNoDirtyBit() {
    domain.map(IOVA, MEM, 4 * PAGE, RW);
    engine.write(1, domain, IOVA, 4 * PAGE, DmaWriteListener.NONE);
    assertEquals(0, harvest(true).cardinality());
  }

  @Test
  void write_unmappedOrReadOnly_faultsAndWritesNothing() {
    domain.map(IOVA, MEM, PAGE, IommuDomain.IOMMU_READ);
    domain.setDirtyTracking(true);
    long token = memory.token(MEM);
    DmaResult r =
        engine.write(
            3,
            domain,
            IOVA,
            2 * PAGE,
            (iova, len) -> {
              throw new AssertionError("tracker told of a faulting write");
            });
    assertEquals(new DmaResult(0, 2), r);
    assertEquals(token, memory.token(MEM));
    assertEquals(0, harvest(true).cardinality());
    assertEquals(
        List.of(
            new IoPageFault(3, IOVA, true, IoPageFault.Cause.PERMISSION),
            new IoPageFault(3, IOVA + PAGE, true, IoPageFault.Cause.NOT_PRESENT)),
        engine.recentFaults());
    assertEquals(new DmaResult(PAGE, 1), engine.read(3, domain, IOVA, 2 * PAGE));
  }

  @Test
  void write_spanningPages_writesEachPageAndTellsTracker() {
    domain.map(IOVA, MEM, 4 * PAGE, RW);
    long[] told = {0};
    DmaResult r = engine.write(1, domain, IOVA + 100, 2 * PAGE, (iova, len) -> told[0] += len);
    assertEquals(new DmaResult(2 * PAGE, 0), r);
    assertEquals(2 * PAGE, told[0]);
    for (int p = 0; p < 3; p++) {
      assertNotEquals(0, memory.token(MEM + p * PAGE));
    }
    assertEquals(0, memory.token(MEM + 3 * PAGE));
  }

  @Test
  void faultLog_isBounded() {
    for (int i = 0; i < 10; i++) {
      engine.blocked(1, i * PAGE, 1, true);
    }
    assertEquals(4, engine.recentFaults().size());
    assertEquals(6 * PAGE, engine.recentFaults().get(0).iova());
    assertEquals(10, engine.faultCount());
    assertThrows(IllegalArgumentException.class, () -> engine.blocked(1, -PAGE, 2 * PAGE, true));
  }
}
