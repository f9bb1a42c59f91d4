package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FILE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_UNMAP;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
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
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuIoasMapFile;
import org.jvfio.api.iommufd.IommuIoasUnmap;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.UserFile;
import org.jvfio.core.iommufd.UserFiles;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * {@code IOMMU_IOAS_MAP_FILE} ({@code drivers/iommu/iommufd/ioas.c}, {@code iommufd_ioas_map_file};
 * {@code io_pagetable.c}, {@code iopt_map_file_pages}): the kernel's checks in its order, and a
 * memfd's pages being the same pages whether mapped by file or through its {@code MAP_SHARED}
 * mapping.
 */
class IoasMapFileTest {
  private static final long PAGE = 4096;
  private static final int PAGES = 32;
  private static final long IOVA = 1L << 24; // MOCK_APERTURE_START
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
  private static final int FIXED_RW = RW | IOMMU_IOAS_MAP_FIXED_IOVA;

  /** A kernel with a dirty-tracking VFIO device and a mock domain on one IOAS, and a memfd. */
  private static final class Machine {
    final FakeKernel kernel;
    final Syscalls sys;
    final SelftestSyscalls st;
    final MemFds files;
    final int fd;
    final int ioas;
    final int hwpt;
    final int[] mock;
    final int mfd;
    final long buf; // the memfd's MAP_SHARED mapping

    Machine(UserFiles plugged) {
      FakeKernel.Builder b =
          FakeKernel.builder()
              .iommufdTest()
              .iommu(MockIommuDriver.create(true, false))
              .device(
                  ReferenceMigrationDriver.create(
                      EnumSet.of(MigrationFlag.STOP_COPY),
                      new byte[100],
                      64,
                      Optional.of(DmaTracker.exact())));
      UserMemory mem = new UserMemory();
      this.files = new MemFds(mem);
      this.kernel = b.userAddressSpace(mem).userFiles(plugged == null ? files : plugged).build();
      this.sys = new Syscalls(kernel, mem);
      this.fd = sys.open(FakeKernel.IOMMU_PATH);
      this.st = new SelftestSyscalls(sys, fd);
      int dev = sys.open(FakeKernel.devicePath(0));
      int devId = sys.bind(dev, fd);
      this.ioas = sys.ioasAlloc(fd);
      this.hwpt = sys.hwptAlloc(fd, devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      sys.attach(dev, hwpt);
      ok(sys.setDirtyTracking(fd, hwpt, true));
      this.mock = st.mockDomain(ioas, 0);
      this.mfd = files.memfdCreate(PAGES * PAGE);
      this.buf = files.mmap(mfd);
    }

    Machine() {
      this(null);
    }

    int mapFile(int ioasId, int file, long start, long length, long iova, int flags) {
      long arg =
          sys.put(
              IommuIoasMapFile.SIZE,
              new IommuIoasMapFile(IommuIoasMapFile.SIZE, flags, ioasId, file, start, length, iova)
                  ::encode);
      return sys.ioctl(fd, IOMMU_IOAS_MAP_FILE, arg);
    }

    int mapVa(long va, long length, long iova, int flags) {
      return sys.ioasMap(fd, ioas, IoasMap.of(flags | IOMMU_IOAS_MAP_FIXED_IOVA, va, length, iova));
    }

    int unmap(long iova, long length) {
      long arg =
          sys.put(
              IommuIoasUnmap.SIZE,
              new IommuIoasUnmap(IommuIoasUnmap.SIZE, ioas, iova, length)::encode);
      return sys.ioctl(fd, IOMMU_IOAS_UNMAP, arg);
    }

    int checkMap(long iova, long length, long uptr) {
      return st.checkMap(mock[1], iova, length, uptr);
    }

    int checkRefs(long uptr, long length, int refs) {
      return st.checkRefs(uptr, length, refs);
    }

    String harvest(long iova, int pages) {
      long bitmap = sys.mem.allocate(8);
      int rc = sys.getDirtyBitmap(fd, hwpt, iova, pages * PAGE, PAGE, bitmap, 0);
      return rc + " " + Long.toBinaryString(sys.mem.readLong(bitmap));
    }
  }

  // --- the kernel's errnos, in its order ---------------------------------------------------------

