package org.jvfio.core.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Translation;

class MockDomainTest {
  static final long PAGE = MockIommuDriver.PAGE_4K;
  static final long HUGE = MockIommuDriver.PAGE_2M;
  static final long IOVA = 0x4000_0000L;
  static final long PA = 0x1_0000_0000L;
  static final int RW = IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE;

  final IommuDomain domain = MockIommuDriver.create().allocateDomain(DomainConfig.DIRTY_TRACKING);

  IovaBitmap dirty(long iova, long length, int flags) {
    IovaBitmap b = IovaBitmap.allocate(iova, length, PAGE);
    domain.readAndClearDirty(iova, length, flags, IommuDirtyBitmap.of(b, new IotlbGather()));
    return b;
  }

  Translation translate(long iova) {
    return domain.translate(iova).orElseThrow();
  }

  @Test
  void map_alignedRange_usesHugeLeaves() {
    domain.map(IOVA, PA, HUGE + PAGE, RW);
    long[] walk = domain.walk(IOVA);
    assertEquals(3, walk.length, "a 2 MiB leaf ends the walk at level 1");
    assertTrue(domain.describeEntry(walk[2], 1).contains("2M"), domain.describeEntry(walk[2], 1));
    assertEquals(4, domain.walk(IOVA + HUGE).length);
    assertEquals(OptionalLong.of(PA + HUGE + 5), domain.iovaToPhys(IOVA + HUGE + 5));
    assertEquals(OptionalLong.empty(), domain.iovaToPhys(IOVA + HUGE + PAGE));
    assertEquals(HUGE, translate(IOVA + 123).size());
  }

  @Test
  void map_overlapOrMisaligned_throwsAndChangesNothing() {
    domain.map(IOVA, PA, PAGE, RW);
    assertThrows(IllegalArgumentException.class, () -> domain.map(IOVA - PAGE, PA, 2 * PAGE, RW));
    assertThrows(IllegalArgumentException.class, () -> domain.map(IOVA + 1, PA, PAGE, RW));
    assertThrows(IllegalArgumentException.class, () -> domain.map(1L << 48, PA, PAGE, RW));
    assertEquals(OptionalLong.empty(), domain.iovaToPhys(IOVA - PAGE));
  }

  @Test
  void unmap_leafStartingInside_removesWholeLeaf() {
    domain.map(IOVA, PA, HUGE, RW);
    assertEquals(HUGE, domain.unmap(IOVA, PAGE));
    assertTrue(domain.translate(IOVA + PAGE).isEmpty());
    assertEquals(0, domain.unmap(IOVA, HUGE));
  }

  @Test
  void readAndClearDirty_noClearKeeps_clearClears() {
    domain.map(IOVA, PA, 4 * PAGE, RW);
    domain.setDirtyTracking(true);
    assertTrue(domain.setDirtyByHardware(translate(IOVA + PAGE)));
    assertTrue(dirty(IOVA, 4 * PAGE, Iommufd.IOMMU_DIRTY_NO_CLEAR).isDirty(IOVA + PAGE));
    assertTrue(dirty(IOVA, 4 * PAGE, 0).isDirty(IOVA + PAGE));
    assertEquals(0, dirty(IOVA, 4 * PAGE, 0).cardinality());
  }

  @Test
  void readAndClearDirty_hugeLeafPartlyInRange_recordsFromRangeStart() {
    domain.map(IOVA, PA, HUGE, RW);
    domain.setDirtyTracking(true);
    assertTrue(domain.setDirtyByHardware(translate(IOVA)));
    assertEquals(256, dirty(IOVA + HUGE / 2, HUGE / 2, 0).cardinality());
  }

  @Test
  void split_childrenInheritDirty_staleLeafUpdateFails() {
    domain.map(IOVA, PA, HUGE, RW);
    domain.setDirtyTracking(true);
    Translation stale = translate(IOVA);
    assertTrue(domain.setDirtyByHardware(stale));
    domain.split(IOVA, HUGE, PAGE);
    assertEquals(PAGE, translate(IOVA + 7 * PAGE).size());
    assertEquals(512, dirty(IOVA, HUGE, Iommufd.IOMMU_DIRTY_NO_CLEAR).cardinality());
    assertFalse(domain.setDirtyByHardware(stale), "the 2 MiB slot now holds a table");
  }

  @Test
  void split_partOfAGiantLeaf_demotesOnlyTheRangeToTheTarget() {
    IommuDomain d = MockIommuDriver.createWithGiantPages().allocateDomain(DomainConfig.PLAIN);
    long giant = MockIommuDriver.PAGE_1G;
    d.map(giant, 0, giant, RW);
    long frames = d.memory().framesInUse();
    d.split(giant + HUGE, PAGE, PAGE); // one 4 KiB page of the second 2 MiB item
    assertEquals(frames + 2, d.memory().framesInUse(), "one table of 2 MiB leaves, one of 4 KiB");
    assertEquals(HUGE, translate(d, giant).size());
    assertEquals(PAGE, translate(d, giant + HUGE + 5 * PAGE).size());
    assertEquals(HUGE, translate(d, giant + 2 * HUGE).size());
    assertEquals(OptionalLong.of(giant - 1), d.iovaToPhys(2 * giant - 1));
  }

