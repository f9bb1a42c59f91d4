package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_COPY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_UNMAP;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_MAP;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_REFS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuIoasCopy;
import org.jvfio.api.iommufd.IommuIoasUnmap;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * {@code IOMMU_IOAS_MAP} of user memory that is not guest memory: pinned as {@code pin_user_pages}
 * pins it ({@code drivers/iommu/iommufd/pages.c}), with the kernel's {@code EFAULT} for unmapped
 * and (for a writeable map) read-only pages, and otherwise behaving exactly as a map of guest
 * memory.
 */
class UserMemoryMapTest {
  private static final long PAGE = 4096;
  private static final long GUEST = 1L << 20;
  private static final int PAGES = 64; // the buffer both kinds of memory offer
  private static final long IOVA = 1L << 24; // MOCK_APERTURE_START
  private static final long IOVA2 = 1L << 28;
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

  /**
   * A kernel with a VFIO device on a dirty-tracking HWPT and a selftest mock domain in one IOAS, a
   * second IOAS with a mock domain, and a 64-page buffer in guest memory or in user memory.
   */
  private static final class Machine {
    final FakeKernel kernel;
    final Syscalls sys;
    final int fd;
    final int ioas;
    final int ioas2;
    final int hwpt; // the VFIO device's, tracking dirty
    final int[] mock; // {stdev, hwpt} of the mock device on ioas
    final int[] mock2; // on ioas2
    final long base;
    final boolean guest;

    Machine(boolean guest, UserMemory mem, UserAddressSpace space) {
      this.guest = guest;
      this.kernel =
          FakeKernel.builder()
              .iommufdTest()
              .userAddressSpace(space)
              .guestMemory(GUEST)
              .iommu(MockIommuDriver.create(true, false))
              .device(
                  ReferenceMigrationDriver.create(
                      EnumSet.of(MigrationFlag.STOP_COPY),
                      new byte[100],
                      64,
                      Optional.of(DmaTracker.exact())))
              .build();
      this.sys = new Syscalls(kernel, mem);
      this.fd = sys.open(FakeKernel.IOMMU_PATH);
      int dev = sys.open(FakeKernel.devicePath(0));
      int devId = sys.bind(dev, fd);
      this.ioas = sys.ioasAlloc(fd);
      this.ioas2 = sys.ioasAlloc(fd);
      this.hwpt = sys.hwptAlloc(fd, devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      sys.attach(dev, hwpt);
      ok(sys.setDirtyTracking(fd, hwpt, true));
      this.mock = mockDomain(ioas);
      this.mock2 = mockDomain(ioas2);
      // 2 MiB-aligned in both, so that the domains choose the same leaves
      this.base = guest ? kernel.guestMemory(0).base() : mem.allocate(PAGES * PAGE, 2L << 20, 0);
    }

    Machine(boolean guest) {
      this(guest, new UserMemory());
    }

    private Machine(boolean guest, UserMemory mem) {
      this(guest, mem, mem);
    }

    long cmd(int op, int id, Consumer<ByteBuffer> union) {
      ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      b.putInt(IOMMU_TEST_CMD_SIZE).putInt(op).putInt(id).putInt(0);
      union.accept(b);
      return sys.mem.allocate(b.array());
    }

    int[] mockDomain(int ptId) {
      long arg = cmd(IOMMU_TEST_OP_MOCK_DOMAIN, ptId, b -> {});
      ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
      ByteBuffer out = sys.mem.read(arg + 16, 8).order(ByteOrder.LITTLE_ENDIAN);
      return new int[] {out.getInt(), out.getInt()};
    }

    int map(int ioasId, long userVa, long length, long iova, int flags) {
      return sys.ioasMap(
          fd, ioasId, IoasMap.of(flags | IOMMU_IOAS_MAP_FIXED_IOVA, userVa, length, iova));
    }

    int unmap(int ioasId, long iova, long length) {
      long arg =
          sys.put(
              IommuIoasUnmap.SIZE,
              new IommuIoasUnmap(IommuIoasUnmap.SIZE, ioasId, iova, length)::encode);
      return sys.ioctl(fd, IOMMU_IOAS_UNMAP, arg);
    }

    int copy(long srcIova, long length, long dstIova, int flags) {
      long arg =
          sys.put(
              IommuIoasCopy.SIZE,
              new IommuIoasCopy(
                      IommuIoasCopy.SIZE,
                      flags | IOMMU_IOAS_MAP_FIXED_IOVA,
                      ioas2,
                      ioas,
                      length,
                      dstIova,
                      srcIova)
                  ::encode);
      return sys.ioctl(fd, IOMMU_IOAS_COPY, arg);
    }

    int checkMap(int mockHwpt, long iova, long length, long uptr) {
      long arg =
          cmd(
              IOMMU_TEST_OP_MD_CHECK_MAP,
              mockHwpt,
              b -> b.putLong(16, iova).putLong(24, length).putLong(32, uptr));
      return sys.ioctl(fd, IOMMU_TEST_CMD, arg);
    }

    int checkRefs(long uptr, long length, int refs) {
      long arg =
          cmd(
              IOMMU_TEST_OP_MD_CHECK_REFS,
              0,
              b -> b.putLong(16, length).putLong(24, uptr).putInt(32, refs));
      return sys.ioctl(fd, IOMMU_TEST_CMD, arg);
    }

    int destroy(int id) {
      return sys.ioctl(fd, IOMMU_DESTROY, sys.put(8, new IommuDestroy(8, id)::encode));
    }

    /** The result and dirty bitmap of a harvest of the device's HWPT, cleared as it is read. */
    String harvest(long iova, int pages) {
      long bitmap = sys.mem.allocate(8);
      int rc = sys.getDirtyBitmap(fd, hwpt, iova, pages * PAGE, PAGE, bitmap, 0);
      return rc + " " + Long.toBinaryString(sys.mem.readLong(bitmap));
    }

    long token(int page) {
      long pa = base + page * PAGE;
      return guest ? kernel.guestMemory(0).token(pa) : kernel.hostMemory().token(pa);
    }
  }

