package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_HUGE_PAGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_GET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_SET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_RLIMIT_MODE;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_APERTURE_START;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_IOMMUPT_DEFAULT;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_PAGE_SIZE;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.iommufd.IoasMap;

/**
 * {@code IOMMU_OPTION} through the fake kernel's system calls, as {@code iommufd_option} ({@code
 * drivers/iommu/iommufd/main.c}), {@code iommufd_option_rlimit_mode} and {@code
 * iommufd_ioas_option} ({@code ioas.c}) answer it, with the selftest's {@code global_options} case
 * ({@code tools/testing/selftests/iommu/iommufd.c}) and the effect of {@code
 * IOMMU_OPTION_HUGE_PAGES} on the IO page sizes a domain maps with.
 */
class IommuOptionTest {
  private static final long MIB = 1L << 20;
  private static final int GARBAGE = 0x5a5a;
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200) / 10;

  private Syscalls sys;
  private SelftestSyscalls st;
  private int fd;
  private long buffer;

  @BeforeEach
  void setUp() {
    st = new SelftestSyscalls();
    sys = st.sys;
    fd = st.fd;
    buffer = st.buffer;
  }

  private long get(int optionId, int objectId) {
    long[] val = {GARBAGE};
    ok(st.option(optionId, IOMMU_OPTION_OP_GET, objectId, val));
    return val[0];
  }

  private int set(int optionId, int objectId, long value) {
    return st.option(optionId, IOMMU_OPTION_OP_SET, objectId, new long[] {value});
  }

  /** {@code TEST_F(iommufd, global_options)}, run as root. */
  @Test
  void rlimitMode_globalOptions_asTheSelftestRunsThem() {
    assertEquals(0, get(IOMMU_OPTION_RLIMIT_MODE, 0));
    ok(set(IOMMU_OPTION_RLIMIT_MODE, 0, 1)); // CAP_SYS_RESOURCE: granted
    assertErrno(Errno.EINVAL, set(IOMMU_OPTION_RLIMIT_MODE, 0, 2));
    assertEquals(1, get(IOMMU_OPTION_RLIMIT_MODE, 0));
    ok(set(IOMMU_OPTION_RLIMIT_MODE, 0, 0));
    assertEquals(0, get(IOMMU_OPTION_RLIMIT_MODE, 0));
    long[] val = {1};
    assertErrno(Errno.ENOENT, st.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, val));
    assertErrno(Errno.ENOENT, st.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, val));
  }

  @Test
  void rlimitMode_setWhileTheContextHoldsAnObject_ebusyAndUnchanged() {
    sys.ioasAlloc(fd);
    assertErrno(Errno.EBUSY, set(IOMMU_OPTION_RLIMIT_MODE, 0, 1));
    assertEquals(0, get(IOMMU_OPTION_RLIMIT_MODE, 0));
  }

  @Test
  void rlimitMode_ofAnObject_eopnotsupp() {
    int ioas = sys.ioasAlloc(fd);
    long[] val = {0};
    assertErrno(
        Errno.EOPNOTSUPP, st.option(IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, ioas, val));
    assertErrno(Errno.EOPNOTSUPP, set(IOMMU_OPTION_RLIMIT_MODE, ioas, 0));
  }

  @Test
  void reservedNonZero_eopnotsuppBeforeTheObjectLookup() {
    long[] val = {0};
    int size = org.jvfio.api.iommufd.IommuOption.SIZE;
    assertErrno(
        Errno.EOPNOTSUPP,
        st.option(size, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET, 1, 0, val));
    assertErrno(
        Errno.EOPNOTSUPP,
        st.option(size, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 1, 99, val));
  }

  @Test
  void unknownOptionOrOp_eopnotsupp() {
    int ioas = sys.ioasAlloc(fd);
    long[] val = {0};
    assertErrno(Errno.EOPNOTSUPP, st.option(2, IOMMU_OPTION_OP_GET, 0, val));
    assertErrno(Errno.EOPNOTSUPP, st.option(-1, IOMMU_OPTION_OP_GET, ioas, val));
    assertErrno(Errno.EOPNOTSUPP, st.option(IOMMU_OPTION_RLIMIT_MODE, 2, 0, val));
    assertErrno(Errno.EOPNOTSUPP, st.option(IOMMU_OPTION_HUGE_PAGES, 2, ioas, val));
  }

  @Test
  void hugePages_ofAnIdThatIsNoIoas_enoent() {
    int ioas = sys.ioasAlloc(fd);
    int[] ids = st.mockDomain(ioas, 0);
    long[] val = {0};
    for (int id : new int[] {0, ids[0], ids[1], ids[2], ioas + 100}) {
      assertErrno(Errno.ENOENT, st.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, id, val));
    }
  }

  @Test
  void hugePages_setOffThenOn_getFollows() {
    int ioas = sys.ioasAlloc(fd);
    assertEquals(1, get(IOMMU_OPTION_HUGE_PAGES, ioas));
    ok(set(IOMMU_OPTION_HUGE_PAGES, ioas, 0));
    assertEquals(0, get(IOMMU_OPTION_HUGE_PAGES, ioas));
    ok(set(IOMMU_OPTION_HUGE_PAGES, ioas, 0)); // already off: nothing to do
    ok(set(IOMMU_OPTION_HUGE_PAGES, ioas, 1));
    assertEquals(1, get(IOMMU_OPTION_HUGE_PAGES, ioas));
  }

  @Test
  void hugePages_setOtherValue_einvalAndUnchanged() {
    int ioas = sys.ioasAlloc(fd);
    assertErrno(Errno.EINVAL, set(IOMMU_OPTION_HUGE_PAGES, ioas, 2));
    assertErrno(Errno.EINVAL, set(IOMMU_OPTION_HUGE_PAGES, ioas, -1));
    assertEquals(1, get(IOMMU_OPTION_HUGE_PAGES, ioas));
  }

  @Test
  void hugePages_offWithADomainAndAMapping_einval() {
    int ioas = sys.ioasAlloc(fd);
    st.mockDomain(ioas, 0);
    sys.ioasMapFixed(fd, ioas, buffer, 2 * MIB, MOCK_APERTURE_START);
    assertErrno(Errno.EINVAL, set(IOMMU_OPTION_HUGE_PAGES, ioas, 0));
    assertEquals(1, get(IOMMU_OPTION_HUGE_PAGES, ioas));
  }

  @Test
  void hugePages_offWithOnlyADomainOrOnlyAMapping_ok() {
    int withDomain = sys.ioasAlloc(fd);
    st.mockDomain(withDomain, 0);
    ok(set(IOMMU_OPTION_HUGE_PAGES, withDomain, 0));
    int withMapping = sys.ioasAlloc(fd);
    sys.ioasMapFixed(fd, withMapping, buffer, 2 * MIB, MOCK_APERTURE_START);
    ok(set(IOMMU_OPTION_HUGE_PAGES, withMapping, 0));
  }

  /** Off makes the IOAS alignment PAGE_SIZE: a smaller mapping refuses it, and is refused. */
  @Test
  void hugePages_offAndSubPageMappings_eaddrinuseThenEinval() {
    int ioas = sys.ioasAlloc(fd);
    sys.ioasMapFixed(fd, ioas, buffer + 2048, 2048, MOCK_APERTURE_START + 2048);
    assertErrno(Errno.EADDRINUSE, set(IOMMU_OPTION_HUGE_PAGES, ioas, 0));
    assertEquals(1, get(IOMMU_OPTION_HUGE_PAGES, ioas));
    int other = sys.ioasAlloc(fd);
    ok(set(IOMMU_OPTION_HUGE_PAGES, other, 0));
    IoasMap small = IoasMap.fixed(buffer, 2048, MOCK_APERTURE_START);
    assertErrno(Errno.EINVAL, sys.ioasMap(fd, other, small));
    ok(set(IOMMU_OPTION_HUGE_PAGES, other, 1));
    ok(sys.ioasMap(fd, other, small));
  }

  @Test
  void size_belowVal64_einval() {
    int ioas = sys.ioasAlloc(fd);
    long[] val = {GARBAGE};
    assertErrno(
        Errno.EINVAL, st.option(23, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, ioas, val));
    assertEquals(GARBAGE, val[0]);
  }

  @Test
  void failure_leavesVal64AsItWas() {
    long[] val = {GARBAGE};
    assertErrno(Errno.ENOENT, st.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 7, val));
    assertEquals(GARBAGE, val[0]);
  }

  /**
   * The fixture {@code iommufd_dirty_tracking} turns huge pages off so that a mock domain maps only
   * {@code MOCK_PAGE_SIZE} pages: one dirty mark is then one bit. With huge pages on, the same map
   * is a 1 MiB leaf and the mark covers its 512 bits.
   */
  @Test
  void hugePages_offMapsMockPages_onMapsHugeLeaves() {
    assertEquals(bitsOfOneMark(false), range(0, 1));
    assertEquals(bitsOfOneMark(true), range(0, 512));
  }

  /**
   * Property against a reference bit set: with huge pages off, random adjacent mappings of random
   * PAGE_SIZE multiples and random 2 KiB marks harvest exactly the marked bits, and {@code
   * out_nr_dirty} counts them: no leaf is larger than a mock page's worth of PAGE_SIZE. The broken
   * twin (a kernel that ignores the option: huge pages left on) must be caught: its 1 MiB leaves
   * report the whole leaf.
   */
  @Test
  void hugePagesOff_property_harvestIsExactlyTheMarks() {
    assertEquals(-1, firstDisagreement(false), "seed=0x" + Long.toHexString(SEED));
    assertTrue(firstDisagreement(true) >= 0, "the broken twin must be caught");
  }

  /** The first try whose harvest differs from the marks, or -1. */
  private int firstDisagreement(boolean hugePagesOn) {
    SplittableRandom rnd = new SplittableRandom(SEED);
    int window = 4 * (int) MIB;
    int bits = window / MOCK_PAGE_SIZE;
    for (int t = 0; t < TRIES; t++) {
      setUp();
      int ioas = sys.ioasAlloc(fd);
      int[] ids = st.mockDomain(ioas, 0);
      ok(set(IOMMU_OPTION_HUGE_PAGES, ioas, hugePagesOn ? 1 : 0));
      int hwpt =
          st.hwptAllocSelftest(ids[2], ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, MOCK_IOMMUPT_DEFAULT);
      ok(sys.setDirtyTracking(fd, hwpt, true));
      for (long at = 0; at < window; ) {
        long len = Math.min(window - at, (1 + rnd.nextInt(512)) * 4096L);
        sys.ioasMapFixed(fd, ioas, buffer + at, len, MOCK_APERTURE_START + at);
        at += len;
      }
      long[] words = rnd.longs(bits / 64).map(w -> w & rnd.nextLong()).toArray();
      long marks = sys.mem.allocate(bits / 8);
      for (int i = 0; i < words.length; i++) {
        sys.mem.writeLong(marks + 8L * i, words[i]);
      }
      BitSet want = BitSet.valueOf(words);
      long[] count = new long[1];
      ok(st.dirty(hwpt, MOCK_APERTURE_START, window, MOCK_PAGE_SIZE, marks, count));
      assertEquals(want.cardinality(), count[0]);
      long out = sys.mem.allocate(bits / 8);
      ok(sys.getDirtyBitmap(fd, hwpt, MOCK_APERTURE_START, window, MOCK_PAGE_SIZE, out, 0));
      if (!want.equals(BitSet.valueOf(sys.mem.read(out, bits / 8)))) {
        return t;
      }
    }
    return -1;
  }

  private static BitSet range(int from, int to) {
    BitSet b = new BitSet();
    b.set(from, to);
    return b;
  }

  private BitSet bitsOfOneMark(boolean hugePages) {
    int ioas = sys.ioasAlloc(fd);
    int[] ids = st.mockDomain(ioas, 0);
    ok(set(IOMMU_OPTION_HUGE_PAGES, ioas, hugePages ? 1 : 0));
    int hwpt =
        st.hwptAllocSelftest(ids[2], ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, MOCK_IOMMUPT_DEFAULT);
    sys.ioasMapFixed(fd, ioas, buffer, 2 * MIB, MOCK_APERTURE_START);
    ok(sys.setDirtyTracking(fd, hwpt, true));
    long marks = sys.mem.allocate(128);
    sys.mem.writeLong(marks, 1);
    long[] count = new long[1];
    ok(st.dirty(hwpt, MOCK_APERTURE_START, 2 * MIB, MOCK_PAGE_SIZE, marks, count));
    assertEquals(1, count[0]);
    long out = sys.mem.allocate(128);
    ok(sys.getDirtyBitmap(fd, hwpt, MOCK_APERTURE_START, 2 * MIB, MOCK_PAGE_SIZE, out, 0));
    return BitSet.valueOf(sys.mem.read(out, 128));
  }
}
