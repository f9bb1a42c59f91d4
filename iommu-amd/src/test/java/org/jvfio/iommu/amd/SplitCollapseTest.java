package org.jvfio.iommu.amd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.iommu.amd.AmdV1DomainTest.G1;
import static org.jvfio.iommu.amd.AmdV1DomainTest.K4;
import static org.jvfio.iommu.amd.AmdV1DomainTest.K64;
import static org.jvfio.iommu.amd.AmdV1DomainTest.M2;
import static org.jvfio.iommu.amd.AmdV1DomainTest.RW;
import static org.jvfio.iommu.amd.AmdV1DomainTest.dirtyDomain;
import static org.jvfio.iommu.amd.AmdV1DomainTest.dump;
import static org.jvfio.iommu.amd.AmdV1DomainTest.harvest;
import static org.jvfio.iommu.amd.AmdV1DomainTest.leafWord;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.IommuDomain;

class SplitCollapseTest {
  private static final long FC_IR_IW = AmdV1Entry.FC | AmdV1Entry.IR | AmdV1Entry.IW;

  /** Runs {@code action} in the publish window of the next split/collapse step only. */
  private static void onceInPublishWindow(AmdV1Domain d, Runnable action) {
    AtomicBoolean done = new AtomicBoolean();
    ((V1Domain) d).publishWindow =
        () -> {
          if (done.compareAndSet(false, true)) {
            action.run();
          }
        };
  }

  private static long[] leafWords(IommuDomain d, long iova, long size) {
    long[] w = new long[(int) (size / K4)];
    for (int i = 0; i < w.length; i++) {
      w[i] = leafWord(d, iova + i * K4);
    }
    return w;
  }

  @Test
  void split2MiB_into4KiB_childrenBitExact_oldRangeFlushed() {
    AmdV1Domain d = dirtyDomain();
    d.map(M2, 0x4000_0000L, M2, RW);
    long frames = d.memory().framesInUse();
    long flushes = d.iotlb().rangeInvalidations();

    d.split(M2, M2, K4);

    assertEquals(frames + 1, d.memory().framesInUse());
    assertEquals(flushes + 1, d.iotlb().rangeInvalidations());
    long[] w = d.walk(M2 + 7 * K4);
    assertEquals(3, w.length, dump(d, M2 + 7 * K4));
    assertEquals(1, AmdV1Entry.nextLevel(w[1]), "level-2 slot now a PDE to a level-1 table");
    for (int i = 0; i < 512; i++) {
      assertEquals(0x4000_0000L + i * K4 | FC_IR_IW | 1, leafWord(d, M2 + i * K4), "child " + i);
    }
  }

  @Test
  void split_staleTranslationRefused_rewalkMarksChildOnly() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    d.setDirtyTracking(true);
    Translation stale = d.translate(5 * K4).orElseThrow();
    assertFalse(stale.dirty());

    d.split(0, M2, K4);

