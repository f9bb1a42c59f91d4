package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.bitmap.IovaBitmap;

/**
 * DMA_LOGGING_REPORT at the byte door: the checks come in the kernel's order before anything is
 * sized from {@code length}, and the windowed user bitmap ({@link UserBitmapWriter}) writes exactly
 * what the typed door's whole bitmap holds, for every tracker, across window boundaries.
 */
class DmaLoggingReportWindowTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final long K4 = 4096;
  private static final int REPORT =
      VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT | VFIO_DEVICE_FEATURE_GET;

  private static VfioDevice device(DmaTracker tracker) {
    return VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(tracker)));
  }

  static ByteBuffer report(long iova, long length, long pageSize, long bitmap) {
    ByteBuffer rep = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
    return rep.putLong(0, iova).putLong(8, length).putLong(16, pageSize).putLong(24, bitmap);
  }

  /**
   * The reproducer: a 16-byte bitmap and a length of 2^44 at 4 KiB (a 512 MiB bitmap).
   * Logging off: the driver's EINVAL, whatever the buffer. Logging on: EFAULT, before anything is
   * read, cleared or allocated from the length.
   */
  @Test
  void report_hugeLengthSmallBuffer_errnoWithoutSizingFromTheLength() {
    TestUserMemory mem = new TestUserMemory();
    long bitmap = mem.allocate(16);
    VfioDevice dev = device(DmaTracker.exact());
    for (int i = 0; i < 64; i++) { // 64 x 512 MiB would exhaust any test heap
      assertErrno(Errno.EINVAL, () -> dev.feature(REPORT, report(0, 1L << 44, K4, bitmap), mem));
    }
    dev.startDmaLogging(new DmaLoggingControl(K4, List.of(new DmaLoggingRange(0, 1L << 44))));
    dev.dmaListener().recordWrite(0, 1);
    for (int i = 0; i < 64; i++) {
      assertErrno(Errno.EFAULT, () -> dev.feature(REPORT, report(0, 1L << 44, K4, bitmap), mem));
    }
    // Nothing was cleared: the write is still in the log.
    dev.feature(REPORT, report(0, 128 * K4, K4, bitmap), mem);
    assertEquals(1, mem.block(bitmap).get(0));
  }

  /** The driver's checks come before the bitmap's: a pds-like report outside its region. */
  @Test
  void report_driverRefusalComesBeforeTheBitmapCheck() {
    TestUserMemory mem = new TestUserMemory();
    VfioDevice dev = device(DmaTracker.pdsLike());
    dev.startDmaLogging(
        new DmaLoggingControl(K4, List.of(new DmaLoggingRange(1L << 30, 1L << 30))));
    assertErrno(Errno.EINVAL, () -> dev.feature(REPORT, report(0, K4, K4, 0xdead0000L), mem));
    dev.dmaTracker().orElseThrow().fail();
    assertErrno(
        Errno.EIO, () -> dev.feature(REPORT, report(1L << 30, 1L << 30, K4, 0xdead0000L), mem));
  }

  private static final List<Supplier<DmaTracker>> TRACKERS =
      List.of(
          DmaTracker::exact,
          () -> DmaTracker.exact(1L << 21),
          () -> DmaTracker.mlx5Like(2, 12, 30, 0, 63),
          DmaTracker::pdsLike);

  /**
   * Property: the byte door ORs into the user's bytes exactly the bits the typed door reports, for
   * reports spanning several 4 KiB windows of bitmap, with granules larger than the report page,
   * unaligned report starts and bits the user left set.
   */
  @Test
  void byteDoor_equalsTypedDoor_acrossWindows() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    int tries = Math.max(8, TRIES / 10);
    for (int t = 0; t < tries; t++) {
      Supplier<DmaTracker> kind = TRACKERS.get(t % TRACKERS.size());
      long ps = K4 << rnd.nextInt(3);
      long span = ps * (1 << 15) * (1 + rnd.nextInt(3)); // one to three windows of bitmap
      long base = (1L << 32) + ps * rnd.nextInt(1 << 14);
      VfioDevice typed = device(kind.get());
      VfioDevice bytes = device(kind.get());
      DmaLoggingControl c =
          new DmaLoggingControl(K4, List.of(new DmaLoggingRange(base - (base & (K4 - 1)), span)));
      typed.startDmaLogging(c);
      bytes.startDmaLogging(c);
      for (int w = 0; w < 40; w++) {
        long iova = base + (long) (rnd.nextDouble() * span);
        long len = 1 + rnd.nextLong(rnd.nextBoolean() ? K4 : 3L << 21);
        typed.dmaListener().recordWrite(iova, len);
        bytes.dmaListener().recordWrite(iova, len);
      }
      boolean pds = typed.dmaTracker().orElseThrow() instanceof PdsLikeTracker;
      long iova = pds ? base : base + ps * rnd.nextInt(64);
      long length = pds ? span : span - (iova - base) - ps * rnd.nextInt(64);
      IovaBitmap expected = IovaBitmap.allocate(iova, length, ps);
      long nbytes = (expected.bitCount() + 7) / 8;
      TestUserMemory mem = new TestUserMemory();
      long bitmap = mem.allocate((int) nbytes);
      ByteBuffer user = mem.block(bitmap);
      for (int i = 0; i < nbytes; i++) {
        if (rnd.nextInt(64) == 0) {
          byte b = (byte) (1 << rnd.nextInt(8));
          user.put(i, b);
          expected.words()[i / 8] |= (b & 0xffL) << (8 * (i % 8));
        }
      }
      typed.reportDmaLogging(new DmaLoggingReport(iova, length, ps), expected);
      bytes.feature(REPORT, report(iova, length, ps, bitmap), mem);
      String where =
          "try "
              + t
              + " "
              + typed.dmaTracker().orElseThrow()
              + " iova 0x"
              + Long.toHexString(iova)
              + " length 0x"
              + Long.toHexString(length)
              + " ps "
              + ps;
      for (int i = 0; i < nbytes; i++) {
        assertEquals(
            (byte) (expected.words()[i / 8] >>> (8 * (i % 8))), user.get(i), where + " byte " + i);
      }
      assertTrue(expected.cardinality() > 0, where);
    }
  }

  /** A START over [0, 2^45) at 4 KiB allocates log memory only where the device writes. */
  @Test
  void start_hugeRange_logMemoryFollowsTheWrites() {
    AbstractDmaTracker t = (AbstractDmaTracker) DmaTracker.exact();
    VfioDevice dev = device(t);
    dev.startDmaLogging(new DmaLoggingControl(K4, List.of(new DmaLoggingRange(0, 1L << 45))));
    assertEquals(0, t.allocatedChunks());
    dev.dmaListener().recordWrite(0, 1);
    dev.dmaListener().recordWrite((1L << 45) - 1, 1);
    dev.dmaListener().recordWrite(1L << 40, 1L << 20);
    assertEquals(3, t.allocatedChunks());
    IovaBitmap bm = IovaBitmap.allocate((1L << 40) - (1L << 20), 1L << 22, K4);
    dev.reportDmaLogging(new DmaLoggingReport(bm.iova(), bm.length(), K4), bm);
    assertEquals(256, bm.cardinality());
  }

  /** Beyond the model's limit (2^35 granules) START fails with ENOMEM and changes nothing. */
  @Test
  void start_beyondTheModelsLimit_enomem() {
    VfioDevice dev = device(DmaTracker.exact());
    long limit = AbstractDmaTracker.MAX_GRANULES * K4;
    assertErrno(
        Errno.ENOMEM,
        () ->
            dev.startDmaLogging(
                new DmaLoggingControl(
                    K4, List.of(new DmaLoggingRange(0, limit), new DmaLoggingRange(limit, K4)))));
    assertFalse(dev.dmaTracker().orElseThrow().isLogging());
    dev.startDmaLogging(new DmaLoggingControl(K4, List.of(new DmaLoggingRange(0, limit))));
    assertTrue(dev.dmaTracker().orElseThrow().isLogging());
  }
}
