package org.jvfio.testkit.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;
import org.jvfio.testkit.Source;

class ReferenceDirtyModelTest {
  static final long K4 = 1L << 12;
  static final long M2 = 1L << 21;

  @Test
  void granule_writeAndHarvest_coverWholeGranules() {
    ReferenceDirtyModel m = ReferenceDirtyModel.atGranule(4 * K4);
    m.recordWrite(5 * K4 + 7, 1);
    IovaBitmap b = m.expectedBitmap(0, 16 * K4, K4);
    assertEquals(4, b.cardinality());
    assertTrue(b.isDirty(4 * K4) && b.isDirty(7 * K4));
    m.onHarvest(7 * K4, K4); // overlaps the granule: cleans all of it
    assertTrue(m.isClean());
  }

  @Test
  void leaves_writeInHugeLeaf_dirtiesTheWholeLeafButNotReadOnlyOrHoles() {
    ReferencePageTable t = ReferencePageTable.create(K4 | M2);
    t.map(M2, 0, M2, 3);
    t.map(2 * M2, M2, K4, 1); // read-only
    ReferenceDirtyModel m = ReferenceDirtyModel.ofLeaves(t);
    m.recordWrite(M2 + 5, 3 * M2); // runs over the read-only leaf and a hole
    IovaBitmap b = m.expectedBitmap(0, 4 * M2, K4);
    assertEquals(512, b.cardinality());
    assertTrue(b.isDirty(M2) && !b.isDirty(2 * M2));
  }

  @Test
  void leaves_splitKeepsDirtyInEveryChild_mergeWidensToTheNewLeaf() {
    ReferencePageTable t = ReferencePageTable.create(K4 | M2);
    t.map(0, 0, M2, 3);
    ReferenceDirtyModel m = ReferenceDirtyModel.ofLeaves(t);
    m.recordWrite(0, 1);
    t.split(0, M2, K4);
    assertEquals(512, m.expectedBitmap(0, M2, K4).cardinality());
    m.onHarvest(K4, K4); // harvests one child only
    assertEquals(511, m.expectedBitmap(0, M2, K4).cardinality());
    m.onHarvest();
    m.recordWrite(3 * K4, 1);
    assertEquals(1, m.expectedBitmap(0, M2, K4).cardinality());
    t.merge(0, M2);
    assertEquals(512, m.expectedBitmap(0, M2, K4).cardinality());
  }

  /**
   * A collapse ORs the children's dirty bits into the new leaf, and a split replicates the leaf's
   * dirty bit into every child (docs/fidelity.md, "Split and collapse"): after write, merge, split
   * every child is dirty, not only the one written (the contract's seed 0x2 counterexample on
   * VT-d).
   */
  @Test
  void leaves_mergeThenSplit_everyChildOfTheMergedLeafStaysDirty() {
    ReferencePageTable t = ReferencePageTable.create(K4 | M2);
    t.map(0, 0, M2, 3);
    t.split(0, M2, K4);
    ReferenceDirtyModel m = ReferenceDirtyModel.ofLeaves(t);
    m.recordWrite(3 * K4, 1);
    m.recordPossiblyDirty(M2 - K4, K4);
    t.merge(0, M2);
    t.split(0, M2, K4);
    assertEquals(512, m.expectedBitmap(0, M2, K4).cardinality());
    m.onHarvest();
    m.recordPossiblyDirty(M2 - K4, K4);
    t.merge(0, M2);
    t.split(0, M2, K4);
    assertEquals(0, m.expectedBitmap(0, M2, K4).cardinality());
    assertEquals(512, m.allowedBitmap(0, M2, K4).cardinality());
  }

  @Test
  void possiblyDirty_isAllowedNotExpected_forgetDropsIt() {
    ReferenceDirtyModel m = ReferenceDirtyModel.atGranule(K4);
    m.recordPossiblyDirty(0, 2 * K4);
    assertEquals(0, m.expectedBitmap(0, 4 * K4, K4).cardinality());
    assertEquals(2, m.allowedBitmap(0, 4 * K4, K4).cardinality());
    m.forget(K4, K4);
    assertEquals(1, m.allowedBitmap(0, 4 * K4, K4).cardinality());
  }

