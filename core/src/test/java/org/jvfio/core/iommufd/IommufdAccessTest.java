package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.kernel.UserMemory;

/**
 * Example tables for {@link IommufdAccess} ({@code iommufd_access_*} of {@code
 * drivers/iommu/iommufd/device.c}) and the unmap notification of {@code IOMMU_IOAS_UNMAP}; the
 * property against a model is {@link IommufdAccessPropertyTest}.
 */
class IommufdAccessTest {
  static final long PAGE = 4096;
  static final long IOVA = 1L << 24;
  static final int PAGES = 64;

  UserMemory user;
  long buf;
  IommufdContext ctx;
  int ioas;

  @BeforeEach
  void setUp() {
    user = new UserMemory();
    buf = user.allocate(PAGES * PAGE, PAGE, 0);
    ctx = IommufdContext.create(GuestMemory.create(buf, PAGES * PAGE, 1));
    ioas = ctx.ioasAlloc(0);
  }

  static void assertErrno(Errno want, Executable call) {
    assertEquals(want, assertThrows(UapiException.class, call).errno());
  }

  /** The selftest's driver ({@code struct selftest_access}): items that its callback unpins. */
  static final class Driver {
    final IommufdAccess access;
    final List<long[]> items = new ArrayList<>();
    final List<long[]> calls = new ArrayList<>();
    final boolean forgetful; // the broken twin: never unpins

    Driver(IommufdContext ctx, boolean needsPinPages, boolean forgetful) {
      this.forgetful = forgetful;
      this.access = IommufdAccess.create(ctx, needsPinPages, this::unmap);
    }

    private void unmap(long iova, long length) {
      calls.add(new long[] {iova, length});
      if (forgetful) {
        return;
      }
      long last = iova + length - 1;
      items.removeIf(
          it -> {
            boolean meets =
                Long.compareUnsigned(iova, it[0] + it[1] - 1) <= 0
                    && Long.compareUnsigned(last, it[0]) >= 0;
            if (meets) {
              access.unpinPages(it[0], it[1]);
            }
            return meets;
          });
    }

    long[] pin(long iova, long length) {
      long[][] out = new long[1][];
      access.locked(
          () -> {
            out[0] = access.pinPages(iova, length, false);
            items.add(new long[] {iova, length});
          });
      return out[0];
    }

    void unpinAll() {
      access.locked(
          () -> {
            for (long[] it : items) {
              access.unpinPages(it[0], it[1]);
            }
            items.clear();
          });
    }
  }

  Driver attached(boolean needsPinPages) {
    Driver d = new Driver(ctx, needsPinPages, false);
    d.access.attach(ioas);
    return d;
  }

  void map(long userVa, long length, long iova) {
    ctx.ioasMap(ioas, IoasMap.fixed(userVa, length, iova));
  }

  // --- attach, replace, destroy --------------------------------------------------------------

  @Test
  void attach_notAnIoas_enoent_twice_einval() {
    Driver d = new Driver(ctx, false, false);
    assertErrno(Errno.ENOENT, () -> d.access.attach(ioas + 100));
    d.access.attach(ioas);
    assertErrno(Errno.EINVAL, () -> d.access.attach(ioas));
  }

  @Test
  void replace_detached_enoent_badIoas_enoentAndStaysAttached() {
    Driver d = new Driver(ctx, true, false);
    assertErrno(Errno.ENOENT, () -> d.access.replace(ioas));
    d.access.attach(ioas);
    map(buf, PAGE, IOVA);
    d.pin(IOVA, PAGE);
    assertErrno(Errno.ENOENT, () -> d.access.replace(999));
    assertEquals(1, d.items.size(), "a failed replace unpins nothing");
  }

