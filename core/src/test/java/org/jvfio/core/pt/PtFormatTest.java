package org.jvfio.core.pt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Example tables for what a {@link PtFormat} answers from its settings, on a small format of
 * replicated runs in the AMD v1 style: level 0 holds 4 KiB pages and runs of up to 256 of them,
 * level 1 only 2 MiB leaves, level 2 (the top) only 1 GiB leaves; bits 11:9 are 7 in a run's
 * entries.
 */
class PtFormatTest {
  private static final long P = 1;
  private static final long R = 1L << 1;
  private static final long W = 1L << 2;
  private static final long D = 1L << 6;
  private static final long NL = 7L << 9;

  private static PtFormatBuilder replicas() {
    return PtFormat.builder("replicas")
        .geometry(12, 9, 2, 2, 39)
        .presentBit(P)
        .leaf(0, NL, 0, P, 0x1000L | 0x1_0000L | 0x10_0000L)
        .leaf(1, NL | (1L << 7), 1L << 7, P | (1L << 7), 1L << 21)
        .leaf(2, NL | (1L << 7), 1L << 7, P | (1L << 7), 1L << 30)
        .table(1, 1L << 7, 0, P)
        .table(2, 1L << 7, 0, P)
        .replicas(NL, NL)
        .protections(R, W, R | W)
        .permissions(R, 0, W, 0, false)
        .dirty(D, D, ~D, 0, -1L, D)
        .attributes(R | W)
        .describer((e, level) -> "L" + level);
  }

  @Test
  void isRun_entryWithTheRunBitsAtALevelWithoutRuns_isAPlainLeaf() {
    PtFormat f = replicas().build();
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
    PtFormat f = replicas().build();
    assertEquals(1L << 30, f.possibleSizes(2));
    assertEquals(0, f.possibleSizes(3));
    assertEquals(2, f.levelOfSize(1L << 30));
    assertEquals(-1, f.levelOfSize(3L << 30));
    assertEquals(-1, f.levelOfSize(1L << 22));
  }

  @Test
  void encodeLeaf_sizeTheFormatLacks_isRefused() {
    PtFormat f = replicas().build();
    assertThrows(IllegalArgumentException.class, () -> f.encodeLeaf(0, 0x2000L, 3));
  }

  @Test
  void settings_areReadBack() {
    PtFormat f = replicas().build();
    assertEquals(PtFormat.Contiguous.REPLICAS, f.contiguous());
    assertFalse(f.breakBeforeMake());
    PtFormat bbm = replicas().breakBeforeMake(true).build();
    assertTrue(bbm.breakBeforeMake());
    PtFormat hint =
        replicas().leaf(0, NL, 0, P, 0x1000L | 0x1_0000L).contiguousHint(1L << 52).build();
    assertEquals(PtFormat.Contiguous.PER_ITEM_ADDRESS, hint.contiguous());
  }

  @Test
  void builderSetters_returnTheBuilder() {
    PtFormatBuilder b = replicas();
    assertEquals(b, b.geometry(12, 9, 2, 2, 39));
    assertEquals(b, b.presentBit(P));
    assertEquals(b, b.addressMask(0x000F_FFFF_FFFF_F000L));
    assertEquals(b, b.table(1, 1L << 7, 0, P));
    assertEquals(b, b.leaf(0, NL, 0, P, 0x1000L));
    assertEquals(b, b.replicas(NL, NL));
    assertEquals(b, b.contiguousHint(1L << 52));
    assertEquals(b, b.protections(R, W, R | W));
    assertEquals(b, b.permissions(R, 0, W, 0, false));
    assertEquals(b, b.dirty(D, D, ~D, 0, -1L, D));
    assertEquals(b, b.accessBit(1L << 5));
    assertEquals(b, b.attributes(R | W));
    assertEquals(b, b.breakBeforeMake(false));
    assertEquals(b, b.describer((e, level) -> ""));
  }
}
