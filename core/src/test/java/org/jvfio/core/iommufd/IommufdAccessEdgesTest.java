package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.core.iommufd.IommufdAccessTest.assertErrno;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.kernel.UserMemory;

/**
 * {@link IommufdAccess} at its edges: used after {@link IommufdAccess#destroy} (a driver bug,
 * refused), a one-byte pin on an area's first byte, the selftest's syzkaller IOVA conversion, and a
 * read or write across two areas whose second has no user memory.
 */
class IommufdAccessEdgesTest {
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
  final int ioas = ctx.ioasAlloc(0);

  @Test
  void attachOrReplace_afterDestroy_isIllegalState() {
    IommufdAccess detached = IommufdAccess.create(ctx, true, (iova, length) -> {});
    detached.destroy();
    assertThrows(IllegalStateException.class, () -> detached.attach(ioas));
    IommufdAccess attached = IommufdAccess.create(ctx, true, (iova, length) -> {});
    attached.attach(ioas);
    attached.destroy();
    assertThrows(IllegalStateException.class, () -> attached.replace(ioas));
  }

  /** A one-byte pin of an area's first byte holds the area: its unmap asks the access first. */
  @Test
  void unmap_areaWithAOneBytePinOnItsFirstByte_tellsTheAccess() {
    IommufdAccessTest.Driver d = new IommufdAccessTest.Driver(ctx, true, false);
    d.access.attach(ioas);
    ctx.ioasMap(ioas, IoasMap.fixed(1L << 32, 2 * 4096, 1L << 24));
    d.pin(1L << 24, 1);
    assertEquals(2 * 4096, ctx.ioasUnmap(ioas, 1L << 24, 2 * 4096));
    assertEquals(1, d.calls.size());
    assertArrayEquals(new long[] {1L << 24, 2 * 4096}, d.calls.get(0));
    assertEquals(0, d.items.size());
  }

  /** {@code iommufd_test_syz_conv_iova}: area index in the low 32 bits, offset in the high. */
  @Test
  void syzIova_areaIndexAndOffset() {
    IommufdAccess a = IommufdAccess.create(ctx, false, (iova, length) -> {});
    assertEquals(0, a.syzIova(0));
    a.attach(ioas);
    ctx.ioasMap(ioas, IoasMap.fixed(1L << 32, 4096, 1L << 24));
    ctx.ioasMap(ioas, IoasMap.fixed(1L << 32, 4096, 1L << 25));
    assertEquals((1L << 25) + 5, a.syzIova(1 | 5L << 32));
    assertEquals(1L << 24, a.syzIova(0));
    assertEquals(0, a.syzIova(2));
  }

  /**
   * A read or write across two areas whose second area's user memory is gone: {@code EFAULT}, and,
   * every piece being checked before any is copied, neither the first area's bytes nor the buffer's
   * position change (the kernel's {@code iommufd_access_rw} would have copied the first piece;
   * jvfio's refused calls change nothing).
   */
  @Test
  void readWrite_acrossTwoAreasTheSecondWithoutUserMemory_efaultAndNothingMoved() {
    long page = 4096;
    UserMemory user = new UserMemory();
    long buf = user.allocate(2 * page, page, 0);
    user.write(buf + page - 4, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
    ctx.ioasMap(ioas, IoasMap.fixed(buf, page, 1L << 24));
    ctx.ioasMap(ioas, IoasMap.fixed(buf + page, page, (1L << 24) + page));
    user.free(buf + page, page);
    IommufdAccess a = IommufdAccess.create(ctx, false, (iova, length) -> {});
    a.attach(ioas);
    long iova = (1L << 24) + page - 4;

    ByteBuffer src = ByteBuffer.wrap(new byte[] {9, 9, 9, 9, 9, 9, 9, 9});
    assertErrno(Errno.EFAULT, () -> a.write(iova, src, user));
    assertEquals(0, src.position());
    ByteBuffer dst = ByteBuffer.allocate(8);
    assertErrno(Errno.EFAULT, () -> a.read(iova, dst, user));
    assertEquals(0, dst.position());

    ByteBuffer firstArea = ByteBuffer.allocate(4);
    a.read(iova, firstArea, user);
    assertArrayEquals(new byte[] {1, 2, 3, 4}, firstArea.array());
  }
}