  @Test
  void attach_needsPinPages_raisesAlignment_andMisalignedArea_eaddrinuse() {
    map(buf, 2048, IOVA);
    Driver pinning = new Driver(ctx, true, false);
    assertErrno(Errno.EADDRINUSE, () -> pinning.access.attach(ioas));
    assertEquals(1, ctx.ioasIovaRanges(ioas, 0).iovaAlignment());
    attached(false); // an access that does not pin keeps alignment 1
    assertEquals(1, ctx.ioasIovaRanges(ioas, 0).iovaAlignment());
    ctx.ioasUnmap(ioas, IOVA, 2048);
    pinning.access.attach(ioas);
    assertEquals(PAGE, ctx.ioasIovaRanges(ioas, 0).iovaAlignment());
    assertErrno(Errno.EINVAL, () -> map(buf, 2048, IOVA));
    pinning.access.destroy();
    assertEquals(1, ctx.ioasIovaRanges(ioas, 0).iovaAlignment());
  }

  @Test
  void destroy_ioasWithAccess_ebusy_accessId_ebusy_idIsAllocated() {
    Driver d = attached(false);
    assertEquals(ioas + 1, d.access.id());
    assertErrno(Errno.EBUSY, () -> ctx.destroy(ioas));
    assertErrno(Errno.EBUSY, () -> ctx.destroy(d.access.id()));
    d.access.destroy();
    ctx.destroy(ioas);
    assertErrno(Errno.ENOENT, () -> ctx.destroy(d.access.id()));
  }

  @Test
  void replace_callsTheCallbackWithEverything_thenPinsInTheNewIoas() {
    Driver d = attached(true);
    map(buf, 4 * PAGE, IOVA);
    d.pin(IOVA, 2 * PAGE);
    int other = ctx.ioasAlloc(0);
    ctx.ioasMap(other, IoasMap.fixed(buf + PAGE, PAGE, IOVA));
    d.access.replace(other);
    assertArrayEquals(new long[] {0, -1L}, d.calls.get(0));
    assertTrue(d.items.isEmpty());
    ctx.ioasUnmap(ioas, IOVA, 4 * PAGE); // nothing pinned there any more
    assertArrayEquals(new long[] {buf + PAGE}, d.pin(IOVA, PAGE));
    assertErrno(Errno.EBUSY, () -> ctx.destroy(other));
    ctx.destroy(ioas);
  }

  // --- pin ------------------------------------------------------------------------------------

  @Test
  void pin_returnsTheUserPages_acrossAreas() {
    Driver d = attached(true);
    map(buf + 8 * PAGE, 2 * PAGE, IOVA);
    map(buf, PAGE, IOVA + 2 * PAGE);
    assertArrayEquals(new long[] {buf + 8 * PAGE, buf + 9 * PAGE, buf}, d.pin(IOVA, 3 * PAGE));
    assertArrayEquals(new long[] {buf + 9 * PAGE}, d.pin(IOVA + PAGE, 1));
    assertEquals(1, ctx.pinCount(buf + 9 * PAGE), "the area's pages are pinned once");
    assertEquals(0, ctx.pinCount(buf + 10 * PAGE));
    d.unpinAll();
    assertEquals(0, ctx.pinCount(buf + 9 * PAGE));
  }

  /**
   * {@code iopt_area_split}: the TYPE1 emulation's cut of an area ({@code iommufd_vfio_unmap_dma})
   * is refused while an access has pages of the area pinned ({@code num_accesses}), and goes
   * through once they are unpinned.
   */
  @Test
  void cutIova_ofAnAreaAnAccessHasPinned_einval_thenCutsOnceUnpinned() {
    Driver d = attached(true);
    map(buf, 4 * PAGE, IOVA);
    d.pin(IOVA + 3 * PAGE, PAGE);
    assertErrno(Errno.EINVAL, () -> ctx.ioasCutIova(ioas, IOVA + 2 * PAGE - 1));
    d.unpinAll();
    ctx.ioasCutIova(ioas, IOVA + 2 * PAGE - 1);
    assertEquals(2 * PAGE, ctx.ioasUnmap(ioas, IOVA, 2 * PAGE), "the cut made two areas");
  }

