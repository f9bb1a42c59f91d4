package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_GET_HW_INFO;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_ATTACH;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_CHECK_HWPT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_DETACH;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_REPLACE;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_DEVICE_NO_DIRTY;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_DEVICE_PASID;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_PASID_WIDTH;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuHwInfo;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptSelftest;
import org.jvfio.core.iommufd.HwptAlloc;

/**
 * The selftest's PASID test ops ({@code IOMMU_TEST_OP_PASID_ATTACH}, {@code _REPLACE}, {@code
 * _DETACH} and {@code _CHECK_HWPT} of {@code drivers/iommu/iommufd/selftest.c}) through the fake
 * kernel's system calls, and the steps of the {@code iommufd_dirty_tracking} fixture's {@code
 * pasid_set_dirty_tracking} case ({@code tools/testing/selftests/iommu/iommufd.c}) as we write
 * them: our own test of those steps, since the selftest's text was not at hand; and the nested
 * steps of {@code TEST_F(iommufd_device_pasid, pasid_attach)}.
 */
class PasidSelftestTest {
  private static final int PASID = 100;

  private Syscalls sys;
  private SelftestSyscalls st;
  private int fd;
  private int ioas;

  @BeforeEach
  void setUp() {
    st = new SelftestSyscalls();
    sys = st.sys;
    fd = st.fd;
    ioas = sys.ioasAlloc(fd);
  }

  private int testCmd(int op, int stdev, int pasid, int ptId) {
    ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(IOMMU_TEST_CMD_SIZE).putInt(op).putInt(stdev).putInt(0).putInt(pasid).putInt(ptId);
    return sys.ioctl(fd, IOMMU_TEST_CMD, sys.mem.allocate(b.array()));
  }

  private int attach(int stdev, int pasid, int ptId) {
    return testCmd(IOMMU_TEST_OP_PASID_ATTACH, stdev, pasid, ptId);
  }

  private int replace(int stdev, int pasid, int ptId) {
    return testCmd(IOMMU_TEST_OP_PASID_REPLACE, stdev, pasid, ptId);
  }

  private int detach(int stdev, int pasid) {
    return testCmd(IOMMU_TEST_OP_PASID_DETACH, stdev, pasid, 0);
  }

  private int check(int stdev, int pasid, int hwptId) {
    return testCmd(IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, pasid, hwptId);
  }

  private int destroy(int id) {
    return sys.ioctl(fd, IOMMU_DESTROY, sys.put(8, new IommuDestroy(8, id)::encode));
  }

  /** Our own test of the steps of the selftest's {@code pasid_set_dirty_tracking}. */
  @Test
  void pasidSetDirtyTracking_steps() {
    int[] first = st.mockDomain(ioas, 0);
    int hwpt =
        sys.hwptAlloc(fd, first[2], ioas, IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    int stdev = st.mockDomain(hwpt, MOCK_FLAGS_DEVICE_PASID)[0];
    ok(attach(stdev, PASID, hwpt));
    ok(check(stdev, PASID, hwpt));
    ok(sys.setDirtyTracking(fd, hwpt, true));
    ok(sys.setDirtyTracking(fd, hwpt, false));
    ok(detach(stdev, PASID));
    ok(check(stdev, PASID, 0));
    ok(destroy(stdev));
    ok(destroy(hwpt));

    int[] noDirty = st.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID | MOCK_FLAGS_DEVICE_NO_DIRTY);
    int[] out = new int[1];
    assertErrno(
        Errno.EOPNOTSUPP,
        sys.hwptAlloc(
            fd,
            HwptAlloc.paging(
                IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, noDirty[2], ioas),
            out));
    ok(destroy(noDirty[0]));
  }

