package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_GET_HW_INFO;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_SET_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_CAP_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOW_IOVAS;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_COPY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_IOVA_RANGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_UNMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_ATTACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_ATTACH_PASID;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_BIND_FLAG_TOKEN;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_BIND_IOMMUFD;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_DETACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_DETACH_PASID;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_PROBE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_RESET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_PRE_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_RESUMING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_STOP;
import static org.jvfio.api.vfio.Vfio.VFIO_MIGRATION_STOP_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_MIG_GET_PRECOPY_INFO;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuHwInfo;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptGetDirtyBitmap;
import org.jvfio.api.iommufd.IommuHwptSetDirtyTracking;
import org.jvfio.api.iommufd.IommuIoasAlloc;
import org.jvfio.api.iommufd.IommuIoasAllowIovas;
import org.jvfio.api.iommufd.IommuIoasCopy;
import org.jvfio.api.iommufd.IommuIoasIovaRanges;
import org.jvfio.api.iommufd.IommuIoasMap;
import org.jvfio.api.iommufd.IommuIoasUnmap;
import org.jvfio.api.iommufd.IommuIovaRange;
import org.jvfio.api.iommufd.IommuVfioIoas;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.api.vfio.Vfio;
import org.jvfio.api.vfio.VfioDeviceAttachIommufdPt;
import org.jvfio.api.vfio.VfioDeviceBindIommufd;
import org.jvfio.api.vfio.VfioDeviceDetachIommufdPt;
import org.jvfio.api.vfio.VfioDeviceFeature;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.api.vfio.VfioDeviceFeatureMigration;
import org.jvfio.api.vfio.VfioPrecopyInfo;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IovaRange;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.ReferenceMigrationDriver;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * The byte layer of the fake kernel: the fd table, iommufd's size rules and replies, the cdev's
 * bind-before-use rule, the VFIO_DEVICE_FEATURE copies, data fds, what closing releases, and the
 * DMA hooks.
 */
class FakeKernelTest {
  private static final long GUEST = 16L << 20;
  private static final long IOVA = 1L << 24;
  private static final long PAGE = 4096;
  private static final long UNMAPPED = 0x10_0000L; // below UserMemory.BASE: never allocated

  private final FakeKernel kernel =
      FakeKernel.builder()
          .guestMemory(GUEST)
          .iommu(MockIommuDriver.create(true, false)) // 4 KiB leaves: one dirty bit per page
          .device(
              ReferenceMigrationDriver.create(
                  EnumSet.allOf(MigrationFlag.class),
                  new byte[8192],
                  4096,
                  Optional.of(DmaTracker.exact())))
          .device(VfioDeviceDriver.withoutMigration(Optional.empty()))
          .build();
  private final Syscalls sys = new Syscalls(kernel);
  private final UserMemory mem = kernel.userMemory();

  /** An iommufd with vfio0 bound, an IOAS mapping all guest RAM at {@link #IOVA}. */
  private final class Setup {
    final int fd = sys.open(FakeKernel.IOMMU_PATH);
    final int deviceFd = sys.open(FakeKernel.devicePath(0));
    final int devId = sys.bind(deviceFd, fd);
    final int ioasId = sys.ioasAlloc(fd);

    Setup() {
      sys.ioasMapFixed(fd, ioasId, kernel.guestMemory(0).base(), GUEST, IOVA);
    }

    /** Allocates a dirty-tracking HWPT, attaches vfio0 to it and turns tracking on. */
    int trackingHwpt() {
      int hwptId = sys.hwptAlloc(fd, devId, ioasId, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      sys.attach(deviceFd, hwptId);
      ok(sys.setDirtyTracking(fd, hwptId, true));
      return hwptId;
    }
  }

  private long bytes(byte... b) {
    long addr = mem.allocate(b.length, 8, 0);
    mem.write(addr, ByteBuffer.wrap(b));
    return addr;
  }

  private byte[] read(long addr, int length) {
    byte[] b = new byte[length];
    mem.read(addr, ByteBuffer.wrap(b));
    return b;
  }

  private void putU32(long addr, long value) {
    mem.write(addr, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, (int) value));
  }

  // --- the fd table
  // -------------------------------------------------------------------------------

  /**
   * A kernel with 64 KiB pages (arm64): IOAS_MAP allocates IOVAs from PAGE_SIZE up, and the builder
   * refuses a PAGE_SIZE it cannot be, late changes and guest RAM that is not whole pages.
   */
  @Test
  void pageSize64k_allocatesFromPageSizeAndChecksTheBuilder() {
    FakeKernel arm64 =
        FakeKernel.builder()
            .pageSize(65536)
            .guestMemory(1L << 20)
            .iommu(MockIommuDriver.create(true, false))
            .build();
    Syscalls calls = new Syscalls(arm64);
    int fd = calls.open(FakeKernel.IOMMU_PATH);
    int ioasId = calls.ioasAlloc(fd);
    long base = arm64.guestMemory(0).base();
    int rw = Iommufd.IOMMU_IOAS_MAP_READABLE | Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
    long arg =
        calls.put(
            IommuIoasMap.SIZE,
            new IommuIoasMap(IommuIoasMap.SIZE, rw, ioasId, 0, base + 65536, 65536, 0)::encode);
    ok(calls.ioctl(fd, IOMMU_IOAS_MAP, arg));
    assertEquals(65536, calls.get(arg, IommuIoasMap.SIZE, IommuIoasMap::decode).iova());
    assertThrows(IllegalArgumentException.class, () -> FakeKernel.builder().pageSize(8192));
    assertThrows(
        IllegalStateException.class,
        () -> FakeKernel.builder().guestMemory(1L << 20).pageSize(65536));
    assertThrows(
        IllegalArgumentException.class,
        () -> FakeKernel.builder().pageSize(65536).guestMemory(4096));
  }

