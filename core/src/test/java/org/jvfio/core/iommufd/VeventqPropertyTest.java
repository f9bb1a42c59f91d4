package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * Property: random reports of events of 1 to 12 bytes to a vEVENTQ of depth 1 to 4, and reads of 0
 * to 64 bytes into buffers whose first bytes only are writable, give the bytes, return values and
 * errnos of a reference queue written from the rules of {@code drivers/iommu/iommufd/eventq.c}: at
 * most {@code depth} events are kept, a report to a full queue puts one lost-events header at the
 * tail with the next sequence number, a new event replaces that header, a read copies whole events
 * that fit and are writable; after every step the queue is readable (poll's {@code EPOLLIN})
 * exactly when the reference holds an event or the lost-events header. Broken twins, a queue one
 * deeper than it claims and one whose reads drop the lost-events flag, must be caught.
 */
class VeventqPropertyTest {
  static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  static final int TRIES = Integer.getInteger("jvfio.tries", 200);
  static final int STEPS = 60;

  /** A queue under test: report, and read into a buffer writable below {@code writable}. */
  interface Queue {
    void report(byte[] data);

    /** The return value, or {@code -errno}; the copied bytes go to {@code out}. */
    long read(long count, int writable, byte[] out);

    /** Whether a read would return something (poll's {@code EPOLLIN}). */
    boolean readable();
  }

  /** jvfio's queue; {@code extraDepth} and {@code dropLostFlag} make the broken twins. */
  static Queue real(int depth, int extraDepth, boolean dropLostFlag) {
    Veventq q = new Veventq(0xbeefbeef, depth + extraDepth);
    return new Queue() {
      @Override
      public void report(byte[] data) {
        q.report(data);
      }

      @Override
      public long read(long count, int writable, byte[] out) {
        try {
          return q.read(
              count,
              (offset, bytes) -> {
                if (offset + bytes.remaining() > writable) {
                  throw new UapiException(Errno.EFAULT, "unwritable");
                }
                int at = (int) offset;
                bytes.get(out, at, bytes.remaining());
                if (dropLostFlag) {
                  out[at] &= ~1;
                }
              });
        } catch (UapiException e) {
          return -e.errno().code();
        }
      }

      @Override
      public boolean readable() {
        return q.readable();
      }
    };
  }

  /** The reference: the kept events, the lost-events header's sequence (or -1), the counter. */
  static final class Reference implements Queue {
    final int depth;
    final ArrayDeque<long[]> kept = new ArrayDeque<>(); // {sequence, index into datas}
    final ArrayDeque<byte[]> datas = new ArrayDeque<>();
    int lostSequence = -1;
    int next;

    Reference(int depth) {
      this.depth = depth;
    }

    @Override
    public void report(byte[] data) {
      if (kept.size() == depth) {
        lostSequence = next;
      } else {
        kept.add(new long[] {next});
        datas.add(data.clone());
        lostSequence = -1;
      }
      next = (next + 1) & Integer.MAX_VALUE;
    }

    @Override
    public long read(long count, int writable, byte[] out) {
      if (count < 8) {
        return -Errno.EINVAL.code();
      }
      int done = 0;
      while (!kept.isEmpty()) {
        byte[] data = datas.peek();
        int size = 8 + data.length;
        if (done + size > count) {
          return done == 0 ? -Errno.EINVAL.code() : done;
        }
        if (done + size > writable) {
          return done == 0 ? -Errno.EFAULT.code() : done;
        }
        header(out, done, 0, (int) kept.remove()[0]);
        System.arraycopy(datas.remove(), 0, out, done + 8, data.length);
        done += size;
      }
      if (lostSequence >= 0 && done + 8 <= count) {
        if (done + 8 > writable) {
          return done == 0 ? -Errno.EFAULT.code() : done;
        }
        header(out, done, 1, lostSequence);
        lostSequence = -1;
        done += 8;
      }
      return done;
    }

    @Override
    public boolean readable() {
      return !kept.isEmpty() || lostSequence >= 0;
    }

    private static void header(byte[] out, int at, int flags, int sequence) {
      ByteBuffer.wrap(out, at, 8).order(ByteOrder.LITTLE_ENDIAN).putInt(flags).putInt(sequence);
    }
  }

  @Test
  void property_reportsAndReads_matchTheReferenceQueue() {
    assertEquals(-1, firstDisagreement(0, false), "seed=0x" + Long.toHexString(SEED));
  }

  @Test
  void property_brokenTwinOneDeeper_isCaught() {
    assertTrue(firstDisagreement(1, false) >= 0, "the broken twin must be caught");
  }

  @Test
  void property_brokenTwinWithoutLostFlag_isCaught() {
    assertTrue(firstDisagreement(0, true) >= 0, "the broken twin must be caught");
  }

  /** The first try on which jvfio (or a twin) and the reference disagree, or -1. */
  private static int firstDisagreement(int extraDepth, boolean dropLostFlag) {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int t = 0; t < TRIES; t++) {
      int depth = 1 + rnd.nextInt(4);
      Queue sut = real(depth, extraDepth, dropLostFlag);
      Reference ref = new Reference(depth);
      byte next = 0;
      for (int s = 0; s < STEPS; s++) {
        if (rnd.nextInt(3) != 0) {
          byte[] data = new byte[1 + rnd.nextInt(12)];
          Arrays.fill(data, next++);
          sut.report(data);
          ref.report(data);
          if (sut.readable() != ref.readable()) {
            return t;
          }
          continue;
        }
        int count = rnd.nextInt(65);
        int writable = rnd.nextInt(4) == 0 ? rnd.nextInt(count + 1) : count;
        byte[] want = new byte[64];
        byte[] got = new byte[64];
        long w = ref.read(count, writable, want);
        long g = sut.read(count, writable, got);
        if (w != g
            || (w > 0 && !Arrays.equals(want, 0, (int) w, got, 0, (int) w))
            || sut.readable() != ref.readable()) {
          return t;
        }
      }
    }
    return -1;
  }
}
