package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_HUGE_PAGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_API_VERSION;
import static org.jvfio.api.vfio.Vfio.VFIO_CHECK_EXTENSION;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_CC_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_VADDR;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_GET_API_VERSION;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_GET_DEVICE_FD;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_GET_STATUS;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_SET_CONTAINER;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_UNSET_CONTAINER;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_GET_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_INFO_CAPS;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_INFO_PGSIZES;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_MAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_UNMAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_SET_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1v2_IOMMU;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuOption;
import org.jvfio.api.vfio.VfioGroupStatus;
import org.jvfio.api.vfio.VfioIommuType1DirtyBitmap;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.api.vfio.VfioIommuType1Info;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * The container, group and compatibility files through {@link FakeKernel}'s syscalls: file rules
 * (one open group file, cdev and group exclusive, close releases), dispatch errnos, GET_INFO's
 * bytes, and what iommufd's VFIO compatibility answers differently.
 */
class LegacyContainerSyscallTest {
  private static final long PAGE = 4096;

  private static FakeKernel kernel(boolean iommufdContainer) {
    return FakeKernel.builder()
        .guestMemory(8L << 20)
        .iommu(MockIommuDriver.create(true, false))
        .device(ReferenceMigrationDriver.create(EnumSet.of(MigrationFlag.STOP_COPY), new byte[8]))
        .emulatedDevice(
            ReferenceMigrationDriver.create(EnumSet.of(MigrationFlag.STOP_COPY), new byte[8]))
        .iommufdVfioContainer(iommufdContainer)
        .build();
  }

  private final FakeKernel kernel = kernel(false);
  private final Syscalls sys = new Syscalls(kernel);

  private long fdArg(int fd) {
    return fdArg(sys, fd);
  }

  private long name(int group) {
    return sys.mem.allocate(
        (kernel.groupDeviceName(group) + "\0").getBytes(StandardCharsets.UTF_8));
  }

  private long mapArg(int flags, long vaddr, long iova, long size) {
    return sys.put(32, new VfioIommuType1DmaMap(32, flags, vaddr, iova, size)::encode);
  }

  @Test
  void groupFile_secondOpenIsEBUSY_andCdevExcludesGroup() {
    int g = sys.open(FakeKernel.groupPath(0));
    assertErrno(Errno.EBUSY, kernel.open(FakeKernel.groupPath(0)));
    assertErrno(Errno.EBUSY, kernel.open(FakeKernel.devicePath(0)));
    ok(kernel.close(g));
    int cdev = sys.open(FakeKernel.devicePath(0));
    assertErrno(Errno.EBUSY, kernel.open(FakeKernel.groupPath(0)));
    ok(kernel.close(cdev));
    ok(kernel.close(sys.open(FakeKernel.groupPath(0))));
    assertErrno(Errno.ENOENT, kernel.open(FakeKernel.groupPath(2)));
  }

