package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDriver;

class SmmuV3DriverTest {
  @Test
  void named_findsTheDefaultInstance() {
    IommuDriver d = IommuDriver.named("smmuv3");
    SmmuV3Driver s = assertInstanceOf(SmmuV3Driver.class, d);
    assertEquals(Granule.G4K, s.granule());
    assertEquals(48, s.inputBits());
    assertEquals(2, s.idr0Httu());
    assertEquals(2, s.idr3Bbml());
    assertTrue(s.coherentWalk());
    assertEquals(PostHarvestSync.ARCHITECTURAL, s.postHarvestSync());
    assertEquals((1L << 12) | (1L << 21) | (1L << 30), d.pageSizeBitmap());
    assertEquals(
        Set.of(
            IommuCapability.DIRTY_TRACKING,
            IommuCapability.DIRTY_TRACKING_ALWAYS_ON,
            IommuCapability.HOLE_ABORTS_HARVEST,
            IommuCapability.HARVEST_CARRIES_START_OFFSET,
            IommuCapability.SPLIT_COLLAPSE),
        d.capabilities());
  }

  @Test
  void pageSizes_perGranule() {
    assertEquals((1L << 14) | (1L << 25), SmmuV3Driver.withGranule(Granule.G16K).pageSizeBitmap());
    assertEquals((1L << 16) | (1L << 29), SmmuV3Driver.withGranule(Granule.G64K).pageSizeBitmap());
  }

  @Test
  void nonCoherentWalk_isNotDirtyCapableAndRefusesDirtyDomains_T19() {
    SmmuV3Driver d = SmmuV3Driver.builder().coherentWalk(false).build();
    assertFalse(d.canTrackDirty());
    assertFalse(d.dbmCapable());
    assertEquals(Set.of(IommuCapability.SPLIT_COLLAPSE), d.capabilities());
    UapiException e =
        assertThrows(UapiException.class, () -> d.allocateDomain(DomainConfig.DIRTY_TRACKING));
    assertEquals(Errno.EOPNOTSUPP, e.errno());
    ContextDescriptor cd =
        d.contextDescriptorOf(d.allocateDomain(DomainConfig.PLAIN)).orElseThrow();
    assertEquals(0x0001_E205_C000_2010L, cd.dword0()); // IRGN0/ORGN0 NC, SH0 OS
  }

  @Test
  void httuBelowTwo_isNotDirtyCapable() {
    for (int httu : new int[] {0, 1}) {
      SmmuV3Driver d = SmmuV3Driver.builder().httu(httu).build();
      assertFalse(d.canTrackDirty());
      assertEquals(
          Errno.EOPNOTSUPP,
          assertThrows(UapiException.class, () -> d.allocateDomain(DomainConfig.DIRTY_TRACKING))
              .errno());
    }
  }

  @Test
  void dirtyNestParent_isRefusedAndNestParentAloneGetsStage2() {
    SmmuV3Driver d = new SmmuV3Driver();
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(UapiException.class, () -> d.allocateDomain(new DomainConfig(true, true)))
            .errno());
    assertTrue(d.contextDescriptorOf(d.allocateDomain(new DomainConfig(false, true))).isEmpty());
  }

  @Test
  void builder_rejectsOutOfRangeFields() {
    assertThrows(IllegalArgumentException.class, () -> SmmuV3Driver.builder().httu(3));
    assertThrows(IllegalArgumentException.class, () -> SmmuV3Driver.builder().bbml(-1));
    assertThrows(IllegalArgumentException.class, () -> SmmuV3Driver.builder().inputBits(52));
  }
}
