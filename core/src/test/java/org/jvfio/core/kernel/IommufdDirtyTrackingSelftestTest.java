package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_GET_HW_INFO;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_CAP_DIRTY_TRACKING;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuHwInfo;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * The dirty-tracking cases of the kernel's iommufd selftest ({@code
 * tools/testing/selftests/iommu/iommufd.c}: {@code FIXTURE(iommufd_dirty_tracking)}, its variants
 * and {@code TEST_F(iommufd_dirty_tracking, ...)}; {@code iommufd_utils.h}: {@code
 * test_mock_dirty_bitmaps}), ported to the fake kernel and driven only through its system calls.
 *
 * <p>Differences from the C test, each forced by what is mocked:
 *
 * <ul>
 *   <li>The selftest's mock devices come from a test-only ioctl ({@code test_cmd_mock_domain});
 *       here they are VFIO cdevs bound with {@code VFIO_DEVICE_BIND_IOMMUFD} and attached with
 *       {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT}. A {@code MOCK_FLAGS_DEVICE_NO_DIRTY} device is one
 *       behind a mock IOMMU without dirty tracking; {@code MOCK_FLAGS_DEVICE_HUGE_IOVA} a mock
 *       IOMMU with huge leaves.
 *   <li>jvfio's mock IOMMU has 4 KiB and 2 MiB leaves, which stand for {@code MOCK_PAGE_SIZE} and
 *       {@code MOCK_HUGE_PAGE_SIZE}; bitmaps have one bit per 4 KiB.
 *   <li>The selftest marks PTEs dirty with the mock-only {@code IOMMU_TEST_OP_DIRTY}; here the
 *       device writes one page of each PTE to mark by DMA ({@link FakeKernel#dmaWrite}), so it must
 *       be attached to the dirty-tracking HWPT first, and the count of marked PTEs is the count of
 *       DMA writes that went through.
 * </ul>
 */
class IommufdDirtyTrackingSelftestTest {
  private static final long KIB = 1024;
  private static final long MOCK_APERTURE_START = 1L << 24;
  private static final long PAGE_SIZE = MockIommuDriver.PAGE_4K;
  private static final long HUGE_PAGE_SIZE = MockIommuDriver.PAGE_2M;
  private static final int GUARD = 8;
  private static final byte GUARD_BYTE = (byte) 0xA5;

  /** {@code FIXTURE_VARIANT_ADD(iommufd_dirty_tracking, ...)}. */
  enum Variant {
    DOMAIN_DIRTY8K(8 * KIB, false), // half of an u8 index bitmap (with 2 KiB mock pages)
    DOMAIN_DIRTY16K(16 * KIB, false), // one u8 index bitmap
    DOMAIN_DIRTY128K(128 * KIB, false), // one u32 index bitmap
    DOMAIN_DIRTY256K(256 * KIB, false), // one u64 index bitmap
    DOMAIN_DIRTY640K(640 * KIB, false), // two u64 index and trailing end bitmap
    DOMAIN_DIRTY128M(128 * KIB * KIB, false), // 4K bitmap (128M IOVA range)
    DOMAIN_DIRTY128M_HUGE(128 * KIB * KIB, true),
    DOMAIN_DIRTY256M(256 * KIB * KIB, false), // 8K bitmap (256M IOVA range)
    DOMAIN_DIRTY256M_HUGE(256 * KIB * KIB, true);

    final long bufferSize;
    final boolean hugepages;

    Variant(long bufferSize, boolean hugepages) {
      this.bufferSize = bufferSize;
      this.hugepages = hugepages;
    }
  }

  /**
   * {@code FIXTURE_SETUP(iommufd_dirty_tracking)}: an iommufd, device vfio0 bound to it and
   * attached to a fresh IOAS (the fixture's auto-domain HWPT), guest memory for the buffer and a
   * page-aligned user bitmap with a spare page for the unaligned cases. Devices vfio1 (same IOMMU)
   * and vfio2 (an IOMMU without dirty tracking) are there for the tests that create more mock
   * devices.
   */
  private static final class Fixture {
    final Variant variant;
    final FakeKernel kernel;
    final Syscalls sys;
    final int fd;
    final int deviceFd;
    final int idevId;
    final int ioasId;
    final long buffer;
    final long bitmapBits;
    final long bitmap;

    Fixture(Variant variant) {
      this.variant = variant;
      VfioDeviceDriver plain = VfioDeviceDriver.withoutMigration(Optional.empty());
      kernel =
          FakeKernel.builder()
              .guestMemory(variant.bufferSize)
              .iommu(MockIommuDriver.create(true, variant.hugepages))
              .device(plain)
              .device(plain)
              .iommu(MockIommuDriver.create(false, variant.hugepages))
              .device(plain)
              .build();
      sys = new Syscalls(kernel);
      fd = sys.open(FakeKernel.IOMMU_PATH);
      buffer = kernel.guestMemory(0).base();
      bitmapBits = variant.bufferSize / PAGE_SIZE;
      bitmap = sys.mem.allocate(bitmapBytes() + PAGE_SIZE, PAGE_SIZE, 0);
      ioasId = sys.ioasAlloc(fd);
      deviceFd = sys.open(FakeKernel.devicePath(0));
      idevId = sys.bind(deviceFd, fd);
      sys.attach(deviceFd, ioasId);
    }

    int bitmapBytes() {
      return (int) ((bitmapBits + 7) / 8);
    }

    /** Opens and binds another mock device (vfio1 or vfio2); returns {fd, device id}. */
    int[] mockDevice(int index) {
      int devFd = sys.open(FakeKernel.devicePath(index));
      return new int[] {devFd, sys.bind(devFd, fd)};
    }

    void destroy(int id) {
      ok(
          sys.ioctl(
              fd,
              IOMMU_DESTROY,
              sys.put(IommuDestroy.SIZE, new IommuDestroy(IommuDestroy.SIZE, id)::encode)));
    }
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void enforce_dirty(Variant variant) {
    Fixture f = new Fixture(variant);
    Syscalls sys = f.sys;

    // Regular case
    int hwptId = sys.hwptAlloc(f.fd, f.idevId, f.ioasId, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    int[] stddev = f.mockDevice(1);
    sys.attach(stddev[0], hwptId);
    int[] noDirty = f.mockDevice(2);
    assertErrno(Errno.EINVAL, sys.attach(noDirty[0], hwptId, new int[1]));
    ok(sys.kernel.close(stddev[0]));
    f.destroy(hwptId);

    // IOMMU device does not support dirty tracking
    int ioasId = sys.ioasAlloc(f.fd);
    sys.attach(noDirty[0], ioasId);
    int[] out = new int[1];
    assertErrno(
        Errno.EOPNOTSUPP,
        sys.hwptAlloc(
            f.fd, HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, noDirty[1], ioasId), out));
    ok(sys.kernel.close(noDirty[0]));
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void set_dirty_tracking(Variant variant) {
    Fixture f = new Fixture(variant);
    Syscalls sys = f.sys;
    int hwptId = sys.hwptAlloc(f.fd, f.idevId, f.ioasId, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    int[] stddev = f.mockDevice(1);
    sys.attach(stddev[0], hwptId);
    ok(sys.setDirtyTracking(f.fd, hwptId, true));
    ok(sys.setDirtyTracking(f.fd, hwptId, false));
    ok(sys.kernel.close(stddev[0]));
    f.destroy(hwptId);
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void device_dirty_capability(Variant variant) {
    Fixture f = new Fixture(variant);
    Syscalls sys = f.sys;
    int hwptId = sys.hwptAlloc(f.fd, f.idevId, f.ioasId, 0);
    int[] stddev = f.mockDevice(1);
    sys.attach(stddev[0], hwptId);
    long arg =
        sys.put(
            IommuHwInfo.SIZE,
            new IommuHwInfo(IommuHwInfo.SIZE, 0, f.idevId, 0, 0, 0, 0, 0, 0)::encode);
    ok(sys.ioctl(f.fd, IOMMU_GET_HW_INFO, arg));
    long caps = sys.get(arg, IommuHwInfo.SIZE, IommuHwInfo::decode).outCapabilities();
    assertEquals(IOMMU_HW_CAP_DIRTY_TRACKING, caps & IOMMU_HW_CAP_DIRTY_TRACKING);
    ok(sys.kernel.close(stddev[0]));
    f.destroy(hwptId);
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void get_dirty_bitmap(Variant variant) {
    getDirtyBitmap(new Fixture(variant), 0);
  }

  @ParameterizedTest
  @EnumSource(Variant.class)
  void get_dirty_bitmap_no_clear(Variant variant) {
    getDirtyBitmap(new Fixture(variant), IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
  }

  /** The body shared by {@code get_dirty_bitmap} and {@code get_dirty_bitmap_no_clear}. */
  private static void getDirtyBitmap(Fixture f, int flags) {
    Syscalls sys = f.sys;
    long ptePageSize = f.variant.hugepages ? HUGE_PAGE_SIZE : PAGE_SIZE;
    int ioasId = sys.ioasAlloc(f.fd);
    sys.ioasMapFixed(f.fd, ioasId, f.buffer, f.variant.bufferSize, MOCK_APERTURE_START);
    int hwptId = sys.hwptAlloc(f.fd, f.idevId, ioasId, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    ok(sys.setDirtyTracking(f.fd, hwptId, true));
    // Not in the selftest: the mock marks PTEs dirty without a device; here vfio0 writes by DMA,
    // so it moves to the dirty-tracking HWPT.
    sys.attach(f.deviceFd, hwptId);

    mockDirtyBitmaps(f, hwptId, ptePageSize, f.bitmap, flags);
    // PAGE_SIZE unaligned bitmap (the selftest's bitmap + MOCK_PAGE_SIZE)
    mockDirtyBitmaps(f, hwptId, ptePageSize, f.bitmap + 2 * KIB, flags);
    // u64 unaligned bitmap
    mockDirtyBitmaps(f, hwptId, ptePageSize, f.bitmap + 0xff1, flags);

    sys.attach(f.deviceFd, f.ioasId);
    f.destroy(hwptId);
  }

  /**
   * {@code test_mock_dirty_bitmaps}: dirties the first PTE of every pair of PTEs, expects the first
   * harvest to report exactly their pages, and the second to report nothing (or the same again with
   * NO_CLEAR). Also checks that the kernel wrote no byte outside the bitmap.
   */
  private static void mockDirtyBitmaps(
      Fixture f, int hwptId, long ptePageSize, long bitmap, int flags) {
    Syscalls sys = f.sys;
    long npte = ptePageSize / PAGE_SIZE;
    long pteset = 2 * npte;
    long nbits = f.bitmapBits;
    long nr = Math.max(nbits / pteset, 1);
    String where = f.variant + " bitmap at +0x" + Long.toHexString(bitmap - f.bitmap);

    // Mark the first PTE of each set dirty: here by a device write into it (see class comment).
    long marked = 0;
    for (long i = 0; i < nbits; i += pteset) {
      DmaResult r = f.kernel.dmaWrite(0, MOCK_APERTURE_START + i * PAGE_SIZE, PAGE_SIZE);
      assertEquals(new DmaResult(PAGE_SIZE, 0), r, where);
      marked++;
    }
    assertEquals(nr, marked, where);

    // Expect the first npte bits of every set dirty in the user bitmap.
    clearWithGuards(f, bitmap);
    ok(
        sys.getDirtyBitmap(
            f.fd, hwptId, MOCK_APERTURE_START, f.variant.bufferSize, PAGE_SIZE, bitmap, flags));
    byte[] bits = readBitmapCheckingGuards(f, bitmap, where);
    for (long i = 0; i < nbits; i += pteset) {
      for (long j = 0; j < pteset; j++) {
        assertEquals(j < npte, testBit(bits, i + j), where + " bit " + (i + j));
      }
    }

    // Read already: expect all zeroes, unless NO_CLEAR left them.
    clearWithGuards(f, bitmap);
    ok(
        sys.getDirtyBitmap(
            f.fd, hwptId, MOCK_APERTURE_START, f.variant.bufferSize, PAGE_SIZE, bitmap, flags));
    bits = readBitmapCheckingGuards(f, bitmap, where);
    boolean noClear = (flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) != 0;
    for (long i = 0; i < nbits; i += pteset) {
      for (long j = 0; j < pteset; j++) {
        assertEquals(j < npte && noClear, testBit(bits, i + j), where + " second bit " + (i + j));
      }
    }
    if (noClear) { // the next round starts clean, as the C test's next call starts from its own
      clearWithGuards(f, bitmap);
      ok(
          sys.getDirtyBitmap(
              f.fd, hwptId, MOCK_APERTURE_START, f.variant.bufferSize, PAGE_SIZE, bitmap, 0));
    }
  }

  /** {@code memset(bitmap, 0, bitmap_size)}, with guard bytes written around it. */
  private static void clearWithGuards(Fixture f, long bitmap) {
    UserMemory mem = f.sys.mem;
    mem.write(bitmap, ByteBuffer.allocate(f.bitmapBytes()));
    byte[] guard = new byte[GUARD];
    Arrays.fill(guard, GUARD_BYTE);
    mem.write(bitmap + f.bitmapBytes(), ByteBuffer.wrap(guard));
    if (bitmap != f.bitmap) {
      mem.write(bitmap - 1, ByteBuffer.wrap(new byte[] {GUARD_BYTE}));
    }
  }

  private static byte[] readBitmapCheckingGuards(Fixture f, long bitmap, String where) {
    UserMemory mem = f.sys.mem;
    byte[] guard = new byte[GUARD];
    mem.read(bitmap + f.bitmapBytes(), ByteBuffer.wrap(guard));
    byte[] expected = new byte[GUARD];
    Arrays.fill(expected, GUARD_BYTE);
    assertArrayEquals(expected, guard, where + ": bytes after the bitmap changed");
    if (bitmap != f.bitmap) {
      assertEquals(GUARD_BYTE, mem.read(bitmap - 1, 1).get(), where + ": byte before changed");
    }
    byte[] bits = new byte[f.bitmapBytes()];
    mem.read(bitmap, ByteBuffer.wrap(bits));
    return bits;
  }

  private static boolean testBit(byte[] bits, long i) {
    return (bits[(int) (i >>> 3)] >>> (i & 7) & 1) != 0;
  }
}
