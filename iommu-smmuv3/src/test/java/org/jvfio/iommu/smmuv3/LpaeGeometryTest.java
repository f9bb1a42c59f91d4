package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LpaeGeometryTest {
  @Test
  void fourK_48bit_hasFourLevelsFromL0With512Entries() {
    LpaeGeometry g = new LpaeGeometry(Granule.G4K, 48, false);
    assertEquals(0, g.startLevel);
    assertEquals(512, g.pgdEntries);
    assertEquals(512, g.tableEntries);
    assertEquals(39, g.shift(0));
    assertEquals(30, g.shift(1));
    assertEquals(21, g.shift(2));
    assertEquals(12, g.shift(3));
    assertEquals(1, g.tableFrames(0));
    assertFalse(g.leafAllowed(0));
    assertTrue(g.leafAllowed(1)); // 1 GiB
    assertTrue(g.leafAllowed(2)); // 2 MiB
    assertTrue(g.leafAllowed(3));
    assertEquals(2, g.levelOf(2L << 20));
  }

  @Test
  void fourK_39bit_startsAtL1() {
    LpaeGeometry g = new LpaeGeometry(Granule.G4K, 39, false);
    assertEquals(1, g.startLevel);
    assertEquals(512, g.pgdEntries);
    assertEquals(3, g.index(3L << 30, 1));
  }

  @Test
  void sixteenK_48bit_hasL0WithTwoEntriesAnd2048EntryTables() {
    LpaeGeometry g = new LpaeGeometry(Granule.G16K, 48, false);
    assertEquals(0, g.startLevel);
    assertEquals(2, g.pgdEntries); // pgd_bits = 1
    assertEquals(2048, g.tableEntries);
    assertEquals(47, g.shift(0));
    assertEquals(36, g.shift(1));
    assertEquals(25, g.shift(2)); // 32 MiB blocks
    assertEquals(14, g.shift(3));
    assertEquals(1, g.index(1L << 47, 0));
    assertEquals(1, g.tableFrames(0));
    assertEquals(4, g.tableFrames(1)); // a 16 KiB table is four frames
    assertFalse(g.leafAllowed(1)); // 64 GiB blocks unused
    assertTrue(g.leafAllowed(2));
  }

  @Test
  void sixtyFourK_48bit_hasThreeLevelsFromL1With64Entries() {
    LpaeGeometry g = new LpaeGeometry(Granule.G64K, 48, false);
    assertEquals(1, g.startLevel);
    assertEquals(64, g.pgdEntries);
    assertEquals(8192, g.tableEntries);
    assertEquals(42, g.shift(1));
    assertEquals(29, g.shift(2)); // 512 MiB blocks
    assertEquals(16, g.shift(3));
    assertEquals(1, g.tableFrames(1));
    assertEquals(16, g.tableFrames(2));
    assertFalse(g.leafAllowed(1)); // 4 TiB only with an output size above 48 bits
    assertEquals(63, g.index((1L << 48) - 1, 1));
  }

  @Test
  void stage2_sixteenK_48bit_concatenatesTheTopLevel() {
    LpaeGeometry g = new LpaeGeometry(Granule.G16K, 48, true);
    assertEquals(1, g.startLevel);
    assertEquals(4096, g.pgdEntries); // two concatenated 16 KiB tables
    assertEquals(8, g.tableFrames(1));
    LpaeGeometry g4 = new LpaeGeometry(Granule.G4K, 48, true);
    assertEquals(0, g4.startLevel); // 512 entries at L0: more than 16, no concatenation
  }
}