  private static Translation translate(IommuDomain d, long iova) {
    return d.translate(iova).orElseThrow();
  }

  @Test
  void collapse_orsChildren_orphanedChildUpdateFails() {
    domain.map(IOVA, PA, HUGE, RW);
    domain.split(IOVA, HUGE, PAGE);
    domain.setDirtyTracking(true);
    Translation child = translate(IOVA + 3 * PAGE);
    assertFalse(child.dirty());
    domain.collapse(IOVA, HUGE);
    assertEquals(HUGE, translate(IOVA).size());
    assertEquals(0, dirty(IOVA, HUGE, Iommufd.IOMMU_DIRTY_NO_CLEAR).cardinality());
    // A write through the stale child translation: its CAS lands on the orphaned child, so the
    // engine is told to walk again, and the new leaf gets the dirty bit.
    assertFalse(domain.setDirtyByHardware(child));
    assertTrue(domain.setDirtyByHardware(translate(IOVA + 3 * PAGE)));
    assertEquals(512, dirty(IOVA, HUGE, 0).cardinality());
    // Split then collapse with no writes keeps the (clean) state; a dirty child makes it dirty.
    domain.split(IOVA, HUGE, PAGE);
    assertTrue(domain.setDirtyByHardware(translate(IOVA + 9 * PAGE)));
    domain.collapse(IOVA, HUGE);
    assertArrayEquals(
        new long[] {-1L, -1L, -1L, -1L, -1L, -1L, -1L, -1L}, dirty(IOVA, HUGE, 0).words());
  }

  @Test
  void collapse_nonContiguousChildren_leavesTable() {
    domain.map(IOVA, PA, HUGE - PAGE, RW);
    domain.map(IOVA + HUGE - PAGE, PA + 4 * HUGE, PAGE, RW);
    domain.collapse(IOVA, HUGE);
    assertEquals(PAGE, translate(IOVA).size());
  }

  @Test
  void dirtyOps_incapableOrPlain_eopnotsupp() {
    UapiException e =
        assertThrows(
            UapiException.class,
            () -> MockIommuDriver.create(false, true).allocateDomain(DomainConfig.DIRTY_TRACKING));
    assertEquals(Errno.EOPNOTSUPP, e.errno());
    IommuDomain plain = MockIommuDriver.create().allocateDomain(DomainConfig.PLAIN);
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(UapiException.class, () -> plain.setDirtyTracking(true)).errno());
  }

  @Test
  void unmapReadingDirty_recordsDirtyLeaves() {
    domain.map(IOVA, PA, 4 * PAGE, RW);
    domain.setDirtyTracking(true);
    assertTrue(domain.setDirtyByHardware(translate(IOVA + 2 * PAGE)));
    IovaBitmap b = IovaBitmap.allocate(IOVA, 4 * PAGE, PAGE);
    assertEquals(
        4 * PAGE,
        domain.unmapReadingDirty(IOVA, 4 * PAGE, IommuDirtyBitmap.of(b, new IotlbGather())));
    assertEquals(1, b.cardinality());
    assertTrue(b.isDirty(IOVA + 2 * PAGE));
  }

  @Test
  void selftestGeometry_twoKibPagesAndOneMibHugePages() {
    MockIommuDriver driver = MockIommuDriver.create();
    IommuDomain d = driver.allocateSelftestDomain(DomainConfig.DIRTY_TRACKING, true);
    long page = MockIommuDriver.SELFTEST_PAGE;
    long huge = MockIommuDriver.SELFTEST_HUGE_PAGE;
    long iova = 1L << 24; // MOCK_APERTURE_START
    assertEquals(2048, page);
    assertEquals(512 * 2048, huge);
    assertEquals(page | huge, d.pageSizeBitmap());
    d.map(iova, PA, huge + page, RW);
    assertEquals(huge, d.translate(iova + 7).orElseThrow().size());
    assertEquals(page, d.translate(iova + huge).orElseThrow().size());
    assertEquals(OptionalLong.of(PA + huge + 5), d.iovaToPhys(iova + huge + 5));
    assertEquals(OptionalLong.empty(), d.iovaToPhys(iova + huge + page));
    assertEquals(0, d.unmap(iova + page, page), "inside the huge leaf: nothing");
    d.split(iova, huge, page);
    assertEquals(page, d.translate(iova + huge - 1).orElseThrow().size());
    d.collapse(iova, huge);
    assertEquals(huge, d.translate(iova).orElseThrow().size());
    assertEquals(huge + page, d.unmap(iova, huge + page));
    d.free();
    assertEquals(0, driver.memory().framesInUse(), "free returned every frame");
  }
}
