package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_APERTURE_LAST;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_APERTURE_START;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_DEVICE_NO_DIRTY;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_HUGE_PAGE_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_IOMMUPT_AMDV1;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_IOMMUPT_DEFAULT;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_IOMMUPT_HUGE;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_PAGE_SIZE;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.util.BitSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptSelftest;
import org.jvfio.core.iommufd.IoasMap;

/**
 * {@code IOMMU_HWPT_ALLOC} with {@code IOMMU_HWPT_DATA_SELFTEST} on a mock device, through the fake
 * kernel's system calls: the validation of {@code iommufd_hwpt_alloc} and the selftest's {@code
 * mock_domain_alloc_paging_flags} ({@code drivers/iommu/iommufd/selftest.c}), and the selftest
 * geometry the page-table types give.
 */
class HwptAllocSelftestTest {
  private static final long MIB = 1L << 20;

  private Syscalls sys;
  private SelftestSyscalls st;
  private int fd;
  private int ioas;
  private int idev;
  private long buffer;

  @BeforeEach
  void setUp() {
    st = new SelftestSyscalls();
    sys = st.sys;
    fd = st.fd;
    buffer = st.buffer;
    ioas = sys.ioasAlloc(fd);
    idev = st.mockDomain(ioas, 0)[2];
  }

  private int alloc(int flags, int type, int dataLen) {
    return st.hwptAllocSelftest(idev, ioas, flags, type, dataLen, 0, new int[1]);
  }

  /**
   * A DEFAULT domain maps 2 KiB pages: MD_CHECK_MAP steps by MOCK_PAGE_SIZE. So does a HWPT
   * allocated without driver data: {@code mock_domain_alloc_paging_flags} then passes a zeroed
   * {@code struct iommu_hwpt_selftest}, whose {@code pagetable_type} is DEFAULT.
   */
  @Test
  void default_checkMapStepsByMockPageSize() {
    int hwpt = st.hwptAllocSelftest(idev, ioas, 0, MOCK_IOMMUPT_DEFAULT);
    int plain = sys.hwptAlloc(fd, idev, ioas, 0);
    sys.ioasMapFixed(fd, ioas, buffer, 2 * MIB, MOCK_APERTURE_START);
    long iova = MOCK_APERTURE_START + MOCK_PAGE_SIZE;
    ok(st.checkMap(hwpt, iova, MOCK_PAGE_SIZE, buffer + MOCK_PAGE_SIZE));
    assertErrno(Errno.EINVAL, st.checkMap(hwpt, iova, MOCK_PAGE_SIZE, buffer)); // wrong page
    ok(st.checkMap(plain, iova, MOCK_PAGE_SIZE, buffer + MOCK_PAGE_SIZE));
    assertErrno(Errno.EINVAL, st.checkMap(plain, iova, MOCK_PAGE_SIZE, buffer));
  }

  /**
   * A DEFAULT domain has the mock aperture ({@code mock_domain_alloc_pgtable}): iommufd reserves
   * the IOVA outside it, a fixed map there is EINVAL, and a domain whose aperture excludes an
   * existing mapping is EADDRINUSE ({@code iopt_table_add_domain}).
   */
  @Test
  void default_apertureIsMockApertureStartToLast() {
    int fresh = sys.ioasAlloc(fd);
    st.hwptAllocSelftest(idev, fresh, 0, MOCK_IOMMUPT_DEFAULT);
    assertArrayEquals(
        new long[] {MOCK_APERTURE_START, MOCK_APERTURE_LAST, MOCK_PAGE_SIZE}, st.iovaRanges(fresh));
    assertErrno(
        Errno.EINVAL,
        sys.ioasMap(fd, fresh, IoasMap.fixed(buffer, MOCK_PAGE_SIZE, MOCK_APERTURE_START - MIB)));
    assertErrno(
        Errno.EINVAL,
        sys.ioasMap(fd, fresh, IoasMap.fixed(buffer, MOCK_PAGE_SIZE, MOCK_APERTURE_LAST + 1)));
    int mappedLow = sys.ioasAlloc(fd);
    sys.ioasMapFixed(fd, mappedLow, buffer, MIB, MIB);
    int[] out = new int[1];
    assertErrno(
        Errno.EADDRINUSE,
        st.hwptAllocSelftest(
            idev, mappedLow, 0, MOCK_IOMMUPT_DEFAULT, IommuHwptSelftest.SIZE, 0, out));
  }

  /**
   * A HUGE domain reports {@code MOCK_HUGE_PAGE_SIZE | PAGE_SIZE} ({@code
   * mock_domain_alloc_pgtable}): the IOAS is aligned to PAGE_SIZE, so a 2 KiB-aligned map is
   * EINVAL.
   */
  @Test
  void huge_reportsHugeAndPageSize() {
    int fresh = sys.ioasAlloc(fd);
    int hwpt = st.hwptAllocSelftest(idev, fresh, 0, MOCK_IOMMUPT_HUGE);
    long[] ranges = st.iovaRanges(fresh);
    assertEquals(4096, ranges[ranges.length - 1]);
    assertEquals(0, ranges[0]);
    assertErrno(
        Errno.EINVAL,
        sys.ioasMap(
            fd,
            fresh,
            IoasMap.fixed(buffer, MOCK_PAGE_SIZE, MOCK_APERTURE_START + MOCK_PAGE_SIZE)));
    sys.ioasMapFixed(fd, fresh, buffer, 4096, MOCK_APERTURE_START);
    ok(st.checkMap(hwpt, MOCK_APERTURE_START, 4096, buffer));
    assertErrno(Errno.EINVAL, st.checkMap(hwpt, MOCK_APERTURE_START, MOCK_PAGE_SIZE, buffer));
  }