  @Test
  void container_dispatch_einvalBeforeSetIommu_enottyAfter() {
    int c = sys.open(FakeKernel.VFIO_CONTAINER_PATH);
    assertEquals(VFIO_API_VERSION, sys.ioctl(c, VFIO_GET_API_VERSION, 0));
    assertEquals(1, sys.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
    assertEquals(0, sys.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
    assertErrno(Errno.EINVAL, sys.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)); // no group
    assertErrno(Errno.EINVAL, sys.ioctl(c, VFIO_IOMMU_MAP_DMA, 0)); // before the copy
    assertErrno(Errno.EINVAL, sys.ioctl(c, 0x3B7F, 0));
    int g = sys.open(FakeKernel.groupPath(0));
    ok(sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(c)));
    assertErrno(Errno.ENODEV, sys.ioctl(c, VFIO_SET_IOMMU, 2));
    ok(sys.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    assertErrno(Errno.ENOTTY, sys.ioctl(c, 0x3B7F, 0));
    assertErrno(Errno.EFAULT, sys.ioctl(c, VFIO_IOMMU_MAP_DMA, 0));
  }

  @Test
  void group_setContainer_errnosInOrder_andStatus() {
    int g = sys.open(FakeKernel.groupPath(0));
    long status = sys.put(8, new VfioGroupStatus(8, -1)::encode);
    ok(sys.ioctl(g, VFIO_GROUP_GET_STATUS, status));
    assertEquals(new VfioGroupStatus(8, 1), sys.get(status, 8, VfioGroupStatus::decode));
    assertErrno(
        Errno.EINVAL,
        sys.ioctl(g, VFIO_GROUP_GET_STATUS, sys.put(8, new VfioGroupStatus(7, 0)::encode)));
    assertErrno(Errno.EFAULT, sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, 0));
    assertErrno(Errno.EBADF, sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(99)));
    int notContainer = sys.open(FakeKernel.groupPath(1));
    assertErrno(Errno.EBADFD, sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(notContainer)));
    assertErrno(Errno.EINVAL, sys.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0));
    assertErrno(Errno.EINVAL, sys.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name(0))); // no container
    int c = sys.open(FakeKernel.VFIO_CONTAINER_PATH);
    ok(sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(c)));
    assertErrno(Errno.EINVAL, sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(notContainer)));
    assertErrno(Errno.EINVAL, sys.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name(0))); // no IOMMU yet
    ok(sys.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    assertErrno(Errno.ENODEV, sys.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name(1)));
    long unterminated = sys.mem.allocate(new byte[] {'x'});
    assertErrno(Errno.EFAULT, sys.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, unterminated));
    int dev = (int) ok(sys.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name(0)));
    assertErrno(Errno.EBUSY, sys.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0));
    assertErrno(Errno.EINVAL, sys.bind(dev, c, new int[1])); // BIND is for cdev fds
    ok(kernel.close(dev));
    ok(sys.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0));
    assertErrno(Errno.EINVAL, sys.ioctl(c, VFIO_IOMMU_MAP_DMA, 0)); // the last group took the IOMMU
    assertErrno(Errno.ENOTTY, sys.ioctl(g, VFIO_GET_API_VERSION, 0));
  }

  @Test
  void closingTheGroup_afterItsDeviceFds_releasesTheContainer() {
    int c = sys.open(FakeKernel.VFIO_CONTAINER_PATH);
    int g = sys.open(FakeKernel.groupPath(0));
    ok(sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(c)));
    ok(sys.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    int rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    long base = kernel.guestMemory(0).base();
    ok(sys.ioctl(c, VFIO_IOMMU_MAP_DMA, mapArg(rw, base, 0, 16 * PAGE)));
    int dev = (int) ok(sys.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name(0)));
    assertEquals(16 * PAGE, kernel.dmaWrite(0, 0, 16 * PAGE).bytes());
    assertEquals(16 * PAGE, kernel.dmaRead(0, 0, 16 * PAGE).bytes());
    assertEquals(1, kernel.dmaWrite(0, 16 * PAGE, PAGE).faults(), "not mapped");
    assertEquals(16 * PAGE, kernel.ioPageFaults(0).get(0).iova());
    ok(kernel.close(g)); // the device fd still holds the group
    assertErrno(Errno.EBUSY, kernel.open(FakeKernel.groupPath(0)));
    assertEquals(16 * PAGE, kernel.dmaWrite(0, 0, PAGE).bytes() * 16);
    ok(kernel.close(dev));
    assertEquals(1, kernel.dmaWrite(0, 0, PAGE).faults(), "closed: no DMA");
    assertErrno(Errno.EINVAL, sys.ioctl(c, VFIO_IOMMU_MAP_DMA, 0)); // the container is unset again
    ok(kernel.close(sys.open(FakeKernel.groupPath(0))));
  }

  @Test
  void twoDeviceFds_theDeviceClosesWithTheLast() {
    int c = sys.open(FakeKernel.VFIO_CONTAINER_PATH);
    int g = sys.open(FakeKernel.groupPath(0));
    ok(sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(c)));
    ok(sys.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    int rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    ok(sys.ioctl(c, VFIO_IOMMU_MAP_DMA, mapArg(rw, kernel.guestMemory(0).base(), 0, PAGE)));
    int first = (int) ok(sys.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name(0)));
    int second = (int) ok(sys.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, name(0)));
    ok(kernel.close(first));
    assertEquals(PAGE, kernel.dmaWrite(0, 0, PAGE).bytes(), "still open through the second");
    assertErrno(Errno.EBUSY, sys.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0));
    ok(kernel.close(second));
    assertEquals(1, kernel.dmaWrite(0, 0, PAGE).faults());
    ok(sys.ioctl(g, VFIO_GROUP_UNSET_CONTAINER, 0));
  }

  /** GET_INFO: type1's chain MIGRATION @24, DMA_AVAIL @56, IOVA_RANGE @72; too small: argsz. */
  @Test
  void getInfo_type1Chain_bytes() {
    int c = sys.open(FakeKernel.VFIO_CONTAINER_PATH);
    int g = sys.open(FakeKernel.groupPath(0));
    ok(sys.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(c)));
    ok(sys.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    assertErrno(
        Errno.EINVAL,
        sys.ioctl(
            c, VFIO_IOMMU_GET_INFO, sys.put(24, new VfioIommuType1Info(15, 0, 0, 0)::encode)));
    long small = sys.put(24, new VfioIommuType1Info(24, 0, 0, 0)::encode);
    ok(sys.ioctl(c, VFIO_IOMMU_GET_INFO, small));
    VfioIommuType1Info s = sys.get(small, 24, VfioIommuType1Info::decode);
    assertEquals(24 + 32 + 16 + 32, s.argsz());
    assertEquals(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, s.flags());
    assertEquals(0, s.capOffset());
    long arg = sys.mem.allocate(104);
    sys.mem.write(arg, Syscalls.encode(24, new VfioIommuType1Info(104, 0, 0, 0)::encode));
    ok(sys.ioctl(c, VFIO_IOMMU_GET_INFO, arg));
    ByteBuffer b = sys.mem.read(arg, 104).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(104, b.getInt(0), "argsz kept");
    assertEquals(24, b.getInt(16), "cap_offset");
    assertEquals(2 | 1 << 16, b.getInt(24), "MIGRATION v1");
    assertEquals(56, b.getInt(28));
    assertEquals(0, b.getInt(36), "the hole after flags");
    assertEquals(PAGE, b.getLong(40), "only the smallest page");
    assertEquals(0x1000_0000L, b.getLong(48));
    assertEquals(3 | 1 << 16, b.getInt(56), "DMA_AVAIL v1");
    assertEquals(72, b.getInt(60));
    assertEquals(65535, b.getInt(64));
    assertEquals(0, b.getInt(68), "padding to 8 bytes");
    assertEquals(1 | 1 << 16, b.getInt(72), "IOVA_RANGE v1");
    assertEquals(0, b.getInt(76), "last");
    assertEquals(1, b.getInt(80), "nr_iovas");
    assertEquals(0, b.getLong(88));
  }

  @Test
  void iommufdCompat_differsFromType1() {
    FakeKernel k = kernel(true);
    Syscalls s = new Syscalls(k);
    int c = s.open(FakeKernel.VFIO_CONTAINER_PATH); // an iommufd
    assertEquals(VFIO_API_VERSION, s.ioctl(c, VFIO_GET_API_VERSION, 0));
    assertErrno(Errno.ENODEV, s.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
    assertErrno(Errno.EINVAL, s.ioctl(c, VFIO_SET_IOMMU, 2)); // type1: ENODEV
    assertErrno(Errno.ENODEV, s.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)); // type1: EINVAL
    int g = s.open(FakeKernel.groupPath(0));
    long fd = s.mem.allocate(4);
    UserCopy.writeU32(s.mem, fd, c);
    ok(s.ioctl(g, VFIO_GROUP_SET_CONTAINER, fd));
    long base = k.guestMemory(0).base();
    int rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    long map = s.put(32, new VfioIommuType1DmaMap(32, rw, base, 0, 16 * PAGE)::encode);
    ok(s.ioctl(c, VFIO_IOMMU_MAP_DMA, map)); // no SET_IOMMU needed
    ok(s.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    ok(s.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU)); // repeatable
    long vaddr =
        s.put(32, new VfioIommuType1DmaMap(32, VFIO_DMA_MAP_FLAG_VADDR, base, 0, PAGE)::encode);
    assertErrno(Errno.EINVAL, s.ioctl(c, VFIO_IOMMU_MAP_DMA, vaddr));
    assertErrno(
        Errno.ENOTTY,
        s.ioctl(c, VFIO_IOMMU_DIRTY_PAGES, s.put(8, new VfioIommuType1DirtyBitmap(8, 1)::encode)));
    long dirty =
        s.put(
            24,
            new VfioIommuType1DmaUnmap(48, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, 0, 16 * PAGE)
                ::encode);
    assertErrno(Errno.EINVAL, s.ioctl(c, VFIO_IOMMU_UNMAP_DMA, dirty));
    assertEquals(
        16 * PAGE,
        s.get(dirty, 24, VfioIommuType1DmaUnmap::decode).size(),
        "a refused flag returns before the unmap: nothing copied back");
    // TYPE1 (huge pages off) cuts the mapping at the range's end, so a range inside it unmaps
    long cut = s.put(24, new VfioIommuType1DmaUnmap(24, 0, 0, PAGE)::encode);
    ok(s.ioctl(c, VFIO_IOMMU_UNMAP_DMA, cut));
    assertEquals(PAGE, s.get(cut, 24, VfioIommuType1DmaUnmap::decode).size());
    assertErrno(Errno.ENOENT, s.ioctl(c, VFIO_IOMMU_UNMAP_DMA, cut)); // nothing mapped there now
    assertEquals(0, s.get(cut, 24, VfioIommuType1DmaUnmap::decode).size(), "0 copied back");
    long info = s.mem.allocate(256);
    s.mem.write(info, Syscalls.encode(24, new VfioIommuType1Info(256, 0, 0, 0)::encode));
    ok(s.ioctl(c, VFIO_IOMMU_GET_INFO, info));
    ByteBuffer b = s.mem.read(info, 80).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(24 + 16 + 16 + 16, b.getInt(0), "argsz overwritten with the total");
    assertEquals(24, b.getInt(16));
    assertEquals(3 | 1 << 16, b.getInt(24), "DMA_AVAIL first: no MIGRATION");
    assertEquals(-1, b.getInt(32), "U32_MAX available");
    assertEquals(1 | 1 << 16, b.getInt(40), "IOVA_RANGE");
    long all = s.put(24, new VfioIommuType1DmaUnmap(24, 0, 0, 16 * PAGE)::encode);
    ok(s.ioctl(c, VFIO_IOMMU_UNMAP_DMA, all));
    assertEquals(15 * PAGE, s.get(all, 24, VfioIommuType1DmaUnmap::decode).size());

    // The same ioctls on /dev/iommu.
    int iommu = s.open(FakeKernel.IOMMU_PATH);
    assertEquals(VFIO_API_VERSION, s.ioctl(iommu, VFIO_GET_API_VERSION, 0));
    assertErrno(Errno.ENODEV, s.ioctl(iommu, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
  }

  /**
   * {@code iommufd_vfio_set_iommu} turns the compatibility IOAS's huge pages off for TYPE1 ({@code
   * iopt_disable_large_pages}) and leaves them on for TYPE1v2; {@code IOMMU_OPTION} reads it.
   */
  @Test
  void iommufdCompat_setIommuType1_turnsHugePagesOff() {
    FakeKernel k = kernel(true);
    Syscalls s = new Syscalls(k);
    int c = s.open(FakeKernel.VFIO_CONTAINER_PATH);
    int g = s.open(FakeKernel.groupPath(0));
    ok(s.ioctl(g, VFIO_GROUP_SET_CONTAINER, fdArg(s, c)));
    int ioas = 1; // the compatibility IOAS: the context's first object
    ok(s.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    assertEquals(1, hugePages(s, c, ioas));
    ok(s.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
    assertEquals(0, hugePages(s, c, ioas));
    ok(s.ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    assertEquals(0, hugePages(s, c, ioas), "TYPE1v2 does not turn them back on");
  }

  private static long fdArg(Syscalls s, int fd) {
    long a = s.mem.allocate(4);
    UserCopy.writeU32(s.mem, a, fd);
    return a;
  }

  private static long hugePages(Syscalls s, int iommufd, int ioas) {
    long arg =
        s.put(
            IommuOption.SIZE,
            new IommuOption(
                    IommuOption.SIZE, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, ioas, 7)
                ::encode);
    ok(s.ioctl(iommufd, IOMMU_OPTION, arg));
    return s.mem.readLong(arg + 16);
  }
}