  @Test
  void bitmap_clipsToItsRange_atLargerPageSizes() {
    ReferenceDirtyModel m = ReferenceDirtyModel.atGranule(K4);
    m.recordWrite(M2 - K4, 2 * K4);
    IovaBitmap b = m.expectedBitmap(M2, M2, M2);
    assertEquals(1, b.cardinality());
    assertEquals(0, m.expectedBitmap(2 * M2, M2, K4).cardinality());
  }

  /** An example of io-pgtable-arm's harvest walker: a start 1 MiB into a clean 2 MiB leaf. */
  @Test
  void carriedStartOffset_shiftsLaterRecordsAndStepsOverSmallLeaves() {
    ReferencePageTable t = ReferencePageTable.create(K4 | M2);
    t.map(0, 0, 2 * M2, 3); // two 2 MiB leaves
    t.map(2 * M2, 2 * M2 + K4, M2, 3); // 512 leaves of 4 KiB
    ReferenceDirtyModel m =
        ReferenceDirtyModel.ofLeaves(t, Set.of(IommuCapability.HARVEST_CARRIES_START_OFFSET));
    m.recordWrite(M2, 1);
    m.recordWrite(2 * M2, 1);
    long mb = M2 / 2;
    IovaBitmap b = m.expectedBitmap(mb, 4 * mb, K4);
    assertEquals(512, b.cardinality(), "leaf [2M, 4M) recorded at [3M, 5M)");
    assertFalse(b.isDirty(M2));
    assertTrue(b.isDirty(3 * mb) && b.isDirty(2 * M2) && b.isDirty(5 * mb - K4));
    m.onHarvest(mb, 4 * mb);
    IovaBitmap next = m.expectedBitmap(0, 3 * M2, K4);
    assertEquals(1, next.cardinality(), "the stepped-over leaf stays dirty");
    assertTrue(next.isDirty(2 * M2));
    assertThrows(IllegalArgumentException.class, () -> m.expectedBitmap(0, 4 * M2, K4), "hole");
  }

  /**
   * iommupt: the leaf holding the start is recorded from the start for its item's length; a 4 MiB
   * leaf of two 2 MiB items (AMD replicas) overruns by the offset into its item only.
   */
  @Test
  void recordsFromStart_firstLeafOverrunsByTheOffsetIntoItsItem() {
    long mb = M2 / 2;
    ReferencePageTable t = ReferencePageTable.create(K4 | M2 | 2 * M2);
    t.map(0, 0, M2, 3);
    t.map(M2, M2 + K4, M2, 3); // 512 leaves of 4 KiB
    t.map(2 * M2, 2 * M2, 2 * M2, 3); // one 4 MiB leaf [4M, 8M) of two 2 MiB items
    t.map(4 * M2, 4 * M2 + K4, M2, 3);
    ReferenceDirtyModel m =
        ReferenceDirtyModel.ofLeaves(t, Set.of(IommuCapability.HARVEST_RECORDS_FROM_START));
    m.recordWrite(0, 1);
    IovaBitmap b = m.expectedBitmap(mb, 4 * mb, K4);
    assertEquals(512, b.cardinality(), "leaf [0, 2M) recorded at [1M, 3M)");
    assertTrue(b.isDirty(mb) && b.isDirty(3 * mb - K4) && !b.isDirty(3 * mb));
    m.onHarvest(mb, 4 * mb);
    m.recordWrite(2 * M2, 1);
    IovaBitmap c = m.expectedBitmap(7 * mb, 4 * mb, K4);
    assertEquals(512, c.cardinality(), "from 7M, inside item 2: (2 - 1) items = [7M, 9M)");
    assertTrue(c.isDirty(9 * mb - K4) && !c.isDirty(9 * mb));
    IovaBitmap d = m.expectedBitmap(5 * mb, 6 * mb, K4);
    assertEquals(1024, d.cardinality(), "from 5M, inside item 1: 2 items = [5M, 9M)");
    assertEquals(1024, m.expectedBitmap(2 * M2, 6 * mb, K4).cardinality(), "aligned: whole leaf");
  }

