package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_GET_HW_INFO;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_CAP_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_INFO_FLAG_INPUT_TYPE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HW_INFO_TYPE_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_DIRTY;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_MAP;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_REFS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_DEVICE_HUGE_IOVA;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_DEVICE_NO_DIRTY;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.BitSet;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuHwInfo;
import org.jvfio.core.iommufd.HwptAlloc;

/**
 * {@code IOMMU_TEST_CMD} on a kernel built with {@code iommufdTest()}, as {@code
 * drivers/iommu/iommufd/selftest.c} answers it: the mock-domain ops of the selftest's fixtures,
 * driven through the system calls only.
 */
class IommufdSelftestTest {
  private static final long GIB = 1L << 30;
  private static final long IOVA = 1L << 24; // MOCK_APERTURE_START
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);

  private FakeKernel kernel;
  private Syscalls sys;
  private int fd;
  private int ioas;
  private long buffer;

  @BeforeEach
  void setUp() {
    kernel = FakeKernel.builder().iommufdTest().guestMemory(GIB).build();
    sys = new Syscalls(kernel);
    fd = sys.open(FakeKernel.IOMMU_PATH);
    ioas = sys.ioasAlloc(fd);
    buffer = kernel.guestMemory(0).base();
  }

  /** Writes an iommu_test_cmd (op, id, then the union's bytes) and returns its address. */
  private long cmd(int size, int op, int id, Consumer<ByteBuffer> union) {
    ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(size).putInt(op).putInt(id).putInt(0);
    union.accept(b);
    return sys.mem.allocate(b.array());
  }

  private long cmd(int op, int id, Consumer<ByteBuffer> union) {
    return cmd(IOMMU_TEST_CMD_SIZE, op, id, union);
  }

  private int u32(long addr) {
    return sys.mem.read(addr, 4).getInt();
  }

  /** MOCK_DOMAIN(_FLAGS) on {@code ptId}; returns {stdev, hwpt, idev}. */
  private int[] mockDomain(int ptId, int devFlags) {
    long arg = cmd(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, ptId, b -> b.putInt(28, devFlags));
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    return new int[] {u32(arg + 16), u32(arg + 20), u32(arg + 24)};
  }

  @Test
  void mockDomain_allocatesStdevThenIdevThenAutoHwpt() {
    long arg = cmd(IOMMU_TEST_OP_MOCK_DOMAIN, ioas, b -> {});
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    assertEquals(ioas + 1, u32(arg + 16)); // stdev
    assertEquals(ioas + 3, u32(arg + 20)); // the auto domain's HWPT
    assertEquals(ioas + 2, u32(arg + 24)); // idev
  }

  @Test
  void destroyStdev_unbindsSoTheAutoHwptGoesAway() {
    int[] ids = mockDomain(ioas, 0);
    destroy(ids[0]);
    assertErrno(Errno.ENOENT, destroyRc(ids[1]));
    assertErrno(Errno.ENOENT, destroyRc(ids[0]));
    destroy(ioas);
  }

  private int destroyRc(int id) {
    return sys.ioctl(
        fd,
        IOMMU_DESTROY,
        sys.put(IommuDestroy.SIZE, new IommuDestroy(IommuDestroy.SIZE, id)::encode));
  }

  private void destroy(int id) {
    ok(destroyRc(id));
  }

  @Test
  void noDirtyDevice_refusesDirtyHwpts() {
    int[] dirtyDev = mockDomain(ioas, 0);
    int hwpt = sys.hwptAlloc(fd, dirtyDev[2], ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    long arg =
        cmd(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, hwpt, b -> b.putInt(28, MOCK_FLAGS_DEVICE_NO_DIRTY));
    assertErrno(Errno.EINVAL, sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    int[] noDirty = mockDomain(ioas, MOCK_FLAGS_DEVICE_NO_DIRTY);
    assertErrno(
        Errno.EOPNOTSUPP,
        sys.hwptAlloc(
            fd, HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, noDirty[2], ioas), new int[1]));
  }

  /** {@code MOCK_FLAGS_DEVICE_HUGE_IOVA} went with the mock's generic page table: EINVAL now. */
  @Test
  void hugeIovaDeviceFlag_einval() {
    long arg =
        cmd(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, ioas, b -> b.putInt(28, MOCK_FLAGS_DEVICE_HUGE_IOVA));
    assertErrno(Errno.EINVAL, sys.ioctl(fd, IOMMU_TEST_CMD, arg));
  }

  @Test
  void unknownDeviceFlags_einvalAndNoObjectLeft() {
    long arg = cmd(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, ioas, b -> b.putInt(28, 1 << 9));
    assertErrno(Errno.EINVAL, sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    assertEquals(ioas + 1, mockDomain(ioas, 0)[0]); // the aborted object's id is free again
  }

  @Test
  void replace_movesTheDeviceToAnotherHwpt() {
    int[] ids = mockDomain(ioas, 0);
    int hwpt = sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    long arg = cmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, ids[0], b -> b.putInt(16, hwpt));
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    assertEquals(hwpt, u32(arg + 16));
    long bad = cmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, ids[2], b -> b.putInt(16, hwpt));
    assertErrno(Errno.ENOENT, sys.ioctl(fd, IOMMU_TEST_CMD, bad));
  }

  @Test
  void dirty_marksMappedPagesAndTheBitmapReportsThem() {
    int[] ids = mockDomain(ioas, 0);
    int hwpt = sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    sys.ioasMapFixed(fd, ioas, buffer, 64 * 4096, IOVA);
    long bits = sys.mem.allocate(8);
    sys.mem.writeLong(bits, 0x8000_0000_0000_0101L); // pages 0, 8 and 63
    long arg = dirtyCmd(hwpt, 64 * 4096, bits);
    assertErrno(Errno.EINVAL, sys.ioctl(fd, IOMMU_TEST_CMD, arg)); // tracking is off
    ok(sys.setDirtyTracking(fd, hwpt, true));
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    assertEquals(3, sys.mem.readLong(arg + 56));
    long out = sys.mem.allocate(8);
    ok(sys.getDirtyBitmap(fd, hwpt, IOVA, 64 * 4096, 4096, out, 0));
    assertEquals(0x8000_0000_0000_0101L, sys.mem.readLong(out));
  }

  /**
   * The current mock counts every set bit, mapped or not ({@code iommufd_test_dirty} in {@code
   * drivers/iommu/iommufd/selftest.c} calls the page table's {@code set_dirty} and counts
   * unconditionally); only the mapped pages become dirty.
   */
  @Test
  void dirty_unmappedPagesAreCountedButNotMarked() {
    int[] ids = mockDomain(ioas, 0);
    int hwpt = sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    ok(sys.setDirtyTracking(fd, hwpt, true));
    sys.ioasMapFixed(fd, ioas, buffer, 8 * 4096, IOVA);
    long bits = sys.mem.allocate(8);
    sys.mem.writeLong(bits, -1L);
    long arg = dirtyCmd(hwpt, 64 * 4096, bits);
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    assertEquals(64, sys.mem.readLong(arg + 56));
    long out = sys.mem.allocate(8);
    ok(sys.getDirtyBitmap(fd, hwpt, IOVA, 64 * 4096, 4096, out, 0));
    assertEquals(0xffL, sys.mem.readLong(out));
    assertErrno(Errno.ENOENT, sys.ioctl(fd, IOMMU_TEST_CMD, dirtyCmd(ioas, 4096 * 64, bits)));
    assertErrno(Errno.EFAULT, sys.ioctl(fd, IOMMU_TEST_CMD, dirtyCmd(hwpt, 4096 * 64, 8)));
  }

  /**
   * Property against a reference bit set: for random mappings (runs of pages) and random marks,
   * {@code out_nr_dirty} counts every marked page (as {@code iommufd_test_dirty} does), and a
   * harvest reports exactly the marked pages that are mapped, up to the first hole of the IOAS
   * (where the kernel's walk stops), then nothing.
   */
  @Test
  void dirty_property_marksExactlyTheMappedMarkedPages() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES / 10; t++) {
      setUp();
      int[] ids = mockDomain(ioas, 0);
      int hwpt = sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      ok(sys.setDirtyTracking(fd, hwpt, true));
      BitSet mapped = new BitSet();
      for (int page = rnd.nextInt(2) * 4; page < 256; ) {
        int run = 1 + rnd.nextInt(32);
        if (rnd.nextBoolean()) {
          int n = Math.min(run, 256 - page);
          sys.ioasMapFixed(fd, ioas, buffer + page * 4096L, n * 4096L, IOVA + page * 4096L);
          mapped.set(page, page + n);
        }
        page += run;
      }
      long[] words = rnd.longs(4).toArray();
      long bits = sys.mem.allocate(32);
      for (int i = 0; i < 4; i++) {
        sys.mem.writeLong(bits + 8 * i, words[i]);
      }
      BitSet want = BitSet.valueOf(words);
      want.and(mapped);
      String c = "seed=0x" + Long.toHexString(SEED) + " try " + t;
      long arg = dirtyCmd(hwpt, 256 * 4096, bits);
      ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
      assertEquals(BitSet.valueOf(words).cardinality(), sys.mem.readLong(arg + 56), c);
      // the harvest stops at the first hole in the IOAS (iopt_read_and_clear_dirty_data)
      BitSet harvested = want.get(0, mapped.nextClearBit(0));
      long out = sys.mem.allocate(32);
      ok(sys.getDirtyBitmap(fd, hwpt, IOVA, 256 * 4096, 4096, out, 0));
      assertEquals(harvested, BitSet.valueOf(sys.mem.read(out, 32)), c);
      long again = sys.mem.allocate(32);
      ok(sys.getDirtyBitmap(fd, hwpt, IOVA, 256 * 4096, 4096, again, 0));
      assertEquals(new BitSet(), BitSet.valueOf(sys.mem.read(again, 32)), c);
    }
  }

  private long dirtyCmd(int hwpt, long length, long bitmap) {
    return cmd(
        IOMMU_TEST_OP_DIRTY,
        hwpt,
        b -> b.putLong(24, IOVA).putLong(32, length).putLong(40, 4096).putLong(48, bitmap));
  }

  @Test
  void checkMap_andCheckRefs_followTheMapping() {
    int[] ids = mockDomain(ioas, 0);
    sys.ioasMapFixed(fd, ioas, buffer, 4 * 4096, IOVA);
    long map =
        cmd(
            IOMMU_TEST_OP_MD_CHECK_MAP,
            ids[1],
            b -> b.putLong(16, IOVA).putLong(24, 4 * 4096).putLong(32, buffer));
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, map));
    long shifted =
        cmd(
            IOMMU_TEST_OP_MD_CHECK_MAP,
            ids[1],
            b -> b.putLong(16, IOVA).putLong(24, 4096).putLong(32, buffer + 4096));
    assertErrno(Errno.EINVAL, sys.ioctl(fd, IOMMU_TEST_CMD, shifted));
    assertEquals(0, refs(1));
    assertErrno(Errno.EIO, refs(0));
    destroy(ids[0]); // no domain left: nothing pinned
    assertEquals(0, refs(0));
  }

  private int refs(int refs) {
    long arg =
        cmd(
            IOMMU_TEST_OP_MD_CHECK_REFS,
            0,
            b -> b.putLong(16, 4 * 4096).putLong(24, buffer).putInt(32, refs));
    return sys.ioctl(fd, IOMMU_TEST_CMD, arg);
  }

  @Test
  void getHwInfo_ofAMockDevice_answersTheSelftestType() {
    int[] ids = mockDomain(ioas, 0);
    long data = sys.mem.allocate(16);
    sys.mem.writeLong(data + 8, -1L);
    long arg =
        sys.put(
            IommuHwInfo.SIZE,
            new IommuHwInfo(IommuHwInfo.SIZE, 0, ids[2], 16, data, 0, 0, 0, 0)::encode);
    ok(sys.ioctl(fd, IOMMU_GET_HW_INFO, arg));
    IommuHwInfo out = sys.get(arg, IommuHwInfo.SIZE, IommuHwInfo::decode);
    assertEquals(IOMMU_HW_INFO_TYPE_SELFTEST, out.dataType());
    assertEquals(8, out.dataLen());
    assertEquals(IOMMU_HW_CAP_DIRTY_TRACKING, out.outCapabilities());
    assertEquals(0xdeadbeefL << 32, sys.mem.readLong(data)); // flags 0, test_reg
    assertEquals(0, sys.mem.readLong(data + 8)); // the rest of the user's buffer is cleared
    long typed =
        sys.put(
            IommuHwInfo.SIZE,
            new IommuHwInfo(
                    IommuHwInfo.SIZE, IOMMU_HW_INFO_FLAG_INPUT_TYPE, ids[2], 0, 0, 1, 0, 0, 0)
                ::encode);
    assertErrno(Errno.EOPNOTSUPP, sys.ioctl(fd, IOMMU_GET_HW_INFO, typed));
  }

  @Test
  void sizeBelowLast_einval_unknownOp_eopnotsupp() {
    assertErrno(
        Errno.EINVAL,
        sys.ioctl(fd, IOMMU_TEST_CMD, cmd(67, IOMMU_TEST_OP_MOCK_DOMAIN, ioas, b -> {})));
    assertErrno(Errno.EOPNOTSUPP, sys.ioctl(fd, IOMMU_TEST_CMD, cmd(99, ioas, b -> {})));
  }

  /** The temporary batch-memory limit has no observable effect: a map under it checks the same. */
  @Test
  void setTempMemoryLimit_acceptedAndMappingsUnchanged() {
    long arg = cmd(IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 0, b -> b.putInt(16, 16));
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    int[] ids = mockDomain(ioas, 0);
    sys.ioasMapFixed(fd, ioas, buffer, 64 * 4096, IOVA);
    long check =
        cmd(
            IOMMU_TEST_OP_MD_CHECK_MAP,
            ids[1],
            b -> b.putLong(16, IOVA).putLong(24, 64 * 4096).putLong(32, buffer));
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, check));
  }

  @Test
  void withoutConfigIommufdTest_enotty() {
    FakeKernel plain = FakeKernel.builder().build();
    Syscalls s = new Syscalls(plain);
    int f = s.open(FakeKernel.IOMMU_PATH);
    long arg = s.mem.allocate(IOMMU_TEST_CMD_SIZE);
    assertNotEquals(0, arg);
    assertErrno(Errno.ENOTTY, plain.ioctl(f, IOMMU_TEST_CMD, arg));
  }
}
