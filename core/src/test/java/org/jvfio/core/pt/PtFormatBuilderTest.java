package org.jvfio.core.pt;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/**
 * Example tables for {@link PtFormatBuilder#build}'s consistency checks, each at both sides of its
 * boundary with every other setting valid, so exactly one check decides.
 */
class PtFormatBuilderTest {
  private static final long D = 1L << 6;

  private static PtFormatBuilder builder(
      int granule, int bitsPerLevel, int startTop, int maxTop, int vaBits) {
    return PtFormat.builder("t")
        .geometry(granule, bitsPerLevel, startTop, maxTop, vaBits)
        .presentBit(1)
        .leaf(0, 0, 0, 1, 1L << granule)
        .dirty(D, D, ~D, 0, -1L, D)
        .describer((e, level) -> "L" + level);
  }

  private static void accepted(PtFormatBuilder b) {
    assertDoesNotThrow(b::build);
  }

  private static void refused(PtFormatBuilder b) {
    assertThrows(IllegalArgumentException.class, b::build);
  }

  @Test
  void build_granuleOutside10To20_isRefused() {
    refused(builder(9, 9, 3, 3, 9 + 36));
    accepted(builder(10, 9, 3, 3, 10 + 36));
    accepted(builder(20, 9, 3, 3, 20 + 36));
    refused(builder(21, 9, 3, 3, 21 + 36));
  }

  @Test
  void build_bitsPerLevelOutside1To13_isRefused() {
    // one level whose top resolves one IOVA bit: only the bits-per-level check can refuse
    refused(builder(12, 0, 0, 0, 13));
    accepted(builder(12, 1, 0, 0, 13));
    accepted(builder(12, 13, 0, 0, 25));
    refused(builder(12, 14, 0, 0, 26));
  }

  @Test
  void build_startTopOutside0ToMaxTop_isRefused() {
    refused(builder(12, 9, -1, 3, 48));
    accepted(builder(12, 9, 0, 3, 48));
    accepted(builder(12, 9, 3, 3, 48));
    refused(builder(12, 9, 4, 3, 48));
  }

  @Test
  void build_vaBitsAbove64_isRefused() {
    accepted(builder(12, 9, 0, 3, 64)); // a growing table: its top has 512 entries whatever vaBits
    refused(builder(12, 9, 0, 3, 65));
  }

  @Test
  void build_noLeafSize_isRefused() {
    refused(builder(12, 9, 3, 3, 48).leaf(0, 0, 0, 1, 0));
  }

  @Test
  void build_fixedTopResolvingOutside1ToBitsPerLevelPlus4Bits_isRefused() {
    refused(builder(12, 9, 3, 3, 39));
    accepted(builder(12, 9, 3, 3, 40));
    assertEquals(1, builder(12, 9, 3, 3, 40).build().indexBits(3));
    accepted(builder(12, 9, 3, 3, 52));
    assertEquals(13, builder(12, 9, 3, 3, 52).build().indexBits(3));
    refused(builder(12, 9, 3, 3, 53));
  }

  @Test
  void build_leafSizeOutsideItsLevel_isRefused() {
    accepted(builder(12, 9, 3, 3, 48).leaf(1, 0, 0, 1, 1L << 21));
    refused(builder(12, 9, 3, 3, 48).leaf(1, 0, 0, 1, 1L << 20)); // below the item
    refused(builder(12, 9, 3, 3, 48).leaf(1, 0, 0, 1, 1L << 22)); // a run without runs
    refused(builder(12, 9, 3, 3, 48).leaf(1, 0, 0, 1, (1L << 21) | (1L << 22)));
    refused(builder(12, 9, 3, 3, 48).leaf(3, 0, 0, 1, 1L << 38)); // at the top too
  }

  @Test
  void build_replicaRunsUpToHalfATable_areAccepted() {
    PtFormatBuilder b = builder(12, 9, 3, 3, 48).replicas(0xE00, 0xE00);
    accepted(b.leaf(0, 0, 0, 1, 0x1000L | (0x1000L << 8)));
    refused(b.leaf(0, 0, 0, 1, 0x1000L | (0x1000L << 9)));
  }

  @Test
  void build_contiguousHintRuns_upToATableAndOneRunSizePerLevel() {
    PtFormatBuilder b = builder(12, 9, 3, 3, 48).contiguousHint(1L << 52);
    accepted(b.leaf(0, 0, 0, 1, 0x1000L | (0x1000L << 9)));
    refused(b.leaf(0, 0, 0, 1, 0x1000L | (0x1000L << 10)));
    accepted(b.leaf(0, 0, 0, 1, 0x1000L | 0x1_0000L));
    refused(b.leaf(0, 0, 0, 1, 0x1000L | 0x1_0000L | 0x2_0000L));
  }

  @Test
  void build_nameAndDescriber_areKept() {
    PtFormat f = builder(12, 9, 3, 3, 48).build();
    assertEquals("t", f.name());
    assertEquals("t", f.toString());
    assertEquals("L2", f.describe(0, 2));
    assertThrows(NullPointerException.class, () -> PtFormat.builder("t").build());
  }
}