  // --- the kernel's errnos ----------------------------------------------------------------------

  @Test
  void ioasMap_unmappedUserMemory_efaultAndNothingMapped() {
    Machine m = new Machine(false);
    long buf = m.sys.mem.allocate(8 * PAGE);
    m.sys.mem.free(buf + 4 * PAGE, 4 * PAGE); // EFAULT half way through mapping
    assertErrno(Errno.EFAULT, m.map(m.ioas, buf, 8 * PAGE, IOVA, RW));
    m.sys.mem.free(buf, 4 * PAGE); // EFAULT on the first page
    assertErrno(Errno.EFAULT, m.map(m.ioas, buf, 8 * PAGE, IOVA, RW));
    assertErrno(Errno.ENOENT, m.unmap(m.ioas, IOVA, 8 * PAGE)); // nothing was left mapped
    assertEquals(0, m.checkRefs(m.base, PAGES * PAGE, 0));
  }

  @Test
  void ioasMap_readOnlyUserMemory_efaultWhenWriteable_okWhenReadOnly() {
    Machine m = new Machine(false);
    m.sys.mem.protect(m.base, 2 * PAGE, false);
    assertErrno(Errno.EFAULT, m.map(m.ioas, m.base, 2 * PAGE, IOVA, RW));
    assertErrno(Errno.EFAULT, m.map(m.ioas, m.base + PAGE, 2 * PAGE, IOVA, RW)); // half of it
    ok(m.map(m.ioas, m.base, 2 * PAGE, IOVA, IOMMU_IOAS_MAP_READABLE));
    ok(m.checkMap(m.mock[1], IOVA, 2 * PAGE, m.base));
    assertEquals(0, m.checkRefs(m.base, 2 * PAGE, 1));
    // the device cannot write through the read-only mapping
    assertEquals(new DmaResult(0, 2), m.kernel.dmaWrite(0, IOVA, 2 * PAGE));
  }

