package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.bitmap.IovaBitmap;

/**
 * REPORT through a {@link DmaTracker} that is not one of jvfio's own (a VMM's or a test's), which
 * the device serves with a bitmap of the user buffer's size: the user bytes it leaves must be those
 * jvfio's own tracker leaves, for the same writes.
 */
class VfioDeviceForeignTrackerTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final long K4 = 4096;
  private static final long BASE = 0x100000;
  private static final int FLAGS = VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT | VFIO_DEVICE_FEATURE_GET;

  /** A tracker of another kind: it delegates to an exact tracker. */
  record Foreign(DmaTracker d) implements DmaTracker {
    @Override
    public DmaLoggingControl start(DmaLoggingControl requested) {
      return d.start(requested);
    }

    @Override
    public void stop() {
      d.stop();
    }

    @Override
    public void readAndClear(long iova, long length, IovaBitmap dirty) {
      d.readAndClear(iova, length, dirty);
    }

    @Override
    public void checkReport(long iova, long length) {
      d.checkReport(iova, length);
    }

    @Override
    public boolean isLogging() {
      return d.isLogging();
    }

    @Override
    public long pageSize() {
      return d.pageSize();
    }

    @Override
    public List<DmaLoggingRange> effectiveRanges() {
      return d.effectiveRanges();
    }

    @Override
    public void fail() {
      d.fail();
    }

    @Override
    public boolean isFailed() {
      return d.isFailed();
    }

    @Override
    public void recordWrite(long iova, long length) {
      d.recordWrite(iova, length);
    }
  }

  /** Runs one scenario on a device with {@code tracker}; returns the user bitmap bytes after it. */
  private static byte[] reportBytes(
      DmaTracker tracker, long pages, long[][] writes, long reportPages, byte fill) {
    TestUserMemory mem = new TestUserMemory();
    VfioDevice dev = VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(tracker)));
    dev.startDmaLogging(new DmaLoggingControl(K4, List.of(new DmaLoggingRange(BASE, pages * K4))));
    for (long[] w : writes) {
      dev.dmaListener().recordWrite(w[0], w[1]);
    }
    int bytes = (int) ((reportPages + 7) / 8);
    long bitmap = mem.allocate(bytes + 8); // 8 bytes past what the report may touch
    ByteBuffer user = mem.block(bitmap);
    for (int i = 0; i < bytes + 8; i++) {
      user.put(i, fill);
    }
    ByteBuffer rep = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    rep.putLong(0, BASE).putLong(8, reportPages * K4).putLong(16, K4).putLong(24, bitmap);
    dev.feature(FLAGS, rep, mem);
    byte[] out = new byte[bytes + 8];
    user.get(0, out);
    return out;
  }

  @Test
  void report_foreignTracker_leavesTheBytesAnExactTrackerLeaves() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int trial = 0; trial < TRIES; trial++) {
      long pages = rnd.nextLong(1, 300);
      long[][] writes = new long[rnd.nextInt(0, 8)][];
      for (int w = 0; w < writes.length; w++) {
        writes[w] = new long[] {BASE + rnd.nextLong(pages * K4), rnd.nextLong(1, 3 * K4)};
      }
      long reportPages = rnd.nextLong(1, pages + 1);
      byte fill = (byte) rnd.nextInt(256);
      byte[] exact = reportBytes(DmaTracker.exact(), pages, writes, reportPages, fill);
      byte[] foreign =
          reportBytes(new Foreign(DmaTracker.exact()), pages, writes, reportPages, fill);
      assertArrayEquals(
          exact, foreign, String.format("seed=0x%x trial=%d pages=%d", SEED, trial, pages));
    }
  }

  @Test
  void report_foreignTracker_example_orsBitsAndStopsAtItsLastByte() {
    long[][] writes = {{BASE + 69 * K4, 10}, {BASE, 1}};
    byte[] out = reportBytes(new Foreign(DmaTracker.exact()), 70, writes, 70, (byte) 0xA0);
    assertEquals((byte) 0xA1, out[0]);
    assertEquals((byte) (0xA0 | 0x20), out[8]); // bit 69: byte 8, bit 5
    for (int i = 9; i < out.length; i++) {
      assertEquals((byte) 0xA0, out[i], "byte " + i + " is past ceil(70 / 8) bytes");
    }
  }

  @Test
  void report_foreignTracker_unreachableBitmap_efaultAndNothingCleared() {
    VfioDevice dev =
        VfioDevice.create(
            VfioDeviceDriver.withoutMigration(Optional.of(new Foreign(DmaTracker.exact()))));
    dev.startDmaLogging(new DmaLoggingControl(K4, List.of(new DmaLoggingRange(BASE, 16 * K4))));
    dev.dmaListener().recordWrite(BASE + 3 * K4, 1);
    TestUserMemory mem = new TestUserMemory();
    ByteBuffer rep = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    rep.putLong(0, BASE).putLong(8, 16 * K4).putLong(16, K4).putLong(24, 0xdead0000L);
    assertErrno(Errno.EFAULT, () -> dev.feature(FLAGS, rep, mem));
    long bitmap = mem.allocate(2);
    rep.putLong(24, bitmap);
    dev.feature(FLAGS, rep, mem);
    assertEquals((byte) 0x08, mem.block(bitmap).get(0));
  }
}