  @Test
  void ioasMapFile_badArguments_kernelErrnosInOrder() {
    Machine m = new Machine();
    int regular = m.files.openRegular(PAGES * PAGE);
    long len = 2 * PAGE;
    Object[][] table = {
      {Errno.EOPNOTSUPP, m.mapFile(m.ioas, 9999, 0, len, IOVA, RW | 1 << 3)},
      {Errno.EOVERFLOW, m.mapFile(m.ioas, 9999, 0, -1L, IOVA, RW)},
      {Errno.EOVERFLOW, m.mapFile(m.ioas, 9999, 0, len, -1L, RW | IOMMU_IOAS_MAP_FIXED_IOVA)},
      {Errno.EINVAL, m.mapFile(m.ioas, 9999, 0, len, IOVA, IOMMU_IOAS_MAP_FIXED_IOVA)},
      {Errno.ENOENT, m.mapFile(m.ioas + 100, 9999, 0, len, IOVA, RW)},
      {Errno.EINVAL, m.mapFile(m.ioas, 9999, 0, 0, IOVA, RW)},
      {Errno.EOVERFLOW, m.mapFile(m.ioas, 9999, -PAGE, len, IOVA, RW)},
      {Errno.EBADF, m.mapFile(m.ioas, 9999, 0, len, IOVA, RW)},
      {Errno.EINVAL, m.mapFile(m.ioas, m.mfd, 0, -PAGE, IOVA, RW)},
      // memfd_pin_folios: not shmem, or beyond the end of the file
      {Errno.EINVAL, m.mapFile(m.ioas, regular, 0, len, IOVA, RW)},
      {Errno.EINVAL, m.mapFile(m.ioas, m.mfd, 0, PAGES * PAGE + 1, IOVA, RW)},
      {Errno.EINVAL, m.mapFile(m.ioas, m.mfd, PAGES * PAGE, PAGE, IOVA, RW)},
    };
    for (Object[] row : table) {
      assertErrno((Errno) row[0], (int) row[1]);
    }
    assertErrno(Errno.ENOENT, m.unmap(IOVA, PAGES * PAGE)); // nothing was left mapped
    assertEquals(0, m.checkRefs(m.buf, PAGES * PAGE, 0));
  }

  @Test
  void ioasMapFile_truncatedFile_einval() {
    Machine m = new Machine();
    int tmp = m.files.memfdCreate(8 * PAGE);
    m.files.mmap(tmp);
    assertErrno(Errno.EINVAL, m.mapFile(m.ioas, tmp, 0, 8 * PAGE + 1, IOVA, RW));
    m.files.ftruncate(tmp, 8 * PAGE - 2048); // a whole number of mock IO pages, not of pages
    assertErrno(Errno.EINVAL, m.mapFile(m.ioas, tmp, 0, 8 * PAGE - 2048, IOVA, FIXED_RW));
    ok(m.mapFile(m.ioas, tmp, 0, 7 * PAGE, IOVA, FIXED_RW)); // whole pages inside the file
    ok(m.unmap(IOVA, 7 * PAGE));
    m.files.ftruncate(tmp, 0);
    assertErrno(Errno.EINVAL, m.mapFile(m.ioas, tmp, 0, 8 * PAGE, IOVA, RW));
    m.files.close(tmp);
    assertErrno(Errno.EBADF, m.mapFile(m.ioas, tmp, 0, PAGE, IOVA, RW));
  }

  @Test
  void ioasMapFile_withoutDomain_acceptsAnyFile_andTheDomainRefusesIt() {
    Machine m = new Machine();
    int ioas = m.sys.ioasAlloc(m.fd);
    int regular = m.files.openRegular(PAGE);
    ok(m.mapFile(ioas, regular, 0, 4 * PAGE, IOVA, RW | IOMMU_IOAS_MAP_FIXED_IOVA)); // no pin
    ByteBuffer cmd = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    cmd.putInt(IOMMU_TEST_CMD_SIZE).putInt(IOMMU_TEST_OP_MOCK_DOMAIN).putInt(ioas);
    assertErrno(Errno.EINVAL, m.sys.ioctl(m.fd, IOMMU_TEST_CMD, m.sys.mem.allocate(cmd.array())));
  }

  @Test
  void ioasMapFile_pinsTheFileNotTheMapping() {
    Machine m = new Machine();
    m.sys.mem.free(m.buf, PAGES * PAGE); // munmap: the file's pages remain
    ok(m.mapFile(m.ioas, m.mfd, 0, 4 * PAGE, IOVA, RW));
    assertEquals(4 * PAGE, m.kernel.dmaWrite(0, IOVA, 4 * PAGE).bytes());
    long pa = UserFile.unmappedAddress(0, 0); // the memfd is the table's first file
    assertNotEquals(0, m.kernel.hostMemory().token(pa + 3 * PAGE));
  }

