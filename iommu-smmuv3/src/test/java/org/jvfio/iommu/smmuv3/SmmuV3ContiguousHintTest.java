package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.spi.IommuDomain.IOMMU_READ;
import static org.jvfio.core.spi.IommuDomain.IOMMU_WRITE;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;

/** Example tables for the contiguous-hint option of {@link SmmuV3Driver} (descriptor bit 52). */
class SmmuV3ContiguousHintTest {
  private static final int RW = IOMMU_READ | IOMMU_WRITE;
  private static final long PA = 0x1_0000_0000L;

  @Test
  void unmap_pieceSmallerThanAContiguousRun_isRefusedAndAPieceOfItsSizeRemovesIt() {
    IommuDomain d =
        SmmuV3Driver.builder()
            .contiguousHint(true)
            .build()
            .allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0x10000, PA, 0x10000, RW);
    long[] w = d.walk(0x13000);
    assertTrue(d.describeEntry(w[w.length - 1], 0).contains("Contiguous"));
    assertEquals(0, d.unmap(0x10000, 0x1000), "the first page of the run");
    assertEquals(0, d.unmap(0x13000, 0x1000), "a page inside the run");
    assertEquals(OptionalLong.of(PA + 0x3000), d.iovaToPhys(0x13000));
    assertEquals(0x10000, d.unmap(0x10000, 0x10000));
    assertEquals(OptionalLong.empty(), d.iovaToPhys(0x13000));
  }

  @Test
  void driver_contiguousHintOffByDefault_mapsNoRun() {
    assertEquals(Granule.G4K.pageSizeBitmap(), new SmmuV3Driver().pageSizeBitmap());
    IommuDomain d = new SmmuV3Driver().allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0x10000, PA, 0x10000, RW);
    long[] w = d.walk(0x13000);
    assertEquals(0, w[w.length - 1] & LpaeDescriptor.CONTIGUOUS);
  }

  @Test
  void harvest_writeToTheLastPageOfARun_reportsAndCleansTheWholeRun() {
    IommuDomain d =
        SmmuV3Driver.builder()
            .contiguousHint(true)
            .build()
            .allocateDomain(DomainConfig.DIRTY_TRACKING);
    d.map(0x10000, PA, 0x10000, RW);
    TestDma.harvest(d, 0x10000, 0x10000, 0x1000, 0); // writable leaves are mapped dirty
    assertTrue(d.setDirtyByHardware(d.translate(0x1f000).orElseThrow()));
    long[] w = d.walk(0x10000);
    assertFalse(LpaeDescriptor.isWritableDirty(w[w.length - 1]), "the first entry stays clean");
    assertEquals(16, TestDma.harvest(d, 0x10000, 0x10000, 0x1000, 0).cardinality());
    assertEquals(0, TestDma.harvest(d, 0x10000, 0x10000, 0x1000, 0).cardinality());
  }
}
