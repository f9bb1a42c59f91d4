package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Writers race harvests, splits and collapses. The reference model records, after each completed
 * DMA, the pages written and how many harvests had completed before the DMA started: every such
 * page must appear in a later harvest (so certainly in the union of all harvests). A write that
 * starts after a harvest's flush cannot hide behind that harvest's report, which keeps the oracle
 * sharp even though 2 MiB leaves over-report.
 */
class IommufdStressTest {
  static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  static final long MEM = 0x1_0000_0000L;
  static final long PAGE = 4096;
  static final long IOVA = 0x4000_0000L;
  static final long LEN = 8L << 20; // four 2 MiB leaves
  static final int PAGES = (int) (LEN / PAGE);
  static final int WRITERS = 3;
  static final int WRITES = 4000;

  @Test
  void writersRaceHarvestsSplitsAndCollapses_noWrittenPageIsMissed() throws Exception {
    GuestMemory memory = GuestMemory.create(MEM, LEN, 3);
    Tracked setup = tracked(memory);
    IommufdContext fd = setup.fd();
    int dev = setup.dev();
    int hwpt = setup.hwpt();
    IommuDomain domain = fd.domain(hwpt);

    int[][] firstPage = new int[WRITERS][WRITES];
    int[][] endPage = new int[WRITERS][WRITES];
    int[][] harvestsBefore = new int[WRITERS][WRITES];
    AtomicInteger completedHarvests = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    AtomicInteger running = new AtomicInteger(WRITERS);
    List<Thread> threads =
        startWriters(
            running,
            failure,
            writer -> {
              SplittableRandom rnd = new SplittableRandom(SEED + writer);
              for (int i = 0; i < WRITES; i++) {
                int page = rnd.nextInt(PAGES);
                long length = 1 + rnd.nextLong(Math.min(2, PAGES - page) * PAGE);
                int before = completedHarvests.get();
                DmaResult r = fd.dmaWrite(dev, IOVA + page * PAGE, length);
                if (r.bytes() != length || r.faults() != 0) {
                  throw new AssertionError("write " + i + " page " + page + ": " + r);
                }
                firstPage[writer][i] = page;
                endPage[writer][i] = (int) (page + (length + PAGE - 1) / PAGE);
                harvestsBefore[writer][i] = before;
              }
            });

    int[] lastHarvestWith = new int[PAGES]; // 1-based index of the last harvest reporting a page
    SplittableRandom ops = new SplittableRandom(SEED);
    int rounds = 0;
    while (running.get() > 0 || rounds == 0) {
      harvest(fd, hwpt, ++rounds, lastHarvestWith);
      completedHarvests.set(rounds);
      long block = IOVA + (2L << 20) * ops.nextInt(4);
      if (ops.nextBoolean()) {
        domain.split(block, 2L << 20, PAGE); // the test thread is the only control plane
      } else {
        domain.collapse(block, 2L << 20);
      }
    }
    for (Thread t : threads) {
      t.join();
    }
    harvest(fd, hwpt, ++rounds, lastHarvestWith);
    if (failure.get() != null) {
      throw new AssertionError("seed=0x" + Long.toHexString(SEED), failure.get());
    }
    for (int w = 0; w < WRITERS; w++) {
      for (int i = 0; i < WRITES; i++) {
        for (int p = firstPage[w][i]; p < endPage[w][i]; p++) {
          int k = harvestsBefore[w][i];
          assertTrue(
              lastHarvestWith[p] > k,
              "seed=0x"
                  + Long.toHexString(SEED)
                  + " writer "
                  + w
                  + " write "
                  + i
                  + " page "
                  + p
                  + " started after harvest "
                  + k
                  + " but was never reported later ("
                  + rounds
                  + " rounds)");
        }
      }
    }
    assertEquals(List.of(), fd.ioPageFaults());
  }

