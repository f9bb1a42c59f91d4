package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DATA_SIZE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_PRE_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_RESUMING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_RUNNING;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_STATE_STOP_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_MIGRATION_P2P;
import static org.jvfio.api.vfio.Vfio.VFIO_MIGRATION_PRE_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_MIGRATION_STOP_COPY;
import static org.jvfio.api.vfio.Vfio.VFIO_MIG_GET_PRECOPY_INFO;
import static org.jvfio.core.kernel.Syscalls.errno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingControl;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingRange;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingReport;
import org.jvfio.api.vfio.VfioDeviceFeatureMigDataSize;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.api.vfio.VfioDeviceFeatureMigration;
import org.jvfio.api.vfio.VfioPrecopyInfo;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaLoggingReport;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigDataSize;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.PrecopyInfo;
import org.jvfio.core.vfio.ReferenceMigrationDriver;

/**
 * A VMM-style live migration of a device between two hosts, each a {@link FakeKernel}, written only
 * against open/ioctl/read/write and user memory: bind and attach through iommufd, IOMMU dirty
 * tracking and device DMA logging, pre-copy rounds that harvest both dirty bitmaps and stream the
 * device state through the data fds, stop-and-copy, resume. The hardware hooks stand for the guest
 * (device DMA, device state changes); guest RAM moves as the VMM's own memory.
 *
 * <p>Oracles: every page written by DMA in a round appears in that round's IOMMU bitmap and device
 * report; the device report is inside the IOMMU bitmap; at the end the destination's RAM equals the
 * source's page for page (a lost dirty bit leaves a stale page) and so does the device state.
 */
class FakeKernelMigrationTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final long PAGE = 4096;
  private static final long GUEST_SIZE = 64L << 20;
  private static final int PAGES = (int) (GUEST_SIZE / PAGE);
  private static final int BITMAP_BYTES = PAGES / 8;
  private static final int STATE_SIZE = 64 * 1024;
  private static final int CHUNK = 64 * 1024;
  private static final int ROUNDS = 3;
  private static final int WRITES_PER_ROUND = 150;

  /** One host: its kernel, and the VMM's fds, ids and buffers there. */
  private static final class Host {
    final FakeKernel kernel;
    final Syscalls sys;
    final GuestMemory ram;
    final int iommufd;
    final int deviceFd;
    final int hwptId;
    final long buffer;
    final long iommuBitmap;
    final long deviceBitmap;

    Host(ReferenceMigrationDriver driver, long tokenSeed) {
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
      sys.ioasMapFixed(iommufd, ioasId, ram.base(), GUEST_SIZE, 0); // IOVA = guest physical
      hwptId = sys.hwptAlloc(iommufd, devId, ioasId, IOMMU_HWPT_ALLOC_DIRTY_TRACKING);
      assertEquals(hwptId, sys.attach(deviceFd, hwptId));
      buffer = sys.mem.allocate(CHUNK);
      iommuBitmap = sys.mem.allocate(BITMAP_BYTES);
      deviceBitmap = sys.mem.allocate(BITMAP_BYTES);
    }

    /** MIG_DEVICE_STATE SET; returns the data_fd of the reply. */
    int setState(int state) {
      long arg =
          sys.feature(
              deviceFd,
              VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE,
              VfioDeviceFeatureMigState.SIZE,
              new VfioDeviceFeatureMigState(state, 0)::encode);
      VfioDeviceFeatureMigState reply =
          sys.payload(arg, VfioDeviceFeatureMigState.SIZE, VfioDeviceFeatureMigState::decode);
      assertEquals(state, reply.deviceState());
      return reply.dataFd();
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

    PrecopyInfo precopyInfo(int dataFd) {
      long arg = sys.put(VfioPrecopyInfo.SIZE, new PrecopyInfo(0, 0).toStruct()::encode);
      ok(sys.ioctl(dataFd, VFIO_MIG_GET_PRECOPY_INFO, arg));
      return PrecopyInfo.fromStruct(sys.get(arg, VfioPrecopyInfo.SIZE, VfioPrecopyInfo::decode));
    }

    /**
     * Harvests the IOMMU dirty bitmap and the device's DMA-logging report over all of guest RAM
     * into zeroed user bitmaps and returns them as {iommu, device}.
     */
    BitSet[] harvest() {
      sys.mem.write(iommuBitmap, ByteBuffer.allocate(BITMAP_BYTES));
      sys.mem.write(deviceBitmap, ByteBuffer.allocate(BITMAP_BYTES));
      ok(sys.getDirtyBitmap(iommufd, hwptId, 0, GUEST_SIZE, PAGE, iommuBitmap, 0));
      sys.feature(
          deviceFd,
          VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT,
          VfioDeviceFeatureDmaLoggingReport.SIZE,
          new DmaLoggingReport(0, GUEST_SIZE, PAGE).toStruct(deviceBitmap)::encode);
      return new BitSet[] {bits(iommuBitmap), bits(deviceBitmap)};
    }

    private BitSet bits(long addr) {
      byte[] bytes = new byte[BITMAP_BYTES];
      sys.mem.read(addr, ByteBuffer.wrap(bytes));
      return BitSet.valueOf(bytes);
    }
  }

  private final SplittableRandom random = new SplittableRandom(SEED);

  @Test
  void vmm_migratesDeviceAndRam_throughSyscallsOnly() {
    EnumSet<MigrationFlag> flags = EnumSet.allOf(MigrationFlag.class);
    ReferenceMigrationDriver srcDriver =
        ReferenceMigrationDriver.create(
            flags, seededBytes(STATE_SIZE), 4096, Optional.of(DmaTracker.exact()));
    ReferenceMigrationDriver dstDriver =
        ReferenceMigrationDriver.create(
            flags, new byte[STATE_SIZE], 4096, Optional.of(DmaTracker.exact()));
    Host src = new Host(srcDriver, 1);
    Host dst = new Host(dstDriver, 2);

    // The guest runs: its device writes RAM by DMA.
    guestDma(src, 500);

    // Capabilities and dirty tracking on the source.
    long arg =
        src.sys.feature(
            src.deviceFd,
            VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIGRATION,
            VfioDeviceFeatureMigration.SIZE,
            new VfioDeviceFeatureMigration(0)::encode);
    assertEquals(
        VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY,
        src.sys
            .payload(arg, VfioDeviceFeatureMigration.SIZE, VfioDeviceFeatureMigration::decode)
            .flags());
    startDmaLogging(src);
    ok(src.sys.setDirtyTracking(src.iommufd, src.hwptId, true));

    // First RAM pass, then the data transfer sessions on both sides.
    dst.ram.copyFrom(src.ram, src.ram.base(), GUEST_SIZE);
    int dstData = dst.setState(VFIO_DEVICE_STATE_RESUMING);
    int srcData = src.setState(VFIO_DEVICE_STATE_PRE_COPY);
    assertTrue(srcData >= 3 && dstData >= 3);
    PrecopyInfo initial = src.precopyInfo(srcData);
    assertTrue(initial.initialBytes() > 0, "initial pre-copy data " + initial);

    for (int round = 0; round < ROUNDS; round++) {
      BitSet written = guestDma(src, WRITES_PER_ROUND);
      srcDriver.writeState(random.nextInt(STATE_SIZE - 100), seededBytes(100));
      assertEquals(Errno.ENOMSG, errno(pump(src, srcData, dst, dstData)));
      assertEquals(new PrecopyInfo(0, 0), src.precopyInfo(srcData));
      copyDirty(src, dst, written, "round " + round);
    }

    // The guest keeps running after the last harvest: those pages only the final harvest finds.
    BitSet lastWrites = guestDma(src, WRITES_PER_ROUND);
    assertEquals(-1, src.setState(VFIO_DEVICE_STATE_STOP_COPY), "same session");
    long dataSize =
        MigDataSize.fromStruct(
                src.sys.payload(
                    src.sys.feature(
                        src.deviceFd,
                        VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_MIG_DATA_SIZE,
                        VfioDeviceFeatureMigDataSize.SIZE,
                        new MigDataSize(0).toStruct()::encode),
                    VfioDeviceFeatureMigDataSize.SIZE,
                    VfioDeviceFeatureMigDataSize::decode))
            .stopCopyLength();
    assertTrue(dataSize > 0, "stop-copy size " + dataSize);
    assertTrue(dst.ram.diffCount(src.ram) > 0, "negative control: the final pass matters");
    copyDirty(src, dst, lastWrites, "stop-copy");
    assertEquals(0, pump(src, srcData, dst, dstData), "end of stream");
    assertEquals(0, src.kernel.read(srcData, src.buffer, CHUNK), "read() keeps returning 0");

    // Resume on the destination, stop tracking on the source.
    dst.setState(VFIO_DEVICE_STATE_RUNNING);
    assertEquals(VFIO_DEVICE_STATE_RUNNING, dst.state());
    ok(dst.kernel.close(dstData));
    ok(src.kernel.close(srcData));
    src.sys.feature(
        src.deviceFd, VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP, 0, b -> {});
    ok(src.sys.setDirtyTracking(src.iommufd, src.hwptId, false));

    assertEquals(-1, dst.ram.firstDifference(src.ram), "destination RAM differs");
    assertArrayEquals(srcDriver.deviceState(), dstDriver.deviceState());
    assertEquals(VFIO_DEVICE_STATE_STOP_COPY, src.state());
  }

  /** DMA_LOGGING_START over all of guest RAM, the ranges array in user memory. */
  private static void startDmaLogging(Host h) {
    List<DmaLoggingRange> ranges = List.of(new DmaLoggingRange(0, GUEST_SIZE));
    long rangesAddr =
        h.sys.put(VfioDeviceFeatureDmaLoggingRange.SIZE, ranges.get(0).toStruct()::encode);
    long arg =
        h.sys.feature(
            h.deviceFd,
            VFIO_DEVICE_FEATURE_SET | VFIO_DEVICE_FEATURE_DMA_LOGGING_START,
            VfioDeviceFeatureDmaLoggingControl.SIZE,
            new DmaLoggingControl(PAGE, ranges).toStruct(rangesAddr)::encode);
    VfioDeviceFeatureDmaLoggingControl reply =
        h.sys.payload(
            arg,
            VfioDeviceFeatureDmaLoggingControl.SIZE,
            VfioDeviceFeatureDmaLoggingControl::decode);
    assertEquals(PAGE, reply.pageSize(), "chosen tracking page size");
  }

  /**
   * Harvests both bitmaps, checks them against the pages written since the last harvest, and copies
   * the union of dirty pages to the destination.
   */
  private static void copyDirty(Host src, Host dst, BitSet written, String when) {
    BitSet[] dirty = src.harvest();
    BitSet iommu = dirty[0];
    BitSet device = dirty[1];
    BitSet missing = (BitSet) written.clone();
    missing.andNot(iommu);
    assertTrue(missing.isEmpty(), when + ": IOMMU bitmap lost pages " + missing);
    missing = (BitSet) written.clone();
    missing.andNot(device);
    assertTrue(missing.isEmpty(), when + ": device report lost pages " + missing);
    BitSet extra = (BitSet) device.clone();
    extra.andNot(iommu);
    assertTrue(extra.isEmpty(), when + ": device DMA the IOMMU did not see " + extra);
    BitSet union = (BitSet) iommu.clone();
    union.or(device);
    for (int p = union.nextSetBit(0); p >= 0; p = union.nextSetBit(p + 1)) {
      dst.ram.copyFrom(src.ram, src.ram.base() + p * PAGE, PAGE);
    }
  }

  /**
   * Streams the source's data fd into the destination's until read() stops; returns its last
   * result: 0 at end of stream, {@code -ENOMSG} at the pre-copy temporary end.
   */
  private static long pump(Host src, int srcFd, Host dst, int dstFd) {
    while (true) {
      long n = src.kernel.read(srcFd, src.buffer, CHUNK);
      if (n <= 0) {
        return n;
      }
      dst.sys.mem.write(dst.buffer, src.sys.mem.read(src.buffer, (int) n)); // the network
      assertEquals(n, dst.kernel.write(dstFd, dst.buffer, n));
    }
  }

  /** Makes the source's device write {@code writes} random runs of pages; returns the pages. */
  private BitSet guestDma(Host h, int writes) {
    BitSet pages = new BitSet(PAGES);
    for (int i = 0; i < writes; i++) {
      int first = random.nextInt(PAGES - 4);
      int count = 1 + random.nextInt(4);
      DmaResult r = h.kernel.dmaWrite(0, first * PAGE, count * PAGE);
      assertEquals(new DmaResult(count * PAGE, 0), r, "seed " + SEED);
      pages.set(first, first + count);
    }
    return pages;
  }

  private byte[] seededBytes(int size) {
    byte[] bytes = new byte[size];
    for (int i = 0; i < size; i++) {
      bytes[i] = (byte) random.nextInt(256);
    }
    return bytes;
  }
}
