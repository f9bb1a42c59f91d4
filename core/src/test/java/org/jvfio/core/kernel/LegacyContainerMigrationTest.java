package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_UNMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_API_VERSION;
import static org.jvfio.api.vfio.Vfio.VFIO_CHECK_EXTENSION;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_GET_API_VERSION;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_FLAGS_VIABLE;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_GET_DEVICE_FD;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_GET_STATUS;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_SET_CONTAINER;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_GET_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_MAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_UNMAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_SET_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1v2_IOMMU;
import static org.jvfio.core.kernel.Syscalls.errno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuIoasUnmap;
import org.jvfio.api.vfio.VfioBitmap;
import org.jvfio.api.vfio.VfioGroupStatus;
import org.jvfio.api.vfio.VfioInfoCapHeader;
import org.jvfio.api.vfio.VfioIommuType1DirtyBitmap;
import org.jvfio.api.vfio.VfioIommuType1DirtyBitmapGet;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.api.vfio.VfioIommuType1Info;
import org.jvfio.api.vfio.VfioIommuType1InfoCapMigration;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * A QEMU-style VMM migrating guest RAM through the legacy VFIO container, written only against
 * {@link FakeKernel} open/ioctl and user memory, as QEMU's {@code hw/vfio/container-legacy.c} does:
 * open the container and the group, set the container and TYPE1v2, read {@code GET_INFO}'s
 * migration capability, map RAM, start dirty tracking, read a bitmap each round, unmap a vIOMMU
 * shadow mapping with {@code GET_DIRTY_BITMAP}, stop tracking; at the end the destination RAM
 * equals the source's page for page.
 *
 * <p>The same client against iommufd's compatibility ({@code /dev/vfio/vfio} served by iommufd)
 * finds no migration capability and {@code VFIO_IOMMU_DIRTY_PAGES} unknown ({@code ENOTTY}), as
 * QEMU does, and falls back to iommufd HWPT dirty tracking through the device cdev.
 */
class LegacyContainerMigrationTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final long PAGE = 4096;
  private static final long GUEST_SIZE = 16L << 20;
  private static final long LOW = 12L << 20; // RAM [0, LOW) at IOVA = GPA, as two dmas
  private static final long SHADOW_IOVA = 1L << 32; // a vIOMMU mapping of RAM [LOW, GUEST_SIZE)
  private static final int ROUNDS = 3;
  private static final int WRITES = 120;

  private final SplittableRandom random = new SplittableRandom(SEED);

  /** One VMM: its kernel, syscalls and the RAM it migrates. */
  private static final class Vmm {
    final FakeKernel kernel;
    final Syscalls sys;
    final GuestMemory ram;
    final GuestMemory dst;
    final int container;
    final int group;
    int device;

    Vmm(boolean iommufdContainer) {
      kernel =
          FakeKernel.builder()
              .guestMemory(GUEST_SIZE, 1)
              .iommu(MockIommuDriver.create(true, false)) // 4 KiB leaves: HWPT bits are per page
              .device(
                  ReferenceMigrationDriver.create(
                      java.util.EnumSet.of(MigrationFlag.STOP_COPY), new byte[16]))
              .iommufdVfioContainer(iommufdContainer)
              .build();
      sys = new Syscalls(kernel);
      ram = kernel.guestMemory(0);
      dst = GuestMemory.create(ram.base(), GUEST_SIZE, 2);
      container = sys.open(FakeKernel.VFIO_CONTAINER_PATH);
      assertEquals(VFIO_API_VERSION, sys.ioctl(container, VFIO_GET_API_VERSION, 0));
      assertEquals(1, sys.ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
      group = sys.open(FakeKernel.groupPath(0));
      long status = sys.put(VfioGroupStatus.SIZE, new VfioGroupStatus(8, 0)::encode);
      ok(sys.ioctl(group, VFIO_GROUP_GET_STATUS, status));
      assertEquals(
          VFIO_GROUP_FLAGS_VIABLE,
          sys.get(status, VfioGroupStatus.SIZE, VfioGroupStatus::decode).flags());
      long fd = sys.mem.allocate(4);
      UserCopy.writeU32(sys.mem, fd, container);
      ok(sys.ioctl(group, VFIO_GROUP_SET_CONTAINER, fd));
      ok(sys.ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
      device =
          (int)
              ok(
                  sys.ioctl(
                      group,
                      VFIO_GROUP_GET_DEVICE_FD,
                      sys.mem.allocate(
                          (kernel.groupDeviceName(0) + "\0").getBytes(StandardCharsets.UTF_8))));
      map(ram.base(), LOW / 2, 0);
      map(ram.base() + LOW / 2, LOW / 2, LOW / 2);
      map(ram.base() + LOW, GUEST_SIZE - LOW, SHADOW_IOVA);
    }

    void map(long vaddr, long size, long iova) {
      int flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
      VfioIommuType1DmaMap m =
          new VfioIommuType1DmaMap(VfioIommuType1DmaMap.SIZE, flags, vaddr, iova, size);
      ok(sys.ioctl(container, VFIO_IOMMU_MAP_DMA, sys.put(VfioIommuType1DmaMap.SIZE, m::encode)));
    }

    /** GET_INFO the way QEMU does it: once for the size, then with room for the chain. */
    Optional<VfioIommuType1InfoCapMigration> migrationCap() {
      long small = sys.put(24, new VfioIommuType1Info(24, 0, 0, 0)::encode);
      ok(sys.ioctl(container, VFIO_IOMMU_GET_INFO, small));
      int argsz = sys.get(small, 24, VfioIommuType1Info::decode).argsz();
      assertTrue(argsz > 24, "the chain needs room: " + argsz);
      long arg = sys.mem.allocate(argsz);
      sys.mem.write(arg, Syscalls.encode(24, new VfioIommuType1Info(argsz, 0, 0, 0)::encode));
      ok(sys.ioctl(container, VFIO_IOMMU_GET_INFO, arg));
      VfioIommuType1Info info = sys.get(arg, 24, VfioIommuType1Info::decode);
      for (int off = info.capOffset(); off != 0; ) {
        VfioInfoCapHeader h = sys.get(arg + off, 8, VfioInfoCapHeader::decode);
        if (h.id() == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) {
          return Optional.of(sys.get(arg + off, 32, VfioIommuType1InfoCapMigration::decode));
        }
        off = h.next();
      }
      return Optional.empty();
    }

    int dirtyPages(int flags) {
      return sys.ioctl(
          container,
          VFIO_IOMMU_DIRTY_PAGES,
          sys.put(8, new VfioIommuType1DirtyBitmap(8, flags)::encode));
    }

    /** GET_BITMAP of one section into a zeroed user bitmap; returns the dirty page indexes. */
    BitSet getBitmap(long iova, long size) {
      long bytes = ((size / PAGE + 63) / 64) * 8;
      long bitmap = sys.mem.allocate(bytes);
      ByteBuffer arg = ByteBuffer.allocate(48);
      new VfioIommuType1DirtyBitmap(48, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP).encode(arg);
      new VfioIommuType1DirtyBitmapGet(iova, size, new VfioBitmap(PAGE, bytes, bitmap)).encode(arg);
      long a = sys.mem.allocate(48);
      sys.mem.write(a, arg.flip());
      ok(sys.ioctl(container, VFIO_IOMMU_DIRTY_PAGES, a));
      return read(bitmap, bytes);
    }

    /** A vIOMMU unmap during tracking: UNMAP_DMA with GET_DIRTY_BITMAP (vfio_dma_unmap_bitmap). */
    BitSet unmapWithBitmap(long iova, long size) {
      long bytes = ((size / PAGE + 63) / 64) * 8;
      long bitmap = sys.mem.allocate(bytes);
      ByteBuffer arg = ByteBuffer.allocate(48);
      new VfioIommuType1DmaUnmap(48, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, iova, size).encode(arg);
      new VfioBitmap(PAGE, bytes, bitmap).encode(arg);
      long a = sys.mem.allocate(48);
      sys.mem.write(a, arg.flip());
      ok(sys.ioctl(container, VFIO_IOMMU_UNMAP_DMA, a));
      assertEquals(size, sys.get(a, 24, VfioIommuType1DmaUnmap::decode).size(), "unmapped");
      return read(bitmap, bytes);
    }

    BitSet read(long addr, long bytes) {
      byte[] b = new byte[(int) bytes];
      sys.mem.read(addr, ByteBuffer.wrap(b));
      return BitSet.valueOf(b);
    }

    /** Copies the pages of {@code dirty} (bit i = page i of the section at {@code gpa}). */
    void send(BitSet dirty, long gpa) {
      for (int p = dirty.nextSetBit(0); p >= 0; p = dirty.nextSetBit(p + 1)) {
        dst.copyFrom(ram, ram.base() + gpa + p * PAGE, PAGE);
      }
    }
  }

  @Test
  void qemuLegacyClient_migratesRam_throughTheType1Container() {
    Vmm vmm = new Vmm(false);
    VfioIommuType1InfoCapMigration mig = vmm.migrationCap().orElseThrow();
    assertTrue((mig.pgsizeBitmap() & PAGE) != 0, "dirty page size " + mig.pgsizeBitmap());
    assertEquals(0x1000_0000L, mig.maxDirtyBitmapSize());

    guestDma(vmm, WRITES, true);
    ok(vmm.dirtyPages(VFIO_IOMMU_DIRTY_PAGES_FLAG_START));
    vmm.dst.copyFrom(vmm.ram, vmm.ram.base(), GUEST_SIZE); // the first full pass
    boolean shadowMapped = true;
    for (int round = 0; round < ROUNDS; round++) {
      BitSet written = guestDma(vmm, WRITES, shadowMapped);
      if (round == 1) {
        // The guest unmaps its IOVA range: the bits come back with the unmap, at the GPA the
        // shadow mapping translated to. A plain unmap would lose them.
        BitSet bits = vmm.unmapWithBitmap(SHADOW_IOVA, GUEST_SIZE - LOW);
        assertEquals((GUEST_SIZE - LOW) / PAGE, bits.cardinality(), "a physical group: all dirty");
        vmm.send(bits, LOW);
        shadowMapped = false;
      }
      for (long section : new long[] {0, LOW / 2}) {
        BitSet dirty = vmm.getBitmap(section, LOW / 2);
        // A physical device never pins, so type1 cannot tell: every mapped page, every round.
        assertEquals(LOW / 2 / PAGE, dirty.cardinality(), "round " + round);
        BitSet missing = written.get((int) (section / PAGE), (int) ((section + LOW / 2) / PAGE));
        missing.andNot(dirty);
        assertTrue(missing.isEmpty(), "round " + round + " lost " + missing);
        vmm.send(dirty, section);
      }
      if (shadowMapped) {
        vmm.send(vmm.getBitmap(SHADOW_IOVA, GUEST_SIZE - LOW), LOW);
      }
    }
    // Stop-and-copy: the device is quiet; the last bitmaps, then tracking stops.
    for (long section : new long[] {0, LOW / 2}) {
      vmm.send(vmm.getBitmap(section, LOW / 2), section);
    }
    ok(vmm.dirtyPages(VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP));
    assertEquals(-1, vmm.dst.firstDifference(vmm.ram), "destination RAM differs");
  }

  @Test
  void qemuLegacyClient_overIommufdCompat_fallsBackToHwptDirtyTracking() {
    Vmm vmm = new Vmm(true);
    assertEquals(Optional.empty(), vmm.migrationCap(), "iommufd offers no type1 migration");
    assertEquals(Errno.ENOTTY, errno(vmm.dirtyPages(VFIO_IOMMU_DIRTY_PAGES_FLAG_START)));

    // QEMU's answer: no type1 dirty tracking, so use iommufd's own through the device cdev.
    // /dev/vfio/vfio is an iommufd here; the group path must be closed before the cdev opens.
    Syscalls sys = vmm.sys;
    ok(vmm.kernel.close(vmm.device));
    ok(vmm.kernel.close(vmm.group));
    int cdev = sys.open(FakeKernel.devicePath(0));
    int devId = sys.bind(cdev, vmm.container);
    int ioas = sys.ioasAlloc(vmm.container);
    long low = vmm.ram.base();
    sys.ioasMapFixed(vmm.container, ioas, low, LOW, 0);
    sys.ioasMapFixed(vmm.container, ioas, low + LOW, GUEST_SIZE - LOW, SHADOW_IOVA);
    int hwpt = sys.hwptAlloc(vmm.container, devId, ioas, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
    assertEquals(hwpt, sys.attach(cdev, hwpt));
    ok(sys.setDirtyTracking(vmm.container, hwpt, true));

    vmm.dst.copyFrom(vmm.ram, vmm.ram.base(), GUEST_SIZE);
    boolean shadowMapped = true;
    for (int round = 0; round < ROUNDS; round++) {
      BitSet written = guestDma(vmm, WRITES, shadowMapped);
      if (round == 1) {
        // QEMU's iommufd backend: query the range's dirty bits, then unmap.
        vmm.send(hwptBitmap(vmm, hwpt, SHADOW_IOVA, GUEST_SIZE - LOW), LOW);
        long unmap =
            sys.put(
                IommuIoasUnmap.SIZE,
                new IommuIoasUnmap(IommuIoasUnmap.SIZE, ioas, SHADOW_IOVA, GUEST_SIZE - LOW)
                    ::encode);
        ok(sys.ioctl(vmm.container, IOMMU_IOAS_UNMAP, unmap));
        shadowMapped = false;
      }
      BitSet dirty = hwptBitmap(vmm, hwpt, 0, LOW);
      BitSet missing = written.get(0, (int) (LOW / PAGE));
      missing.andNot(dirty);
      assertTrue(missing.isEmpty(), "round " + round + " lost " + missing);
      assertTrue(dirty.cardinality() < LOW / PAGE, "HWPT tracking is precise");
      vmm.send(dirty, 0);
      if (shadowMapped) {
        vmm.send(hwptBitmap(vmm, hwpt, SHADOW_IOVA, GUEST_SIZE - LOW), LOW);
      }
    }
    vmm.send(hwptBitmap(vmm, hwpt, 0, LOW), 0);
    ok(sys.setDirtyTracking(vmm.container, hwpt, false));
    assertEquals(-1, vmm.dst.firstDifference(vmm.ram), "destination RAM differs");
  }

  private static BitSet hwptBitmap(Vmm vmm, int hwpt, long iova, long size) {
    long bytes = ((size / PAGE + 63) / 64) * 8;
    long bitmap = vmm.sys.mem.allocate(bytes);
    ok(vmm.sys.getDirtyBitmap(vmm.container, hwpt, iova, size, PAGE, bitmap, 0));
    return vmm.read(bitmap, bytes);
  }

  /**
   * The device writes {@code writes} random runs of pages of the direct-mapped RAM and, while it is
   * mapped, of the shadow range; returns the GPA pages written.
   */
  private BitSet guestDma(Vmm vmm, int writes, boolean shadow) {
    BitSet pages = new BitSet();
    long lowPages = LOW / PAGE;
    long allPages = GUEST_SIZE / PAGE;
    for (int i = 0; i < writes; i++) {
      long first = random.nextLong(shadow ? allPages - 4 : lowPages - 4);
      int count = 1 + random.nextInt(4);
      if (first < lowPages && first + count > lowPages) {
        count = (int) (lowPages - first);
      }
      long iova = first < lowPages ? first * PAGE : SHADOW_IOVA + (first - lowPages) * PAGE;
      DmaResult r = vmm.kernel.dmaWrite(0, iova, count * PAGE);
      assertEquals(new DmaResult(count * PAGE, 0), r, "seed " + SEED);
      pages.set((int) first, (int) first + count);
    }
    return pages;
  }
}
