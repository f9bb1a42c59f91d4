package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_SET_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VTD_INV_FLAGS_LEAF;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_ATTACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_BIND_IOMMUFD;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptGetDirtyBitmap;
import org.jvfio.api.iommufd.IommuHwptInvalidate;
import org.jvfio.api.iommufd.IommuHwptSetDirtyTracking;
import org.jvfio.api.iommufd.IommuHwptVtdS1;
import org.jvfio.api.iommufd.IommuHwptVtdS1Invalidate;
import org.jvfio.api.iommufd.IommuIoasAlloc;
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
 * VT-d nesting through {@link FakeKernel} system calls only, as a VMM migrating a guest with a
 * nested vIOMMU drives it: a nest-parent HWPT with {@code DIRTY_TRACKING} over all guest RAM, a
 * nested {@code IOMMU_HWPT_ALLOC} with {@code IOMMU_HWPT_DATA_VTD_S1} read from {@code data_uptr},
 * attach, {@code IOMMU_HWPT_SET_DIRTY_TRACKING} on the parent, device DMA through both stages, a
 * guest stage-1 remap made effective by {@code IOMMU_HWPT_INVALIDATE}, and {@code
 * IOMMU_HWPT_GET_DIRTY_BITMAP} on the parent by guest-physical address.
 */
class VtdNestingSyscallTest {
  static final long RAM = 8L << 20;
  static final long PAGES = RAM / 4096;
  static final long IOVA = 0x9000;
  static final long OLD_PAGE = 0x40_0000L;
  static final long NEW_PAGE = 0x60_0000L;
  static final long LEAF = 2L << 20; // the parent maps the 8 MiB IOAS with 2 MiB leaves
  static final long TABLES = 0x10_0000L;

  final FakeKernel kernel =
      FakeKernel.builder()
          .guestMemory(RAM)
          .iommu(new IntelSsDriver())
          .device(
              ReferenceMigrationDriver.create(EnumSet.of(MigrationFlag.STOP_COPY), new byte[64]))
          .build();
  final UserMemory mem = kernel.userMemory();
  final long hva = kernel.guestMemory(0).base();
  long nextTable = TABLES;

  long put(int size, Consumer<ByteBuffer> encoder) {
    ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
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

  int hwptAlloc(int fd, int flags, int dev, int ptId, int dataType, int dataLen, long data) {
    long arg =
        put(
            IommuHwptAlloc.SIZE,
            new IommuHwptAlloc(
                    IommuHwptAlloc.SIZE, flags, dev, ptId, 0, 0, dataType, dataLen, data, 0, 0)
                ::encode);
    int rc = kernel.ioctl(fd, IOMMU_HWPT_ALLOC, arg);
    return rc < 0 ? rc : get(arg, IommuHwptAlloc.SIZE, IommuHwptAlloc::decode).outHwptId();
  }

  /** {@code IOMMU_HWPT_GET_DIRTY_BITMAP} of all RAM on {@code hwpt}: the dirty GPAs, or null. */
  Set<Long> dirtyPages(int fd, int hwpt) {
    int bytes = (int) (PAGES / 8);
    long bitmap = mem.allocate(bytes, 8, 0);
    long arg =
        put(
            IommuHwptGetDirtyBitmap.SIZE,
            new IommuHwptGetDirtyBitmap(
                    IommuHwptGetDirtyBitmap.SIZE, hwpt, 0, 0, 0, RAM, 4096, bitmap)
                ::encode);
    int rc = kernel.ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, arg);
    if (rc < 0) {
      assertEquals(-Errno.ENOENT.code(), rc);
      return null;
    }
    ByteBuffer words = mem.read(bitmap, bytes).order(ByteOrder.LITTLE_ENDIAN);
    Set<Long> pages = new TreeSet<>();
    for (int w = 0; w < bytes / 8; w++) {
      long word = words.getLong(w * 8);
      for (int b = 0; b < 64; b++) {
        if ((word & (1L << b)) != 0) {
          pages.add((w * 64L + b) * 4096);
        }
      }
    }
    return pages;
  }

  long invalidation(int hwpt, long entries, int count) {
    return put(
        IommuHwptInvalidate.SIZE,
        new IommuHwptInvalidate(
                IommuHwptInvalidate.SIZE,
                hwpt,
                entries,
                IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
                IommuHwptVtdS1Invalidate.SIZE,
                count,
                0)
            ::encode);
  }