  /** A HUGE domain maps 1 MiB leaves: one mark dirties the whole leaf. */
  @Test
  void huge_oneMarkDirtiesAWholeMockHugePage() {
    int hwpt = st.hwptAllocSelftest(idev, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, MOCK_IOMMUPT_HUGE);
    sys.ioasMapFixed(fd, ioas, buffer, 2 * MIB, MOCK_APERTURE_START);
    ok(sys.setDirtyTracking(fd, hwpt, true));
    long marks = sys.mem.allocate(128);
    sys.mem.writeLong(marks + 64, 1L << 5); // bit 517: in the second huge page
    long[] count = new long[1];
    ok(st.dirty(hwpt, MOCK_APERTURE_START, 2 * MIB, MOCK_PAGE_SIZE, marks, count));
    assertEquals(1, count[0]);
    long out = sys.mem.allocate(128);
    ok(sys.getDirtyBitmap(fd, hwpt, MOCK_APERTURE_START, 2 * MIB, MOCK_PAGE_SIZE, out, 0));
    BitSet want = new BitSet();
    want.set(MOCK_HUGE_PAGE_SIZE / MOCK_PAGE_SIZE, 2 * MOCK_HUGE_PAGE_SIZE / MOCK_PAGE_SIZE);
    assertEquals(want, BitSet.valueOf(sys.mem.read(out, 128)));
  }

  /** {@code iommu_copy_struct_from_user} up to {@code iotlb}: 4 to 8 bytes. */
  @Test
  void dataLen_fourToEightAccepted_otherwiseEinval() {
    ok(alloc(0, MOCK_IOMMUPT_DEFAULT, 4));
    ok(alloc(0, MOCK_IOMMUPT_HUGE, 8));
    for (int len : new int[] {1, 3, 9, 16, -1}) {
      assertErrno(Errno.EINVAL, alloc(0, MOCK_IOMMUPT_DEFAULT, len));
    }
  }

  @Test
  void dataLenZeroWithSelftestType_einval() {
    assertErrno(Errno.EINVAL, alloc(0, MOCK_IOMMUPT_DEFAULT, 0));
  }

  @Test
  void pagetableType_amdv1OrUnknown_eopnotsupp() {
    for (int type : new int[] {MOCK_IOMMUPT_AMDV1, 3, -1}) {
      assertErrno(Errno.EOPNOTSUPP, alloc(0, type, 8));
    }
  }

  @Test
  void unreadableData_efault() {
    int[] out = new int[1];
    assertErrno(
        Errno.EFAULT, st.hwptAllocSelftest(idev, ioas, 0, MOCK_IOMMUPT_DEFAULT, 8, 0x10, out));
  }

  /** The device's flags are checked before the data: unknown flags win over a bad length. */
  @Test
  void unknownFlags_eopnotsuppBeforeTheData() {
    assertErrno(Errno.EOPNOTSUPP, alloc(1 << 30, MOCK_IOMMUPT_DEFAULT, 3));
  }

  @Test
  void dirtyTrackingOnANoDirtyDevice_eopnotsupp() {
    int noDirty = st.mockDomain(sys.ioasAlloc(fd), MOCK_FLAGS_DEVICE_NO_DIRTY)[2];
    int[] out = new int[1];
    assertErrno(
        Errno.EOPNOTSUPP,
        st.hwptAllocSelftest(
            noDirty, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, MOCK_IOMMUPT_DEFAULT, 8, 0, out));
  }

  @Test
  void anotherDataTypeOnAnIoas_eopnotsupp() {
    long data = sys.mem.allocate(24);
    IommuHwptAlloc s =
        new IommuHwptAlloc(
            IommuHwptAlloc.SIZE, 0, idev, ioas, 0, 0, IOMMU_HWPT_DATA_VTD_S1, 24, data, 0, 0);
    assertErrno(
        Errno.EOPNOTSUPP, sys.ioctl(fd, IOMMU_HWPT_ALLOC, sys.put(IommuHwptAlloc.SIZE, s::encode)));
  }

  /** The fault object is looked up after the domain: ENOENT, and the domain is gone. */
  @Test
  void faultIdValid_enoentAndNoHwptLeft() {
    assertErrno(Errno.ENOENT, alloc(IOMMU_HWPT_FAULT_ID_VALID, MOCK_IOMMUPT_DEFAULT, 8));
    int next = st.hwptAllocSelftest(idev, ioas, 0, MOCK_IOMMUPT_DEFAULT);
    assertEquals(idev + 2, next); // idev, its auto HWPT, then this one: no id was kept
  }
}
