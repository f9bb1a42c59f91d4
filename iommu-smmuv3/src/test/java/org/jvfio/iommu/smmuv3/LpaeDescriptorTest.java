package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.spi.IommuDomain.IOMMU_READ;
import static org.jvfio.core.spi.IommuDomain.IOMMU_WRITE;

import org.junit.jupiter.api.Test;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;

/**
 * Entry words pinned bit for bit (Arm ARM, VMSAv8-64 descriptor formats), read back through {@code
 * walk}.
 */
class LpaeDescriptorTest {
  private static final int RW = IOMMU_READ | IOMMU_WRITE;

  private static long leafAfterMap(
      Granule g, DomainConfig cfg, long iova, long pa, long size, int prot) {
    IommuDomain d = SmmuV3Driver.withGranule(g).allocateDomain(cfg);
    d.map(iova, pa, size, prot);
    long[] w = d.walk(iova);
    return w[w.length - 1];
  }

  private static long dirtyLeaf(Granule g, long iova, long pa, long size, int prot) {
    return leafAfterMap(g, DomainConfig.DIRTY_TRACKING, iova, pa, size, prot);
  }

  @Test
  void stage1_4k_wordsAsIoPgtableArmWritesThem() {
    // nG | DBM | AP[1] | AttrIndx 1 | SH IS | AF | type | address
    assertEquals(0x0008_0000_4000_1F47L, dirtyLeaf(Granule.G4K, 0x1000, 0x4000_1000L, 4096, RW));
    assertEquals(
        0x0008_0000_4020_0F45L, dirtyLeaf(Granule.G4K, 0x20_0000, 0x4020_0000L, 2L << 20, RW));
    assertEquals(
        0x0008_0000_8000_0F45L, dirtyLeaf(Granule.G4K, 0x4000_0000L, 0x8000_0000L, 1L << 30, RW));
    // read-only: AP[2] set, never DBM
    assertEquals(
        0x0000_0000_4000_2FC7L, dirtyLeaf(Granule.G4K, 0x2000, 0x4000_2000L, 4096, IOMMU_READ));
    // without dirty tracking: no DBM
    assertEquals(
        0x0000_0000_4000_1F47L,
        leafAfterMap(Granule.G4K, DomainConfig.PLAIN, 0x1000, 0x4000_1000L, 4096, RW));
  }

  @Test
  void stage1_16kAnd64k_pageAndBlockWords() {
    assertEquals(0x0008_0000_4000_4F47L, dirtyLeaf(Granule.G16K, 0x4000, 0x4000_4000L, 16384, RW));
    assertEquals(
        0x0008_0000_4200_0F45L, dirtyLeaf(Granule.G16K, 0x200_0000, 0x4200_0000L, 32L << 20, RW));
    assertEquals(
        0x0008_0000_4001_0F47L, dirtyLeaf(Granule.G64K, 0x1_0000, 0x4001_0000L, 65536, RW));
    assertEquals(
        0x0008_0000_6000_0F45L,
        dirtyLeaf(Granule.G64K, 0x2000_0000L, 0x6000_0000L, 512L << 20, RW));
  }

  @Test
  void stage2_4kPage_hasS2apMemAttrAndNoDbm() {
    long w =
        leafAfterMap(Granule.G4K, new DomainConfig(false, true), 0x1000, 0x4000_1000L, 4096, RW);
    assertEquals(0x0000_0000_4000_17FFL, w); // S2AP=RW, MemAttr OIWB, SH IS, AF, page
    assertEquals(0x4000_17FFL, Stage2Descriptor.leaf(0x4000_1000L, 3, RW));
    assertEquals(0x4000_177DL, Stage2Descriptor.leaf(0x4000_1000L, 2, IOMMU_READ));
  }

