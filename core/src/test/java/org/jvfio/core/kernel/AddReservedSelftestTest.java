package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.iommufd.IoasMap;

/**
 * {@code IOMMU_TEST_OP_ADD_RESERVED} ({@code iommufd_test_add_reserved}, {@code iopt_reserve_iova}
 * in {@code drivers/iommu/iommufd/io_pagetable.c}) through the fake kernel's system calls, with the
 * steps and expected results of the selftest's {@code iommufd_ioas} cases {@code area_auto_iova},
 * {@code area_allowed} and {@code iova_ranges} ({@code tools/testing/selftests/iommu/iommufd.c}),
 * no-domain variant.
 */
class AddReservedSelftestTest {
  private static final long PAGE = 4096;

  private Syscalls sys;
  private SelftestSyscalls st;
  private int ioas;
  private long buffer;

  @BeforeEach
  void setUp() {
    st = new SelftestSyscalls();
    sys = st.sys;
    buffer = st.buffer;
    ioas = sys.ioasAlloc(st.fd);
  }

  @Test
  void iovaRanges_reservedPageSplitsTheSpace() {
    assertArrayEquals(new long[] {0, -1L, 1}, st.iovaRanges(ioas));
    ok(st.addReserved(ioas, PAGE, PAGE));
    assertArrayEquals(new long[] {0, PAGE - 1, 2 * PAGE, -1L, 1}, st.iovaRanges(ioas));
  }

  @Test
  void autoIova_avoidsTheReservedRangeAndStaysAligned() {
    ok(st.addReserved(ioas, 4 * PAGE, 100 * PAGE));
    long[] iovas = new long[10];
    for (int i = 0; i < 10; i++) {
      long length = PAGE * (i + 1);
      iovas[i] = st.mapAuto(ioas, buffer, length);
      assertEquals(0, iovas[i] % Long.lowestOneBit(length), "aligned to ffs(length)");
      assertTrue(
          iovas[i] + length <= 4 * PAGE || iovas[i] >= 104 * PAGE, "outside the reserved range");
    }
    for (int i = 0; i < 10; i++) {
      st.unmap(ioas, iovas[i], PAGE * (i + 1));
    }
  }

  @Test
  void allowIovas_overReserved_eaddrinuse_thenAllocatesInsideTheAllowedRange() {
    ok(st.addReserved(ioas, 4 * PAGE, 100 * PAGE));
    assertErrno(Errno.EADDRINUSE, st.allowIovas(ioas, PAGE, PAGE * 600));
    ok(st.allowIovas(ioas, PAGE * 200, PAGE * 600 - 1));
    for (int i = 0; i < 10; i++) {
      long length = PAGE * (i + 1);
      long iova = st.mapAuto(ioas, buffer, length);
      assertTrue(iova >= PAGE * 200 && iova + length <= PAGE * 600, "inside the allowed range");
    }
  }

  @Test
  void addReserved_overAllowed_eaddrinuse_thenAllowedOverReserved_eaddrinuse() {
    long base = 1L << 24;
    ok(st.allowIovas(ioas, base, base + PAGE * 600));
    assertErrno(Errno.EADDRINUSE, st.addReserved(ioas, base + PAGE, PAGE));
    ok(st.allowIovas(ioas));
    ok(st.addReserved(ioas, base + PAGE, PAGE));
    assertErrno(Errno.EADDRINUSE, st.allowIovas(ioas, base, base + PAGE * 600));
  }

  @Test
  void addReserved_overAMapping_eaddrinuse_andAFixedMapIntoIt_einval() {
    sys.ioasMapFixed(st.fd, ioas, buffer, PAGE, 8 * PAGE);
    assertErrno(Errno.EADDRINUSE, st.addReserved(ioas, 7 * PAGE, 2 * PAGE));
    assertArrayEquals(new long[] {0, -1L, 1}, st.iovaRanges(ioas), "nothing reserved");
    ok(st.addReserved(ioas, 16 * PAGE, PAGE));
    assertErrno(Errno.EINVAL, sys.ioasMap(st.fd, ioas, IoasMap.fixed(buffer, 2 * PAGE, 15 * PAGE)));
  }

  @Test
  void addReserved_notAnIoas_enoent() {
    assertErrno(Errno.ENOENT, st.addReserved(ioas + 100, PAGE, PAGE));
    int[] ids = st.mockDomain(ioas, 0);
    assertErrno(Errno.ENOENT, st.addReserved(ids[1], PAGE, PAGE)); // a HWPT
  }

  /**
   * The kernel reserves {@code [start, start + length - 1]} with no checks on the sum: a range that
   * ends at {@code ULONG_MAX} is reserved, one whose sum wraps is accepted (jvfio reserves nothing
   * for it; the kernel inserts an interval whose last is below its start).
   */
  @Test
  void addReserved_wrappingSum_reservesToTheTop() {
    ok(st.addReserved(ioas, -PAGE, 2 * PAGE)); // last = PAGE - 1 < start: nothing here
    ok(st.addReserved(ioas, -PAGE, PAGE));
    assertArrayEquals(new long[] {0, -PAGE - 1, 1}, st.iovaRanges(ioas));
  }
}