  @Test
  void pasidAttach_writesPtIdBack_andChecksAsTheKernel() {
    int[] ids = st.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID);
    assertErrno(Errno.EINVAL, attach(ids[0], PASID, ioas)); // the auto domain is not compatible
    int hwpt = sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_PASID);
    assertErrno(Errno.EINVAL, attach(ids[0], PASID, hwpt)); // its IOMMU_NO_PASID HWPT is not
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, ids[0], hwpt, 0)); // pt_id at the union's start
    ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(IOMMU_TEST_CMD_SIZE).putInt(IOMMU_TEST_OP_PASID_ATTACH).putInt(ids[0]).putInt(0);
    long arg = sys.mem.allocate(b.putInt(PASID).putInt(hwpt).array());
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    assertEquals(hwpt, sys.mem.read(arg + 20, 4).order(ByteOrder.LITTLE_ENDIAN).getInt());
    assertErrno(Errno.EBUSY, attach(ids[0], PASID, hwpt));
    assertErrno(Errno.EBUSY, destroy(hwpt));
    assertErrno(Errno.EINVAL, attach(ids[0], 1 << MOCK_PASID_WIDTH, hwpt));
    assertErrno(Errno.ENOENT, attach(ids[2], PASID, hwpt)); // an idev id is not a selftest id
    ok(detach(ids[0], PASID));
    ok(detach(ids[0], PASID)); // detaching what is not attached is no error
  }

  @Test
  void pasidReplace_pasid1024_rollsBackOnTheMockFailure() {
    int[] ids = st.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID);
    int h1 = sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_PASID);
    int h2 = sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_PASID);
    assertErrno(Errno.EINVAL, replace(ids[0], 1024, h1)); // not attached
    assertErrno(Errno.EINVAL, attach(ids[0], 1024, h1)); // the auto domain: not compatible
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, ids[0], h1, 0));
    ok(attach(ids[0], 1024, h1));
    assertErrno(Errno.ENOMEM, replace(ids[0], 1024, h2));
    ok(check(ids[0], 1024, h1));
    assertErrno(Errno.EINVAL, check(ids[0], 1024, h2));
    ok(replace(ids[0], 1024, h2));
    ok(check(ids[0], 1024, h2));
    assertErrno(Errno.EBUSY, destroy(h2));
    ok(detach(ids[0], 1024));
    ok(destroy(h2));
  }

  /** {@code test_cmd_hwpt_alloc_nested} with {@code IOMMU_HWPT_ALLOC_PASID}: the new id. */
  private int nestedPasidCompat(int idev, int parent) {
    long data = sys.put(IommuHwptSelftest.SIZE, new IommuHwptSelftest(0xbadbeef, 0)::encode);
    IommuHwptAlloc s =
        new IommuHwptAlloc(
            IommuHwptAlloc.SIZE,
            IOMMU_HWPT_ALLOC_PASID,
            idev,
            parent,
            0,
            0,
            IOMMU_HWPT_DATA_SELFTEST,
            IommuHwptSelftest.SIZE,
            data,
            0,
            0);
    long arg = sys.put(IommuHwptAlloc.SIZE, s::encode);
    ok(sys.ioctl(fd, IOMMU_HWPT_ALLOC, arg));
    return sys.get(arg, IommuHwptAlloc.SIZE, IommuHwptAlloc::decode).outHwptId();
  }

  /**
   * The nested steps of the selftest's {@code pasid_attach}: two nested HWPTs with {@code
   * IOMMU_HWPT_ALLOC_PASID} on a nest parent with it, attached, replaced and detached at PASIDs
   * 100, 200 and 1024. Where the selftest attaches or replaces with the IOAS, this attaches the
   * device itself to the parent first and uses a nested HWPT for the mock's failing replace of
   * PASID 1024: jvfio's auto domains are not PASID-compatible (docs/fidelity.md, "PASID attach").
   */
  @Test
  void pasidAttach_nestedSteps() {
    int[] ids = st.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID);
    int stdev = ids[0];
    int parent =
        sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID);
    int n0 = nestedPasidCompat(ids[2], parent);
    int n1 = nestedPasidCompat(ids[2], parent);
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, parent, 0));

    ok(attach(stdev, PASID, n0));
    ok(check(stdev, PASID, n0));
    assertErrno(Errno.EBUSY, attach(stdev, PASID, n1)); // attach does not overwrite
    ok(detach(stdev, PASID));
    ok(check(stdev, PASID, 0));

    int p200 = 200;
    assertErrno(Errno.EINVAL, replace(stdev, p200, parent)); // not attached yet
    ok(attach(stdev, p200, parent));
    ok(check(stdev, p200, parent));
    ok(replace(stdev, p200, n0));
    ok(check(stdev, p200, n0));
    ok(replace(stdev, p200, n1));
    ok(check(stdev, p200, n1));
    assertErrno(Errno.EBUSY, destroy(n1));
    ok(detach(stdev, p200));
    ok(check(stdev, p200, 0));

    ok(attach(stdev, 1024, parent));
    assertErrno(Errno.ENOMEM, replace(stdev, 1024, n0)); // the mock's designed failure
    ok(check(stdev, 1024, parent));
    ok(detach(stdev, 1024));
    ok(check(stdev, 1024, 0));

    int noPasidCompat = sys.hwptAlloc(fd, ids[2], ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
    assertErrno(Errno.EINVAL, attach(stdev, 2048, noPasidCompat));
    ok(check(stdev, 2048, 0));
    ok(destroy(noPasidCompat));
    ok(destroy(n0));
    ok(destroy(n1));
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev, ioas, 0));
    ok(destroy(parent));
  }

  @Test
  void getHwInfo_pasidDevice_reportsMockPasidWidth() {
    int[] plain = st.mockDomain(ioas, 0);
    int[] pasid = st.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID);
    assertEquals(0, maxPasidLog2(plain[2]));
    assertEquals(MOCK_PASID_WIDTH, maxPasidLog2(pasid[2]));
  }

  private int maxPasidLog2(int idev) {
    long arg =
        sys.put(
            IommuHwInfo.SIZE, new IommuHwInfo(IommuHwInfo.SIZE, 0, idev, 0, 0, 0, 0, 0, 0)::encode);
    ok(sys.ioctl(fd, IOMMU_GET_HW_INFO, arg));
    return sys.get(arg, IommuHwInfo.SIZE, IommuHwInfo::decode).outMaxPasidLog2();
  }
}
