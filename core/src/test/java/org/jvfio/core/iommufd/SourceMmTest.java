package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.core.iommufd.ForkFixture.IOVA;
import static org.jvfio.core.iommufd.ForkFixture.PAGE;
import static org.jvfio.core.iommufd.ForkFixture.PAGES;
import static org.jvfio.core.iommufd.IommufdAccessTest.assertErrno;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.HostMemory;
import org.jvfio.core.kernel.CurrentProcess;
import org.jvfio.core.kernel.UserMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Example tables for the pages of another process ({@code source_mm} of {@code struct iopt_pages},
 * {@code drivers/iommu/iommufd/pages.c}), after the selftest's {@code fork_gone} and {@code
 * fork_present}: a later pin goes through the mm of the process that mapped the pages, is {@code
 * EFAULT} once it has exited, and pages pinned before stay reachable. The property is {@link
 * SourceMmPropertyTest}.
 */
class SourceMmTest {
  private final ForkFixture f = new ForkFixture();

  private static byte[] bytes(int length, int value) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) value);
    return b;
  }

  // --- a domain added after the map ----------------------------------------------------------

  @Test
  void domainAttach_mmGone_efault_andChangesNothing() {
    f.childMaps(0, PAGES, IOVA);
    f.child.exit();
    int dev = f.ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    assertErrno(Errno.EFAULT, () -> f.ctx.attach(dev, f.ioas));
    assertEquals(0, f.ctx.pinCount(f.buf));
    // the area is still there; once it goes, the domain can be added
    assertEquals(PAGES * PAGE, f.ctx.ioasUnmap(f.ioas, IOVA, PAGES * PAGE));
    f.ctx.attach(dev, f.ioas);
  }

  @Test
  void domainAttach_mmGone_guestMemory_efault() {
    UserMemory parent = new UserMemory();
    UserMemory child = new UserMemory();
    CurrentProcess procs = new CurrentProcess(parent);
    long base = 1L << 32;
    IommufdContext ctx =
        IommufdContext.create(
            PAGE,
            new GuestTables(),
            ForkFixture.pagesOf(procs),
            new HostMemory(),
            GuestMemory.create(base, 1L << 20, 1));
    int ioas = ctx.ioasAlloc(0);
    procs.callAs(child, () -> (int) ctx.ioasMap(ioas, IoasMap.fixed(base, PAGE, IOVA)));
    child.exit();
    int dev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    assertErrno(Errno.EFAULT, () -> ctx.attach(dev, ioas));
    // the parent's own map of the same guest memory pins as ever
    ctx.ioasUnmap(ioas, IOVA, PAGE);
    ctx.ioasMap(ioas, IoasMap.fixed(base, PAGE, IOVA));
    ctx.attach(dev, ioas);
  }

  @Test
  void domainAttach_mmPresent_pinsTheSourceProcessPages() {
    f.childMaps(0, PAGES, IOVA);
    f.child.free(f.buf + PAGE, PAGE); // the child unmaps a page the parent still has
    assertErrno(Errno.EFAULT, f::attachDomain);
    f.ctx.ioasUnmap(f.ioas, IOVA, PAGES * PAGE);
    f.childMaps(2, 4, IOVA);
    f.parent.free(f.buf + 2 * PAGE, 4 * PAGE); // the parent's holes do not matter
    f.attachDomain();
    assertEquals(1, f.ctx.pinCount(f.buf + 2 * PAGE));
  }

  @Test
  void domainAttach_pinnedBeforeTheExit_copiesFromTheDomain() {
    f.attachDomain();
    f.childMaps(0, PAGES, IOVA); // pinned by the child's call
    f.child.exit();
    f.attachDomain(); // iopt_area_fill_domains takes the pages from the first domain
    assertEquals(1, f.ctx.pinCount(f.buf));
  }

  @Test
  void ioasCopy_keepsTheSourceMm_efaultIntoADomain() {
    int src = f.ctx.ioasAlloc(0);
    f.asChild(() -> f.ctx.ioasMap(src, IoasMap.fixed(f.buf, PAGES * PAGE, IOVA)));
    f.child.exit();
    f.attachDomain();
    int flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
    assertErrno(
        Errno.EFAULT,
        () -> f.ctx.ioasCopy(new IoasCopy(flags, f.ioas, src, PAGES * PAGE, IOVA, IOVA)));
  }

  // --- iommufd_access_rw ------------------------------------------------------------------------

  @Test
  void accessRw_mmPresent_movesTheSourceProcessBytes() {
    f.childMaps(0, PAGES, IOVA);
    IommufdAccess a = f.rwAccess();
    assertArrayEquals(bytes(100, 2), f.read(a, IOVA + PAGE - 50, 100)); // the child's
    a.write(IOVA + PAGE, ByteBuffer.wrap(bytes(10, 7)), f.procs);
    assertArrayEquals(bytes(10, 7), f.child.read(f.buf + PAGE, 10).array());
    assertArrayEquals(bytes(10, 1), f.parent.read(f.buf + PAGE, 10).array());
  }

  @Test
  void accessRw_mmPresent_sourceHole_efault() {
    f.childMaps(0, PAGES, IOVA);
    f.child.free(f.buf + PAGE, PAGE);
    IommufdAccess a = f.rwAccess();
    assertErrno(Errno.EFAULT, () -> f.read(a, IOVA + PAGE - 1, 2));
    assertArrayEquals(bytes(1, 2), f.read(a, IOVA + PAGE - 1, 1));
  }

  @Test
  void accessRw_mmGone_noDomain_efault() {
    f.childMaps(0, PAGES, IOVA);
    f.child.exit();
    IommufdAccess a = f.rwAccess();
    assertErrno(Errno.EFAULT, () -> f.read(a, IOVA, 1));
    assertErrno(Errno.EFAULT, () -> a.write(IOVA, ByteBuffer.wrap(bytes(8, 3)), f.procs));
    assertArrayEquals(bytes(8, 1), f.parent.read(f.buf, 8).array());
  }

  @Test
  void accessRw_mmGone_pinnedByADomain_movesThePagesAtTheSameAddress() {
    f.attachDomain();
    f.childMaps(0, PAGES, IOVA);
    f.child.exit();
    IommufdAccess a = f.rwAccess();
    assertArrayEquals(bytes((int) (PAGES * PAGE), 1), f.read(a, IOVA, (int) (PAGES * PAGE)));
    a.write(IOVA + 5, ByteBuffer.wrap(bytes(3, 9)), f.procs);
    assertArrayEquals(bytes(3, 9), f.parent.read(f.buf + 5, 3).array());
  }

  @Test
  void accessRw_mmGone_partlyPinnedByAnAccess_efaultPastThePin() {
    IommufdAccess pinner = IommufdAccess.create(f.ctx, true, (iova, length) -> {});
    pinner.attach(f.ioas);
    f.childMaps(0, PAGES, IOVA);
    pinner.pinPages(IOVA, 2 * PAGE, false);
    f.child.exit();
    IommufdAccess a = f.rwAccess();
    assertArrayEquals(bytes((int) (2 * PAGE), 1), f.read(a, IOVA, (int) (2 * PAGE)));
    assertErrno(Errno.EFAULT, () -> f.read(a, IOVA + 2 * PAGE - 1, 2));
  }

  @Test
  void accessRw_sameProcess_movesTheCallerBytes() {
    f.asChild(() -> f.ctx.ioasMap(f.ioas, IoasMap.fixed(f.buf, PAGE, IOVA)));
    IommufdAccess a = f.rwAccess();
    byte[] got = new byte[4];
    f.asChild(() -> a.read(IOVA, ByteBuffer.wrap(got), f.procs));
    assertArrayEquals(bytes(4, 2), got);
  }

  // --- iommufd_access_pin_pages -----------------------------------------------------------------

  @Test
  void accessPin_mmGone_pinnedPagesOnly() {
    IommufdAccess pinner = IommufdAccess.create(f.ctx, true, (iova, length) -> {});
    pinner.attach(f.ioas);
    f.childMaps(0, PAGES, IOVA);
    pinner.pinPages(IOVA, 2 * PAGE, true);
    f.child.exit();
    assertArrayEquals(
        new long[] {f.buf, f.buf + PAGE}, pinner.pinPages(IOVA, 2 * PAGE, true)); // held
    assertErrno(Errno.EFAULT, () -> pinner.pinPages(IOVA + PAGE, 2 * PAGE, true));
  }
}
