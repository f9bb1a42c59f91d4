package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_NONE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_INVALIDATE_FLAG_ALL;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_IOTLB_DEFAULT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_IOTLB;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_NESTED_DOMAIN_IOTLB_ID_MAX;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_NESTED_DOMAIN_IOTLB_NUM;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptInvalidate;
import org.jvfio.api.iommufd.IommuHwptInvalidateSelftest;
import org.jvfio.api.iommufd.IommuHwptSelftest;
import org.jvfio.core.iommufd.HwptAlloc;

/**
 * The selftest mock's nested domain through the fake kernel's system calls, as the selftest's
 * {@code TEST_F(iommufd_ioas, alloc_hwpt_nested)} drives it: {@code IOMMU_HWPT_ALLOC} with {@code
 * IOMMU_HWPT_DATA_SELFTEST} on a nest-parent HWPT ({@code iommufd_hwpt_nested_alloc}, {@code
 * mock_domain_alloc_nested}), {@code IOMMU_TEST_OP_MD_CHECK_IOTLB} ({@code
 * iommufd_test_md_check_iotlb}), {@code IOMMU_HWPT_INVALIDATE} with {@code
 * IOMMU_HWPT_INVALIDATE_DATA_SELFTEST} ({@code iommufd_hwpt_invalidate}, {@code
 * mock_domain_cache_invalidate_user}), attach by {@code MOCK_DOMAIN_REPLACE} and the destroy order.
 * One example per errno, each with what the refused call left behind.
 */
class MockNestedSelftestTest {
  private static final int DEFAULT = IOMMU_TEST_IOTLB_DEFAULT;

  private Syscalls sys;
  private SelftestSyscalls st;
  private int fd;
  private int ioas;
  private int stdev;
  private int autoHwpt;
  private int idev;
  private int parent;
  private int notParent;

