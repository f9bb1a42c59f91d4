package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;

/**
 * The LPAE geometry of {@link LpaeFormat} (level 0 = the page level, LPAE level 3; engine level l
 * is LPAE level 3 - l), as {@code arm_lpae_alloc_pgtable} sets it up.
 */
class LpaeFormatTest {
  private static final long MB = 1L << 20;

  private static PtFormat s1(Granule g, int ias) {
    return LpaeFormat.of(g, ias, false, true, false, false);
  }

  /** Returns the frames a fresh domain's top table occupies. */
  private static long topFrames(Granule g, boolean stage2) {
    SmmuV3Driver d = SmmuV3Driver.withGranule(g);
    d.allocateDomain(new DomainConfig(false, stage2));
    return d.memory().framesInUse();
  }

  @Test
  void fourK_48bit_hasFourLevelsFromL0With512Entries() {
    PtFormat f = s1(Granule.G4K, 48);
    assertEquals(3, f.maxTop()); // LPAE L0
    assertEquals(3, f.startTop());
    assertEquals(9, f.indexBits(3));
    assertEquals(512, f.entriesPerTable());
    assertEquals(39, f.shift(3));
    assertEquals(30, f.shift(2));
    assertEquals(21, f.shift(1));
    assertEquals(12, f.shift(0));
    assertEquals(1, topFrames(Granule.G4K, false));
    assertEquals(0, f.possibleSizes(3));
    assertEquals(1L << 30, f.possibleSizes(2));
    assertEquals(2 * MB, f.possibleSizes(1));
    assertEquals(4096, f.possibleSizes(0));
    assertEquals(1, f.levelOfSize(2 * MB));
  }

  @Test
  void fourK_39bit_startsAtL1() {
    PtFormat f = s1(Granule.G4K, 39);
    assertEquals(2, f.maxTop()); // LPAE L1
    assertEquals(9, f.indexBits(2));
    assertEquals((1L << 39) - 1, f.reach(2));
  }

  @Test
  void sixteenK_48bit_hasL0WithTwoEntriesAnd2048EntryTables() {
    PtFormat f = s1(Granule.G16K, 48);
    assertEquals(3, f.maxTop());
    assertEquals(1, f.indexBits(3)); // pgd_bits = 1
    assertEquals(2048, f.entriesPerTable());
    assertEquals(47, f.shift(3));
    assertEquals(36, f.shift(2));
    assertEquals(25, f.shift(1)); // 32 MiB blocks
    assertEquals(14, f.shift(0));
    assertEquals((1L << 48) - 1, f.reach(3));
    assertEquals(1, topFrames(Granule.G16K, false));
    assertEquals(0, f.possibleSizes(2)); // 64 GiB blocks unused
    assertEquals(32 * MB, f.possibleSizes(1));
  }

  @Test
  void sixtyFourK_48bit_hasThreeLevelsFromL1With64Entries() {
    PtFormat f = s1(Granule.G64K, 48);
    assertEquals(2, f.maxTop()); // LPAE L1
    assertEquals(6, f.indexBits(2));
    assertEquals(8192, f.entriesPerTable());
    assertEquals(42, f.shift(2));
    assertEquals(29, f.shift(1)); // 512 MiB blocks
    assertEquals(16, f.shift(0));
    assertEquals(1, topFrames(Granule.G64K, false));
    assertEquals(0, f.possibleSizes(2)); // 4 TiB only with an output size above 48 bits
    assertEquals((1L << 48) - 1, f.reach(2));
  }

  @Test
  void stage2_sixteenK_48bit_concatenatesTheTopLevel() {
    PtFormat f = LpaeFormat.of(Granule.G16K, 48, true, false, false, false);
    assertEquals(2, f.maxTop()); // LPAE L1
    assertEquals(12, f.indexBits(2)); // two concatenated 16 KiB tables
    assertEquals(8, topFrames(Granule.G16K, true));
    PtFormat g4 = LpaeFormat.of(Granule.G4K, 48, true, false, false, false);
    assertEquals(3, g4.maxTop()); // 512 entries at L0: more than 16, no concatenation
  }
}