  @Test
  void ioasMapFile_allocatedIova_alignedFromTheFileOffset() {
    Machine m = new Machine();
    // the mapping is 4 KiB aligned only; the file offset 0 allows the largest alignment
    long arg =
        m.sys.put(
            IommuIoasMapFile.SIZE,
            new IommuIoasMapFile(IommuIoasMapFile.SIZE, RW, m.ioas, m.mfd, 0, 16 * PAGE, 0)
                ::encode);
    ok(m.sys.ioctl(m.fd, IOMMU_IOAS_MAP_FILE, arg));
    long iova = m.sys.get(arg, IommuIoasMapFile.SIZE, IommuIoasMapFile::decode).iova();
    assertEquals(0, iova % (16 * PAGE));
    ok(m.checkMap(iova, 16 * PAGE, m.buf));
  }

  // --- a file map and a map of the file's mapping are the same pages
  // ------------------------------

  /**
   * Property: the same random script of maps (by file, or by the mapping's address on the reference
   * machine), unmaps, device writes with dirty harvests, {@code MD_CHECK_MAP} and {@code
   * MD_CHECK_REFS} through the mapping gives the same result for every call.
   */
  @Test
  void fileMap_behavesAsMapOfItsMapping_property() {
    for (int t = 0; t < TRIES / 10; t++) {
      assertEquals(script(new Machine(), SEED + t, false), script(new Machine(), SEED + t, true));
    }
  }

  /** The broken twin: a file whose pages are not its mapping's (another identity) is caught. */
  @Test
  void fileMap_behavesAsMapOfItsMapping_catchesAnotherIdentity() {
    UserFiles elsewhere = (f, start, length) -> new UserFile(true, PAGES * PAGE, 1L << 46 | start);
    assertThrows(
        AssertionError.class,
        () -> {
          for (int t = 0; t < TRIES / 10; t++) {
            assertEquals(
                script(new Machine(), SEED + t, false),
                script(new Machine(elsewhere), SEED + t, true));
          }
        });
  }

  private static List<String> script(Machine m, long seed, boolean byFile) {
    SplittableRandom rnd = new SplittableRandom(seed);
    List<String> out = new ArrayList<>();
    List<int[]> runs = new ArrayList<>(); // {first page, pages} mapped at IOVA + first page
    for (int step = 0; step < 40; step++) {
      int op = step < 3 ? 0 : rnd.nextInt(5);
      int first = rnd.nextInt(PAGES);
      int n = 1 + rnd.nextInt(Math.min(8, PAGES - first));
      if (op > 0 && !runs.isEmpty() && rnd.nextInt(4) != 0) {
        int[] run = runs.get(rnd.nextInt(runs.size()));
        first = run[0];
        n = run[1];
      }
      long iova = IOVA + first * PAGE;
      long va = m.buf + first * PAGE;
      switch (op) {
        case 0 -> {
          int flags = rnd.nextInt(4) == 0 ? IOMMU_IOAS_MAP_READABLE : RW;
          int rc =
              byFile
                  ? m.mapFile(
                      m.ioas,
                      m.mfd,
                      first * PAGE,
                      n * PAGE,
                      iova,
                      flags | IOMMU_IOAS_MAP_FIXED_IOVA)
                  : m.mapVa(va, n * PAGE, iova, flags);
          out.add("map " + rc);
          if (rc == 0) {
            runs.add(new int[] {first, n});
          }
        }
        case 1 -> {
          int rc = m.unmap(iova, n * PAGE);
          out.add("unmap " + rc);
          if (rc == 0) {
            int at = first;
            runs.removeIf(r -> r[0] == at);
          }
        }
        case 2 -> {
          String dma = m.kernel.dmaWrite(0, iova, n * PAGE).toString();
          StringBuilder tokens = new StringBuilder();
          for (int p = 0; p < PAGES; p++) {
            tokens.append(Long.toHexString(m.kernel.hostMemory().token(m.buf + p * PAGE)));
            tokens.append(',');
          }
          out.add("dma " + dma + " " + tokens + " dirty " + m.harvest(iova, n));
        }
        case 3 -> out.add("check_map " + m.checkMap(iova, n * PAGE, va));
        default -> out.add("refs " + m.checkRefs(va, n * PAGE, rnd.nextInt(2)));
      }
    }
    return out;
  }
}