  /** Eight 2 MiB regions, each one leaf or 512 pages; writes; a harvest from {@code start}. */
  private record WalkCase(List<Boolean> huge, List<Long> writes, long start, long pages) {}

  /** From a leaf boundary the carried walk visits exactly the leaves overlapping the range. */
  @Test
  void carriedStartOffset_fromALeafBoundary_agreesWithTheWholeLeafModel() {
    Gen<WalkCase> cases =
        src ->
            new WalkCase(
                Gen.lists(Source::nextBoolean, 8, 8).generate(src),
                Gen.lists(w -> w.nextLong(0, 8 * M2 - 1), 0, 12).generate(src),
                src.nextLong(0, 8 * M2 / K4 - 1) * K4,
                src.nextLong(1, 8 * M2 / K4));
    Property.check(
        "carried walk from a leaf boundary = whole-leaf walk",
        cases,
        c -> {
          ReferencePageTable t = ReferencePageTable.create(K4 | M2);
          for (int i = 0; i < 8; i++) {
            t.map(i * M2, i * M2 + (c.huge().get(i) ? 0 : K4), M2, 3);
          }
          ReferenceDirtyModel plain = ReferenceDirtyModel.ofLeaves(t, Set.of());
          ReferenceDirtyModel carried =
              ReferenceDirtyModel.ofLeaves(t, Set.of(IommuCapability.HARVEST_CARRIES_START_OFFSET));
          for (long w : c.writes()) {
            plain.recordWrite(w, 1);
            carried.recordWrite(w, 1);
          }
          long from = t.leaf(c.start()).orElseThrow().iova();
          long length = Math.min(c.pages() * K4, 8 * M2 - from);
          assertArrayEquals(
              plain.expectedBitmap(from, length, K4).words(),
              carried.expectedBitmap(from, length, K4).words());
          plain.onHarvest(from, length);
          carried.onHarvest(from, length);
          assertArrayEquals(
              plain.expectedBitmap(0, 8 * M2, K4).words(),
              carried.expectedBitmap(0, 8 * M2, K4).words());
        });
  }

  private record Op(boolean add, long first, long pages) {}

  @Test
  void intervals_matchABitSetModel() {
    Gen<Op> op = src -> new Op(src.nextBoolean(), src.nextLong(0, 255), src.nextLong(1, 64));
    Property.check(
        "intervals behave as a set of pages",
        Gen.lists(op, 0, 40),
        ops -> {
          Intervals set = new Intervals();
          BitSet model = new BitSet();
          for (Op o : ops) {
            if (o.add()) {
              set.add(o.first(), o.first() + o.pages() - 1);
              model.set((int) o.first(), (int) (o.first() + o.pages()));
            } else {
              set.remove(o.first(), o.first() + o.pages() - 1);
              model.clear((int) o.first(), (int) (o.first() + o.pages()));
            }
          }
          BitSet got = new BitSet();
          long[] prevLast = {-2};
          set.forEach(
              (f, l) -> {
                assertTrue(f > prevLast[0] + 1, "intervals not coalesced: " + set);
                prevLast[0] = l;
                got.set(f.intValue(), l.intValue() + 1);
              });
          assertEquals(model, got, set::toString);
          for (int f = 0; f < 320; f += 7) {
            int first = f;
            assertEquals(
                model.nextSetBit(first) >= 0 && model.nextSetBit(first) <= first + 9,
                set.intersects(first, first + 9),
                () -> "intersects(" + first + ", +9) of " + set);
          }
        });
  }

  @Test
  void intervals_atTheTopOfTheSpace() {
    Intervals set = new Intervals();
    set.add(-8, -1);
    set.add(0, 3);
    set.add(-9, -9);
    set.remove(-2, -1);
    List<long[]> got = new ArrayList<>();
    set.forEach((f, l) -> got.add(new long[] {f, l}));
    assertEquals(2, got.size());
    assertEquals(0, got.get(0)[0]);
    assertEquals(-9, got.get(1)[0]);
    assertEquals(-3, got.get(1)[1]);
  }
}