  @Test
  void remapAndSync_throughSystemCalls_losesNoDirtyPage() {
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

    int parent =
        ok(
            hwptAlloc(
                fd,
                IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
                dev,
                ioas,
                0,
                0,
                0));
    // The guest's first stage: A and D left clear, so the IOMMU writes them through stage 2.
    GuestIoPageTable s1 = GuestIoPageTable.x86(kernel.guestTables(), this::page, gpa -> {}, false);
    s1.map(IOVA, OLD_PAGE, true);
    long vtd = put(IommuHwptVtdS1.SIZE, new IommuHwptVtdS1(0, s1.root(), 48, 0)::encode);
    assertEquals(
        -Errno.EOPNOTSUPP.code(),
        hwptAlloc(
            fd, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, parent, IOMMU_HWPT_DATA_VTD_S1, 24, vtd),
        "a nested HWPT takes no DIRTY_TRACKING: tracking is the parent's");
    int nested = ok(hwptAlloc(fd, 0, dev, parent, IOMMU_HWPT_DATA_VTD_S1, 24, vtd));
    ok(
        kernel.ioctl(
            devFd,
            VFIO_DEVICE_ATTACH_IOMMUFD_PT,
            put(
                VfioDeviceAttachIommufdPt.SIZE,
                new VfioDeviceAttachIommufdPt(VfioDeviceAttachIommufdPt.SIZE, 0, nested, 0)
                    ::encode)));

    assertEquals(
        -Errno.ENOENT.code(),
        kernel.ioctl(
            fd,
            IOMMU_HWPT_SET_DIRTY_TRACKING,
            put(16, new IommuHwptSetDirtyTracking(16, 1, nested, 0)::encode)),
        "dirty tracking is set on the parent only");
    ok(
        kernel.ioctl(
            fd,
            IOMMU_HWPT_SET_DIRTY_TRACKING,
            put(
                16,
                new IommuHwptSetDirtyTracking(16, IOMMU_HWPT_DIRTY_TRACKING_ENABLE, parent, 0)
                    ::encode)));
    assertEquals(Set.of(), dirtyPages(fd, parent), "nothing written yet");
    assertEquals(null, dirtyPages(fd, nested), "a nested id is ENOENT for the bitmap too");

    long token = kernel.guestMemory(0).token(hva + OLD_PAGE);
    assertEquals(new DmaResult(4096, 0), kernel.dmaWrite(0, IOVA, 4096));
    assertNotEquals(token, kernel.guestMemory(0).token(hva + OLD_PAGE), "landed at the GPA");
    // Dirty at the parent's leaf granularity, by guest-physical address: the 2 MiB leaf of the
    // data page, and that of the four guest table pages whose A (and D) bits the IOMMU set.
    Set<Long> first = new TreeSet<>();
    for (long p = 0; p < LEAF; p += 4096) {
      first.add((TABLES & -LEAF) + p);
      first.add((OLD_PAGE & -LEAF) + p);
    }
    assertEquals(first, dirtyPages(fd, parent), "indexed by guest-physical address");

    // The harvest's flush dropped the nested translations too; a read caches IOVA again. The
    // guest then remaps IOVA to another page: until it invalidates, the device still writes the
    // old page through the cached translation; after, the new one. Both writes are harvested.
    assertEquals(new DmaResult(4096, 0), kernel.dmaRead(0, IOVA, 4096));
    s1.map(IOVA, NEW_PAGE, true);
    long stale = kernel.guestMemory(0).token(hva + OLD_PAGE);
    assertEquals(new DmaResult(4096, 0), kernel.dmaWrite(0, IOVA, 4096));
    assertNotEquals(stale, kernel.guestMemory(0).token(hva + OLD_PAGE), "the stale translation");
    long badEntry =
        put(24, new IommuHwptVtdS1Invalidate(IOVA, 1, IOMMU_VTD_INV_FLAGS_LEAF | 2, 0)::encode);
    long bad = invalidation(nested, badEntry, 1);
    assertEquals(-Errno.EOPNOTSUPP.code(), kernel.ioctl(fd, IOMMU_HWPT_INVALIDATE, bad));
    assertEquals(0, get(bad, 32, IommuHwptInvalidate::decode).entryNum());
    long entry = put(24, new IommuHwptVtdS1Invalidate(IOVA, 1, 0, 0)::encode);
    long inv = invalidation(nested, entry, 1);
    ok(kernel.ioctl(fd, IOMMU_HWPT_INVALIDATE, inv));
    assertEquals(1, get(inv, 32, IommuHwptInvalidate::decode).entryNum());
    long fresh = kernel.guestMemory(0).token(hva + NEW_PAGE);
    assertEquals(new DmaResult(4096, 0), kernel.dmaWrite(0, IOVA, 4096));
    assertNotEquals(fresh, kernel.guestMemory(0).token(hva + NEW_PAGE));
    Set<Long> second = dirtyPages(fd, parent);
    assertTrue(second.contains(OLD_PAGE), "the write through the stale translation: " + second);
    assertTrue(second.contains(NEW_PAGE), "the write after the invalidation: " + second);
    assertEquals(
        -Errno.EINVAL.code(),
        kernel.ioctl(fd, IOMMU_HWPT_INVALIDATE, invalidation(parent, entry, 1)),
        "a paging HWPT takes no IOMMU_HWPT_INVALIDATE");
  }
}
