package org.jvfio.core.pt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Example tables for what a {@link PtFormat} answers from its settings, on {@link
 * TestFormats#replicas}.
 */
class PtFormatTest {
  @Test
  void isRun_runBitsAtALevelWithoutRuns_makeNeitherARunNorALeaf() {
    PtFormat f = TestFormats.replicas().build();
    long run = f.encodeLeaf(0x40_0000L, 0x1_0000L, 3);
    assertTrue(f.isRun(run, 0));
    assertEquals(0x1_0000L, f.leafSize(run, 0));
    // the same bits at level 1, which holds no leaf larger than its item: no run, no leaf
    long atLevel1 = run | (1L << 7);
    assertFalse(f.isRun(atLevel1, 1));
    assertFalse(f.isLeaf(atLevel1, 1));
    assertFalse(f.isTable(atLevel1, 1));
  }

  @Test
  void possibleSizes_topLevelHoldsLeaves_aboveTheTopNone() {
    PtFormat f = TestFormats.replicas().build();
    assertEquals(1L << 30, f.possibleSizes(2));
    assertEquals(0, f.possibleSizes(3));
    assertEquals(2, f.levelOfSize(1L << 30));
    assertEquals(-1, f.levelOfSize(3L << 30));
    assertEquals(-1, f.levelOfSize(1L << 22));
  }

  @Test
  void encodeLeaf_sizeTheFormatLacks_isRefused() {
    PtFormat f = TestFormats.replicas().build();
    assertThrows(IllegalArgumentException.class, () -> f.encodeLeaf(0, 0x2000L, 3));
  }

  @Test
  void settings_areReadBack() {
    PtFormat f = TestFormats.replicas().build();
    assertEquals(PtFormat.Contiguous.REPLICAS, f.contiguous());
    assertFalse(f.breakBeforeMake());
    PtFormat bbm = TestFormats.replicas().breakBeforeMake(true).build();
    assertTrue(bbm.breakBeforeMake());
    PtFormat hint =
        TestFormats.replicas()
            .leaf(0, TestFormats.NL, 0, 1, 0x1000L | 0x1_0000L)
            .contiguousHint(1L << 52)
            .build();
    assertEquals(PtFormat.Contiguous.PER_ITEM_ADDRESS, hint.contiguous());
  }

  @Test
  void builderSetters_returnTheBuilder() {
    PtFormatBuilder b = TestFormats.replicas();
    assertEquals(b, b.geometry(12, 9, 2, 2, 39));
    assertEquals(b, b.presentBit(1));
    assertEquals(b, b.addressMask(0x000F_FFFF_FFFF_F000L));
    assertEquals(b, b.table(1, 1L << 7, 0, 1));
    assertEquals(b, b.leaf(0, TestFormats.NL, 0, 1, 0x1000L));
    assertEquals(b, b.replicas(TestFormats.NL, TestFormats.NL));
    assertEquals(b, b.contiguousHint(1L << 52));
    assertEquals(b, b.protections(2, 4, 6));
    assertEquals(b, b.permissions(2, 0, 4, 0, false));
    assertEquals(b, b.dirty(1L << 6, 1L << 6, ~(1L << 6), 0, -1L, 1L << 6));
    assertEquals(b, b.accessBit(1L << 5));
    assertEquals(b, b.attributes(6));
    assertEquals(b, b.breakBeforeMake(false));
    assertEquals(b, b.describer((e, level) -> ""));
  }
}
