package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * IOAS is EINVAL; with a domain, only an IOAS with huge pages off may be cut.
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
}
