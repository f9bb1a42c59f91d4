package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.bitmap.IovaBitmap;

/** Device DMA logging through {@link VfioDevice}: START, STOP, REPORT. */
class VfioDeviceDmaLoggingTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final long K4 = 4096;
  private static final long M2 = 1L << 21;
  private static final long G1 = 1L << 30;

  private static VfioDevice device(DmaTracker tracker) {
    return VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(tracker)));
  }

  private static DmaLoggingControl control(long pageSize, long... iovaLength) {
    List<DmaLoggingRange> ranges = new ArrayList<>();
    for (int i = 0; i < iovaLength.length; i += 2) {
      ranges.add(new DmaLoggingRange(iovaLength[i], iovaLength[i + 1]));
    }
    return new DmaLoggingControl(pageSize, ranges);
  }

  private static void assertStartRefused(Errno errno, DmaLoggingControl c) {
    VfioDevice dev = device(DmaTracker.exact());
    assertErrno(errno, () -> dev.startDmaLogging(c));
    assertFalse(dev.dmaTracker().orElseThrow().isLogging());
  }

  @Test
  void start_rangeCountChecks() {
    assertStartRefused(Errno.EINVAL, control(K4));
    List<DmaLoggingRange> many = new ArrayList<>();
    for (int i = 0; i < 257; i++) {
      many.add(new DmaLoggingRange(i * 2 * K4, K4));
    }
    assertStartRefused(Errno.E2BIG, new DmaLoggingControl(K4, many));
    // E2BIG is checked before the page size.
    assertStartRefused(Errno.E2BIG, new DmaLoggingControl(0, many));
    VfioDevice dev = device(DmaTracker.exact());
    assertEquals(
        256, dev.startDmaLogging(new DmaLoggingControl(K4, many.subList(0, 256))).ranges().size());
  }

  /** LOG_MAX_RANGES is PAGE_SIZE / 16: 256, 1024 and 4096 ranges on 4, 16 and 64 KiB kernels. */
  @Test
  void start_rangeLimitFollowsThePageSize() {
    for (long pageSize : new long[] {4096, 16384, 65536}) {
      int max = (int) (pageSize / 16);
      List<DmaLoggingRange> many = new ArrayList<>();
      for (int i = 0; i <= max; i++) {
        many.add(new DmaLoggingRange(i * 2 * K4, K4));
      }
      VfioDevice dev =
          VfioDevice.create(
              VfioDeviceDriver.withoutMigration(Optional.of(DmaTracker.exact())), pageSize);
      DmaLoggingControl tooMany = new DmaLoggingControl(K4, many);
      assertErrno(Errno.E2BIG, () -> dev.startDmaLogging(tooMany));
      DmaLoggingControl atMost = new DmaLoggingControl(K4, many.subList(0, max));
      assertEquals(max, dev.startDmaLogging(atMost).ranges().size(), "PAGE_SIZE " + pageSize);
    }
    assertThrows(
        IllegalArgumentException.class,
        () -> VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.empty()), 8192));
  }

  @Test
  void start_badPageSize_einval() {
    for (long pageSize : new long[] {0, 3, 6144, K4 + 1, -1}) {
      assertStartRefused(Errno.EINVAL, control(pageSize, 0, 0x10000));
    }
  }

  @Test
  void start_rangeChecks() {
    assertStartRefused(Errno.EINVAL, control(K4, 0x1001, K4));
    assertStartRefused(Errno.EINVAL, control(K4, 0x1000, 0x800));
    assertStartRefused(Errno.EINVAL, control(K4, 0x1000, 0));
    assertStartRefused(Errno.EOVERFLOW, control(K4, -K4, K4));
    assertStartRefused(Errno.EOVERFLOW, control(K4, 0, 0x10000, -2 * K4, 4 * K4));
    assertStartRefused(Errno.EINVAL, control(K4, 0x10000, 0x2000, 0x11000, K4));
    assertStartRefused(Errno.EINVAL, control(K4, 0x11000, K4, 0x10000, 0x2000));
    assertStartRefused(Errno.EINVAL, control(K4, 0, 0x10000, 0x20000, K4, 0x8000, 0x20000));
    // The errors are reported in the user's order: range 1 overlaps before range 2 overflows.
    assertStartRefused(Errno.EINVAL, control(K4, 0, 0x2000, K4, K4, -K4, K4));
    // Adjacent and unsorted ranges are fine; the effective ranges come back sorted.
    VfioDevice dev = device(DmaTracker.exact());
    DmaLoggingControl eff =
        dev.startDmaLogging(control(K4, 0x3000, K4, 0x1000, 0x2000, -2 * K4, K4));
    assertEquals(
        List.of(
            new DmaLoggingRange(0x1000, 0x2000),
            new DmaLoggingRange(0x3000, K4),
            new DmaLoggingRange(-2 * K4, K4)),
        eff.ranges());
  }

  @Test
  void start_whileLogging_einvalAndLogKept() {
    VfioDevice dev = device(DmaTracker.exact());
    dev.startDmaLogging(control(K4, 0, 0x10000));
    dev.dmaListener().recordWrite(0x5000, 1);
    assertErrno(Errno.EINVAL, () -> dev.startDmaLogging(control(K4, 0x100000, 0x10000)));
    assertEquals(
        List.of(new DmaLoggingRange(0, 0x10000)), dev.dmaTracker().orElseThrow().effectiveRanges());
    IovaBitmap bm = IovaBitmap.allocate(0, 0x10000, K4);
    dev.reportDmaLogging(new DmaLoggingReport(0, 0x10000, K4), bm);
    assertTrue(bm.isDirty(0x5000));
    assertEquals(1, bm.cardinality());
  }

  @Test
  void stop_isIdempotent_andReportAfterStopEinval() {
    VfioDevice dev = device(DmaTracker.exact());
    dev.stopDmaLogging();
    dev.startDmaLogging(control(K4, 0, 0x10000));
    dev.stopDmaLogging();
    dev.stopDmaLogging();
    assertErrno(
        Errno.EINVAL,
        () ->
            dev.reportDmaLogging(new DmaLoggingReport(0, K4, K4), IovaBitmap.allocate(0, K4, K4)));
  }

  @Test
  void report_checks() {
    VfioDevice dev = device(DmaTracker.exact());
    dev.startDmaLogging(control(K4, 0, 0x10000));
    for (long ps : new long[] {0, 2048, K4 + 1, 3 * K4}) {
      assertErrno(Errno.EINVAL, () -> dev.reportDmaLogging(new DmaLoggingReport(0, K4, ps), null));
    }
    assertErrno(
        Errno.EOVERFLOW, () -> dev.reportDmaLogging(new DmaLoggingReport(-K4, K4, K4), null));
    assertErrno(Errno.EINVAL, () -> dev.reportDmaLogging(new DmaLoggingReport(0, 0, K4), null));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            dev.reportDmaLogging(
                new DmaLoggingReport(0, K4, K4), IovaBitmap.allocate(0, 2 * K4, K4)));
    dev.dmaTracker().orElseThrow().fail();
    assertErrno(
        Errno.EIO,
        () ->
            dev.reportDmaLogging(new DmaLoggingReport(0, K4, K4), IovaBitmap.allocate(0, K4, K4)));
    dev.stopDmaLogging();
    dev.startDmaLogging(control(K4, 0, 0x10000));
    dev.reportDmaLogging(new DmaLoggingReport(0, K4, K4), IovaBitmap.allocate(0, K4, K4));
  }

  @Test
  void byteDoor_startReadsRangesThroughUserMemoryAndWritesBackPageSize() {
    TestUserMemory mem = new TestUserMemory();
    VfioDevice dev = device(DmaTracker.exact(M2));
    long ranges = mem.allocate(32);
    mem.block(ranges).putLong(0, 0).putLong(8, 0x200000).putLong(16, 0x400000).putLong(24, K4);
    ByteBuffer ctl = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
    ctl.putLong(0, K4).putInt(8, 3).putLong(16, ranges);
    // The third range is past the end of the allocation: EFAULT, nothing changes.
    assertErrno(
        Errno.EFAULT,
        () ->
            dev.feature(VFIO_DEVICE_FEATURE_DMA_LOGGING_START | VFIO_DEVICE_FEATURE_SET, ctl, mem));
    assertFalse(dev.dmaTracker().orElseThrow().isLogging());
    assertEquals(K4, ctl.getLong(0));
    ctl.putInt(8, 2);
    dev.feature(VFIO_DEVICE_FEATURE_DMA_LOGGING_START | VFIO_DEVICE_FEATURE_SET, ctl, mem);
    assertEquals(M2, ctl.getLong(0));
    assertEquals(2, ctl.getInt(8));
    assertEquals(M2, dev.dmaTracker().orElseThrow().pageSize());
    // num_ranges is unsigned: 0x80000000 is E2BIG, not negative.
    VfioDevice other = device(DmaTracker.exact());
    ctl.putLong(0, K4).putInt(8, Integer.MIN_VALUE);
    assertErrno(
        Errno.E2BIG,
        () ->
            other.feature(
                VFIO_DEVICE_FEATURE_DMA_LOGGING_START | VFIO_DEVICE_FEATURE_SET, ctl, mem));
  }

  @Test
  void byteDoor_reportOrsIntoTheUserBitmapAndTouchesOnlyItsBytes() {
    TestUserMemory mem = new TestUserMemory();
    VfioDevice dev = device(DmaTracker.exact());
    dev.startDmaLogging(control(K4, 0x100000, 70 * K4));
    long bitmap = mem.allocate(16);
    ByteBuffer user = mem.block(bitmap);
    for (int i = 0; i < 16; i++) {
      user.put(i, (byte) 0xA0);
    }
    user.put(0, (byte) 0x08); // a bit the user left set: OR semantics keep it
    dev.dmaListener().recordWrite(0x100000 + 69 * K4, 10);
    dev.dmaListener().recordWrite(0x100000, 1);
    ByteBuffer rep = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    rep.putLong(0, 0x100000).putLong(8, 70 * K4).putLong(16, K4).putLong(24, 0xdead0000L);
    int flags = VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT | VFIO_DEVICE_FEATURE_GET;
    assertErrno(Errno.EFAULT, () -> dev.feature(flags, rep, mem));
    rep.putLong(24, bitmap);
    dev.feature(flags, rep, mem);
    assertEquals((byte) 0x09, user.get(0));
    assertEquals((byte) (0xA0 | 0x20), user.get(8)); // bit 69 = byte 8, bit 5
    for (int i = 9; i < 16; i++) {
      assertEquals((byte) 0xA0, user.get(i), "byte " + i + " is past ceil(70 / 8) bytes");
    }
  }

  /** Bits the report must set: every report page intersecting a dirty granule. */
  private static long[] oracle(List<long[]> granules, long iova0, long length, long ps) {
    long bits = (length - 1) / ps + 1;
    long[] words = new long[(int) ((bits + 63) / 64)];
    long end = iova0 + length;
    for (long[] g : granules) {
      long lo = Math.max(g[0], iova0);
      long hi = Math.min(g[0] + g[1], end);
      for (long i = lo < hi ? (lo - iova0) / ps : 1; lo < hi && i <= (hi - 1 - iova0) / ps; i++) {
        words[(int) (i / 64)] |= 1L << (i % 64);
      }
    }
    return words;
  }

  /** Records {@code writes} random writes and returns the dirty tracker granules they cover. */
  private static List<long[]> writeRandom(
      VfioDevice dev, SplittableRandom rnd, long base, long span, long granule, int writes) {
    List<long[]> granules = new ArrayList<>();
    for (int w = 0; w < writes; w++) {
      long iova = base - span / 8 + (long) (rnd.nextDouble() * (span + span / 4));
      long len = 1 + rnd.nextInt(rnd.nextBoolean() ? 64 : 300_000);
      dev.dmaListener().recordWrite(iova, len);
      long first = Math.max(iova, base) / granule * granule;
      long last = Math.min(iova + len, base + span) - 1;
      for (long g = first; g <= last; g += granule) {
        granules.add(new long[] {g, granule});
      }
    }
    return granules;
  }

  @Test
  void reportBits_unalignedIova_everyPowerOfTwoPageSizeFrom4KiBTo1TiB() {
    long base = 4 * G1;
    for (int shift = 12; shift <= 40; shift++) {
      long ps = 1L << shift;
      SplittableRandom rnd = new SplittableRandom(SEED + shift);
      VfioDevice dev = device(DmaTracker.exact());
      dev.startDmaLogging(control(K4, base, G1));
      long iova0 = base + 0x1234 + rnd.nextInt(1 << 20);
      List<long[]> granules = writeRandom(dev, rnd, base, G1, K4, 300);
      // One write straddling iova0 (reported, clipped) and one wholly below it (kept).
      dev.dmaListener().recordWrite(iova0 - 10, 20);
      granules.add(new long[] {(iova0 - 10) & -K4, K4});
      if (((iova0 + 10) & -K4) != ((iova0 - 10) & -K4)) {
        granules.add(new long[] {(iova0 + 10) & -K4, K4});
      }
      dev.dmaListener().recordWrite(base, 1);
      granules.add(new long[] {base, K4});
      long length = base + G1 - iova0;
      IovaBitmap bm = IovaBitmap.allocate(iova0, length, ps);
      dev.reportDmaLogging(new DmaLoggingReport(iova0, length, ps), bm);
      String where =
          "seed=0x"
              + Long.toHexString(SEED)
              + " pageSize=2^"
              + shift
              + " iova=0x"
              + Long.toHexString(iova0);
      assertArrayEquals(oracle(granules, iova0, length, ps), bm.words(), where);
      // The granules below iova0 stay in the log; everything reported is cleared.
      IovaBitmap again = IovaBitmap.allocate(base, G1, K4);
      dev.reportDmaLogging(new DmaLoggingReport(base, G1, K4), again);
      List<long[]> below = new ArrayList<>();
      for (long[] g : granules) {
        if (g[0] + g[1] <= iova0) {
          below.add(g);
        }
      }
      assertArrayEquals(
          oracle(below, base, iova0 - base, K4), Arrays64.prefix(again, iova0 - base), where);
    }
  }

  @Test
  void reportBits_largeGranulesStraddlingWords() {
    for (long granule : new long[] {M2, G1}) {
      for (long offsetPages : new long[] {0, 1, 5, 63, 64, 65}) {
        SplittableRandom rnd = new SplittableRandom(SEED ^ granule ^ offsetPages);
        long base = 2 * G1;
        long span = granule == G1 ? 2 * G1 : 64 * M2;
        VfioDevice dev = device(DmaTracker.exact());
        DmaLoggingControl eff = dev.startDmaLogging(control(granule, base, span));
        assertEquals(granule, eff.pageSize());
        List<long[]> granules = writeRandom(dev, rnd, base, span, granule, 20);
        long iova0 = base + offsetPages * K4;
        long length = span - offsetPages * K4 - K4;
        IovaBitmap bm = IovaBitmap.allocate(iova0, length, K4);
        bm.words()[0] |= 1L << 3;
        long[] expected = oracle(granules, iova0, length, K4);
        expected[0] |= 1L << 3;
        dev.reportDmaLogging(new DmaLoggingReport(iova0, length, K4), bm);
        assertArrayEquals(
            expected, bm.words(), "granule=" + granule + " offsetPages=" + offsetPages);
      }
    }
  }

  /** Helpers over bitmap words. */
  private static final class Arrays64 {
    /** The words of {@code bm} restricted to its first {@code length} bytes of IOVA at 4 KiB. */
    static long[] prefix(IovaBitmap bm, long length) {
      long bits = (length - 1) / K4 + 1;
      long[] out = new long[(int) ((bits + 63) / 64)];
      System.arraycopy(bm.words(), 0, out, 0, out.length);
      if (bits % 64 != 0) {
        out[out.length - 1] &= (1L << (bits % 64)) - 1;
      }
      // Nothing may remain past the prefix: the rest was reported before.
      for (long i = bits; i < bm.bitCount(); i++) {
        assertFalse(
            (bm.words()[(int) (i / 64)] & (1L << (i % 64))) != 0, "bit " + i + " left in log");
      }
      return out;
    }
  }
}
