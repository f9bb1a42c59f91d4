package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_PROBE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FLAGS_PCI;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FLAGS_RESET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_IRQ_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_REGION_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_RESET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_PRE_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_RESUMING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_RUNNING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_STOP;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_STOP_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_MIGRATION_PRE_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_MIGRATION_STOP_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_MIG_GET_PRECOPY_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_BAR2_REGION_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_CONFIG_REGION_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_VGA_REGION_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_CAPS;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_MMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_WRITE;
import static org.jvfio.core.kernel.Syscalls.errno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.api.vfio.VfioDeviceFeatureMigration;
import org.jvfio.api.vfio.VfioDeviceInfo;
import org.jvfio.api.vfio.VfioIrqInfo;
import org.jvfio.api.vfio.VfioPrecopyInfo;
import org.jvfio.api.vfio.VfioRegionInfo;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.HisiAccDriver;
import org.jvfio.core.vfio.HisiAccDriver.PfConfig;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.PrecopyInfo;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * A VMM-style program written only against open/ioctl/read/write/pread/pwrite and user memory: it
 * probes a HiSilicon accelerator VF as QEMU does, migrates it with IOMMU dirty tracking (the device
 * has no DMA logging), and is refused by a destination whose VF does not match, as the driver
 * refuses it. Oracles: the destination's RAM and device registers equal the source's; the guest's
 * half of BAR2 never shows the migration registers.
 */
class VmmHisiAccTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final long PAGE = 4096;
  private static final long GUEST_SIZE = 16L << 20;
  private static final int PAGES = (int) (GUEST_SIZE / PAGE);
  private static final PfConfig PF = new PfConfig(64, 128, 0x3);

  private final SplittableRandom random = new SplittableRandom(SEED);

  /** One host: the kernel and the VMM's fds and buffers there. */
  private static final class Host {
    final FakeKernel kernel;
    final Syscalls sys;
    final GuestMemory ram;
    final int iommufd;
    final int deviceFd;
    final int hwptId;
    final long buffer;

    Host(VfioDeviceDriver driver, long tokenSeed) {
      kernel =
          FakeKernel.builder()
              .guestMemory(GUEST_SIZE, tokenSeed)
              .iommu(MockIommuDriver.create())
              .device(driver)
              .build();
      sys = new Syscalls(kernel);
      ram = kernel.guestMemory(0);
      iommufd = sys.open(FakeKernel.IOMMU_PATH);
      deviceFd = sys.open(FakeKernel.devicePath(0));
      int devId = sys.bind(deviceFd, iommufd);
      int ioasId = sys.ioasAlloc(iommufd);
      sys.ioasMapFixed(iommufd, ioasId, ram.base(), GUEST_SIZE, 0);
      hwptId = sys.hwptAlloc(iommufd, devId, ioasId, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      sys.attach(deviceFd, hwptId);
      buffer = sys.mem.allocate(4096);
    }

    /** MIG_DEVICE_STATE SET; returns the ioctl's result and the reply's data_fd. */
    long[] setState(int state) {
      long arg =
          sys.featureArg(
              VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
              VfioDeviceFeatureMigState.SIZE,
              new VfioDeviceFeatureMigState(state, 0)::encode);
      int rc = sys.ioctl(deviceFd, VFIO_DEVICE_FEATURE, arg);
      return new long[] {
        rc,
        sys.payload(arg, VfioDeviceFeatureMigState.SIZE, VfioDeviceFeatureMigState::decode).dataFd()
      };
    }

    int state() {
      long arg =
          sys.feature(
              deviceFd,
              VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
              VfioDeviceFeatureMigState.SIZE,
              new VfioDeviceFeatureMigState(0, 0)::encode);
      return sys.payload(arg, VfioDeviceFeatureMigState.SIZE, VfioDeviceFeatureMigState::decode)
          .deviceState();
    }

    int open(int state) {
      long[] r = setState(state);
      ok(r[0]);
      return (int) r[1];
    }

    PrecopyInfo precopyInfo(int dataFd) {
      long arg = sys.put(VfioPrecopyInfo.SIZE, new PrecopyInfo(0, 0).toStruct()::encode);
      ok(sys.ioctl(dataFd, VFIO_MIG_GET_PRECOPY_INFO, arg));
      return PrecopyInfo.fromStruct(sys.get(arg, VfioPrecopyInfo.SIZE, VfioPrecopyInfo::decode));
    }

    VfioRegionInfo regionInfo(int index, int argsz) {
      long arg = sys.put(argsz, b -> new VfioRegionInfo(argsz, 0, index, 0, 0, 0).encode(b));
      ok(sys.ioctl(deviceFd, VFIO_DEVICE_GET_REGION_INFO, arg));
      return sys.get(arg, VfioRegionInfo.SIZE, VfioRegionInfo::decode);
    }
  }

  /** What a probe found: the regions the VMM will use, by index. */
  private record Probe(VfioDeviceInfo info, List<VfioRegionInfo> regions) {}

  /** QEMU's probe: GET_INFO, GET_REGION_INFO of every region, GET_IRQ_INFO, a config read. */
  private static Probe probe(Host h) {
    long arg =
        h.sys.put(VfioDeviceInfo.SIZE, new VfioDeviceInfo(VfioDeviceInfo.SIZE, 0, 0, 0, 0)::encode);
    ok(h.sys.ioctl(h.deviceFd, VFIO_DEVICE_GET_INFO, arg));
    VfioDeviceInfo info = h.sys.get(arg, VfioDeviceInfo.SIZE, VfioDeviceInfo::decode);
    List<VfioRegionInfo> regions = new ArrayList<>();
    for (int i = 0; i < info.numRegions(); i++) {
      long ra =
          h.sys.put(
              VfioRegionInfo.SIZE, new VfioRegionInfo(VfioRegionInfo.SIZE, 0, i, 0, 0, 0)::encode);
      int rc = h.sys.ioctl(h.deviceFd, VFIO_DEVICE_GET_REGION_INFO, ra);
      if (i == VFIO_PCI_VGA_REGION_INDEX) {
        assertEquals(Errno.EINVAL, errno(rc), "no VGA");
        regions.add(null);
        continue;
      }
      ok(rc);
      VfioRegionInfo r = h.sys.get(ra, VfioRegionInfo.SIZE, VfioRegionInfo::decode);
      if ((r.flags() & VFIO_REGION_INFO_FLAG_CAPS) != 0 && r.argsz() > VfioRegionInfo.SIZE) {
        r = h.regionInfo(i, r.argsz()); // again, with room for the capability chain
      }
      regions.add(r);
    }
    for (int i = 0; i < info.numIrqs(); i++) {
      long ia = h.sys.put(VfioIrqInfo.SIZE, new VfioIrqInfo(VfioIrqInfo.SIZE, 0, i, 0)::encode);
      ok(h.sys.ioctl(h.deviceFd, VFIO_DEVICE_GET_IRQ_INFO, ia));
    }
    return new Probe(info, regions);
  }

  @Test
  void probe_findsThePciFunctionAndHalfOfBar2() {
    HisiAccDriver driver =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID, PF, HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    Host h = new Host(driver, 1);
    Probe p = probe(h);
    assertEquals(VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET, p.info().flags());
    assertEquals(9, p.info().numRegions());
    assertEquals(5, p.info().numIrqs());

    VfioRegionInfo config = p.regions().get(VFIO_PCI_CONFIG_REGION_INDEX);
    assertEquals(4096, config.size());
    ok(h.kernel.pread(h.deviceFd, h.buffer, 4, config.offset()));
    assertEquals(
        HisiAccDriver.PCI_VENDOR_ID_HUAWEI | HisiAccDriver.HISI_SEC_VF_DEV_ID << 16,
        h.sys.mem.readInt(h.buffer));

    VfioRegionInfo bar2 = p.regions().get(VFIO_PCI_BAR2_REGION_INDEX);
    assertEquals(
        new VfioRegionInfo(
            VfioRegionInfo.SIZE,
            VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE | VFIO_REGION_INFO_FLAG_MMAP,
            2,
            0,
            0x8000,
            2L << 40),
        bar2);
    assertEquals(0, p.regions().get(0).size(), "BAR0 not implemented");
  }

  @Test
  void guestHalfOfBar2_neverExposesTheMigrationRegisters() {
    HisiAccDriver driver =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID, PF, HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    Host h = new Host(driver, 1);
    driver.programQueues(SEED);
    byte[] registers = driver.registerState();
    long bar2 = probe(h).regions().get(VFIO_PCI_BAR2_REGION_INDEX).offset();
    long big = h.sys.mem.allocate(0x10000);
    assertEquals(0x8000, ok(h.kernel.pread(h.deviceFd, big, 0x10000, bar2)), "short at the half");
    byte[] seen = new byte[0x8000];
    h.sys.mem.read(big, ByteBuffer.wrap(seen));
    assertArrayEquals(new byte[0x8000], seen, "the guest's half holds only what the guest wrote");
    assertEquals(Errno.EINVAL, errno(h.kernel.pread(h.deviceFd, big, 4, bar2 + 0x8000)));
    assertEquals(
        Errno.EINVAL, errno(h.kernel.pread(h.deviceFd, big, 0, bar2 + 0x8000)), "even 0 bytes");
    assertEquals(Errno.EINVAL, errno(h.kernel.pwrite(h.deviceFd, big, 4, bar2 + 0x8070)));
    h.sys.mem.writeLong(big, -1L);
    assertEquals(4, ok(h.kernel.pwrite(h.deviceFd, big, 8, bar2 + 0x7ffc)), "cut at the half");
    assertArrayEquals(registers, driver.registerState(), "registers untouched by the guest");
    assertEquals(0, ok(h.kernel.pread(h.deviceFd, big, 0, bar2 + 0x7fff)));
  }

  @Test
  void vmm_migratesHisiVfWithIommuDirtyTracking() {
    HisiAccDriver srcDriver =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID, PF, HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    HisiAccDriver dstDriver =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID, PF, HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    Host src = new Host(srcDriver, 1);
    Host dst = new Host(dstDriver, 2);
    probe(src);
    probe(dst);
    srcDriver.programQueues(SEED); // the guest loads its VF driver
    guestDma(src, 200);

    long arg =
        src.sys.feature(
            src.deviceFd,
            VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
            VfioDeviceFeatureMigration.SIZE,
            new VfioDeviceFeatureMigration(0)::encode);
    assertEquals(
        VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY,
        src.sys
            .payload(arg, VfioDeviceFeatureMigration.SIZE, VfioDeviceFeatureMigration::decode)
            .flags());
    long probeLogging =
        src.sys.featureArg(
            VFIO_DEVICE_FEATURE_SET
                | VFIO_DEVICE_FEATURE_PROBE
                | VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
            0,
            b -> {});
    assertEquals(
        Errno.ENOTTY,
        errno(src.sys.ioctl(src.deviceFd, VFIO_DEVICE_FEATURE, probeLogging)),
        "no DMA logging: use the IOMMU");
    ok(src.sys.setDirtyTracking(src.iommufd, src.hwptId, true));

    dst.ram.copyFrom(src.ram, src.ram.base(), GUEST_SIZE);
    int dstData = dst.open(VFIO_DEVICE_STATE_RESUMING);
    int srcData = src.open(VFIO_DEVICE_STATE_PRE_COPY);
    assertEquals(new PrecopyInfo(40, 0), src.precopyInfo(srcData), "match data sent early");
    assertEquals(40, pump(src, srcData, dst, dstData));
    assertEquals(new PrecopyInfo(0, 0), src.precopyInfo(srcData));
    assertEquals(
        0, src.kernel.read(srcData, src.buffer, 4096), "end of pre-copy data is EOF, not ENOMSG");
    assertTrue(dstDriver.matchDone(), "destination matched on the early 40 bytes");

    for (int round = 0; round < 3; round++) {
      BitSet written = guestDma(src, 100);
      copyDirty(src, dst, written);
    }
    srcDriver.programQueues(SEED + 1); // the device state changes during pre-copy
    assertFalse(
        java.util.Arrays.equals(srcDriver.registerState(), dstDriver.registerState()),
        "negative control: the registers are still to come");
    BitSet last = guestDma(src, 100);
    assertEquals(-1, src.setState(VFIO_DEVICE_STATE_STOP_COPY)[1], "same session");
    copyDirty(src, dst, last);
    assertEquals(136, pump(src, srcData, dst, dstData), "the registers follow the match data");
    ok(dst.setState(VFIO_DEVICE_STATE_RUNNING)[0]);
    ok(src.sys.setDirtyTracking(src.iommufd, src.hwptId, false));

    assertEquals(-1, dst.ram.firstDifference(src.ram), "destination RAM differs");
    assertArrayEquals(srcDriver.registerState(), dstDriver.registerState(), "device state differs");
  }

  @Test
  void vmm_isRefusedByAMismatchedDestination() {
    HisiAccDriver srcDriver =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID, PF, HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    HisiAccDriver other =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID,
            new PfConfig(32, 0, 0x3),
            HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    Host src = new Host(srcDriver, 1);
    Host dst = new Host(other, 2);
    srcDriver.programQueues(SEED);
    byte[] before = other.registerState();
    int dstData = dst.open(VFIO_DEVICE_STATE_RESUMING);
    int srcData = src.open(VFIO_DEVICE_STATE_STOP_COPY);
    assertEquals(176, ok(src.kernel.read(srcData, src.buffer, 4096)));
    dst.sys.mem.write(dst.buffer, src.sys.mem.read(src.buffer, 176));
    assertEquals(
        -Errno.EFAULT.code(), dst.kernel.write(dstData, dst.buffer, 39 + 1), "qp_num differs");
    assertEquals(
        -Errno.EFAULT.code(), dst.kernel.write(dstData, dst.buffer + 40, 136), "checked again");
    assertEquals(
        -Errno.ENOMEM.code(), dst.kernel.write(dstData, dst.buffer, 1), "stream full: 177 > 176");
    assertFalse(other.matchDone());
    ok(dst.sys.ioctl(dst.deviceFd, VFIO_DEVICE_RESET, 0));
    assertEquals(
        VFIO_DEVICE_STATE_RESUMING, dst.state(), "hisi_acc: a reset does not end RESUMING");
    ok(dst.kernel.close(dstData));
    ok(dst.kernel.close(dst.deviceFd)); // the VMM gives up: close_device ends the session
    assertArrayEquals(before, other.registerState(), "nothing loaded");
  }

  @Test
  void precopyInfoV2_throughTheSyscalls_flagsAreAnOutputUntilTheDeviceIsClosed() {
    HisiAccDriver driver =
        HisiAccDriver.create(
            HisiAccDriver.HISI_SEC_VF_DEV_ID, PF, HisiAccDriver.Revision.MATCH_DONE_RESET_ON_OPEN);
    Host h = new Host(driver, 1);
    int dataFd = h.open(VFIO_DEVICE_STATE_PRE_COPY);
    assertEquals(0x5a, queryFlags(h, dataFd, 0x5a), "without the opt-in: echoed");
    long getArg =
        h.sys.featureArg(
            VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, 0, b -> {});
    assertEquals(
        Errno.EINVAL, errno(h.sys.ioctl(h.deviceFd, VFIO_DEVICE_FEATURE, getArg)), "SET only");
    h.sys.feature(
        h.deviceFd, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2, 0, b -> {});
    assertEquals(0, queryFlags(h, dataFd, 0x5a), "with it: an output, no REINIT from hisi_acc");
    ok(h.kernel.close(dataFd));
    ok(h.kernel.close(h.deviceFd)); // close_device drops the opt-in
    int fd = h.sys.open(FakeKernel.devicePath(0));
    h.sys.bind(fd, h.iommufd);
    long arg =
        h.sys.featureArg(
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
            VfioDeviceFeatureMigState.SIZE,
            new VfioDeviceFeatureMigState(VFIO_DEVICE_STATE_PRE_COPY, 0)::encode);
    ok(h.sys.ioctl(fd, VFIO_DEVICE_FEATURE, arg));
    int again =
        h.sys
            .payload(arg, VfioDeviceFeatureMigState.SIZE, VfioDeviceFeatureMigState::decode)
            .dataFd();
    assertEquals(0x5a, queryFlags(h, again, 0x5a), "echoed again after close");
  }

  private static int queryFlags(Host h, int dataFd, int flags) {
    long arg =
        h.sys.put(
            VfioPrecopyInfo.SIZE, new VfioPrecopyInfo(VfioPrecopyInfo.SIZE, flags, 0, 0)::encode);
    ok(h.sys.ioctl(dataFd, VFIO_MIG_GET_PRECOPY_INFO, arg));
    VfioPrecopyInfo info = h.sys.get(arg, VfioPrecopyInfo.SIZE, VfioPrecopyInfo::decode);
    assertEquals(40, info.initialBytes());
    return info.flags();
  }

  @Test
  void driver_canFailWithAnyErrno() {
    UapiException timeout = new UapiException(Errno.ETIMEDOUT, "firmware did not answer");
    UapiException odd = new UapiException(Errno.of(1234), "a number without a name");
    for (UapiException failure : List.of(timeout, odd)) {
      VfioDeviceDriver failing =
          new DelegatingDriver(VfioDeviceDriver.withoutMigration(java.util.Optional.empty())) {
            @Override
            public Set<MigrationFlag> migrationFlags() {
              return Set.of(MigrationFlag.STOP_COPY);
            }

            @Override
            public void executeArc(MigrationArc arc) {
              throw failure;
            }
          };
      Host h = new Host(failing, 1);
      assertEquals(-failure.errno().code(), h.setState(VFIO_DEVICE_STATE_STOP)[0]);
    }
  }

  /** Harvests the IOMMU bitmap, checks it holds every written page, copies the dirty pages. */
  private static void copyDirty(Host src, Host dst, BitSet written) {
    int bytes = PAGES / 8;
    long bitmap = src.sys.mem.allocate(bytes);
    ok(src.sys.getDirtyBitmap(src.iommufd, src.hwptId, 0, GUEST_SIZE, PAGE, bitmap, 0));
    byte[] raw = new byte[bytes];
    src.sys.mem.read(bitmap, ByteBuffer.wrap(raw));
    src.sys.mem.free(bitmap);
    BitSet dirty = BitSet.valueOf(raw);
    BitSet missing = (BitSet) written.clone();
    missing.andNot(dirty);
    assertTrue(missing.isEmpty(), "IOMMU bitmap lost pages " + missing);
    for (int p = dirty.nextSetBit(0); p >= 0; p = dirty.nextSetBit(p + 1)) {
      dst.ram.copyFrom(src.ram, src.ram.base() + p * PAGE, PAGE);
    }
  }

  /** Streams the source's data fd into the destination's until read() returns 0; the total. */
  private static long pump(Host src, int srcFd, Host dst, int dstFd) {
    long total = 0;
    while (true) {
      long n = ok(src.kernel.read(srcFd, src.buffer, 24)); // small reads: segmentation is free
      if (n == 0) {
        return total;
      }
      dst.sys.mem.write(dst.buffer, src.sys.mem.read(src.buffer, (int) n));
      assertEquals(n, dst.kernel.write(dstFd, dst.buffer, n));
      total += n;
    }
  }

  private BitSet guestDma(Host h, int writes) {
    BitSet pages = new BitSet(PAGES);
    for (int i = 0; i < writes; i++) {
      int first = random.nextInt(PAGES - 4);
      int count = 1 + random.nextInt(4);
      assertEquals(
          new DmaResult(count * PAGE, 0), h.kernel.dmaWrite(0, first * PAGE, count * PAGE));
      pages.set(first, first + count);
    }
    return pages;
  }
}