  @Test
  void pin_errnoTable() {
    Driver d = attached(true);
    map(buf, 2 * PAGE, IOVA);
    int ro = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
    ctx.ioasMap(ioas, IoasMap.of(ro, buf, PAGE, IOVA + 4 * PAGE));
    int wo = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE;
    ctx.ioasMap(ioas, IoasMap.of(wo, buf, PAGE, IOVA + 6 * PAGE));
    map(buf + PAGES * PAGE, PAGE, IOVA + 8 * PAGE); // outside the guest memory
    assertErrno(Errno.EINVAL, () -> d.access.pinPages(IOVA, 0, false));
    assertErrno(Errno.EOVERFLOW, () -> d.access.pinPages(-PAGE, 2 * PAGE, false));
    assertErrno(Errno.ENOENT, () -> d.access.pinPages(IOVA + 2 * PAGE, PAGE, false));
    assertErrno(Errno.ENOENT, () -> d.access.pinPages(IOVA, 3 * PAGE, false));
    assertErrno(Errno.EPERM, () -> d.access.pinPages(IOVA + 4 * PAGE, PAGE, true));
    assertErrno(Errno.EPERM, () -> d.access.pinPages(IOVA + 6 * PAGE, PAGE, false));
    assertErrno(Errno.EFAULT, () -> d.access.pinPages(IOVA + 8 * PAGE, PAGE, false));
    assertEquals(0, ctx.pinCount(buf), "failed pins hold nothing");
    Driver noPin = attached(false);
    assertErrno(Errno.EINVAL, () -> noPin.access.pinPages(IOVA, PAGE, false));
    Driver detached = new Driver(ctx, true, false);
    assertErrno(Errno.ENOENT, () -> detached.access.pinPages(IOVA, PAGE, false));
  }

  @Test
  void pin_notStartingAPage_einval_orOfMisalignedAreas_attachRefused() {
    Driver d = attached(true);
    map(buf, 2 * PAGE, IOVA);
    assertErrno(Errno.EINVAL, () -> d.access.pinPages(IOVA + 2048, PAGE, false));
    assertErrno(Errno.EINVAL, () -> d.access.pinPages(IOVA + 1, 1, false));
    assertArrayEquals(new long[] {buf + PAGE}, d.access.pinPages(IOVA + PAGE, 1, false));
    int other = ctx.ioasAlloc(0);
    ctx.ioasMap(other, IoasMap.fixed(buf + 2048, 2 * PAGE, IOVA)); // page offset 2048
    Driver p = new Driver(ctx, true, false);
    assertErrno(Errno.EADDRINUSE, () -> p.access.attach(other));
  }

  @Test
  void unpin_ofNothing_isADriverBug() {
    Driver d = new Driver(ctx, true, false);
    assertThrows(IllegalStateException.class, () -> d.access.unpinPages(IOVA, PAGE));
    d.access.attach(ioas);
    assertThrows(IllegalStateException.class, () -> d.access.unpinPages(IOVA, PAGE));
  }

  // --- read and write -------------------------------------------------------------------------

  @Test
  void readWrite_moveTheUserBytes_atAnyAlignment_acrossAreas() {
    Driver d = attached(false);
    map(buf + 8 * PAGE, PAGE, IOVA);
    map(buf, PAGE, IOVA + PAGE);
    byte[] src = new byte[300];
    for (int i = 0; i < src.length; i++) {
      src[i] = (byte) (i * 7 + 1);
    }
    d.access.write(IOVA + PAGE - 100, ByteBuffer.wrap(src), user);
    ByteBuffer direct = ByteBuffer.allocate(300);
    user.read(buf + 9 * PAGE - 100, direct.limit(100));
    user.read(buf, direct.limit(300));
    assertArrayEquals(src, direct.array());
    ByteBuffer back = ByteBuffer.allocate(300);
    d.access.read(IOVA + PAGE - 100, back, user);
    assertArrayEquals(src, back.array());
  }

