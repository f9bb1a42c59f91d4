package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VDEVICE_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_ATTACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_BIND_IOMMUFD;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptInvalidate;
import org.jvfio.api.iommufd.IommuIoasAlloc;
import org.jvfio.api.iommufd.IommuVdeviceAlloc;
import org.jvfio.api.iommufd.IommuViommuAlloc;
import org.jvfio.api.vfio.VfioDeviceAttachIommufdPt;
import org.jvfio.api.vfio.VfioDeviceBindIommufd;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.kernel.UserMemory;
import org.jvfio.core.nesting.GuestIoPageTable;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * SMMUv3 nesting through {@link FakeKernel} system calls, as a VMM drives it: a nest-parent HWPT,
 * {@code IOMMU_VIOMMU_ALLOC}, {@code IOMMU_VDEVICE_ALLOC}, a nested {@code IOMMU_HWPT_ALLOC} whose
 * vSTE is read from {@code data_uptr}, attach, DMA through both stages, and {@code
 * IOMMU_HWPT_INVALIDATE} with {@code entry_num} written back, also on failure.
 */
class SmmuV3NestingSyscallTest {
  static final long RAM = 8L << 20;
  static final long VSID = 7;

  final FakeKernel kernel =
      FakeKernel.builder()
          .guestMemory(RAM)
          .iommu(new SmmuV3Driver())
          .device(
              ReferenceMigrationDriver.create(EnumSet.of(MigrationFlag.STOP_COPY), new byte[64]))
          .build();
  final UserMemory mem = kernel.userMemory();
  final long hva = kernel.guestMemory(0).base();
  long nextTable = 0x10_0000L;

  long put(int size, Consumer<ByteBuffer> encoder) {
    ByteBuffer b = ByteBuffer.allocate(size);
    encoder.accept(b);
    long addr = mem.allocate(size, 8, 0);
    mem.write(addr, b.flip());
    return addr;
  }

  <T> T get(long addr, int size, Function<ByteBuffer, T> decoder) {
    return decoder.apply(mem.read(addr, size));
  }

  static int ok(int rc) {
    assertTrue(rc >= 0, () -> "failed with " + Errno.of(-rc));
    return rc;
  }

  long page() {
    long p = nextTable;
    nextTable += 4096;
    return p;
  }

