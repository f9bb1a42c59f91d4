package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.core.iommufd.IommufdAccessTest.assertErrno;

import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.IommufdAccessTest.Driver;

/**
 * Areas that end inside a page in an IOAS whose alignment is {@code PAGE_SIZE}: {@code
 * IOMMU_IOAS_COPY} of byte-granular areas of an IOAS without domains or accesses into an IOAS with
 * a pinning access. {@code iopt_alloc_area_pages} and {@code iopt_insert_area} ({@code
 * drivers/iommu/iommufd/io_pagetable.c}) check the copy's IOVA and whole length and each piece's
 * page offset against the alignment, not each piece's length, so the copied areas of 1, 4095 and
 * 4096 bytes are accepted. What follows, as in the kernel: {@code iommufd_access_pin_pages} refuses
 * a pin that goes on past an area ending inside a page ({@code iopt_area_contig_is_aligned}), a
 * one-byte pin of a one-byte area holds it at unmap, and {@code iopt_calculate_iova_alignment}
 * checks the areas only when the alignment rises.
 */
class IommufdAccessCopiedAreasTest {
  static final long PAGE = 4096;
  static final long SRC_IOVA = 1L << 24;
  static final long IOVA = 1L << 25;

  final long buf = 1L << 32;
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(buf, 16 * PAGE, 1));
  final int ioas = ctx.ioasAlloc(0);
  final Driver driver = new Driver(ctx, true, false);

  /**
   * Attaches the driver's access, then copies three areas into the IOAS at {@link #IOVA}: {@code
   * [IOVA, IOVA]} of the guest page {@code buf}, {@code [IOVA + 1, IOVA + PAGE - 1]} of the page
   * {@code buf + PAGE}, {@code [IOVA + PAGE, IOVA + 2 * PAGE - 1]} of the page {@code buf + 2 *
   * PAGE}; each starts a page in user memory, the first two end inside one.
   */
  IommufdAccessCopiedAreasTest() {
    driver.access.attach(ioas);
    int src = ctx.ioasAlloc(0);
    ctx.ioasMap(src, IoasMap.fixed(buf, 1, SRC_IOVA));
    ctx.ioasMap(src, IoasMap.fixed(buf + PAGE, PAGE - 1, SRC_IOVA + 1));
    ctx.ioasMap(src, IoasMap.fixed(buf + 2 * PAGE, PAGE, SRC_IOVA + PAGE));
    int flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    ctx.ioasCopy(new IoasCopy(flags, ioas, src, 2 * PAGE, IOVA, SRC_IOVA));
  }

  @Test
  void copy_byteGranularAreas_intoAPageAlignedIoas_keepsTheirBounds() {
    assertEquals(PAGE, ctx.ioasIovaRanges(ioas, 0).iovaAlignment());
    assertEquals(1, ctx.ioasUnmap(ioas, IOVA, 1));
    assertEquals(PAGE - 1, ctx.ioasUnmap(ioas, IOVA + 1, PAGE - 1));
    assertEquals(PAGE, ctx.ioasUnmap(ioas, IOVA + PAGE, PAGE));
  }

  /**
   * {@code iopt_area_contig_is_aligned}: a piece that the pin goes on past must end on a page's
   * last byte; the last piece need not.
   */
  @Test
  void pin_pastAnAreaEndingInsideAPage_einvalAndNothingPinned() {
    assertErrno(Errno.EINVAL, () -> driver.access.pinPages(IOVA, 2 * PAGE, false));
    assertErrno(Errno.EINVAL, () -> driver.access.pinPages(IOVA + 1, 2 * PAGE - 1, false));
    assertEquals(0, ctx.pinCount(buf + 2 * PAGE), "the refused pins hold nothing");
    assertArrayEquals(new long[] {buf + PAGE}, driver.pin(IOVA + 1, PAGE - 1));
    assertArrayEquals(new long[] {buf + 2 * PAGE}, driver.pin(IOVA + PAGE, PAGE));
  }

  /** A one-byte area pinned on its only byte: {@code area->num_accesses} holds it at unmap. */
  @Test
  void unmap_oneByteAreaPinnedOnItsByte_asksTheAccessToUnpinFirst() {
    assertArrayEquals(new long[] {buf}, driver.pin(IOVA, 1));
    assertEquals(1, ctx.ioasUnmap(ioas, IOVA, 1));
    assertEquals(1, driver.calls.size());
    assertArrayEquals(new long[] {IOVA, 1}, driver.calls.get(0));
    assertTrue(driver.items.isEmpty());
    assertEquals(0, ctx.pinCount(buf));
  }

  /**
   * {@code iopt_calculate_iova_alignment} checks the areas ({@code iopt_check_iova_alignment}) only
   * when the alignment rises: a second pinning access joins the IOAS, but once both have left
   * (alignment 1) a new one is {@code EADDRINUSE}.
   */
  @Test
  void attach_pinningAccess_areasCheckedOnlyWhenTheAlignmentRises() {
    Driver second = new Driver(ctx, true, false);
    second.access.attach(ioas);
    assertEquals(PAGE, ctx.ioasIovaRanges(ioas, 0).iovaAlignment());
    driver.access.destroy();
    second.access.destroy();
    assertEquals(1, ctx.ioasIovaRanges(ioas, 0).iovaAlignment());
    Driver third = new Driver(ctx, true, false);
    assertErrno(Errno.EADDRINUSE, () -> third.access.attach(ioas));
    assertEquals(1, ctx.ioasIovaRanges(ioas, 0).iovaAlignment());
  }
}