  @Test
  void ioasMap_withoutDomain_pinsNothing_soAddingADomainFaults() {
    Machine m = new Machine(false);
    int ioas = m.sys.ioasAlloc(m.fd);
    long buf = m.sys.mem.allocate(4 * PAGE);
    m.sys.mem.free(buf, 4 * PAGE);
    ok(m.map(ioas, buf, 4 * PAGE, IOVA, RW)); // no domain: nothing is pinned yet
    long arg = m.cmd(IOMMU_TEST_OP_MOCK_DOMAIN, ioas, b -> {});
    assertErrno(Errno.EFAULT, m.sys.ioctl(m.fd, IOMMU_TEST_CMD, arg));
  }

  @Test
  void pinnedUserPages_stayAfterMunmap_untilTheLastAreaGoes() {
    Machine m = new Machine(false);
    ok(m.map(m.ioas, m.base, 4 * PAGE, IOVA, RW));
    long before = m.token(1);
    m.sys.mem.free(m.base, PAGES * PAGE);
    // the page is gone from the process: get_user_pages of it fails
    assertErrno(Errno.EFAULT, m.checkMap(m.mock[1], IOVA, 4 * PAGE, m.base));
    // but stays pinned: DMA reaches it, a new domain and a copy take it from the pins
    assertEquals(new DmaResult(PAGE, 0), m.kernel.dmaWrite(0, IOVA + PAGE, PAGE));
    assertNotEquals(before, m.token(1));
    int[] third = m.mockDomain(m.ioas);
    ok(m.destroy(third[0]));
    ok(m.copy(IOVA, 4 * PAGE, IOVA2, RW));
    // a new map of the same addresses pins again, and fails
    assertErrno(Errno.EFAULT, m.map(m.ioas, m.base, 4 * PAGE, IOVA + 8 * PAGE, RW));
    ok(m.unmap(m.ioas, IOVA, 4 * PAGE));
    ok(m.unmap(m.ioas2, IOVA2, 4 * PAGE)); // the last area goes: the pages are unpinned
    assertErrno(Errno.EFAULT, m.map(m.ioas, m.base, 4 * PAGE, IOVA, RW));
    int other = m.sys.ioasAlloc(m.fd);
    ok(m.map(other, m.base, 4 * PAGE, IOVA, RW)); // no domain: accepted, pins nothing
  }

  @Test
  void twoMapsOfOneUserPage_reachTheSamePage() {
    Machine m = new Machine(false);
    ok(m.map(m.ioas, m.base, 2 * PAGE, IOVA, RW));
    ok(m.map(m.ioas2, m.base, 2 * PAGE, IOVA2, RW));
    ok(m.checkMap(m.mock[1], IOVA, 2 * PAGE, m.base));
    ok(m.checkMap(m.mock2[1], IOVA2, 2 * PAGE, m.base));
    assertEquals(0, m.checkRefs(m.base, 2 * PAGE, 2));
    assertErrno(Errno.EINVAL, m.checkMap(m.mock2[1], IOVA2, PAGE, m.base + PAGE));
  }

  // --- user memory behaves as guest memory ------------------------------------------------------

  /**
   * Property against the guest-memory path as reference: the same random script of maps (read-only
   * or writeable), unmaps, copies, device writes, harvests, {@code MD_CHECK_MAP} and {@code
   * MD_CHECK_REFS}, run on a machine whose buffer is guest memory and on one whose buffer is a
   * {@link UserMemory} allocation, gives the same result for every call, the same dirty bitmaps and
   * the same pages written.
   */
  @Test
  void userMemory_behavesAsGuestMemory_property() {
    for (int t = 0; t < TRIES / 10; t++) {
      String c = "seed=0x" + Long.toHexString(SEED) + " try " + t;
      List<String> guest = script(new Machine(true), SEED + t);
      List<String> user = script(new Machine(false), SEED + t);
      assertEquals(guest, user, c);
    }
  }

