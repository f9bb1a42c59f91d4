package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_HUGE_PAGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_SET;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.kernel.UserMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * {@link IommufdContext#ioasCutIova} ({@code iopt_cut_iova}, {@code iopt_area_split}): the two
 * halves of a cut area map the same bytes as before; a cut whose next byte is not aligned to the
 * IOAS is EINVAL, and so is one whose user address is not ({@code iopt_area_start_byte}); with a
 * domain, only an IOAS with huge pages off may be cut; an area left {@code prevent_access} by an
 * unmap that an access blocked is EBUSY.
 */
class IommufdCutIovaTest {
  static final long PAGE = 4096;
  static final long IOVA = 1L << 24;

  final UserMemory user = new UserMemory();
  final long buf = user.allocate(16 * PAGE, PAGE, 0);
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(buf, 16 * PAGE, 1));
  final int ioas = ctx.ioasAlloc(0);

  IommufdCutIovaTest() {
    for (int i = 0; i < 4; i++) {
      user.write(buf + i * PAGE, ByteBuffer.wrap(new byte[] {(byte) (0x10 + i)}));
    }
  }

  private byte readByte(long iova) {
    IommufdAccess reader = IommufdAccess.create(ctx, false, (i, l) -> {});
    reader.attach(ioas);
    ByteBuffer b = ByteBuffer.allocate(1);
    reader.read(iova, b, user);
    reader.destroy();
    return b.get(0);
  }

  @Test
  void cut_inTheMiddle_bothHalvesMapTheirBytes() {
    ctx.ioasMap(ioas, IoasMap.fixed(buf, 4 * PAGE, IOVA));
    ctx.ioasCutIova(ioas, IOVA + 2 * PAGE - 1);
    assertEquals(0x12, readByte(IOVA + 2 * PAGE));
    assertEquals(0x13, readByte(IOVA + 3 * PAGE));
    assertEquals(0x11, readByte(IOVA + PAGE));
    assertEquals(2 * PAGE, ctx.ioasUnmap(ioas, IOVA, 2 * PAGE), "the first half is an area");
    assertEquals(0x12, readByte(IOVA + 2 * PAGE));
  }

  @Test
  void cut_nextByteNotAlignedToTheIoas_einval() {
    ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, ioas, 0); // alignment PAGE
    ctx.ioasMap(ioas, IoasMap.fixed(buf, 4 * PAGE, IOVA));
    IommufdEdgesTest.assertRefused(
        ctx, Errno.EINVAL, () -> ctx.ioasCutIova(ioas, IOVA + PAGE / 2 - 1));
    ctx.ioasCutIova(ioas, IOVA + PAGE - 1);
    assertEquals(PAGE, ctx.ioasUnmap(ioas, IOVA, PAGE));
  }

  @Test
  void cut_withADomain_onlyWithHugePagesOff() {
    int dev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    ctx.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    ctx.ioasMap(ioas, IoasMap.fixed(buf, 4 * PAGE, IOVA));
    IommufdEdgesTest.assertRefused(
        ctx, Errno.EINVAL, () -> ctx.ioasCutIova(ioas, IOVA + 2 * PAGE - 1));
    int small = ctx.ioasAlloc(0);
    ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, small, 0);
    ctx.hwptAlloc(HwptAlloc.paging(0, dev, small));
    ctx.ioasMap(small, IoasMap.fixed(buf, 4 * PAGE, IOVA));
    ctx.ioasCutIova(small, IOVA + 2 * PAGE - 1);
    assertEquals(2 * PAGE, ctx.ioasUnmap(small, IOVA, 2 * PAGE));
  }

  /**
   * {@code iopt_area_split} checks the byte after the cut and its offset in the pages apart: an
   * {@code IOMMU_IOAS_COPY} into an IOAS aligned to PAGE_SIZE (huge pages off, no domain) may make
   * an area whose IOVA is off the alignment while its user address is on it ({@code
   * iopt_insert_area} checks only the page offset), so a cut can put the next IOVA on a page
   * boundary and its user address half-way into a page: EINVAL, nothing cut.
   */
  @Test
  void cut_nextIovaAlignedButItsUserAddressNot_einval() {
    int rw = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    int fixed = rw | IOMMU_IOAS_MAP_FIXED_IOVA;
    ctx.ioasMap(ioas, IoasMap.of(fixed, buf, 3 * PAGE / 2, IOVA));
    ctx.ioasMap(ioas, IoasMap.of(fixed, buf + 4 * PAGE, 3 * PAGE / 2, IOVA + 3 * PAGE / 2));
    int dst = ctx.ioasAlloc(0);
    ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, dst, 0); // alignment PAGE
    ctx.ioasCopy(new IoasCopy(fixed, dst, ioas, 3 * PAGE, IOVA, IOVA));
    // the copy's second area: IOVA + 1.5 pages (off the alignment) at user address buf + 4 pages
    long cut = IOVA + 2 * PAGE - 1; // the next IOVA is aligned, its user address buf + 4.5 pages
    IommufdEdgesTest.assertRefused(ctx, Errno.EINVAL, () -> ctx.ioasCutIova(dst, cut));
    assertEquals(3 * PAGE / 2, ctx.ioasUnmap(dst, IOVA + 3 * PAGE / 2, 3 * PAGE / 2), "uncut");
  }

  /**
   * An unmap that an access does not let go of ({@code EDEADLOCK}) leaves the area {@code
   * prevent_access}; {@code iopt_area_split} refuses to cut it with EBUSY (before it looks at the
   * access's pins, EINVAL), and still after the access has unpinned, until the area is unmapped.
   */
  @Test
  void cut_areaLeftPreventAccessByABlockedUnmap_ebusyUntilUnmapped() {
    IommufdAccess stuck = IommufdAccess.create(ctx, true, (i, l) -> {}); // never unpins
    stuck.attach(ioas);
    ctx.ioasMap(ioas, IoasMap.fixed(buf, 4 * PAGE, IOVA));
    stuck.pinPages(IOVA, PAGE, false);
    IommufdEdgesTest.assertRefused(ctx, Errno.EDEADLOCK, () -> ctx.ioasUnmap(ioas, IOVA, 4 * PAGE));
    IommufdEdgesTest.assertRefused(
        ctx, Errno.EBUSY, () -> ctx.ioasCutIova(ioas, IOVA + 2 * PAGE - 1));
    stuck.unpinPages(IOVA, PAGE);
    IommufdEdgesTest.assertRefused(
        ctx, Errno.EBUSY, () -> ctx.ioasCutIova(ioas, IOVA + 2 * PAGE - 1));
    assertEquals(4 * PAGE, ctx.ioasUnmap(ioas, IOVA, 4 * PAGE), "one area, uncut");
  }
}
