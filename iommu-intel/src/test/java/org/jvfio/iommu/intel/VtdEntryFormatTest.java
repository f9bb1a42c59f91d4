package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.spi.IommuDomain.IOMMU_READ;
import static org.jvfio.core.spi.IommuDomain.IOMMU_WRITE;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;

/**
 * Entry words pinned bit for bit against the Intel VT-d specification's second-stage, first-stage
 * and scalable-mode PASID entry formats.
 */
class VtdEntryFormatTest {
  private static final long T0 = PageTableMemory.BASE; // the root: the first frame of a domain
  private static final long T1 = T0 + 0x1000;
  private static final long T2 = T0 + 0x2000;
  private static final long T3 = T0 + 0x3000;
  private static final int RW = IOMMU_READ | IOMMU_WRITE;

  private static IntelDomain ss(DomainConfig config) {
    return new IntelSsDriver().allocateDomain(config);
  }

  @Test
  void map4k_secondStage_tableEntriesAreRwPointersAndPteIsAddrRw() {
    IntelDomain d = ss(DomainConfig.PLAIN);
    d.map(0x1000, 0x1234_5000L, 0x1000, RW);
    // SS-PML4E, SS-PDPTE, SS-PDE: address | R | W; SS-PTE: address | R | W, A = D = 0, no PS.
    assertArrayEquals(
        new long[] {
          0x0000_F000_0000_1003L,
          0x0000_F000_0000_2003L,
          0x0000_F000_0000_3003L,
          0x0000_0000_1234_5003L
        },
        d.walk(0x1000));
    assertEquals(T1 | 3, d.memory().get(T0));
    assertEquals(0x1234_5003L, d.memory().get(T3 + 8));
  }

  @Test
  void map_readOnlyAndWriteOnly_setOnlyTheirBit() {
    IntelDomain d = ss(DomainConfig.PLAIN);
    d.map(0x1000, 0x7000, 0x1000, IOMMU_READ);
    d.map(0x2000, 0x8000, 0x1000, IOMMU_WRITE);
    assertEquals(0x7001L, d.memory().get(T3 + 8));
    assertEquals(0x8002L, d.memory().get(T3 + 16));
  }

  @Test
  void map2m_secondStage_isPdeWithPs() {
    IntelDomain d = ss(DomainConfig.PLAIN);
    d.map(0x4020_0000L, 0x8020_0000L, 2L << 20, RW);
    long[] w = d.walk(0x4020_0000L + 0x1234);
    assertEquals(3, w.length);
    assertEquals(0x0000_0000_8020_0083L, w[2]); // address | PS | W | R
    assertEquals(0x8020_1234L, d.iovaToPhys(0x4020_1234L).getAsLong());
  }

  @Test
  void map1g_secondStage_isPdpteWithPs() {
    IntelDomain d = ss(DomainConfig.PLAIN);
    d.map(0x80_4000_0000L, 0x1_4000_0000L, 1L << 30, IOMMU_WRITE);
    long[] w = d.walk(0x80_7fff_f000L);
    assertEquals(2, w.length);
    assertEquals(T1 | 3, w[0]);
    assertEquals(0x0000_0001_4000_0082L, w[1]); // address | PS | W
  }

  @Test
  void write_withTracking_setsAOnWalkAndDOnWrite() {
    IntelDomain d = ss(DomainConfig.DIRTY_TRACKING);
    d.map(0x20_0000, 0x60_0000, 2L << 20, RW);
    d.setDirtyTracking(true);
    Translation t = d.translate(0x20_1000).orElseThrow();
    assertEquals(0x60_0183L, d.walk(0x20_1000)[2], "A (bit 8) set by the walk");
    assertFalse(t.dirty());
    assertTrue(d.setDirtyByHardware(t));
    assertEquals(0x60_0383L, d.walk(0x20_1000)[2], "D (bit 9) set by the write");
  }