  @Test
  void open_unknownPath_isENOENT() {
    assertErrno(Errno.ENOENT, kernel.open("/dev/vfio/devices/vfio2"));
    assertErrno(Errno.ENOENT, kernel.open("/dev/vfio/devices/vfio00"));
    assertErrno(Errno.ENOENT, kernel.open("/dev/null"));
  }

  @Test
  void open_returnsTheLowestFreeFdFromThree() {
    assertEquals(3, kernel.open(FakeKernel.IOMMU_PATH));
    assertEquals(4, kernel.open(FakeKernel.devicePath(0)));
    assertEquals(5, kernel.open(FakeKernel.IOMMU_PATH));
    ok(kernel.close(3));
    assertEquals(3, kernel.open(FakeKernel.devicePath(1)));
    assertEquals(6, kernel.open(FakeKernel.IOMMU_PATH));
  }

  @Test
  void badFd_isEBADF() {
    long buf = mem.allocate(8);
    assertErrno(Errno.EBADF, kernel.close(3));
    assertErrno(Errno.EBADF, kernel.ioctl(0, IOMMU_DESTROY, buf));
    assertErrno(Errno.EBADF, kernel.read(-1, buf, 8));
    assertErrno(Errno.EBADF, kernel.write(42, buf, 8));
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    ok(kernel.close(fd));
    assertErrno(Errno.EBADF, kernel.close(fd));
    assertErrno(Errno.EBADF, kernel.ioctl(fd, IOMMU_DESTROY, buf));
  }

  // --- /dev/iommu
  // ---------------------------------------------------------------------------------

