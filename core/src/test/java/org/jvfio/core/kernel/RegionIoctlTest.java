package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FLAGS_CAPS;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FLAGS_PCI;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_IRQ_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_REGION_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_RESET;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_ATOMIC_COMP64;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_CAP_SPARSE_MMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_CAP_TYPE;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_CAPS;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_MMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_TYPE_PCI_VENDOR_TYPE;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceInfo;
import org.jvfio.api.vfio.VfioDeviceInfoCapPciAtomicComp;
import org.jvfio.api.vfio.VfioInfoCapHeader;
import org.jvfio.api.vfio.VfioIrqInfo;
import org.jvfio.api.vfio.VfioRegionInfo;
import org.jvfio.api.vfio.VfioRegionInfoCapSparseMmap;
import org.jvfio.api.vfio.VfioRegionInfoCapType;
import org.jvfio.api.vfio.VfioRegionSparseMmapArea;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.VfioDeviceDriver;
import org.jvfio.core.vfio.pci.MmapArea;
import org.jvfio.core.vfio.pci.VfioPciDevice;

/**
 * The info ioctls and region I/O of a device fd at the byte level: {@code argsz} and {@code
 * cap_offset} rules of {@code vfio_pci_ioctl_get_info} and {@code vfio_pci_ioctl_get_region_info},
 * and the VFS rules of pread/pwrite.
 */
class RegionIoctlTest {
  private static final int RWM =
      VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP;
  private static final int NV = VFIO_REGION_TYPE_PCI_VENDOR_TYPE | 0x10de;

  private final FakeKernel kernel;
  private final Syscalls sys;
  private final int fd;

  RegionIoctlTest() {
    VfioPciDevice pci =
        VfioPciDevice.builder(0x10de, 0x2330)
            .memBar(0, 0x4000)
            .atomicComp(VFIO_PCI_ATOMIC_COMP64)
            .deviceRegion(NV, 3, 0x2000, RWM, List.of(new MmapArea(0, 0x1000)))
            .noReset()
            .build();
    VfioDeviceDriver driver =
        new DelegatingDriver(VfioDeviceDriver.withoutMigration(java.util.Optional.empty())) {
          @Override
          public VfioPciDevice pciDevice() {
            return pci;
          }
        };
    kernel = FakeKernel.builder().iommu(MockIommuDriver.create()).device(driver).build();
    sys = new Syscalls(kernel);
    fd = sys.open(FakeKernel.devicePath(0));
    sys.bind(fd, sys.open(FakeKernel.IOMMU_PATH));
  }

  private long info(int argsz, int allocate) {
    long arg = sys.mem.allocate(allocate, 8, 0);
    sys.mem.writeInt(arg, argsz);
    sys.mem.writeInt(arg + 16, 0x5a5a5a5a); // cap_offset junk
    return arg;
  }

  @Test
  void getInfo_argszRules() {
    assertErrno(Errno.EINVAL, sys.ioctl(fd, VFIO_DEVICE_GET_INFO, info(15, 64)));
    long a16 = info(16, 64);
    ok(sys.ioctl(fd, VFIO_DEVICE_GET_INFO, a16));
    assertEquals(0x5a5a5a5a, sys.mem.readInt(a16 + 16), "16 bytes: cap_offset not copied back");
    assertEquals(36, sys.mem.readInt(a16), "argsz grows to hold the 16-byte cap");
    long a20 = info(20, 64);
    ok(sys.ioctl(fd, VFIO_DEVICE_GET_INFO, a20));
    VfioDeviceInfo small = sys.get(a20, VfioDeviceInfo.SIZE, VfioDeviceInfo::decode);
    assertEquals(
        new VfioDeviceInfo(36, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CAPS, 10, 5, 0), small);
    long a36 = info(36, 36);
    ok(sys.ioctl(fd, VFIO_DEVICE_GET_INFO, a36));
    assertEquals(
        new VfioDeviceInfo(36, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_CAPS, 10, 5, 20),
        sys.get(a36, VfioDeviceInfo.SIZE, VfioDeviceInfo::decode));
    assertEquals(
        new VfioDeviceInfoCapPciAtomicComp(
            new VfioInfoCapHeader(VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP, 1, 0),
            VFIO_PCI_ATOMIC_COMP64,
            0),
        sys.get(a36 + 20, 16, VfioDeviceInfoCapPciAtomicComp::decode));
    long a35 = info(36, 35); // argsz says 36, the buffer holds 35: the cap copy faults first
    sys.mem.writeInt(a35 + 4, 0x77);
    assertErrno(Errno.EFAULT, sys.ioctl(fd, VFIO_DEVICE_GET_INFO, a35));
    assertEquals(0x77, sys.mem.readInt(a35 + 4), "nothing written");
    assertErrno(Errno.EFAULT, sys.ioctl(fd, VFIO_DEVICE_GET_INFO, 0x10));
  }

