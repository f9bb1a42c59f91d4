package org.jvfio.core.pt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Example tables for the engine's edges on the mock format (4 KiB pages, 2 MiB huge pages, 48-bit
 * IOVA, a 52-bit output address) and on a format whose top table spans all 2^64 IOVAs.
 */
class PageTableTest {
  private static final long PAGE = 0x1000L;
  private static final long HUGE = 0x20_0000L;
  private static final int RW = IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE;

  private final PageTableMemory memory = new PageTableMemory();
  private final Iotlb iotlb = new Iotlb();

  private PageTable mock() {
    PtFormat f = ((PtDomain) MockIommuDriver.create().allocateDomain(DomainConfig.PLAIN)).format();
    return new PageTable(f, memory, iotlb, (root, top) -> {});
  }

  /**
   * 64 KiB granule, 4096-entry tables, four levels from 2^16 to 2^52: the top's items are 2^52
   * bytes and its table resolves IOVA bits 63:52.
   */
  private PageTable wide() {
    long d = 1L << 6;
    PtFormat f =
        PtFormat.builder("wide")
            .geometry(16, 12, 3, 3, 64)
            .presentBit(1)
            .addressMask(0x000F_FFFF_FFFF_F000L)
            .leaf(0, 0, 0, 1, 1L << 16)
            .table(1, 0, 0, 1)
            .table(2, 0, 0, 1)
            .table(3, 0, 0, 1)
            .protections(2, 4, 6)
            .permissions(2, 0, 4, 0, false)
            .dirty(d, d, ~d, 0, -1L, d)
            .describer((e, level) -> "L" + level)
            .build();
    return new PageTable(f, memory, iotlb, (root, top) -> {});
  }

  private static IovaBitmap harvest(PageTable pt, long iova, long size) {
    IovaBitmap bitmap = IovaBitmap.allocate(iova, size, PAGE);
    IotlbGather gather = new IotlbGather();
    pt.readAndClearDirty(iova, size, true, IommuDirtyBitmap.of(bitmap, gather));
    pt.iotlbSync(gather);
    return bitmap;
  }

  @Test
  void readAndClearDirty_topTableSpanningAll64Bits_recordsTheDirtyLeafAtItsIova() {
    readsTheDirtyLeafOfAWideTable(0xF0F0_0000_0000_0000L);
  }

  /**
   * Below bit 63 a wrong base for the top table's items (the IOVA itself instead of 0) would land
   * above the range and not be clipped away, as it is above (where the sum wraps).
   */
  @Test
  void readAndClearDirty_topTableSpanningAll64BitsBelowBit63_recordsTheDirtyLeafAtItsIova() {
    readsTheDirtyLeafOfAWideTable(0x70F0_0000_0000_0000L);
  }

  private void readsTheDirtyLeafOfAWideTable(long iova) {
    PageTable pt = wide();
    long page = 1L << 16;
    assertEquals(-1L, pt.apertureEnd());
    pt.map(iova, 0x7_0000_0000L, 2 * page, RW);
    pt.setHardwareUpdates(true, false);
    Translation t = pt.translate(iova + page).orElseThrow();
    assertEquals(0x7_0001_0000L, t.physicalOf(iova + page));
    assertTrue(pt.setDirtyByHardware(t));
    IovaBitmap bitmap = IovaBitmap.allocate(iova, 2 * page, page);
    pt.readAndClearDirty(iova, 2 * page, false, IommuDirtyBitmap.of(bitmap, new IotlbGather()));
    assertFalse(bitmap.isDirty(iova));
    assertTrue(bitmap.isDirty(iova + page));
    assertEquals(2 * page, pt.unmap(iova, 2 * page, null));
  }

  @Test
  void map_outputEndingAtTheTopOfTheAddressField_isAcceptedAndOneMorePageIsNot() {
    PageTable pt = mock();
    long top = 1L << 52;
    pt.map(0, top - 2 * PAGE, 2 * PAGE, RW);
    assertEquals(OptionalLong.of(top - 1), pt.iovaToPhys(2 * PAGE - 1));
    assertThrows(IllegalArgumentException.class, () -> pt.map(HUGE, top - PAGE, 2 * PAGE, RW));
    assertEquals(OptionalLong.empty(), pt.iovaToPhys(HUGE));
  }

  @Test
  void unmap_freeingMoreThanEightTables_returnsEveryFrameAtTheSync() {
    PageTable pt = mock();
    long frames = memory.framesInUse();
    for (int i = 0; i < 12; i++) {
      pt.map(i * HUGE, PAGE + i * HUGE, HUGE, RW); // misaligned: a full level-0 table each
    }
    assertEquals(frames + 2 + 12, memory.framesInUse()); // and the level-2 and -1 tables
    IotlbGather gather = new IotlbGather();
    gather.addRange(0, 12 * HUGE);
    assertEquals(12 * HUGE, pt.unmap(0, 12 * HUGE, null));
    assertEquals(frames + 2 + 12, memory.framesInUse()); // freed only after the invalidation
    pt.iotlbSync(gather);
    assertEquals(frames + 2, memory.framesInUse());
  }