  @Test
  void vmmFlow_throughSystemCalls() {
    int fd = ok(kernel.open(FakeKernel.IOMMU_PATH));
    int devFd = ok(kernel.open(FakeKernel.devicePath(0)));
    long bind =
        put(
            VfioDeviceBindIommufd.SIZE,
            new VfioDeviceBindIommufd(VfioDeviceBindIommufd.SIZE, 0, fd, 0, 0)::encode);
    ok(kernel.ioctl(devFd, VFIO_DEVICE_BIND_IOMMUFD, bind));
    int dev = get(bind, VfioDeviceBindIommufd.SIZE, VfioDeviceBindIommufd::decode).outDevid();
    long ioasArg = put(IommuIoasAlloc.SIZE, new IommuIoasAlloc(IommuIoasAlloc.SIZE, 0, 0)::encode);
    ok(kernel.ioctl(fd, IOMMU_IOAS_ALLOC, ioasArg));
    int ioas = get(ioasArg, IommuIoasAlloc.SIZE, IommuIoasAlloc::decode).outIoasId();
    ok(
        kernel.ioctl(
            fd, IOMMU_IOAS_MAP, put(40, IoasMap.fixed(hva, RAM, 0).toStruct(ioas)::encode)));

    long parentArg =
        put(
            IommuHwptAlloc.SIZE,
            new IommuHwptAlloc(
                    IommuHwptAlloc.SIZE,
                    IOMMU_HWPT_ALLOC_NEST_PARENT,
                    dev,
                    ioas,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0,
                    0)
                ::encode);
    ok(kernel.ioctl(fd, IOMMU_HWPT_ALLOC, parentArg));
    int parent = get(parentArg, IommuHwptAlloc.SIZE, IommuHwptAlloc::decode).outHwptId();

    // VIOMMU_ALLOC with the 24-byte first version of the struct: the reply is cut to 24 bytes
    long vArg =
        put(
            40,
            new IommuViommuAlloc(24, 0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, parent, 0, 0, 0, 0)
                ::encode);
    ok(kernel.ioctl(fd, IOMMU_VIOMMU_ALLOC, vArg));
    int viommu = get(vArg, IommuViommuAlloc.SIZE, IommuViommuAlloc::decode).outViommuId();
    assertNotEquals(0, viommu);
    long vdArg = put(24, new IommuVdeviceAlloc(24, viommu, dev, 0, VSID)::encode);
    ok(kernel.ioctl(fd, IOMMU_VDEVICE_ALLOC, vdArg));
    assertNotEquals(0, get(vdArg, 24, IommuVdeviceAlloc::decode).outVdeviceId());
    assertEquals(
        -Errno.EEXIST.code(),
        kernel.ioctl(
            fd,
            IOMMU_VDEVICE_ALLOC,
            put(24, new IommuVdeviceAlloc(24, viommu, dev, 0, VSID + 1)::encode)));

    GuestIoPageTable s1 = GuestIoPageTable.arm(kernel.guestTables(), this::page, gpa -> {});
    s1.map(0x9000, 0x40_0000L, true);
    long ste =
        put(
            16,
            b ->
                b.order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(1 | (5L << 1) | s1.contextDescriptor())
                    .putLong(0));
    long nArg =
        put(
            IommuHwptAlloc.SIZE,
            new IommuHwptAlloc(
                    IommuHwptAlloc.SIZE,
                    0,
                    dev,
                    viommu,
                    0,
                    0,
                    IOMMU_HWPT_DATA_ARM_SMMUV3,
                    16,
                    ste,
                    0,
                    0)
                ::encode);
    ok(kernel.ioctl(fd, IOMMU_HWPT_ALLOC, nArg));
    int nested = get(nArg, IommuHwptAlloc.SIZE, IommuHwptAlloc::decode).outHwptId();
    long badSte =
        put(
            IommuHwptAlloc.SIZE,
            new IommuHwptAlloc(
                    IommuHwptAlloc.SIZE,
                    0,
                    dev,
                    viommu,
                    0,
                    0,
                    IOMMU_HWPT_DATA_ARM_SMMUV3,
                    16,
                    0x10,
                    0,
                    0)
                ::encode);
    assertEquals(
        -Errno.EFAULT.code(), kernel.ioctl(fd, IOMMU_HWPT_ALLOC, badSte), "data_uptr unreadable");

    long attach =
        put(
            VfioDeviceAttachIommufdPt.SIZE,
            new VfioDeviceAttachIommufdPt(VfioDeviceAttachIommufdPt.SIZE, 0, nested, 0)::encode);
    ok(kernel.ioctl(devFd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, attach));
    long token = kernel.guestMemory(0).token(hva + 0x40_0000L);
    assertEquals(new DmaResult(4096, 0), kernel.dmaWrite(0, 0x9000, 4096));
    assertNotEquals(token, kernel.guestMemory(0).token(hva + 0x40_0000L));

    // HWPT_INVALIDATE: two good commands, then an unknown one; entry_num comes back 2
    long cmds =
        put(
            48,
            b ->
                b.order(ByteOrder.LITTLE_ENDIAN)
                    .putLong(0x12)
                    .putLong(0x9000)
                    .putLong(0x10)
                    .putLong(0)
                    .putLong(0x7F)
                    .putLong(0));
    long inv =
        put(
            32,
            new IommuHwptInvalidate(
                    32, viommu, cmds, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 3, 0)
                ::encode);
    assertEquals(-Errno.EIO.code(), kernel.ioctl(fd, IOMMU_HWPT_INVALIDATE, inv));
    assertEquals(2, get(inv, 32, IommuHwptInvalidate::decode).entryNum());
    // a missing id: ENOENT and entry_num 0
    long missing =
        put(
            32,
            new IommuHwptInvalidate(32, 99, cmds, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 2, 0)
                ::encode);
    assertEquals(-Errno.ENOENT.code(), kernel.ioctl(fd, IOMMU_HWPT_INVALIDATE, missing));
    assertEquals(0, get(missing, 32, IommuHwptInvalidate::decode).entryNum());
    // size below 32: EINVAL before anything
    long small =
        put(
            32,
            new IommuHwptInvalidate(
                    28, viommu, cmds, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 2, 0)
                ::encode);
    assertEquals(-Errno.EINVAL.code(), kernel.ioctl(fd, IOMMU_HWPT_INVALIDATE, small));
    assertEquals(2, get(small, 32, IommuHwptInvalidate::decode).entryNum(), "untouched");
    // success: entry_num is the count
    long good =
        put(
            32,
            new IommuHwptInvalidate(
                    32, viommu, cmds, IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 16, 2, 0)
                ::encode);
    ok(kernel.ioctl(fd, IOMMU_HWPT_INVALIDATE, good));
    assertEquals(2, get(good, 32, IommuHwptInvalidate::decode).entryNum());
    s1.unmap(0x9000);
    ok(kernel.ioctl(fd, IOMMU_HWPT_INVALIDATE, good));
    assertEquals(new DmaResult(0, 1), kernel.dmaWrite(0, 0x9000, 4096), "unmapped by the guest");
  }
}