    assertFalse(d.setDirtyByHardware(stale), "slot now holds a table pointer");
    long[] w = d.walk(5 * K4);
    assertEquals(0L, w[1] & AmdV1Entry.D, "no D in a PDE");
    Translation fresh = d.translate(5 * K4).orElseThrow();
    assertEquals(K4, fresh.size());
    assertTrue(d.setDirtyByHardware(fresh));
    assertEquals(1, harvest(d, 0, M2, 0).cardinality());
  }

  @Test
  void splitDirtyLeaf_everyChildInheritsDirty() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    d.setDirtyTracking(true);
    assertTrue(new TestDma(d).write(100));
    d.split(0, M2, K64);
    for (long va = 0; va < M2; va += K4) {
      long e = leafWord(d, va);
      assertEquals(K64, AmdV1Entry.pageSize(e, 1));
      assertEquals(AmdV1Entry.D, e & AmdV1Entry.D, "replica at " + va);
    }
    assertEquals(512, harvest(d, 0, M2, 0).cardinality());
  }

  @Test
  void splitRunInPlace_dInOneReplica_allChildrenDirty() {
    AmdV1Domain d = dirtyDomain();
    d.map(K64, 0x70000, K64, RW);
    d.setDirtyTracking(true);
    assertTrue(new TestDma(d).write(K64 + 9 * K4));
    long frames = d.memory().framesInUse();

    d.split(K64, K64, K4);

    assertEquals(frames, d.memory().framesInUse(), "in place: no new table");
    long ad = AmdV1Entry.A | AmdV1Entry.D;
    for (int j = 0; j < 16; j++) {
      assertEquals(0x70000L + j * K4 | FC_IR_IW | ad | 1, leafWord(d, K64 + j * K4), "child " + j);
    }
  }

  @Test
  void split1GiB_into2MiBAnd4KiB_translationsPreserved() {
    AmdV1Domain d = dirtyDomain();
    d.map(G1, 3 * G1, G1, RW);
    d.split(G1, K4, M2); // a range touching the leaf splits it whole
    assertEquals(M2, d.translate(G1 + 5 * M2 + 3).orElseThrow().size());
    assertEquals(0x7000_0000_C0A0_0001L, leafWord(d, G1 + 5 * M2));
    d.split(G1, G1, K4);
    assertEquals(1 + 1 + 512, d.memory().framesInUse());
    for (long va = G1; va < 2 * G1; va += 12345 * K4 + 17) {
      Translation t = d.translate(va).orElseThrow();
      assertEquals(K4, t.size());
      assertEquals(3 * G1 + (va - G1), t.physicalOf(va));
    }
  }

  @Test
  void split4MiBRun_into1MiBRunsInNewTables() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, 2 * M2, RW);
    assertEquals(2, AmdV1Entry.replicaCount(leafWord(d, 0), 2));
    d.split(0, 2 * M2, 1L << 20);
    for (long va = 0; va < 2 * M2; va += K4) {
      long e = leafWord(d, va);
      assertEquals(1L << 20, AmdV1Entry.pageSize(e, 1), dump(d, va));
      assertEquals(va & -(1L << 20), AmdV1Entry.outputAddress(e, 1));
    }
  }

  @Test
  void split_badPageSize_refused() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, G1, RW);
    assertThrows(IllegalArgumentException.class, () -> d.split(0, G1, 1L << 39));
    assertThrows(IllegalArgumentException.class, () -> d.split(0, G1, 3 * K4));
    assertThrows(IllegalArgumentException.class, () -> d.split(0, 0, K4));
  }

  @Test
  void split_hardwareDirtiesOldLeafInWindow_childrenDirty() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    d.setDirtyTracking(true);
    Translation t = d.translate(0).orElseThrow();
    onceInPublishWindow(d, () -> assertTrue(d.setDirtyByHardware(t)));
    d.split(0, M2, K4);
    assertEquals(512, harvest(d, 0, M2, 0).cardinality());
  }

  @Test
  void splitRun_hardwareDirtiesReplicaInWindow_childrenDirty() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K64, RW);
    d.setDirtyTracking(true);
    Translation t = d.translate(11 * K4).orElseThrow();
    onceInPublishWindow(d, () -> assertTrue(d.setDirtyByHardware(t)));
    d.split(0, K64, K4);
    assertEquals(16, harvest(d, 0, K64, 0).cardinality());
  }

  // --- collapse --------------------------------------------------------------------------------

  @Test
  void splitThenCollapse_noWrites_restoresWordsAndFrames() {
    long[][] cases = {{M2, K4}, {G1, K4}, {G1, M2}, {K64, K4}, {2 * M2, K64}, {1L << 20, 2 * K4}};
    for (long[] c : cases) {
      AmdV1Domain d = dirtyDomain();
      long size = c[0];
      d.map(size, 2 * size, size, RW);
      d.map(4 * size, 8 * size, size, RW);
      d.setDirtyTracking(true);
      assertTrue(new TestDma(d).write(4 * size + 5)); // one dirty, one clean leaf
      long frames = d.memory().framesInUse();
      long[] clean = leafWords(d, size, Math.min(size, 4 * M2));
      long[] dirty = leafWords(d, 4 * size, Math.min(size, 4 * M2));

      d.split(0, 8 * size, c[1]);
      d.collapse(0, 8 * size);

      String what = "size " + size + " split to " + c[1];
      assertArrayEquals(clean, leafWords(d, size, Math.min(size, 4 * M2)), what);
      long or = 0;
      for (long w : dirty) {
        or |= w;
      }
      Arrays.fill(dirty, or); // a run's replicas all carry the OR of their A/D bits
      assertArrayEquals(dirty, leafWords(d, 4 * size, Math.min(size, 4 * M2)), what);
      assertEquals(frames, d.memory().framesInUse(), what);
    }
  }

  @Test
  void collapse_childDirtiedBetweenReadAndPublish_caughtByReread() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    d.split(0, M2, K4);
    d.setDirtyTracking(true);
    Translation child = d.translate(7 * K4).orElseThrow();
    assertFalse(child.dirty());
    onceInPublishWindow(d, () -> assertTrue(d.setDirtyByHardware(child)));

    d.collapse(0, M2);

    long l = leafWord(d, 0);
    assertEquals(M2, AmdV1Entry.pageSize(l, 2), dump(d, 0));
    assertEquals(AmdV1Entry.D, l & AmdV1Entry.D, "step 5 folded the child's D into the leaf");
    assertEquals(512, harvest(d, 0, M2, 0).cardinality());
  }

  @Test
  void collapse_staleChildTranslationAfterwards_refused_rewalkMarksLeaf() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    d.split(0, M2, K4);
    d.setDirtyTracking(true);
    Translation child = d.translate(7 * K4).orElseThrow();
    d.collapse(0, M2);
    assertFalse(d.setDirtyByHardware(child));
    assertTrue(new TestDma(d).write(7 * K4));
    assertEquals(512, harvest(d, 0, M2, 0).cardinality());
  }

  @Test
  void collapseIntoRun_replicaDirtiedInWindow_wholeRunDirty() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K64, RW);
    d.split(0, K64, K4);
    d.setDirtyTracking(true);
    Translation child = d.translate(3 * K4).orElseThrow();
    onceInPublishWindow(d, () -> assertTrue(d.setDirtyByHardware(child)));
    d.collapse(0, K64);
    for (int j = 0; j < 16; j++) {
      long e = leafWord(d, j * K4);
      assertEquals(K64, AmdV1Entry.pageSize(e, 1));
      assertEquals(AmdV1Entry.D, e & AmdV1Entry.D, "replica " + j);
    }
    assertFalse(d.setDirtyByHardware(child), "the old 4 KiB leaf is gone");
  }

  @Test
  void collapse_mixedPermissionsOrDiscontiguous_notCollapsed() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, K64, RW);
    d.split(0, K64, K4);
    d.unmap(5 * K4, K4);
    d.map(5 * K4, 5 * K4, K4, IommuDomain.IOMMU_READ);
    d.map(K64, K64 + K4, K64, RW); // contiguous IOVA, output shifted by one page
    d.collapse(0, 2 * K64);
    assertEquals(K4 * 4, d.translate(0).orElseThrow().size(), "aligned group before page 5");
    assertEquals(K4, d.translate(5 * K4).orElseThrow().size());
    assertEquals(K4 * 8, d.translate(8 * K4).orElseThrow().size());
    assertEquals(K4, d.translate(K64).orElseThrow().size(), "output not aligned: no run");
  }

  @Test
  void collapse_partialRange_onlyWholeGroupsInside() {
    AmdV1Domain d = dirtyDomain();
    d.map(0, 0, M2, RW);
    d.split(0, M2, K4);
    d.collapse(K4, K64); // [4K, 68K): groups 1, 2-3, 4-7, 8-15 and 16 fit
    assertEquals(K4, d.translate(0).orElseThrow().size());
    assertEquals(K4, d.translate(K4).orElseThrow().size());
    assertEquals(2 * K4, d.translate(2 * K4).orElseThrow().size());
    assertEquals(8 * K4, d.translate(8 * K4).orElseThrow().size());
    assertEquals(K4, d.translate(K64).orElseThrow().size());
    assertEquals(3, d.walk(0).length, "still a level-1 table");
  }

  @Test
  void collapse_512GiBNotAllowed_becomesTwo256GiBRuns() {
    AmdV1Domain d = dirtyDomain();
    d.map(1L << 39, 0, 1L << 39, RW); // two 256 GiB runs in a level-3 table (mode 4)
    d.split(1L << 39, 1L << 39, G1);
    d.collapse(0, 1L << 40);
    assertEquals(1L << 38, d.translate(1L << 39).orElseThrow().size());
    assertEquals(1L << 38, d.translate(3L << 38).orElseThrow().size());
  }
}