  @Test
  void walk_pinsTableWordsAndDepthPerGranule() {
    for (Granule g : Granule.values()) {
      IommuDomain d = SmmuV3Driver.withGranule(g).allocateDomain(DomainConfig.DIRTY_TRACKING);
      long page = g.size();
      d.map(page, 0x4000_0000L + page, page, RW);
      long[] w = d.walk(page);
      assertEquals(g == Granule.G64K ? 3 : 4, w.length, g.name());
      for (int i = 0; i < w.length - 1; i++) {
        long table = w[i];
        assertEquals(3, table & 3, g + " table type");
        assertEquals(0, table & ~LpaeDescriptor.ADDR_MASK & ~3L, g + " table has only address");
        long next = LpaeDescriptor.outputAddress(table, g);
        assertEquals(0, next % g.size(), g + " next table granule-aligned");
        assertTrue(next >= PageTableMemory.BASE, g + " next table in table memory");
      }
    }
  }

  @Test
  void dirtyState_allFourDbmAp2Combinations() {
    long base = 0x4000_0000L | LpaeDescriptor.AF | LpaeDescriptor.TYPE_PAGE;
    long ro = base | LpaeDescriptor.AP_RDONLY;
    long rw = base;
    long clean = base | LpaeDescriptor.DBM | LpaeDescriptor.AP_RDONLY;
    long dirty = base | LpaeDescriptor.DBM;
    assertFalse(LpaeDescriptor.isWritableDirty(ro));
    assertFalse(LpaeDescriptor.isWritableDirty(rw));
    assertFalse(LpaeDescriptor.isWritableDirty(clean));
    assertTrue(LpaeDescriptor.isWritableDirty(dirty));
    assertTrue(LpaeDescriptor.isWritableClean(clean));
    assertFalse(LpaeDescriptor.isWritableClean(dirty));
    assertTrue(LpaeDescriptor.describe(ro, 3, Granule.G4K).endsWith("read-only"));
    assertTrue(LpaeDescriptor.describe(rw, 3, Granule.G4K).endsWith("writable(untracked)"));
    assertTrue(LpaeDescriptor.describe(clean, 3, Granule.G4K).endsWith("writable-clean"));
    assertTrue(LpaeDescriptor.describe(dirty, 3, Granule.G4K).endsWith("writable-dirty"));
  }

  @Test
  void typeField_dependsOnLevel() {
    assertTrue(LpaeDescriptor.isLeaf(1, 2));
    assertFalse(LpaeDescriptor.isLeaf(1, 3)); // reserved at level 3
    assertTrue(LpaeDescriptor.isLeaf(3, 3));
    assertTrue(LpaeDescriptor.isTable(3, 2));
    assertFalse(LpaeDescriptor.isTable(3, 3));
    assertTrue(LpaeDescriptor.describe(1, 3, Granule.G4K).contains("reserved"));
    assertTrue(LpaeDescriptor.describe(0, 1, Granule.G4K).contains("invalid"));
  }

  @Test
  void outputAddress_64kFoldsPaBits51to48IntoBits15to12() {
    long d = 0x0000_0000_4001_3F47L;
    assertEquals(0x0003_0000_4001_0000L, LpaeDescriptor.outputAddress(d, Granule.G64K));
    assertEquals(0x4001_3000L, LpaeDescriptor.outputAddress(d, Granule.G4K));
    assertEquals(0x0000_4001_0000_3000L, LpaeDescriptor.addressField(0x0003_4001_0000_0000L));
  }

  @Test
  void describe_namesTheFields() {
    String s = LpaeDescriptor.describe(0x0008_0000_4000_1F47L, 3, Granule.G4K);
    assertEquals(
        "L3 page 0x0008000040001f47 OA=0x40001000 AttrIndx=1 SH=IS AP[2:1]=01 AF nG DBM"
            + " writable-dirty",
        s);
    String t = LpaeDescriptor.describe(0x0000_F000_0000_1003L, 0, Granule.G4K);
    assertEquals("L0 table 0x0000f00000001003 next=0xf00000001000", t);
  }
}
