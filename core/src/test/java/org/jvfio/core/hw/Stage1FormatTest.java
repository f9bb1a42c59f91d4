package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The stage-1 descriptor rules the nested walk applies, as example tables from the vendor manuals
 * (level 0 is the 4 KiB level), and the guest-table words they are read from.
 */
class Stage1FormatTest {
  private static final long PS = Stage1Format.X86_PS;
  private static final long VALID = Stage1Format.ARM_VALID;
  private static final long TABLE = Stage1Format.ARM_TABLE;

  /** Intel SDM Vol. 3 §4.5: PS makes a 2 MiB (PDE) or 1 GiB (PDPTE) page; a PML4E has no PS. */
  @Test
  void x86Leaf_psAtLevels1And2_only() {
    for (int level = 0; level <= 3; level++) {
      assertEquals(level == 0, Stage1Format.x86Leaf(0, level), "no PS at level " + level);
      assertEquals(level <= 2, Stage1Format.x86Leaf(PS, level), "PS at level " + level);
    }
  }

  /**
   * Arm ARM D8.3: bit 0 is valid; at the last level bit 1 must be set (a page); at levels 1 and 2
   * bit 1 clear is a block; level 0 of a 4-level walk (our level 3) holds no blocks.
   */
  @Test
  void armValidAndLeaf_perLevel() {
    for (int level = 0; level <= 3; level++) {
      assertFalse(Stage1Format.armValid(0, level), "invalid at " + level);
      assertFalse(Stage1Format.armValid(TABLE, level), "bit 0 clear at " + level);
      assertTrue(Stage1Format.armValid(VALID | TABLE, level), "page or table at " + level);
      boolean blockAllowed = level == 1 || level == 2;
      assertEquals(blockAllowed, Stage1Format.armValid(VALID, level), "block at " + level);
    }
    assertTrue(Stage1Format.armLeaf(VALID | TABLE, 0), "a page");
    assertTrue(Stage1Format.armLeaf(VALID, 1), "a 2 MiB block");
    assertTrue(Stage1Format.armLeaf(VALID, 2), "a 1 GiB block");
    assertFalse(Stage1Format.armLeaf(VALID | TABLE, 1), "a table");
    assertFalse(Stage1Format.armLeaf(VALID | TABLE, 2), "a table");
  }

  @Test
  void guestTables_wordsAreIndependentAndCompareAndSetChecksTheOldValue() {
    GuestTables t = new GuestTables();
    for (int w = 0; w < 512; w++) {
      t.write(0x5000 + 8L * w, 1000 + w);
    }
    for (int w = 0; w < 512; w++) {
      assertEquals(1000 + w, t.read(0x5000 + 8L * w));
    }
    assertEquals(0, t.read(0x6000));
    assertFalse(t.compareAndSet(0x5008, 7, 8));
    assertEquals(1001, t.read(0x5008));
    assertTrue(t.compareAndSet(0x5008, 1001, 8));
    assertEquals(8, t.read(0x5008));
    assertEquals(java.util.Set.of(0x5000L), t.pages());
    assertThrows(IllegalArgumentException.class, () -> t.write(0x5004, 1));
    assertThrows(IllegalArgumentException.class, () -> t.compareAndSet(0x5001, 0, 1));
  }

  @Test
  void translation_coversExactlyItsLeaf() {
    Translation t = new Translation(0x20_0000, 0x20_0000, 0x4000_0000L, true, true, false, 0, 0);
    assertTrue(t.covers(0x20_0000));
    assertTrue(t.covers(0x3F_FFFF));
    assertFalse(t.covers(0x40_0000));
    assertFalse(t.covers(0x1F_FFFF));
    assertEquals(0x4000_0123L, t.physicalOf(0x20_0123));
    Translation top = new Translation(-4096, 4096, 0, true, true, false, 0, 0);
    assertTrue(top.covers(-1));
    assertFalse(top.covers(0));
  }
}