  @Test
  void translate_withoutTracking_changesNothingAndCountsAsDirty() {
    IntelDomain d = ss(DomainConfig.DIRTY_TRACKING);
    d.map(0x1000, 0x5000, 0x1000, RW);
    Translation t = d.translate(0x1000).orElseThrow();
    assertTrue(t.dirty(), "a translation walked with SSADE = 0 never updates the entry");
    assertEquals(0x5003L, d.walk(0x1000)[3]);
  }

  @Test
  void levels_345_reachTheirWidthAndWalkThatDeep() {
    for (int levels = 3; levels <= 5; levels++) {
      IntelSsDriver drv = IntelSsDriver.withLevels(levels);
      IntelDomain d = drv.allocateDomain(DomainConfig.PLAIN);
      long top = (1L << (30 + 9 * (levels - 2))) - 0x1000;
      assertEquals(top + 0xfff, d.apertureEnd(), "levels " + levels);
      d.map(top, 0x9000, 0x1000, RW);
      assertEquals(levels, d.walk(top).length, "levels " + levels);
      assertEquals(0x9000L, d.translate(top).orElseThrow().physical());
      long beyond = top + 0x1000;
      assertThrows(IllegalArgumentException.class, () -> d.map(beyond, 0, 0x1000, RW));
      assertTrue(d.translate(beyond).isEmpty());
      assertEquals(levels - 2, pasidAw(d), "PASID AW = levels - 2");
    }
  }

  private static int pasidAw(IntelDomain d) {
    d.attach(1, IntelDomain.IOMMU_NO_PASID);
    return d.pasidEntry(1, IntelDomain.IOMMU_NO_PASID).orElseThrow().aw();
  }

  @Test
  void translate_everyPageSize_matchesMapping() {
    IntelDomain d = ss(DomainConfig.PLAIN);
    long[][] maps = { // iova, pa, size, expected leaf size
      {0x1000, 0x10_0000, 0x1000, 0x1000},
      {0x20_0000, 0x4000_0000L, 2L << 20, 2L << 20},
      {0x4000_0000L, 0x8000_0000L, 1L << 30, 1L << 30},
    };
    for (long[] m : maps) {
      d.map(m[0], m[1], m[2], IOMMU_READ);
    }
    for (long[] m : maps) {
      for (long off : new long[] {0, 0x123, m[2] - 1}) {
        Translation t = d.translate(m[0] + off).orElseThrow();
        assertEquals(m[3], t.size());
        assertEquals(m[0], t.iova());
        assertEquals(m[1], t.physical());
        assertEquals(m[1] + off, t.physicalOf(m[0] + off));
        assertTrue(t.readable());
        assertFalse(t.writable());
      }
    }
    assertTrue(d.translate(0x2000).isEmpty());
    assertEquals(OptionalLong.empty(), d.iovaToPhys(0x2000));
  }

  @Test
  void map_withoutLargePages_uses4kLeavesOnly() {
    IntelSsDriver drv = IntelSsDriver.withoutLargePages();
    assertEquals(0x1000L, drv.pageSizeBitmap());
    IntelDomain d = drv.allocateDomain(DomainConfig.PLAIN);
    d.map(0x20_0000, 0x20_0000, 2L << 20, RW);
    assertEquals(4, d.walk(0x20_0000).length);
    assertEquals(0x1000, d.translate(0x3f_f000).orElseThrow().size());
  }

  @Test
  void pageSizeBitmap_followsSllps() {
    assertEquals(0x1000L | 1L << 21 | 1L << 30, new IntelSsDriver().pageSizeBitmap());
    IntelSsDriver only2m = IntelSsDriver.of(VtdRegisters.DEFAULT.withSllps(0b01));
    assertEquals(0x1000L | 1L << 21, only2m.pageSizeBitmap());
  }