  @BeforeEach
  void setUp() {
    st = new SelftestSyscalls();
    sys = st.sys;
    fd = st.fd;
    ioas = sys.ioasAlloc(fd);
    int[] ids = st.mockDomain(ioas, 0);
    stdev = ids[0];
    autoHwpt = ids[1];
    idev = ids[2];
    parent = sys.hwptAlloc(fd, idev, ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
    notParent = sys.hwptAlloc(fd, idev, ioas, 0);
  }

  // --- the selftest's helpers, our own versions ----------------------------------------------

  /** A {@code struct iommu_hwpt_selftest} with {@code iotlb} in user memory. */
  private long selftestData(int iotlb) {
    return sys.put(IommuHwptSelftest.SIZE, new IommuHwptSelftest(iotlb, 0)::encode);
  }

  /** {@code _test_cmd_hwpt_alloc} with driver data; the new id in {@code out[0]}. */
  private int allocNested(int ptId, int flags, int type, long uptr, int len, int[] out) {
    return allocNested(ptId, flags, type, uptr, len, 0, out);
  }

  private int allocNested(int ptId, int flags, int type, long uptr, int len, int fault, int[] out) {
    IommuHwptAlloc s =
        new IommuHwptAlloc(IommuHwptAlloc.SIZE, flags, idev, ptId, 0, 0, type, len, uptr, fault, 0);
    long arg = sys.put(IommuHwptAlloc.SIZE, s::encode);
    int rc = sys.ioctl(fd, IOMMU_HWPT_ALLOC, arg);
    out[0] = sys.get(arg, IommuHwptAlloc.SIZE, IommuHwptAlloc::decode).outHwptId();
    return rc;
  }

  /** {@code test_cmd_hwpt_alloc_nested} with the default IOTLB value. */
  private int nested(int ptId) {
    int[] out = new int[1];
    ok(
        allocNested(
            ptId, 0, IOMMU_HWPT_DATA_SELFTEST, selftestData(DEFAULT), IommuHwptSelftest.SIZE, out));
    return out[0];
  }

  /** {@code IOMMU_TEST_OP_MD_CHECK_IOTLB} of entry {@code iotlbId} against {@code value}. */
  private int checkIotlb(int hwpt, int iotlbId, int value) {
    ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(IOMMU_TEST_CMD_SIZE).putInt(IOMMU_TEST_OP_MD_CHECK_IOTLB).putInt(hwpt).putInt(0);
    b.putInt(iotlbId).putInt(value);
    return sys.ioctl(fd, IOMMU_TEST_CMD, sys.mem.allocate(b.array()));
  }

  /** {@code test_cmd_hwpt_check_iotlb} of all four entries. */
  private void assertIotlb(int hwpt, int... values) {
    for (int i = 0; i < MOCK_NESTED_DOMAIN_IOTLB_NUM; i++) {
      assertEquals(0, checkIotlb(hwpt, i, values[i]), "entry " + i);
    }
  }

  /** Requests laid out as an array of {@code struct iommu_hwpt_invalidate_selftest}. */
  private long requests(IommuHwptInvalidateSelftest... reqs) {
    ByteBuffer b =
        ByteBuffer.allocate(IommuHwptInvalidateSelftest.SIZE * reqs.length)
            .order(ByteOrder.LITTLE_ENDIAN);
    for (IommuHwptInvalidateSelftest r : reqs) {
      r.encode(b);
    }
    return sys.mem.allocate(b.array());
  }

  private static IommuHwptInvalidateSelftest inv(int flags, int iotlbId) {
    return new IommuHwptInvalidateSelftest(flags, iotlbId);
  }

  /** {@code _test_cmd_hwpt_invalidate}: the result, and the {@code entry_num} written back. */
  private int invalidate(int hwpt, long uptr, int type, int entryLen, int entryNum, int[] num) {
    return invalidate(hwpt, uptr, type, entryLen, entryNum, 0, num);
  }

  private int invalidate(
      int hwpt, long uptr, int type, int entryLen, int entryNum, int reserved, int[] num) {
    IommuHwptInvalidate s =
        new IommuHwptInvalidate(
            IommuHwptInvalidate.SIZE, hwpt, uptr, type, entryLen, entryNum, reserved);
    long arg = sys.put(IommuHwptInvalidate.SIZE, s::encode);
    int rc = sys.ioctl(fd, IOMMU_HWPT_INVALIDATE, arg);
    num[0] = sys.get(arg, IommuHwptInvalidate.SIZE, IommuHwptInvalidate::decode).entryNum();
    return rc;
  }

  private int invalidate(int hwpt, IommuHwptInvalidateSelftest... reqs) {
    int[] num = new int[1];
    int rc =
        invalidate(
            hwpt,
            requests(reqs),
            IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
            IommuHwptInvalidateSelftest.SIZE,
            reqs.length,
            num);
    return rc < 0 ? rc : num[0];
  }

  private int replace(int ptId) {
    ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(IOMMU_TEST_CMD_SIZE).putInt(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE).putInt(stdev);
    b.putInt(0).putInt(ptId);
    return sys.ioctl(fd, IOMMU_TEST_CMD, sys.mem.allocate(b.array()));
  }

  private int destroy(int id) {
    return sys.ioctl(fd, IOMMU_DESTROY, sys.put(8, new IommuDestroy(8, id)::encode));
  }

  // --- IOMMU_HWPT_ALLOC of a nested HWPT --------------------------------------------------------

  /**
   * The selftest's first negative tests, on a paging allocation: a device id that is an IOAS, a
   * {@code pt_id} that is a device, and a nest parent that would take faults ({@code
   * iommufd_hwpt_paging_alloc}).
   */
  @Test
  void hwptAlloc_refusalsBeforeNesting() {
    int[] out = new int[1];
    assertErrno(Errno.ENOENT, sys.hwptAlloc(fd, HwptAlloc.paging(0, ioas, idev), out));
    assertErrno(Errno.EINVAL, sys.hwptAlloc(fd, HwptAlloc.paging(0, idev, idev), out));
    int both = IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_FAULT_ID_VALID;
    assertErrno(Errno.EOPNOTSUPP, sys.hwptAlloc(fd, HwptAlloc.paging(both, idev, ioas), out));
  }

  @Test
  void hwptAllocNested_setsEveryIotlbEntryToTheDataIotlb() {
    int n = nested(parent);
    assertIotlb(n, DEFAULT, DEFAULT, DEFAULT, DEFAULT);
    int[] out = new int[1];
    ok(allocNested(parent, 0, IOMMU_HWPT_DATA_SELFTEST, selftestData(7), 4, out));
    assertIotlb(out[0], 7, 7, 7, 7);
  }

  @Test
  void hwptAllocNested_refusals() {
    long data = selftestData(DEFAULT);
    int size = IommuHwptSelftest.SIZE;
    int sel = IOMMU_HWPT_DATA_SELFTEST;
    int[] out = new int[1];
    // iommufd_hwpt_alloc: data_type NONE with data
    assertErrno(Errno.EINVAL, allocNested(parent, 0, IOMMU_HWPT_DATA_NONE, data, size, out));
    // mock_domain_alloc_nested: another data_type
    assertErrno(Errno.EOPNOTSUPP, allocNested(parent, 0, sel + 1, data, size, out));
    // iommu_copy_struct_from_user: shorter than iotlb, longer than the struct
    assertErrno(Errno.EINVAL, allocNested(parent, 0, sel, data, 3, out));
    assertErrno(Errno.EINVAL, allocNested(parent, 0, sel, data, size + 1, out));
    // ... and unreadable
    assertErrno(Errno.EFAULT, allocNested(parent, 0, sel, 0, size, out));
    // iommufd_hwpt_nested_alloc: a flag other than FAULT_ID_VALID and ALLOC_PASID
    assertErrno(
        Errno.EOPNOTSUPP, allocNested(parent, IOMMU_HWPT_ALLOC_NEST_PARENT, sel, data, size, out));
    assertErrno(
        Errno.EOPNOTSUPP,
        allocNested(
            parent, IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_ALLOC_NEST_PARENT, sel, data, size, out));
    // ... a parent without NEST_PARENT, an automatic domain
    assertErrno(Errno.EINVAL, allocNested(notParent, 0, sel, data, size, out));
    assertErrno(Errno.EINVAL, allocNested(autoHwpt, 0, sel, data, size, out));
    // iommufd_hwpt_alloc: a nested HWPT as pt_id
    int n = nested(parent);
    assertErrno(Errno.EINVAL, allocNested(n, 0, sel, data, size, out));
    // a FAULT object that does not exist, looked up after the domain was built
    assertErrno(
        Errno.ENOENT, allocNested(parent, IOMMU_HWPT_FAULT_ID_VALID, sel, data, size, -1, out));
    // no refusal above left an object behind: the next id is the lowest free one
    assertEquals(n + 1, nested(parent));
  }

  // --- IOMMU_TEST_OP_MD_CHECK_IOTLB -------------------------------------------------------------

  @Test
  void checkIotlb_refusals() {
    int n = nested(parent);
    assertErrno(Errno.ENOENT, checkIotlb(parent, 0, DEFAULT)); // a paging HWPT
    assertErrno(Errno.ENOENT, checkIotlb(ioas, 0, DEFAULT));
    assertErrno(Errno.ENOENT, checkIotlb(n + 100, 0, DEFAULT));
    assertErrno(Errno.EINVAL, checkIotlb(n, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1, DEFAULT));
    assertErrno(Errno.EINVAL, checkIotlb(n, -1, DEFAULT));
    assertErrno(Errno.EINVAL, checkIotlb(n, 2, 0));
    ok(checkIotlb(n, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX, DEFAULT));
  }

  // --- IOMMU_HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_SELFTEST ---------------------------

  @Test
  void hwptInvalidate_refusalsHandleNothing() {
    int n = nested(parent);
    long one = requests(inv(0, 0));
    long bad = requests(inv(-1, 0));
    int sel = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
    int len = IommuHwptInvalidateSelftest.SIZE;
    int[] num = {-1};
    // iommufd_hwpt_invalidate: a paging HWPT (since the vIOMMU series: EINVAL, not ENOENT)
    assertErrno(Errno.EINVAL, invalidate(parent, one, sel, len, 1, num));
    assertEquals(0, num[0]);
    assertErrno(Errno.ENOENT, invalidate(n + 100, one, sel, len, 1, num));
    assertErrno(Errno.EOPNOTSUPP, invalidate(n, one, sel, len, 1, 1, num));
    assertErrno(Errno.EINVAL, invalidate(n, 0, sel, len, 1, num)); // entries without an array
    assertErrno(Errno.EINVAL, invalidate(n, one, sel, 0, 1, num)); // entries of no length
    // mock_domain_cache_invalidate_user: another data_type, with entries or without
    assertErrno(
        Errno.EINVAL, invalidate(n, one, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, len, 1, num));
    assertErrno(
        Errno.EINVAL, invalidate(n, one, IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, len, 0, num));
    // iommu_copy_struct_from_user_array: entry_len above or below the struct
    assertErrno(Errno.EINVAL, invalidate(n, one, sel, len + 1, 1, num));
    assertErrno(Errno.EINVAL, invalidate(n, one, sel, 1, 1, num));
    // a bad flag, an iotlb_id past the last entry (also with FLAG_ALL)
    assertErrno(Errno.EOPNOTSUPP, invalidate(n, bad, sel, len, 1, num));
    assertErrno(Errno.EINVAL, invalidate(n, inv(0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1)));
    assertErrno(
        Errno.EINVAL,
        invalidate(n, inv(IOMMU_TEST_INVALIDATE_FLAG_ALL, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1)));
    assertEquals(0, num[0]);
    assertIotlb(n, DEFAULT, DEFAULT, DEFAULT, DEFAULT);
    // no entries: the data type is still checked, nothing is handled
    ok(invalidate(n, one, sel, len, 0, num));
    assertEquals(0, num[0]);
    assertIotlb(n, DEFAULT, DEFAULT, DEFAULT, DEFAULT);
  }

  @Test
  void hwptInvalidate_stopsAtTheFirstBadEntryAfterHandlingTheOnesBefore() {
    int n = nested(parent);
    int[] num = new int[1];
    long reqs = requests(inv(0, 0), inv(-1, 1));
    int sel = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
    int len = IommuHwptInvalidateSelftest.SIZE;
    assertErrno(Errno.EOPNOTSUPP, invalidate(n, reqs, sel, len, 2, num));
    assertEquals(1, num[0]);
    assertIotlb(n, 0, DEFAULT, DEFAULT, DEFAULT);
    reqs = requests(inv(0, 0), inv(0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1));
    assertErrno(Errno.EINVAL, invalidate(n, reqs, sel, len, 2, num));
    assertEquals(1, num[0]);
    // an array that ends after its first entry: the second is EFAULT
    assertErrno(Errno.EFAULT, invalidate(n, requests(inv(0, 1)), sel, len, 2, num));
    assertEquals(1, num[0]);
    assertIotlb(n, 0, 0, DEFAULT, DEFAULT);
  }

  @Test
  void hwptInvalidate_clearsTheNamedEntriesOrAll() {
    int n0 = nested(parent);
    int n1 = nested(parent);
    assertEquals(1, invalidate(n0, inv(0, 1)));
    assertIotlb(n0, DEFAULT, 0, DEFAULT, DEFAULT);
    assertEquals(2, invalidate(n0, inv(0, 2), inv(0, 3)));
    assertIotlb(n0, DEFAULT, 0, 0, 0);
    assertIotlb(n1, DEFAULT, DEFAULT, DEFAULT, DEFAULT); // another nested HWPT, untouched
    assertEquals(1, invalidate(n1, inv(IOMMU_TEST_INVALIDATE_FLAG_ALL, 0)));
    assertIotlb(n1, 0, 0, 0, 0);
  }

  // --- attach and destroy -----------------------------------------------------------------------

  @Test
  void destroy_followsTheNestingOrder() {
    int n0 = nested(parent);
    int n1 = nested(parent);
    assertErrno(Errno.EBUSY, destroy(parent)); // a nested HWPT holds the parent
    ok(replace(n0));
    assertErrno(Errno.EBUSY, destroy(n0)); // a device is attached
    ok(replace(n1));
    assertErrno(Errno.EBUSY, destroy(n1));
    ok(destroy(n0));
    ok(replace(parent));
    ok(destroy(n1));
    assertErrno(Errno.EBUSY, destroy(parent)); // the device is attached to it
    ok(replace(ioas));
    ok(destroy(parent));
    ok(destroy(notParent));
    assertErrno(Errno.ENOENT, checkIotlb(n0, 0, DEFAULT));
  }
}