  /** The broken twin: pinning that cannot tell writable pages (every page read-only) is caught. */
  @Test
  void userMemory_behavesAsGuestMemory_catchesPinningThatRefusesWrites() {
    UserMemory mem = new UserMemory();
    UserAddressSpace readOnly =
        new UserAddressSpace() {
          @Override
          public void read(long addr, ByteBuffer dst) {
            mem.read(addr, dst);
          }

          @Override
          public void write(long addr, ByteBuffer src) {
            mem.write(addr, src);
          }

          @Override
          public boolean isAccessible(long addr, long length) {
            return mem.isAccessible(addr, length);
          }

          @Override
          public boolean isWritable(long addr, long length) {
            return false;
          }
        };
    assertThrows(
        AssertionError.class,
        () -> {
          for (int t = 0; t < TRIES / 10; t++) {
            assertEquals(
                script(new Machine(true), SEED + t),
                script(new Machine(false, mem, readOnly), SEED + t));
          }
        });
  }

  /**
   * Runs a random script and returns what each call gave. Three calls in four target a part of a
   * run mapped earlier (the whole run for an unmap), the rest any range.
   */
  private static List<String> script(Machine m, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<String> out = new ArrayList<>();
    List<int[]> runs = new ArrayList<>(); // {first page, pages, IOVA slot} of each map
    long[] tokens = new long[PAGES];
    for (int step = 0; step < 60; step++) {
      int op = step < 4 ? 0 : rnd.nextInt(7);
      int first = rnd.nextInt(PAGES);
      int n = 1 + rnd.nextInt(Math.min(16, PAGES - first));
      int slot = rnd.nextInt(4) == 0 ? rnd.nextInt(PAGES - n + 1) : first;
      int[] run = null;
      if (op > 1 && !runs.isEmpty() && rnd.nextInt(4) != 0) {
        run = runs.get(rnd.nextInt(runs.size()));
        first = run[0] + (op == 2 ? 0 : rnd.nextInt(run[1]));
        n = op == 2 ? run[1] : 1 + rnd.nextInt(run[0] + run[1] - first);
        slot = run[2] + first - run[0];
      }
      long va = m.base + first * PAGE;
      long iova = IOVA + slot * PAGE;
      switch (op) {
        case 0, 1 -> {
          int flags = rnd.nextInt(4) == 0 ? IOMMU_IOAS_MAP_READABLE : RW;
          int rc = m.map(m.ioas, va, n * PAGE, iova, flags);
          out.add("map " + rc);
          if (rc == 0) {
            runs.add(new int[] {first, n, slot});
          }
        }
        case 2 -> {
          int rc = m.unmap(m.ioas, iova, n * PAGE);
          out.add("unmap " + rc);
          if (rc == 0 && run != null) {
            runs.remove(run);
          }
        }
        case 3 -> {
          DmaResult r = m.kernel.dmaWrite(0, iova, n * PAGE);
          StringBuilder written = new StringBuilder();
          for (int p = 0; p < PAGES; p++) {
            long tok = m.token(p);
            written.append(tok != tokens[p] ? '1' : '0');
            tokens[p] = tok;
          }
          out.add("dma " + r + " " + written + " dirty " + m.harvest(iova, n));
        }
        case 4 -> out.add("check_map " + m.checkMap(m.mock[1], iova, n * PAGE, va));
        case 5 -> {
          int copied =
              m.copy(iova, n * PAGE, IOVA2, rnd.nextBoolean() ? RW : IOMMU_IOAS_MAP_READABLE);
          out.add("copy " + copied + " " + m.checkMap(m.mock2[1], IOVA2, n * PAGE, va));
          if (copied == 0) {
            ok(m.unmap(m.ioas2, IOVA2, n * PAGE));
          }
        }
        default -> out.add("refs " + m.checkRefs(va, n * PAGE, rnd.nextInt(2)));
      }
    }
    return out;
  }
}
