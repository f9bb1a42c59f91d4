package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.iommufd.IommufdAccessTest.assertErrno;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.HostMemory;
import org.jvfio.core.kernel.UserMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * The default {@link UserPages#currentMm}: a context over a {@code UserPages} alone serves one
 * process that never exits, pins through that {@code UserPages}, and whose bytes its accesses move
 * through the caller's memory; the mm's own bytes are {@code EFAULT}.
 */
class OneProcessTest {
  static final long PAGE = 4096;
  static final long IOVA = 1L << 24;

  final UserMemory user = new UserMemory();
  final long buf = user.allocate(4 * PAGE, PAGE, 0);
  final UserPages pages = user::canPin; // no currentMm of its own

  @Test
  void currentMm_default_oneLiveProcessPinningAsItsUserPages_itsOwnBytesEfault() {
    UserMm mm = pages.currentMm();
    assertEquals(mm, pages.currentMm(), "every call is the same process");
    assertTrue(mm.isLive());
    assertTrue(mm.canPin(buf, 4 * PAGE, true));
    user.protect(buf + PAGE, PAGE, false);
    assertFalse(mm.canPin(buf, 2 * PAGE, true));
    assertTrue(mm.canPin(buf, 2 * PAGE, false));
    assertErrno(Errno.EFAULT, () -> mm.read(buf, 8));
    assertErrno(Errno.EFAULT, () -> mm.write(buf, ByteBuffer.allocate(8)));
    assertFalse(mm.isAccessible(buf, 8));
    assertTrue(mm.isAccessible(buf, 0), "an empty range, as UserAccess.NONE");
  }

  /**
   * A domain added to an IOAS pins the map's pages through the default mm, that is through the
   * {@code UserPages}; an access moves the caller's bytes.
   */
  @Test
  void domainAttach_userPagesAlone_pinsTheirMemory_accessMovesTheCallersBytes() {
    IommufdContext ctx = IommufdContext.create(PAGE, new GuestTables(), pages, new HostMemory());
    int ioas = ctx.ioasAlloc(0);
    ctx.ioasMap(ioas, IoasMap.fixed(buf, 2 * PAGE, IOVA));
    int dev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    ctx.attach(dev, ioas);
    assertEquals(1, ctx.pinCount(buf + PAGE));

    user.write(buf + PAGE, ByteBuffer.wrap(new byte[] {5, 6, 7}));
    IommufdAccess a = IommufdAccess.create(ctx, false, (iova, length) -> {});
    a.attach(ioas);
    ByteBuffer got = ByteBuffer.allocate(3);
    a.read(IOVA + PAGE, got, user);
    assertArrayEquals(new byte[] {5, 6, 7}, got.array());

    user.free(buf + 3 * PAGE, PAGE);
    assertErrno(
        Errno.EFAULT,
        () -> ctx.ioasMap(ioas, IoasMap.fixed(buf + 2 * PAGE, 2 * PAGE, IOVA + 4 * PAGE)));
  }
}
