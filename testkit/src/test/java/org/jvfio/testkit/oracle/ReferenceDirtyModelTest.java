package org.jvfio.testkit.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;

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
