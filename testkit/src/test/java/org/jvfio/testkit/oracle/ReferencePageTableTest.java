package org.jvfio.testkit.oracle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.jvfio.testkit.oracle.ReferencePageTable.Leaf;

class ReferencePageTableTest {
  static final long K4 = 1L << 12;
  static final long M2 = 1L << 21;
  static final long G1 = 1L << 30;
  static final int RW = 3;

  final ReferencePageTable table = ReferencePageTable.create(K4 | M2 | G1);

  @Test
  void map_alignedBoth_usesLargestLeavesThenSmaller() {
    List<Leaf> leaves = table.map(G1, 2 * G1, M2 + 2 * K4, RW);
    assertEquals(
        List.of(
            new Leaf(G1, M2, 2 * G1, RW),
            new Leaf(G1 + M2, K4, 2 * G1 + M2, RW),
            new Leaf(G1 + M2 + K4, K4, 2 * G1 + M2 + K4, RW)),
        leaves);
  }

  @Test
  void map_physicalMisalignedForLargeLeaf_usesSmallLeaves() {
    List<Leaf> leaves = table.map(0, M2 + K4, M2, RW);
    assertEquals(512, leaves.size());
    assertTrue(leaves.stream().allMatch(l -> l.size() == K4));
  }

  @Test
  void map_iovaMisalignedUntilBoundary_growsLeavesAtTheBoundary() {
    List<Leaf> leaves = table.map(M2 - K4, M2 - K4, 2 * M2, RW);
    assertEquals(new Leaf(M2 - K4, K4, M2 - K4, RW), leaves.get(0));
    assertEquals(new Leaf(M2, M2, M2, RW), leaves.get(1));
    assertEquals(513, leaves.size()); // 1 small, 1 huge, 511 small after it
  }

  @Test
  void map_overlap_isRefusedAndChangesNothing() {
    table.map(M2, 0, M2, RW);
    assertThrows(IllegalArgumentException.class, () -> table.map(M2 + M2 - K4, 0, 2 * K4, RW));
    assertThrows(IllegalArgumentException.class, () -> table.map(M2 + K4, 0, 0, RW));
    assertThrows(IllegalArgumentException.class, () -> table.map(100, 0, K4, RW));
    assertEquals(List.of(new Leaf(M2, M2, 0, RW)), table.leaves());
  }

  @Test
  void unmap_partOfHugeLeaf_removesWholeLeafOnlyIfItStartsInside() {
    table.map(0, 0, 2 * M2, RW);
    assertEquals(0, table.unmap(K4, K4)); // the leaf starts before the range
    assertEquals(M2, table.unmap(M2, K4));
    assertEquals(OptionalLong.of(K4), table.translate(K4));
    assertEquals(OptionalLong.empty(), table.translate(M2 + K4));
  }

  @Test
  void split_thenMerge_restoresTheLeaf() {
    table.map(0, G1, M2, 1);
    table.split(0, K4, K4);
    assertEquals(512, table.leaves().size());
    assertEquals(OptionalLong.of(G1 + M2 - 1), table.translate(M2 - 1));
    assertEquals(new Leaf(0, M2, G1, 1), table.merge(0, M2));
    assertEquals(List.of(new Leaf(0, M2, G1, 1)), table.leaves());
  }

  @Test
  void merge_illegal_isRefusedAndChangesNothing() {
    table.map(0, G1, M2 - K4, RW); // one page short
    assertThrows(IllegalArgumentException.class, () -> table.merge(0, M2));
    table.map(M2 - K4, 0, K4, RW); // discontiguous output
    assertThrows(IllegalArgumentException.class, () -> table.merge(0, M2));
    assertThrows(IllegalArgumentException.class, () -> table.merge(0, 8 * K4)); // not a page size
    assertEquals(512, table.leaves().size());
  }

  @Test
  void merge_differentPermissions_isRefused() {
    table.map(0, G1, K4, RW);
    table.map(K4, G1 + K4, M2 - K4, 1);
    assertThrows(IllegalArgumentException.class, () -> table.merge(0, M2));
  }

  @Test
  void create_withoutUsableSize_isRefused() {
    assertThrows(IllegalArgumentException.class, () -> ReferencePageTable.create(1L << 11));
  }
}
