package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.core.vfio.VfioDeviceFeatureTest.assertErrno;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;

/**
 * {@link UserBitmapWriter}, the byte door's windowed REPORT bitmap, against {@link IovaBitmap} as
 * the reference (records dropped or clipped the same way, OR into the user's bytes), and what it
 * does when the user's bitmap becomes unreachable after the check; and {@link UserAccess}'s
 * accessibility answers.
 */
class UserBitmapWriterTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  private static final long K4 = 4096;
  private static final int WINDOW_BITS = UserBitmapWriter.WINDOW_BYTES * 8;

  /** A record's offset from the report's start: around both ends, or anywhere. */
  private static long offset(SplittableRandom r, long length, long pageSize) {
    switch (r.nextInt(6)) {
      case 0:
        return 0;
      case 1:
        return length; // the first byte past the end
      case 2:
        return length - 1 - r.nextLong(2 * pageSize); // the last pages, or below the start
      case 3:
        return -1 - r.nextLong(2 * pageSize); // below the start
      default:
        return r.nextLong(length + 2 * pageSize);
    }
  }

  private static long recordLength(SplittableRandom r, long pageSize) {
    switch (r.nextInt(5)) {
      case 0:
        return 0;
      case 1:
        return 1;
      case 2:
        return -1 - r.nextLong(K4); // wraps past 2^64
      default:
        return 1 + r.nextLong(3 * pageSize);
    }
  }

  @Test
  void set_anyRecords_leaveTheBytesIovaBitmapLeaves() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES; t++) {
      long caseSeed = rnd.nextLong();
      SplittableRandom r = new SplittableRandom(caseSeed);
      long pageSize = K4 << r.nextInt(3);
      long bits = r.nextBoolean() ? 1 + r.nextInt(200) : WINDOW_BITS - 100 + r.nextInt(WINDOW_BITS);
      // ceil(length / pageSize) = bits; a whole number of pages half the time
      long length = bits * pageSize - (r.nextBoolean() ? 0 : r.nextLong(pageSize));
      long base = r.nextLong(1L << 40) & -(r.nextBoolean() ? pageSize : 1);
      int bytes = (int) ((bits + 7) / 8);
      byte[] initial = new byte[bytes];
      for (int i = 0; i < bytes; i++) {
        initial[i] = r.nextInt(4) == 0 ? (byte) r.nextInt() : 0;
      }
      TestUserMemory mem = new TestUserMemory();
      long address = mem.allocate(bytes);
      mem.block(address).put(initial);
      long[] words = new long[(bytes + 7) / 8];
      ByteBuffer.wrap(initial)
          .order(ByteOrder.LITTLE_ENDIAN)
          .asLongBuffer()
          .get(words, 0, bytes / 8);
      for (int i = bytes / 8 * 8; i < bytes; i++) {
        words[bytes / 8] |= (initial[i] & 0xffL) << ((i & 7) * 8);
      }
      IovaBitmap reference = IovaBitmap.wrap(base, length, pageSize, words);
      UserBitmapWriter writer = new UserBitmapWriter(mem, address, base, length, pageSize);
      List<String> applied = new ArrayList<>();
      int n = r.nextInt(12);
      for (int i = 0; i < n; i++) {
        long off = offset(r, length, pageSize);
        long iova = base + off;
        long len = recordLength(r, pageSize);
        if (r.nextInt(4) == 0 && Long.compareUnsigned(off, length) < 0) {
          len = length - off + r.nextInt(2); // ends on the last byte or one past it
        }
        applied.add(Long.toHexString(iova) + "+" + Long.toHexString(len));
        reference.set(iova, len);
        writer.set(iova, len);
      }
      writer.flush();
      byte[] expected = new byte[bytes];
      for (int i = 0; i < bytes; i++) {
        expected[i] = (byte) (words[i >>> 3] >>> ((i & 7) * 8));
      }
      byte[] got = new byte[bytes];
      mem.block(address).get(got);
      assertArrayEquals(
          expected,
          got,
          "seed=0x"
              + Long.toHexString(SEED)
              + " case=0x"
              + Long.toHexString(caseSeed)
              + " base=0x"
              + Long.toHexString(base)
              + " length=0x"
              + Long.toHexString(length)
              + " page=0x"
              + Long.toHexString(pageSize)
              + " records="
              + applied);
    }
  }

  /** User memory whose reads or writes at or above {@code from} fail with {@code errno}. */
  private static final class FailingMemory implements UserAccess {
    final TestUserMemory mem = new TestUserMemory();
    long from = Long.MAX_VALUE;
    boolean reads;
    Errno errno = Errno.EFAULT;

    @Override
    public ByteBuffer read(long address, int length) {
      if (reads && address >= from) {
        throw new UapiException(errno, "read");
      }
      return mem.read(address, length);
    }

    @Override
    public void write(long address, ByteBuffer source) {
      if (!reads && address >= from) {
        throw new UapiException(errno, "write");
      }
      mem.write(address, source);
    }
  }

  /** Two windows, a bit set in each: the second window's read or write-back fails. */
  private static byte[] twoWindowsWithTheSecondFailing(boolean reads, Errno errno) {
    FailingMemory user = new FailingMemory();
    int bytes = 2 * UserBitmapWriter.WINDOW_BYTES;
    long address = user.mem.allocate(bytes);
    user.from = address + UserBitmapWriter.WINDOW_BYTES;
    user.reads = reads;
    user.errno = errno;
    UserBitmapWriter writer = new UserBitmapWriter(user, address, 0, bytes * 8L * K4, K4);
    writer.set(0, 1);
    writer.set(WINDOW_BITS * K4, 1);
    writer.flush();
    byte[] got = new byte[bytes];
    user.mem.block(address).get(got);
    return got;
  }

  /**
   * The bitmap was checked before the walk; a window unmapped since (by another thread) is dropped
   * silently, as the kernel drops a record it cannot pin; the other windows are written.
   */
  @Test
  void windowUnreachableSinceTheCheck_itsRecordsAreDropped() {
    for (boolean reads : new boolean[] {true, false}) {
      byte[] got = twoWindowsWithTheSecondFailing(reads, Errno.EFAULT);
      assertEquals(1, got[0], "reads=" + reads);
      assertEquals(0, got[UserBitmapWriter.WINDOW_BYTES], "reads=" + reads);
    }
  }

  @Test
  void userMemoryFailingWithAnotherErrno_propagates() {
    assertErrno(Errno.EIO, () -> twoWindowsWithTheSecondFailing(true, Errno.EIO));
    assertErrno(Errno.EIO, () -> twoWindowsWithTheSecondFailing(false, Errno.EIO));
  }

  @Test
  void none_isAccessibleOnlyForNoBytes() {
    assertTrue(UserAccess.NONE.isAccessible(0x1000, 0));
    assertFalse(UserAccess.NONE.isAccessible(0x1000, 1));
    assertErrno(Errno.EFAULT, () -> UserAccess.NONE.read(0x1000, 1));
    assertErrno(Errno.EFAULT, () -> UserAccess.NONE.write(0x1000, ByteBuffer.allocate(1)));
  }

  /** The default check reads every 4 KiB piece: a hole after the first piece is found. */
  @Test
  void isAccessible_byDefault_checksEveryByteBeyondTheFirstPage() {
    TestUserMemory mem = new TestUserMemory();
    for (int size : new int[] {4096, 10000}) {
      long a = mem.allocate(size);
      assertTrue(mem.isAccessible(a, size), "size " + size);
      assertFalse(mem.isAccessible(a, size + 1), "size " + size);
      assertTrue(mem.isAccessible(a + size, 0), "size " + size);
    }
  }
}
