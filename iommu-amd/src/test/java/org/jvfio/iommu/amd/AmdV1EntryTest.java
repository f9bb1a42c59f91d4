package org.jvfio.iommu.amd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AmdV1EntryTest {
  private static final long RW = AmdV1Entry.FC | AmdV1Entry.IR | AmdV1Entry.IW;

  /**
   * Worked examples of the NL = 7 page-size encoding, pinned as whole 64-bit words (read + write,
   * FC set, as Linux maps). Columns: page size, spec level holding the copies, count, NL, output
   * address, expected word.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "8 KiB,   0x2000,       1, 2,   7, 0x2000,       0x7000000000002e01",
    "16 KiB,  0x4000,       1, 4,   7, 0x4000,       0x7000000000005e01",
    "1 MiB,   0x100000,     1, 256, 7, 0x100000,     0x700000000017fe01",
    "2 MiB,   0x200000,     2, 1,   0, 0x200000,     0x7000000000200001",
    "4 MiB,   0x400000,     2, 2,   7, 0x400000,     0x70000000005ffe01",
    "1 GiB,   0x40000000,   3, 1,   0, 0x40000000,   0x7000000040000001",
  })
  void workedExample_encodesAndDecodes_asSpec(
      String name, String size, int level, int count, int nl, String oa, String word) {
    long ps = Long.decode(size);
    long pa = Long.decode(oa);
    long expected = Long.parseUnsignedLong(word.substring(2), 16);
    int s = Long.numberOfTrailingZeros(ps);

    long e = AmdV1Entry.leaf(pa, s, level - 1, RW);

    assertEquals(expected, e, () -> name + ": " + AmdV1Entry.describe(e, level));
    assertEquals(ps, AmdV1Entry.pageSize(e, level));
    assertEquals(count, AmdV1Entry.replicaCount(e, level));
    assertEquals(nl, AmdV1Entry.nextLevel(e));
    assertEquals(pa, AmdV1Entry.outputAddress(e, level));
    assertTrue(AmdV1Entry.isLeaf(e, level));
  }

  @Test
  void workedExamples_addressBitsAsTable() {
    // 8 KiB: bit12 = 0; 16 KiB: bit12 = 1, bit13 = 0; 1 MiB: bits 12..18 = 1, bit19 = 0;
    // 4 MiB: bits 12..20 = 1, bit21 = 0 (OA 0 so only the size code shows).
    assertEquals(0L, AmdV1Entry.leaf(0, 13, 0, 0) & 0x1000L);
    assertEquals(0x1000L, AmdV1Entry.leaf(0, 14, 0, 0) & 0x3000L);
    assertEquals(0x7F000L, AmdV1Entry.leaf(0, 20, 0, 0) & 0xFF000L);
    assertEquals(0x1FF000L, AmdV1Entry.leaf(0, 22, 1, 0) & 0x3FF000L);
  }

  /** Every non-default size: the legacy macros PAGE_SIZE_PTE and PTE_PAGE_SIZE agree with us. */
  @Test
  void everyNonDefaultSize_matchesLegacyMacros() {
    long pmAddrMask = 0x000ffffffffff000L;
    for (int s = 13; s <= 51; s++) {
      if ((s - 12) % 9 == 0) {
        continue; // default sizes are NL = 0
      }
      int lvl = (s - 12) / 9;
      long ps = 1L << s;
      long pa = ps * 3 & ((1L << 52) - 1) & -ps;
      long legacy = ((pa | (ps - 1)) & ~(ps >> 1)) & pmAddrMask;
      long e = AmdV1Entry.leaf(pa, s, lvl, RW);
      assertEquals(legacy, e & AmdV1Entry.ADDRESS_MASK, "size 2^" + s);
      assertEquals(7, AmdV1Entry.nextLevel(e), "size 2^" + s);
      assertEquals(1L << (1 + Long.numberOfTrailingZeros(~(e | 0xfff))), ps, "size 2^" + s);
      assertEquals(1 << ((s - 12) % 9), AmdV1Entry.replicaCount(e, lvl + 1), "size 2^" + s);
      assertEquals(pa, AmdV1Entry.outputAddress(e, lvl + 1), "size 2^" + s);
    }
  }

  @Test
  void pde_hasNextLevelOfChildAndIrIw() {
    // A PDE in a level-3 table pointing to a level-2 table.
    long e = AmdV1Entry.pde(0xF000_0000_1000L, 2);
    assertEquals(0x6000_F000_0000_1401L, e);
    assertFalse(AmdV1Entry.isLeaf(e, 3));
    assertEquals(2, AmdV1Entry.nextLevel(e));
    assertEquals(0xF000_0000_1000L, AmdV1Entry.tableAddress(e, 3));
  }

  @Test
  void leafDetermination_levelOneAlwaysLeaf_nl0Or7Leaf_elseTable() {
    assertTrue(AmdV1Entry.isLeaf(0x401L, 1)); // NL = 2 at level 1 is still a leaf
    assertFalse(AmdV1Entry.isLeaf(0x401L, 3));
    assertTrue(AmdV1Entry.isLeaf(0x1L, 3));
    assertTrue(AmdV1Entry.isLeaf(0xE01L, 3));
    assertFalse(AmdV1Entry.isLeaf(0xE00L, 1)); // not present
    assertThrows(IllegalArgumentException.class, () -> AmdV1Entry.pageSize(0x401L, 3));
    assertThrows(IllegalArgumentException.class, () -> AmdV1Entry.isLeaf(1L, 7));
  }

  @Test
  void describe_showsFields() {
    long e = 0x7000000000005e01L | AmdV1Entry.D | AmdV1Entry.A;
    assertEquals(
        "L1 PTE 0x7000000000005e61 16 KiB (NL=7, 4 replicas) OA=0x4000 IR IW FC A D",
        AmdV1Entry.describe(e, 1));
    assertEquals("L2 not present 0x0", AmdV1Entry.describe(0, 2));
    assertEquals(
        "L3 PDE 0x6000f00000001401 -> table 0xf00000001000 (NL=2) IR IW",
        AmdV1Entry.describe(0x6000_F000_0000_1401L, 3));
  }

  @Test
  void dte_decodesFields() {
    Dte d = Dte.forHostTable(0xF000_0000_0000L, 3, true);
    assertEquals(0x6000_F000_0000_0783L, d.dword0());
    assertTrue(d.valid());
    assertTrue(d.translationValid());
    assertEquals(3, d.hostAccessDirty());
    assertEquals(3, d.mode());
    assertEquals(0xF000_0000_0000L, d.hostPageTableRoot());
    assertTrue(d.readPermission() && d.writePermission());
    assertFalse(d.guestTranslationValid());
    assertEquals("DTE[0x6000f00000000783: V TV HAD=11b Mode=3 root=0xf00000000000 IR IW]", "" + d);
    assertEquals(0, Dte.forHostTable(0xF000_0000_0000L, 3, false).hostAccessDirty());
  }
}