  /**
   * A VMM's pre-copy loop against live DMA: writers store to random pages while the migration
   * thread harvests and copies every reported page to the destination; after the writers stop, one
   * final harvest and copy. The destination must equal the source. Each harvest's flush draining
   * the writes under way (Iotlb) is part of why: a write whose dirty state a harvest reported has
   * stored its data before the VMM copies the page. That window is nanoseconds wide, too narrow for
   * this test to hit reliably; DmaEngineTest pins the drain deterministically.
   */
  @Test
  void precopyAgainstLiveDma_destinationEqualsSource() throws Exception {
    GuestMemory src = GuestMemory.create(MEM, LEN, 5);
    GuestMemory dst = GuestMemory.create(MEM, LEN, 6);
    dst.copyFrom(src, MEM, LEN);
    Tracked setup = tracked(src);
    IommufdContext fd = setup.fd();
    int dev = setup.dev();
    int hwpt = setup.hwpt();
    AtomicInteger running = new AtomicInteger(WRITERS);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Thread> threads =
        startWriters(
            running,
            failure,
            writer -> {
              SplittableRandom rnd = new SplittableRandom(SEED ^ (writer + 17));
              for (int i = 0; i < 4 * WRITES; i++) {
                int page = rnd.nextInt(HOT_PAGES); // a hot set: translations stay cached
                fd.dmaWrite(dev, IOVA + page * PAGE, 8);
              }
            });
    int rounds = 0;
    while (running.get() > 0) {
      copyReported(fd, hwpt, src, dst);
      rounds++;
    }
    for (Thread t : threads) {
      t.join();
    }
    copyReported(fd, hwpt, src, dst);
    if (failure.get() != null) {
      throw new AssertionError("seed=0x" + Long.toHexString(SEED), failure.get());
    }
    assertEquals(
        -1,
        dst.firstDifference(src),
        "seed=0x" + Long.toHexString(SEED) + " after " + rounds + " rounds");
  }

  /**
   * Starts {@value #WRITERS} threads running {@code body} with their index; the first throwable
   * goes to {@code failure}, and {@code running} counts down as they end.
   */
  private static List<Thread> startWriters(
      AtomicInteger running, AtomicReference<Throwable> failure, IntConsumer body) {
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      int writer = w;
      Thread t =
          new Thread(
              () -> {
                try {
                  body.accept(writer);
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  running.decrementAndGet();
                }
              });
      threads.add(t);
      t.start();
    }
    return threads;
  }

  /** An iommufd with one device on a dirty-tracking mock HWPT, all of {@code memory} mapped. */
  private record Tracked(IommufdContext fd, int dev, int hwpt) {}

  private static Tracked tracked(GuestMemory memory) {
    IommufdContext fd = IommufdContext.create(memory);
    int ioas = fd.ioasAlloc(0);
    int dev = fd.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    int hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
    fd.attach(dev, hwpt);
    fd.ioasMap(ioas, IoasMap.fixed(MEM, LEN, IOVA));
    fd.hwptSetDirtyTracking(hwpt, 1);
    return new Tracked(fd, dev, hwpt);
  }

  private static final int HOT_PAGES = 64;

  private static void copyReported(IommufdContext fd, int hwpt, GuestMemory src, GuestMemory dst) {
    long[] data = new long[(int) IovaBitmap.wordCount(HOT_PAGES * PAGE, PAGE)];
    fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, 0, IOVA, HOT_PAGES * PAGE, PAGE), data);
    BitSet dirty = BitSet.valueOf(data);
    for (int p = dirty.nextSetBit(0); p >= 0; p = dirty.nextSetBit(p + 1)) {
      dst.copyFrom(src, MEM + p * PAGE, PAGE);
    }
  }

  private static void harvest(IommufdContext fd, int hwpt, int index, int[] lastHarvestWith) {
    long[] data = new long[(int) IovaBitmap.wordCount(LEN, PAGE)];
    fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, 0, IOVA, LEN, PAGE), data);
    BitSet dirty = BitSet.valueOf(data);
    for (int p = dirty.nextSetBit(0); p >= 0; p = dirty.nextSetBit(p + 1)) {
      lastHarvestWith[p] = index;
    }
  }
}