  private long regionArg(int argsz, int index, int capOffset, int allocate) {
    long arg = sys.mem.allocate(allocate, 8, 0);
    sys.mem.write(
        arg,
        Syscalls.encode(
            VfioRegionInfo.SIZE, new VfioRegionInfo(argsz, 0, index, capOffset, 0, 0)::encode));
    return arg;
  }

  @Test
  void getRegionInfo_argszAndCapOffsetRules() {
    assertErrno(Errno.EINVAL, sys.ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, regionArg(31, 0, 0, 32)));
    assertErrno(Errno.EINVAL, sys.ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, regionArg(32, 8, 0, 32)));
    assertErrno(Errno.EINVAL, sys.ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, regionArg(32, 10, 0, 32)));
    long bar1 = regionArg(32, 1, 0x1234, 32);
    ok(sys.ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, bar1));
    assertEquals(
        new VfioRegionInfo(32, 0, 1, 0x1234, 0, 1L << 40),
        sys.get(bar1, VfioRegionInfo.SIZE, VfioRegionInfo::decode),
        "no caps: cap_offset echoed");
    long small = regionArg(40, 9, 0x1234, 40);
    ok(sys.ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, small));
    int chain = 16 + 16 + 16; // type cap, sparse cap header, one area
    assertEquals(
        new VfioRegionInfo(32 + chain, RWM | VFIO_REGION_INFO_FLAG_CAPS, 9, 0, 0x2000, 9L << 40),
        sys.get(small, VfioRegionInfo.SIZE, VfioRegionInfo::decode));
    assertArrayEquals(new byte[8], sys.mem.read(small + 32, 8).array(), "no cap copied");
    long full = regionArg(32 + chain, 9, 0x1234, 32 + chain);
    ok(sys.ioctl(fd, VFIO_DEVICE_GET_REGION_INFO, full));
    assertEquals(
        new VfioRegionInfo(32 + chain, RWM | VFIO_REGION_INFO_FLAG_CAPS, 9, 32, 0x2000, 9L << 40),
        sys.get(full, VfioRegionInfo.SIZE, VfioRegionInfo::decode));
    ByteBuffer caps = sys.mem.read(full + 32, chain);
    assertEquals(
        new VfioRegionInfoCapType(new VfioInfoCapHeader(VFIO_REGION_INFO_CAP_TYPE, 1, 48), NV, 3),
        VfioRegionInfoCapType.decode(caps));
    assertEquals(
        new VfioRegionInfoCapSparseMmap(
            new VfioInfoCapHeader(VFIO_REGION_INFO_CAP_SPARSE_MMAP, 1, 0), 1, 0),
        VfioRegionInfoCapSparseMmap.decode(caps));
    assertEquals(new VfioRegionSparseMmapArea(0, 0x1000), VfioRegionSparseMmapArea.decode(caps));
  }

  @Test
  void getIrqInfo_argszAndIndex() {
    long arg = sys.put(VfioIrqInfo.SIZE, new VfioIrqInfo(15, 0, 0, 0)::encode);
    assertErrno(Errno.EINVAL, sys.ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, arg));
    arg = sys.put(VfioIrqInfo.SIZE, new VfioIrqInfo(16, 0, 5, 0)::encode);
    assertErrno(Errno.EINVAL, sys.ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, arg));
    arg = sys.put(VfioIrqInfo.SIZE, new VfioIrqInfo(16, 0, 3, 0)::encode);
    ok(sys.ioctl(fd, VFIO_DEVICE_GET_IRQ_INFO, arg));
    assertEquals(1, sys.get(arg, VfioIrqInfo.SIZE, VfioIrqInfo::decode).count());
  }

  @Test
  void readWrite_vfsRules() {
    long buf = sys.mem.allocate(64);
    assertErrno(Errno.EINVAL, kernel.pread(fd, buf, 4, -1));
    assertErrno(Errno.EINVAL, kernel.pread(99, buf, 4, -1)); // before the fd lookup
    assertErrno(Errno.EBADF, kernel.pread(99, buf, 4, 0));
    assertErrno(Errno.EINVAL, kernel.pread(fd, buf, 16, Long.MAX_VALUE - 8)); // end overflows
    sys.mem.writeLong(buf, 0x1122334455667788L);
    assertEquals(8, ok(kernel.pwrite(fd, buf, 8, 0x3ff8)));
    assertEquals(8, ok(kernel.read(fd, buf + 8, 8)), "read at f_pos 0");
    assertEquals(8, ok(kernel.read(fd, buf + 16, 8)), "f_pos moved to 8");
    assertEquals(8, ok(kernel.pread(fd, buf + 24, 64, 0x3ff8)), "short at the BAR end");
    assertEquals(0x1122334455667788L, sys.mem.readLong(buf + 24));
    long ro = sys.mem.allocate(4096);
    sys.mem.protect(ro, 4096, false);
    assertErrno(Errno.EFAULT, kernel.pread(fd, ro, 8, 0)); // read into read-only memory
    assertEquals(8, ok(kernel.pwrite(fd, ro, 8, 0)), "write from read-only memory is fine");
    assertErrno(Errno.EINVAL, sys.ioctl(fd, VFIO_DEVICE_RESET, 0)); // reset_works false
  }
}