  @Test
  void unmapPieces_emptyMisalignedOrBeyondTheAperture_isRefused() {
    PageTable pt = mock();
    pt.map(0, 0, 2 * PAGE, RW);
    assertThrows(IllegalArgumentException.class, () -> pt.unmapPieces(0, 0, null));
    assertThrows(IllegalArgumentException.class, () -> pt.unmapPieces(1, PAGE, null));
    assertThrows(IllegalArgumentException.class, () -> pt.unmapPieces(0, PAGE + 1, null));
    assertThrows(IllegalArgumentException.class, () -> pt.unmapPieces(-PAGE, 2 * PAGE, null));
    assertThrows(IllegalArgumentException.class, () -> pt.unmapPieces(1L << 48, PAGE, null));
    assertEquals(OptionalLong.of(PAGE), pt.iovaToPhys(PAGE));
    assertEquals(2 * PAGE, pt.unmapPieces(0, 2 * PAGE, null));
  }

  @Test
  void free_withTablesAwaitingTheirSync_invalidatesAllAndReturnsEveryFrame() {
    long frames = memory.framesInUse();
    PageTable pt = mock();
    pt.map(0, PAGE, HUGE, RW);
    assertEquals(HUGE, pt.unmap(0, HUGE, null)); // its table waits for the next sync
    long full = iotlb.fullInvalidations();
    pt.free();
    assertEquals(full + 1, iotlb.fullInvalidations());
    assertEquals(frames, memory.framesInUse());
    assertThrows(IllegalStateException.class, pt::topLevel);
  }

  @Test
  void walkAndIovaToPhys_beyondTheTopsReach_findNothing() {
    PageTable pt = mock();
    pt.map(0, 0, PAGE, RW);
    assertEquals(0, pt.walk(1L << 48).length);
    assertEquals(OptionalLong.empty(), pt.iovaToPhys(1L << 48));
    assertTrue(pt.translate(1L << 48).isEmpty());
  }

  @Test
  void translate_writeOnlyAndReadOnlyLeaves_grantExactlyTheirPermission() {
    PageTable pt = mock();
    pt.map(0, 0, PAGE, IommuDomain.IOMMU_WRITE);
    pt.map(PAGE, PAGE, PAGE, IommuDomain.IOMMU_READ);
    Translation w = pt.translate(0).orElseThrow();
    assertFalse(w.readable());
    assertTrue(w.writable());
    Translation r = pt.translate(PAGE).orElseThrow();
    assertTrue(r.readable());
    assertFalse(r.writable());
    assertFalse(pt.setDirtyByHardware(r)); // a write never dirties a read-only leaf
  }

  /**
   * With permissions along the walk (AMD's IR and IW in every PDE), a table pointer that denies
   * reads or writes denies them for every leaf below it, whatever the leaf says.
   */
  @Test
  void translate_permissionsAlongTheWalk_tablePointerDenyingAnAccessDeniesItBelow() {
    PageTable pt =
        new PageTable(
            TestFormats.replicas()
                .table(1, 1L << 7, 0, 7)
                .table(2, 1L << 7, 0, 7)
                .permissions(2, 0, 4, 0, true)
                .build(),
            memory,
            iotlb,
            (root, top) -> {});
    pt.map(0, 0, PAGE, RW);
    pt.map(1L << 30, 0, PAGE, RW);
    Translation both = pt.translate(0).orElseThrow();
    assertTrue(both.readable() && both.writable());
    long top = pt.root();
    memory.set(top, memory.get(top) & ~4L); // the pointer of [0, 1 GiB) loses W
    memory.set(top + 8, memory.get(top + 8) & ~2L); // the pointer of [1 GiB, 2 GiB) loses R
    Translation readOnly = pt.translate(0).orElseThrow();
    assertTrue(readOnly.readable());
    assertFalse(readOnly.writable());
    Translation writeOnly = pt.translate(1L << 30).orElseThrow();
    assertFalse(writeOnly.readable());
    assertTrue(writeOnly.writable());
  }

  @Test
  void iotlbSync_invalidatesTheGatheredRangeOnly() {
    IommuDomain domain = MockIommuDriver.create().allocateDomain(DomainConfig.PLAIN);
    long mem = 0x1_0000_0000L;
    DmaEngine dma = new DmaEngine(List.of(GuestMemory.create(mem, 4 * HUGE, 7)), 4);
    domain.map(HUGE / 2, mem, PAGE, RW);
    domain.map(HUGE, mem + HUGE, PAGE, RW);
    dma.read(1, domain, HUGE, 8);
    assertEquals(1, domain.iotlb().size());
    IotlbGather gather = new IotlbGather();
    gather.addRange(HUGE / 2, PAGE);
    assertEquals(PAGE, domain.unmap(HUGE / 2, PAGE));
    domain.iotlbSync(gather); // [1 MiB, 1 MiB + 4 KiB): not the leaf cached at 2 MiB
    assertEquals(1, domain.iotlb().size());
    gather.addRange(HUGE, PAGE);
    domain.iotlbSync(gather);
    assertEquals(0, domain.iotlb().size());
  }

  @Test
  void readAndClearDirty_clearingRead_cleansWhatItRecorded() {
    PageTable pt = mock();
    pt.map(0, 0, 4 * PAGE, RW);
    pt.setHardwareUpdates(true, false);
    assertTrue(pt.setDirtyByHardware(pt.translate(2 * PAGE).orElseThrow()));
    assertEquals(1, harvest(pt, 0, 4 * PAGE).cardinality());
    assertEquals(0, harvest(pt, 0, 4 * PAGE).cardinality());
  }
}