  /** {@code TEST_F(iommufd, cmd_fail)}. */
  @Test
  void iommufd_cmdFail() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    long destroy = sys.put(8, new IommuDestroy(8, 0)::encode);
    assertErrno(Errno.ENOENT, sys.ioctl(fd, IOMMU_DESTROY, destroy)); // object id is invalid
    assertErrno(Errno.EFAULT, sys.ioctl(fd, IOMMU_DESTROY, 0)); // bad pointer
    assertErrno(
        Errno.ENOTTY,
        sys.ioctl(fd, Vfio.io(Iommufd.IOMMUFD_TYPE, Iommufd.IOMMUFD_CMD_BASE - 1), destroy));
  }

  @Test
  void iommufd_unmodelledOrForeignIoctl_isENOTTY() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    long arg = mem.allocate(64);
    putU32(arg, 64);
    for (int nr : new int[] {0x94, 0x95}) {
      assertErrno(Errno.ENOTTY, sys.ioctl(fd, Vfio.io(Iommufd.IOMMUFD_TYPE, nr), arg));
    }
    // OPTION (0x87) and the nesting commands are modelled: a zeroed struct reaches their checks
    assertEquals(0, sys.ioctl(fd, Iommufd.IOMMU_OPTION, arg)); // RLIMIT_MODE SET 0, no object yet
    assertErrno(Errno.EINVAL, sys.ioctl(fd, Iommufd.IOMMU_IOAS_MAP_FILE, arg)); // no permission
    assertErrno(Errno.ENODEV, sys.ioctl(fd, Iommufd.IOMMU_VFIO_IOAS, arg)); // GET, none yet
    assertErrno(Errno.ENOENT, sys.ioctl(fd, Iommufd.IOMMU_HWPT_INVALIDATE, arg)); // hwpt_id 0
    assertErrno(Errno.EOPNOTSUPP, sys.ioctl(fd, Iommufd.IOMMU_VIOMMU_ALLOC, arg)); // type DEFAULT
    assertErrno(Errno.ENOENT, sys.ioctl(fd, Iommufd.IOMMU_VDEVICE_ALLOC, arg)); // viommu_id 0
    assertErrno(Errno.ENOTTY, sys.ioctl(fd, VFIO_DEVICE_FEATURE, arg));
    assertErrno(Errno.ENOTTY, sys.ioctl(fd, IOMMU_IOAS_ALLOC | 0x4000_0000, arg));
    // FAULT_QUEUE_ALLOC (0x8e) too: a zeroed struct allocates a fault queue and its fd
    assertTrue(
        sys.ioctl(fd, Iommufd.IOMMU_FAULT_QUEUE_ALLOC, arg) == 0 && mem.readInt(arg + 12) > fd);
  }

  @Test
  void iommufd_readAndWrite_areEINVAL() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    long buf = mem.allocate(8);
    assertErrno(Errno.EINVAL, kernel.read(fd, buf, 8));
    assertErrno(Errno.EINVAL, kernel.write(fd, buf, 8));
  }

  /**
   * {@code TEST_F(iommufd, cmd_length)} for every modelled command: one byte short of the minimum
   * is EINVAL, one byte more with a non-zero tail E2BIG, and one byte more with a zero tail behaves
   * as the exact size.
   */
  @Test
  void iommufd_cmdLength() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    int[][] table = {
      {IOMMU_DESTROY, 8, 8},
      {IOMMU_GET_HW_INFO, 32, IommuHwInfo.SIZE},
      {IOMMU_HWPT_ALLOC, 24, IommuHwptAlloc.SIZE},
      {IOMMU_IOAS_ALLOC, 12, IommuIoasAlloc.SIZE},
      {IOMMU_IOAS_IOVA_RANGES, 32, IommuIoasIovaRanges.SIZE},
      {IOMMU_IOAS_ALLOW_IOVAS, 24, IommuIoasAllowIovas.SIZE},
      {IOMMU_IOAS_MAP, 40, IommuIoasMap.SIZE},
      {IOMMU_IOAS_COPY, 40, IommuIoasCopy.SIZE},
      {IOMMU_IOAS_UNMAP, 24, IommuIoasUnmap.SIZE},
      {Iommufd.IOMMU_VFIO_IOAS, 12, IommuVfioIoas.SIZE},
      {IOMMU_HWPT_SET_DIRTY_TRACKING, 16, IommuHwptSetDirtyTracking.SIZE},
      {IOMMU_HWPT_GET_DIRTY_BITMAP, 48, IommuHwptGetDirtyBitmap.SIZE},
    };
    for (int[] row : table) {
      int request = row[0];
      int minSize = row[1];
      int size = row[2];
      String what = "ioctl 0x" + Integer.toHexString(request);
      long cmd = mem.allocate(size + 1, 8, 0);
      mem.write(cmd + size, ByteBuffer.wrap(new byte[] {(byte) 0xff}));
      putU32(cmd, minSize - 1);
      assertEquals(Errno.EINVAL, Syscalls.errno(sys.ioctl(fd, request, cmd)), what);
      putU32(cmd, size + 1);
      assertEquals(Errno.E2BIG, Syscalls.errno(sys.ioctl(fd, request, cmd)), what);
      putU32(cmd, size);
      int rc = sys.ioctl(fd, request, cmd);
      putU32(cmd, size + 1);
      mem.write(cmd + size, ByteBuffer.wrap(new byte[] {0}));
      assertEquals(rc, sys.ioctl(fd, request, cmd), what);
    }
  }

  /** {@code TEST_F(iommufd, cmd_ex_fail)}. */
  @Test
  void iommufd_cmdExFail() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    long cmd = mem.allocate(16, 8, 0);
    putU32(cmd, 16); // object id is invalid and command is longer
    assertErrno(Errno.ENOENT, sys.ioctl(fd, IOMMU_DESTROY, cmd));
    putU32(cmd + 8, 1); // future area is non-zero
    assertErrno(Errno.E2BIG, sys.ioctl(fd, IOMMU_DESTROY, cmd));
    putU32(cmd, 8); // original command "works"
    assertErrno(Errno.ENOENT, sys.ioctl(fd, IOMMU_DESTROY, cmd));
    putU32(cmd, 7); // short command fails
    assertErrno(Errno.EINVAL, sys.ioctl(fd, IOMMU_DESTROY, cmd));
  }

  @Test
  void iommufd_unreadableTail_isEFAULT() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    long cmd = mem.allocate(12, 8, 0);
    putU32(cmd, 16);
    assertErrno(Errno.EFAULT, sys.ioctl(fd, IOMMU_IOAS_ALLOC, cmd));
  }

  @Test
  void hwptAlloc_minimumSize_repliesOnlyWithinTheUserStruct() {
    Setup s = new Setup();
    long cmd = mem.allocate(IommuHwptAlloc.SIZE, 8, 0);
    byte[] pattern = new byte[IommuHwptAlloc.SIZE - 24];
    Arrays.fill(pattern, (byte) 0xAA);
    mem.write(cmd + 24, ByteBuffer.wrap(pattern));
    ByteBuffer head =
        Syscalls.encode(
            IommuHwptAlloc.SIZE, HwptAlloc.paging(0, s.devId, s.ioasId).toStruct()::encode);
    head.limit(24);
    mem.write(cmd, head);
    putU32(cmd, 24);
    ok(sys.ioctl(s.fd, IOMMU_HWPT_ALLOC, cmd));
    assertNotEquals(0, mem.read(cmd + 16, 4).getInt(), "out_hwpt_id");
    assertArrayEquals(pattern, read(cmd + 24, pattern.length), "bytes past size untouched");
  }

  @Test
  void ioasIovaRanges_shortArray_copiesWhatFitsThenEMSGSIZE() {
    Setup s = new Setup();
    sys.attach(s.deviceFd, s.ioasId); // the mock's 48-bit aperture reserves the top
    long ranges = mem.allocate(IommuIovaRange.SIZE * 2L);
    long cmd =
        sys.put(
            IommuIoasIovaRanges.SIZE,
            new IommuIoasIovaRanges(IommuIoasIovaRanges.SIZE, s.ioasId, 0, 0, ranges, 0)::encode);
    assertErrno(Errno.EMSGSIZE, sys.ioctl(s.fd, IOMMU_IOAS_IOVA_RANGES, cmd));
    IommuIoasIovaRanges reply = sys.get(cmd, IommuIoasIovaRanges.SIZE, IommuIoasIovaRanges::decode);
    assertEquals(1, reply.numIovas());
    assertEquals(PAGE, reply.outIovaAlignment());

    long cmd2 =
        sys.put(
            IommuIoasIovaRanges.SIZE,
            new IommuIoasIovaRanges(IommuIoasIovaRanges.SIZE, s.ioasId, 2, 0, ranges, 0)::encode);
    ok(sys.ioctl(s.fd, IOMMU_IOAS_IOVA_RANGES, cmd2));
    assertEquals(
        1, sys.get(cmd2, IommuIoasIovaRanges.SIZE, IommuIoasIovaRanges::decode).numIovas());
    assertEquals(
        new IovaRange(0, (1L << 48) - 1),
        IovaRange.fromStruct(sys.get(ranges, IommuIovaRange.SIZE, IommuIovaRange::decode)));

    long bad =
        sys.put(
            IommuIoasIovaRanges.SIZE,
            new IommuIoasIovaRanges(IommuIoasIovaRanges.SIZE, s.ioasId, 1, 0, UNMAPPED, 0)::encode);
    assertErrno(Errno.EFAULT, sys.ioctl(s.fd, IOMMU_IOAS_IOVA_RANGES, bad));
    assertEquals(1, sys.get(bad, IommuIoasIovaRanges.SIZE, IommuIoasIovaRanges::decode).numIovas());
  }

  @Test
  void ioasAllowIovas_checksEachRangeBeforeReadingTheNext() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    int ioas = sys.ioasAlloc(fd);
    long one = mem.allocate(IommuIovaRange.SIZE, 8, 0); // room for one range; the second faults
    long cmd =
        sys.put(
            IommuIoasAllowIovas.SIZE,
            new IommuIoasAllowIovas(IommuIoasAllowIovas.SIZE, ioas, 2, 0, one)::encode);
    mem.write(one, Syscalls.encode(16, new IommuIovaRange(PAGE, PAGE)::encode)); // start >= last
    assertErrno(Errno.EINVAL, sys.ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, cmd));
    mem.write(one, Syscalls.encode(16, new IommuIovaRange(PAGE, 2 * PAGE - 1)::encode));
    assertErrno(Errno.EFAULT, sys.ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, cmd));
    long two = mem.allocate(2L * IommuIovaRange.SIZE, 8, 0);
    mem.write(two, Syscalls.encode(16, new IommuIovaRange(PAGE, 2 * PAGE - 1)::encode));
    mem.write(two + 16, Syscalls.encode(16, new IommuIovaRange(4 * PAGE, 8 * PAGE - 1)::encode));
    ok(
        sys.ioctl(
            fd,
            IOMMU_IOAS_ALLOW_IOVAS,
            sys.put(
                IommuIoasAllowIovas.SIZE,
                new IommuIoasAllowIovas(IommuIoasAllowIovas.SIZE, ioas, 2, 0, two)::encode)));
  }

  @Test
  void ioasMapCopyUnmap_replyWithIovaAndLength() {
    Setup s = new Setup();
    long base = kernel.guestMemory(0).base();
    long map =
        sys.put(
            IommuIoasMap.SIZE,
            new IommuIoasMap(
                    IommuIoasMap.SIZE,
                    Iommufd.IOMMU_IOAS_MAP_READABLE | Iommufd.IOMMU_IOAS_MAP_WRITEABLE,
                    s.ioasId,
                    0,
                    base,
                    PAGE,
                    0)
                ::encode);
    ok(sys.ioctl(s.fd, IOMMU_IOAS_MAP, map));
    long iova = sys.get(map, IommuIoasMap.SIZE, IommuIoasMap::decode).iova();
    assertNotEquals(0, iova);
    int dst = sys.ioasAlloc(s.fd);
    long copy =
        sys.put(
            IommuIoasCopy.SIZE,
            new IommuIoasCopy(
                    IommuIoasCopy.SIZE,
                    Iommufd.IOMMU_IOAS_MAP_READABLE,
                    dst,
                    s.ioasId,
                    PAGE,
                    0,
                    iova)
                ::encode);
    ok(sys.ioctl(s.fd, IOMMU_IOAS_COPY, copy));
    assertNotEquals(0, sys.get(copy, IommuIoasCopy.SIZE, IommuIoasCopy::decode).dstIova());
    long unmap =
        sys.put(
            IommuIoasUnmap.SIZE, new IommuIoasUnmap(IommuIoasUnmap.SIZE, s.ioasId, 0, -1)::encode);
    ok(sys.ioctl(s.fd, IOMMU_IOAS_UNMAP, unmap));
    assertEquals(
        GUEST + PAGE, sys.get(unmap, IommuIoasUnmap.SIZE, IommuIoasUnmap::decode).length());
  }

  @Test
  void getHwInfo_zeroFillsTheDataBufferAndReportsNoData() {
    Setup s = new Setup();
    byte[] ones = new byte[16];
    Arrays.fill(ones, (byte) 0xff);
    long data = bytes(ones);
    long cmd =
        sys.put(
            IommuHwInfo.SIZE,
            new IommuHwInfo(IommuHwInfo.SIZE, 0, s.devId, 16, data, 7, 0, 0, 0)::encode);
    ok(sys.ioctl(s.fd, IOMMU_GET_HW_INFO, cmd));
    assertArrayEquals(new byte[16], read(data, 16));
    IommuHwInfo reply = sys.get(cmd, IommuHwInfo.SIZE, IommuHwInfo::decode);
    assertEquals(0, reply.dataLen());
    assertEquals(0, reply.dataType());
    assertEquals(IOMMU_HW_CAP_DIRTY_TRACKING, reply.outCapabilities());

    long bad =
        sys.put(
            IommuHwInfo.SIZE,
            new IommuHwInfo(IommuHwInfo.SIZE, 0, s.devId, 16, UNMAPPED, 0, 0, 0, 0)::encode);
    assertErrno(Errno.EFAULT, sys.ioctl(s.fd, IOMMU_GET_HW_INFO, bad));
    long wrongDevice =
        sys.put(
            IommuHwInfo.SIZE,
            new IommuHwInfo(IommuHwInfo.SIZE, 0, 99, 16, UNMAPPED, 0, 0, 0, 0)::encode);
    assertErrno(Errno.ENOENT, sys.ioctl(s.fd, IOMMU_GET_HW_INFO, wrongDevice));
  }

  /**
   * docs/fidelity.md, "Silent successes of GET_DIRTY_BITMAP": an unpinnable bitmap is a success
   * that harvests nothing.
   */
  @Test
  void getDirtyBitmap_unpinnableBitmap_succeedsAndClearsNothing() {
    Setup s = new Setup();
    int hwpt = s.trackingHwpt();
    assertEquals(new DmaResult(PAGE, 0), kernel.dmaWrite(0, IOVA + 3 * PAGE, PAGE));
    ok(sys.getDirtyBitmap(s.fd, hwpt, IOVA, GUEST, PAGE, UNMAPPED, 0));
    // The checks still come first.
    assertErrno(Errno.ENOENT, sys.getDirtyBitmap(s.fd, 99, IOVA, GUEST, PAGE, UNMAPPED, 0));
    assertErrno(Errno.EINVAL, sys.getDirtyBitmap(s.fd, hwpt, IOVA, GUEST, 0, UNMAPPED, 0));
    assertErrno(Errno.EOPNOTSUPP, sys.getDirtyBitmap(s.fd, hwpt, IOVA, GUEST, PAGE, UNMAPPED, 2));
    long tooShort = mem.allocate(1, 1, 0); // the bitmap needs 512 bytes
    ok(sys.getDirtyBitmap(s.fd, hwpt, IOVA, GUEST, PAGE, tooShort, 0));
    assertArrayEquals(new byte[1], read(tooShort, 1));

    long bitmap = mem.allocate(GUEST / PAGE / 8);
    ok(sys.getDirtyBitmap(s.fd, hwpt, IOVA, GUEST, PAGE, bitmap, 0));
    assertEquals(1 << 3, read(bitmap, 1)[0], "the dirty bit survived the failed harvests");
  }

  @Test
  void getDirtyBitmap_orsIntoTheUserBitmapAtAnyAlignment() {
    Setup s = new Setup();
    int hwpt = s.trackingHwpt();
    long bitmap = mem.allocate(600, 4096, 3);
    mem.write(bitmap, ByteBuffer.wrap(new byte[] {(byte) 0x20}));
    kernel.dmaWrite(0, IOVA, PAGE);
    kernel.dmaWrite(0, IOVA + 9 * PAGE, PAGE);
    ok(sys.getDirtyBitmap(s.fd, hwpt, IOVA, GUEST, PAGE, bitmap, 0));
    assertArrayEquals(new byte[] {0x21, 0x02, 0}, read(bitmap, 3));
  }

  // --- /dev/vfio/devices/vfioN
  // --------------------------------------------------------------------

  @Test
  void device_beforeBind_everyIoctlReadAndWriteIsEINVAL() {
    int dev = sys.open(FakeKernel.devicePath(0));
    long arg = sys.featureArg(VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION, 8, b -> {});
    for (int request :
        new int[] {
          VFIO_DEVICE_FEATURE,
          VFIO_DEVICE_ATTACH_IOMMUFD_PT,
          VFIO_DEVICE_DETACH_IOMMUFD_PT,
          VFIO_DEVICE_RESET,
          VFIO_MIG_GET_PRECOPY_INFO,
          0x3B99
        }) {
      assertErrno(Errno.EINVAL, sys.ioctl(dev, request, arg));
    }
    assertErrno(Errno.EINVAL, kernel.read(dev, arg, 8));
    assertErrno(Errno.EINVAL, kernel.write(dev, arg, 8));
  }

  @Test
  void bind_errnos() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    int dev = sys.open(FakeKernel.devicePath(0));
    assertErrno(Errno.EFAULT, sys.ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, UNMAPPED));
    assertErrno(Errno.EINVAL, bind(dev, new VfioDeviceBindIommufd(15, 0, fd, 0, 0)));
    assertErrno(Errno.EINVAL, bind(dev, new VfioDeviceBindIommufd(24, 2, fd, 0, 0)));
    assertErrno(Errno.EINVAL, bind(dev, new VfioDeviceBindIommufd(24, 0, -1, 0, 0)));
    assertErrno(
        Errno.EINVAL,
        bind(dev, new VfioDeviceBindIommufd(24, VFIO_DEVICE_BIND_FLAG_TOKEN, fd, 0, 0)));
    assertErrno(Errno.EBADF, bind(dev, new VfioDeviceBindIommufd(24, 0, 77, 0, 0)));
    assertErrno(Errno.EBADFD, bind(dev, new VfioDeviceBindIommufd(24, 0, dev, 0, 0)));
    long longer = mem.allocate(32, 8, 0);
    mem.write(longer, Syscalls.encode(24, new VfioDeviceBindIommufd(32, 0, fd, 0, 0)::encode));
    putU32(longer + 28, 1);
    assertErrno(Errno.E2BIG, sys.ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, longer));
    putU32(longer + 28, 0);
    ok(sys.ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, longer));
    assertNotEquals(0, mem.read(longer + 12, 4).getInt(), "out_devid");
  }

  @Test
  void bind_preTokenSixteenByteStruct_works() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    int dev = sys.open(FakeKernel.devicePath(0));
    long arg = mem.allocate(16, 8, 0);
    ByteBuffer head = Syscalls.encode(24, new VfioDeviceBindIommufd(16, 0, fd, 0, 0)::encode);
    mem.write(arg, head.limit(16));
    ok(sys.ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, arg));
    assertNotEquals(0, mem.read(arg + 12, 4).getInt());
  }

  @Test
  void bind_onlyOneFileMayBindADevice() {
    int fd = sys.open(FakeKernel.IOMMU_PATH);
    int first = sys.open(FakeKernel.devicePath(0));
    int second = sys.open(FakeKernel.devicePath(0));
    sys.bind(first, fd);
    assertErrno(Errno.EINVAL, sys.bind(first, fd, new int[1]));
    assertErrno(Errno.EINVAL, sys.bind(second, fd, new int[1]));
    assertErrno(Errno.EINVAL, sys.ioctl(second, VFIO_DEVICE_RESET, 0));
    ok(kernel.close(first));
    sys.bind(second, fd);
    ok(sys.ioctl(second, VFIO_DEVICE_RESET, 0));
  }

  private int bind(int dev, VfioDeviceBindIommufd b) {
    return sys.ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, sys.put(24, b::encode));
  }

  @Test
  void attachAndDetach_errnosAndReply() {
    Setup s = new Setup();
    assertErrno(Errno.EFAULT, sys.ioctl(s.deviceFd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, UNMAPPED));
    assertErrno(Errno.EINVAL, attach(s, new VfioDeviceAttachIommufdPt(11, 0, s.ioasId, 0)));
    assertErrno(Errno.EINVAL, attach(s, new VfioDeviceAttachIommufdPt(16, 2, s.ioasId, 0)));
    assertErrno(
        Errno.EOPNOTSUPP,
        attach(s, new VfioDeviceAttachIommufdPt(16, VFIO_DEVICE_ATTACH_PASID, s.ioasId, 1)));
    assertErrno(Errno.ENOENT, attach(s, new VfioDeviceAttachIommufdPt(16, 0, 99, 0)));
    assertEquals(new DmaResult(0, 1), kernel.dmaWrite(0, IOVA, PAGE), "unattached: faults");
    assertEquals(1, kernel.ioPageFaults(0).size());

    int hwpt = sys.attach(s.deviceFd, s.ioasId); // 12-byte argsz is enough
    assertNotEquals(s.ioasId, hwpt, "the reply is the auto domain's HWPT");
    assertEquals(new DmaResult(PAGE, 0), kernel.dmaWrite(0, IOVA, PAGE));

    assertErrno(Errno.EINVAL, detach(s, new VfioDeviceDetachIommufdPt(7, 0, 0)));
    assertErrno(Errno.EINVAL, detach(s, new VfioDeviceDetachIommufdPt(12, 2, 0)));
    assertErrno(
        Errno.EOPNOTSUPP,
        detach(s, new VfioDeviceDetachIommufdPt(12, VFIO_DEVICE_DETACH_PASID, 1)));
    ok(detach(s, new VfioDeviceDetachIommufdPt(8, 0, 0)));
    assertEquals(new DmaResult(0, 1), kernel.dmaWrite(0, IOVA, PAGE), "detached: faults");
  }

  private int attach(Setup s, VfioDeviceAttachIommufdPt a) {
    return sys.ioctl(s.deviceFd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, sys.put(16, a::encode));
  }

  private int detach(Setup s, VfioDeviceDetachIommufdPt d) {
    return sys.ioctl(s.deviceFd, VFIO_DEVICE_DETACH_IOMMUFD_PT, sys.put(12, d::encode));
  }

  @Test
  void feature_headerErrnos() {
    Setup s = new Setup();
    assertErrno(Errno.EFAULT, sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, UNMAPPED));
    long arg = sys.put(8, new VfioDeviceFeature(7, VFIO_DEVICE_FEATURE_PROBE | 1)::encode);
    assertErrno(Errno.EINVAL, sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, arg));
  }

  /** The header alone is allocated; argsz claims a payload behind it. */
  private long headerOnly(int argsz, int flags) {
    return sys.put(VfioDeviceFeature.SIZE, new VfioDeviceFeature(argsz, flags)::encode);
  }

  @Test
  void feature_unreadablePayload_checksComeBeforeTheCopy() {
    Setup s = new Setup();
    int get = VFIO_DEVICE_FEATURE_GET;
    int set = VFIO_DEVICE_FEATURE_SET;
    int migration = VFIO_DEVICE_FEATURE_MIGRATION;
    assertEquals(
        0,
        sys.ioctl(
            s.deviceFd,
            VFIO_DEVICE_FEATURE,
            headerOnly(16, VFIO_DEVICE_FEATURE_PROBE | get | migration)),
        "PROBE copies nothing");
    assertErrno(
        Errno.EINVAL, sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, headerOnly(16, set | migration)));
    assertErrno(
        Errno.EINVAL,
        sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, headerOnly(16, 1 << 20 | get | migration)));
    assertErrno(
        Errno.EINVAL, sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, headerOnly(15, get | migration)));
    assertErrno(
        Errno.EFAULT, sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, headerOnly(16, get | migration)));
    assertErrno(
        Errno.ENOTTY, sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, headerOnly(16, get | 100)));

    int other = sys.open(FakeKernel.devicePath(1));
    sys.bind(other, s.fd);
    assertErrno(
        Errno.ENOTTY, sys.ioctl(other, VFIO_DEVICE_FEATURE, headerOnly(16, get | migration)));
    assertErrno(
        Errno.ENOTTY,
        sys.ioctl(
            other,
            VFIO_DEVICE_FEATURE,
            headerOnly(32, set | VFIO_DEVICE_FEATURE_DMA_LOGGING_START)));
  }

  @Test
  void feature_argszBeyondTheStruct_copiesOnlyTheStruct() {
    Setup s = new Setup();
    long arg = mem.allocate(16, 8, 0);
    mem.write(
        arg,
        Syscalls.encode(
            8,
            new VfioDeviceFeature(8 + 4096, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION)
                ::encode));
    ok(sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, arg));
    assertEquals(
        VFIO_MIGRATION_STOP_COPY | Vfio.VFIO_MIGRATION_P2P | Vfio.VFIO_MIGRATION_PRE_COPY,
        sys.payload(arg, 8, VfioDeviceFeatureMigration::decode).flags());
  }

  @Test
  void migDeviceState_failedSet_echoesTheRequestWithMinusOne() {
    Setup s = new Setup();
    long arg =
        sys.featureArg(
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            8,
            new VfioDeviceFeatureMigState(99, 1234)::encode);
    assertErrno(Errno.EINVAL, sys.ioctl(s.deviceFd, VFIO_DEVICE_FEATURE, arg));
    assertEquals(
        new VfioDeviceFeatureMigState(99, -1),
        sys.payload(arg, 8, VfioDeviceFeatureMigState::decode));
  }

  private int setState(Setup s, int state) {
    long arg =
        sys.feature(
            s.deviceFd,
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            8,
            new VfioDeviceFeatureMigState(state, 0)::encode);
    return sys.payload(arg, 8, VfioDeviceFeatureMigState::decode).dataFd();
  }

  @Test
  void dataFd_savingStream_errnos() {
    Setup s = new Setup();
    int data = setState(s, VFIO_DEVICE_STATE_PRE_COPY);
    long buf = mem.allocate(64);
    assertErrno(Errno.ENOTTY, sys.ioctl(data, VFIO_DEVICE_FEATURE, buf));
    assertErrno(Errno.EBADF, kernel.write(data, buf, 8));
    assertErrno(Errno.EFAULT, kernel.read(data, UNMAPPED, 8));
    assertErrno(Errno.EFAULT, sys.ioctl(data, VFIO_MIG_GET_PRECOPY_INFO, UNMAPPED));
    long info = sys.put(24, new VfioPrecopyInfo(23, 0, 0, 0)::encode);
    assertErrno(Errno.EINVAL, sys.ioctl(data, VFIO_MIG_GET_PRECOPY_INFO, info));
    long good = sys.put(24, new VfioPrecopyInfo(24, 0, 0, 0)::encode);
    ok(sys.ioctl(data, VFIO_MIG_GET_PRECOPY_INFO, good));
    assertTrue(sys.get(good, 24, VfioPrecopyInfo::decode).initialBytes() > 0);
    assertEquals(0, kernel.read(data, UNMAPPED, 0), "a zero-length read touches no memory");
    assertEquals(64, kernel.read(data, buf, 64));
  }

  @Test
  void dataFd_resumingStream_hasNoIoctlAndCannotBeRead() {
    Setup s = new Setup();
    setState(s, VFIO_DEVICE_STATE_STOP);
    int data = setState(s, VFIO_DEVICE_STATE_RESUMING);
    long buf = mem.allocate(24);
    assertErrno(Errno.ENOTTY, sys.ioctl(data, VFIO_MIG_GET_PRECOPY_INFO, buf));
    assertErrno(Errno.EBADF, kernel.read(data, buf, 8));
    assertErrno(Errno.EFAULT, kernel.write(data, UNMAPPED, 8));
    assertEquals(8, kernel.write(data, buf, 8));
  }

  @Test
  void closeDeviceFd_resetsTheDeviceEndsItsSessionStopsLoggingAndUnbinds() {
    Setup s = new Setup();
    sys.attach(s.deviceFd, s.ioasId);
    List<DmaLoggingRange> ranges = List.of(new DmaLoggingRange(IOVA, GUEST));
    long rangesAddr = sys.put(16, ranges.get(0).toStruct()::encode);
    sys.feature(
        s.deviceFd,
        VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
        24,
        new DmaLoggingControl(PAGE, ranges).toStruct(rangesAddr)::encode);
    int data = setState(s, VFIO_DEVICE_STATE_PRE_COPY);
    assertTrue(kernel.device(0).dmaTracker().orElseThrow().isLogging());

    ok(kernel.close(s.deviceFd));
    assertEquals(MigrationState.RUNNING, kernel.device(0).state());
    assertFalse(kernel.device(0).dmaTracker().orElseThrow().isLogging());
    assertErrno(Errno.ENODEV, kernel.read(data, mem.allocate(8), 8));
    assertEquals(new DmaResult(0, 1), kernel.dmaWrite(0, IOVA, PAGE), "unbound: blocked");
    assertTrue(kernel.ioPageFaults(0).isEmpty());

    int again = sys.open(FakeKernel.devicePath(0));
    sys.bind(again, s.fd);
    ok(kernel.close(data));
  }

  @Test
  void closeIommufd_withABoundDevice_keepsTheContextAlive() {
    Setup s = new Setup();
    sys.attach(s.deviceFd, s.ioasId);
    int other = sys.open(FakeKernel.devicePath(1));
    ok(kernel.close(s.fd));
    assertEquals(new DmaResult(PAGE, 0), kernel.dmaWrite(0, IOVA, PAGE));
    assertErrno(Errno.EBADF, sys.bind(other, s.fd, new int[1]));
    assertEquals(s.fd, sys.open(FakeKernel.IOMMU_PATH), "the number is free again");
  }

  @Test
  void resetIoctl_returnsTheDeviceToRunning() {
    Setup s = new Setup();
    setState(s, VFIO_DEVICE_STATE_STOP);
    assertEquals(MigrationState.STOP, kernel.device(0).state());
    ok(sys.ioctl(s.deviceFd, VFIO_DEVICE_RESET, 0));
    assertEquals(MigrationState.RUNNING, kernel.device(0).state());
    assertErrno(Errno.ENOTTY, sys.ioctl(s.deviceFd, 0x3B99, 0));
    assertErrno(Errno.EINVAL, kernel.pread(s.deviceFd, mem.allocate(8), 8, 10L << 40));
  }

  @Test
  void dmaHooks_onAnUnboundDevice_faultEveryPage() {
    assertEquals(new DmaResult(0, 2), kernel.dmaWrite(0, IOVA + 100, PAGE));
    assertEquals(new DmaResult(0, 1), kernel.dmaRead(1, IOVA, 1));
    assertTrue(kernel.ioPageFaults(0).isEmpty());
  }

  @Test
  void setDirtyTracking_throughTheByteLayer_ignoresReserved() {
    Setup s = new Setup();
    int hwpt = sys.hwptAlloc(s.fd, s.devId, s.ioasId, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    long arg = sys.put(16, new IommuHwptSetDirtyTracking(16, 1, hwpt, 0x55)::encode);
    ok(sys.ioctl(s.fd, IOMMU_HWPT_SET_DIRTY_TRACKING, arg));
    long bad = sys.put(16, new IommuHwptSetDirtyTracking(16, 2, hwpt, 0)::encode);
    assertErrno(Errno.EOPNOTSUPP, sys.ioctl(s.fd, IOMMU_HWPT_SET_DIRTY_TRACKING, bad));
    assertErrno(
        Errno.ENOENT,
        sys.ioctl(
            s.fd,
            IOMMU_HWPT_GET_DIRTY_BITMAP,
            sys.put(48, new IommuHwptGetDirtyBitmap(48, 99, 0, 0, IOVA, PAGE, PAGE, 0)::encode)));
  }
}