  @Test
  void firstStage_leavesHaveAAndDPreset() {
    IntelDomain d = new IntelFsDriver().allocateDomain(DomainConfig.PLAIN);
    d.map(0x1000, 0x1234_5000L, 0x1000, RW);
    d.map(0x2000, 0x1234_6000L, 0x1000, IOMMU_READ);
    d.map(0x20_0000, 0x4000_0000L, 2L << 20, RW);
    // Tables: P | RW | U | A = 0x27.
    assertArrayEquals(new long[] {T1 | 0x27, T2 | 0x27, T3 | 0x27, 0x1234_5067L}, d.walk(0x1000));
    assertEquals(0x1234_6025L, d.walk(0x2000)[3], "read-only: P | U | A, no RW, no D");
    assertEquals(0x4000_00E7L, d.walk(0x20_0000)[2], "2M: P | RW | U | A | D | PS");
    assertTrue(d.translate(0x1000).orElseThrow().dirty(), "first stage never needs an update");
    assertEquals(4, new IntelFsDriver().levels());
    assertEquals(5, IntelFsDriver.fiveLevel().levels());
    assertEquals((1L << 47) - 1, d.apertureEnd(), "lower canonical half of 48 bits");
  }

  @Test
  void pasidEntry_secondStage_wordsPinned() {
    IntelDomain d = ss(DomainConfig.DIRTY_TRACKING);
    d.attach(0x0100, IntelDomain.IOMMU_NO_PASID);
    PasidEntry pe = d.pasidEntry(0x0100, 0).orElseThrow();
    // P | AW 2 (bits 4:2) | PGTT 2 (bits 8:6) | SSPTPTR = root; val[1]: DID 2 | PWSNP (bit 23).
    assertEquals(T0 | 0x89, pe.val0());
    assertEquals(0x80_0002L, pe.val1());
    assertEquals(0, pe.val2());
    assertEquals(d.domainId(), pe.did());
    d.setDirtyTracking(true);
    assertEquals(T0 | 0x289, d.pasidEntry(0x0100, 0).orElseThrow().val0(), "SSADE = val[0] bit 9");
    d.setDirtyTracking(false);
    assertEquals(T0 | 0x89, d.pasidEntry(0x0100, 0).orElseThrow().val0());
  }

  @Test
  void pasidEntry_firstStage_isPgtt1WithFsptptr() {
    IntelDomain d = new IntelFsDriver().allocateDomain(DomainConfig.PLAIN);
    d.attach(7, 5);
    PasidEntry pe = d.pasidEntry(7, 5).orElseThrow();
    assertEquals(0x49L, pe.val0(), "P | AW 2 | PGTT 1");
    assertEquals(T0, pe.val2(), "FSPTPTR, FLPM = 0 (4-level)");
    PasidEntry five = attachFirst(IntelFsDriver.fiveLevel().allocateDomain(DomainConfig.PLAIN));
    assertEquals(1, five.flpm());
  }

  private static PasidEntry attachFirst(IntelDomain d) {
    d.attach(1, 0);
    return d.pasidEntry(1, 0).orElseThrow();
  }

  @Test
  void describe_decodesLeafAndTable() {
    assertEquals(
        "SS-PDE 0x0000000080200383 leaf 2M -> 0x80200000 R W PS A D",
        VtdPte.describeSecondStage(0x8020_0383L, 1));
    assertEquals(
        "SS-PML4E 0x0000f00000001003 table -> 0xf00000001000 R W",
        VtdPte.describeSecondStage(T1 | 3, 3));
    assertEquals("SS-PTE 0x0000000000000300 not present", VtdPte.describeSecondStage(0x300, 0));
    assertEquals(
        "FS-PTE 0x0000000012345067 leaf 4K -> 0x12345000 P RW U A D",
        VtdPte.describeFirstStage(0x1234_5067L, 0));
    IommuDomain d = ss(DomainConfig.PLAIN);
    assertEquals(VtdPte.describeSecondStage(0x1003, 0), d.describeEntry(0x1003, 0));
  }

  @Test
  void serviceLoader_findsBothDriversByName() {
    IommuDriver ss = IommuDriver.named("intel-ss");
    assertTrue(ss instanceof IntelSsDriver);
    assertTrue(ss.canTrackDirty());
    IommuDriver fs = IommuDriver.named("intel-fs");
    assertTrue(fs instanceof IntelFsDriver);
    assertFalse(fs.canTrackDirty());
  }
}