  @Test
  void readWrite_errnoTable_andARefusedWriteChangesNothing() {
    Driver d = attached(false);
    map(buf, PAGE, IOVA);
    int ro = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;
    ctx.ioasMap(ioas, IoasMap.of(ro, buf, PAGE, IOVA + PAGE));
    long unmapped = user.allocate(PAGE, PAGE, 0);
    user.free(unmapped);
    map(unmapped, PAGE, IOVA + 4 * PAGE);
    assertErrno(Errno.EINVAL, () -> d.access.read(IOVA, ByteBuffer.allocate(0), user));
    assertErrno(Errno.EOVERFLOW, () -> d.access.read(-1L, ByteBuffer.allocate(2), user));
    assertErrno(Errno.ENOENT, () -> d.access.read(IOVA + 2 * PAGE, ByteBuffer.allocate(1), user));
    assertErrno(Errno.EFAULT, () -> d.access.read(IOVA + 4 * PAGE, ByteBuffer.allocate(1), user));
    ByteBuffer ones = ByteBuffer.wrap(new byte[(int) (2 * PAGE)]);
    java.util.Arrays.fill(ones.array(), (byte) 1);
    assertErrno(Errno.EPERM, () -> d.access.write(IOVA, ones, user));
    assertEquals(0, ones.position());
    assertEquals(0, user.read(buf, 1).get(), "the first area was not written");
    d.access.read(IOVA + PAGE, ByteBuffer.allocate(1), user); // read-only is readable
    Driver detached = new Driver(ctx, false, false);
    assertErrno(Errno.ENOENT, () -> detached.access.read(IOVA, ByteBuffer.allocate(1), user));
  }

  // --- unmap notification ---------------------------------------------------------------------

  @Test
  void unmap_ofAPinnedArea_callsTheCallbackWithTheArea_thenUnmaps() {
    Driver d = attached(true);
    Driver other = attached(false);
    map(buf, 4 * PAGE, IOVA);
    d.pin(IOVA + PAGE, PAGE);
    assertEquals(4 * PAGE, ctx.ioasUnmap(ioas, IOVA, 4 * PAGE));
    assertArrayEquals(new long[] {IOVA, 4 * PAGE}, d.calls.get(0));
    assertEquals(1, other.calls.size(), "every access of the IOAS is told");
    assertTrue(d.items.isEmpty());
    assertEquals(0, ctx.pinCount(buf + PAGE));
  }

  @Test
  void unmap_ofAnUnpinnedArea_callsNoOne() {
    Driver d = attached(true);
    map(buf, 4 * PAGE, IOVA);
    map(buf, PAGE, IOVA + 8 * PAGE);
    d.pin(IOVA + 8 * PAGE, PAGE);
    ctx.ioasUnmap(ioas, IOVA, 4 * PAGE);
    assertTrue(d.calls.isEmpty());
    assertEquals(1, d.items.size());
  }

  @Test
  void unmap_driverThatDoesNotUnpin_edeadlockAfter101Calls_andTheAreaRefusesAccess() {
    Driver bad = new Driver(ctx, true, true);
    bad.access.attach(ioas);
    map(buf, 2 * PAGE, IOVA);
    bad.pin(IOVA, PAGE);
    assertErrno(Errno.EDEADLOCK, () -> ctx.ioasUnmap(ioas, IOVA, 2 * PAGE));
    assertEquals(101, bad.calls.size());
    assertErrno(Errno.EINVAL, () -> bad.access.pinPages(IOVA + PAGE, PAGE, false));
    assertErrno(Errno.EINVAL, () -> bad.access.read(IOVA, ByteBuffer.allocate(1), user));
    bad.unpinAll();
    assertEquals(2 * PAGE, ctx.ioasUnmap(ioas, IOVA, 2 * PAGE), "the area was still mapped");
  }
}
