package org.jvfio.sim;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.jvfio.core.hw.GuestMemory;

/**
 * The migrating guest's RAM on both sides: the source's and the destination's {@link GuestMemory},
 * both at the same user address, and what is done between them page by page: sending the pages of a
 * RAM bitmap (bit i = the i-th 4 KiB page of RAM), and the end-to-end comparison of the two.
 */
final class RamPair {
  static final long PAGE = GuestMemory.PAGE_SIZE;

  final GuestMemory src;
  final GuestMemory dst;
  final long userVa;
  final long pages;
  final int words;

  /**
   * Creates both sides, each with its own seed so that no page starts equal by accident.
   *
   * @param userVa where RAM starts in the VMM's address space
   * @param bytes the RAM size, a multiple of 4 KiB
   * @param seed the source's seed (the destination takes its complement)
   */
  RamPair(long userVa, long bytes, long seed) {
    this.userVa = userVa;
    this.pages = bytes / PAGE;
    this.words = (int) ((pages + 63) / 64);
    this.src = GuestMemory.create(userVa, bytes, seed);
    this.dst = GuestMemory.create(userVa, bytes, ~seed);
  }

  /** Returns a RAM bitmap with every page set. */
  long[] allPages() {
    long[] bitmap = new long[words];
    Arrays.fill(bitmap, -1L);
    maskTail(bitmap);
    return bitmap;
  }

  /** Clears the bits beyond the last page of RAM. */
  void maskTail(long[] bitmap) {
    int tail = (int) (pages & 63);
    if (tail != 0) {
      bitmap[words - 1] &= (1L << tail) - 1;
    }
  }

  /** Returns the number of set bits. */
  static long cardinality(long[] bitmap) {
    long n = 0;
    for (long w : bitmap) {
      n += Long.bitCount(w);
    }
    return n;
  }

  /**
   * The injected fault {@code DROP_STALE_PAGE_AT_STOP}: clears one set page whose copy is stale.
   */
  void dropOneStalePage(long[] bitmap) {
    for (int i = 0; i < bitmap.length; i++) {
      for (long w = bitmap[i]; w != 0; w &= w - 1) {
        long page = i * 64L + Long.numberOfTrailingZeros(w);
        long addr = userVa + page * PAGE;
        if (src.token(addr) != dst.token(addr)) {
          bitmap[i] &= ~(1L << page);
          return;
        }
      }
    }
  }

  /** Returns a sender of the set pages of {@code bitmap}, to the destination, in RAM order. */
  Sender sender(long[] bitmap) {
    return new Sender(bitmap);
  }

  /** Copies the set pages of a RAM bitmap to the destination, in order, run by run. */
  final class Sender {
    private final long[] bitmap;
    private long sent;
    private long page; // next page to look at

    private Sender(long[] bitmap) {
      this.bitmap = bitmap;
    }

    /** Sends set pages until {@code target} pages in all have been sent. */
    void sendUpTo(long target) {
      while (sent < target) {
        long first = nextSet(page);
        long end = first + 1;
        long limit = first + (target - sent);
        while (end < limit && end < pages && isSet(end)) {
          end++;
        }
        dst.copyFrom(src, userVa + first * PAGE, (end - first) * PAGE);
        sent += end - first;
        page = end;
      }
    }

    private boolean isSet(long p) {
      return (bitmap[(int) (p >>> 6)] & (1L << p)) != 0;
    }

    private long nextSet(long from) {
      int i = (int) (from >>> 6);
      long w = bitmap[i] & (-1L << from);
      while (w == 0) {
        w = bitmap[++i];
      }
      return i * 64L + Long.numberOfTrailingZeros(w);
    }
  }

  /**
   * Compares the two sides at the end of a migration.
   *
   * @param layout where RAM sits in guest physical space (to name the first differing page)
   * @param devicesDiffering the devices whose state differs or that did not resume
   * @param devices how many devices migrated
   * @return the verdict
   */
  Verdict verdict(RamLayout layout, List<Integer> devicesDiffering, int devices) {
    long differing = dst.diffCount(src);
    long firstGpa = differing > 0 ? layout.iovaOf(dst.firstDifference(src) - userVa) : -1;
    boolean passed = differing == 0 && devicesDiffering.isEmpty();
    String message;
    if (passed) {
      message =
          String.format(
              Locale.ROOT,
              "PASSED: destination memory (%d pages) and %d device state%s equal the source's",
              pages,
              devices,
              devices == 1 ? "" : "s");
    } else {
      List<String> why = new ArrayList<>();
      if (differing > 0) {
        why.add(
            String.format(
                Locale.ROOT,
                "%d page%s differ (first at guest physical 0x%x): a dirty page was lost",
                differing,
                differing == 1 ? "" : "s",
                firstGpa));
      }
      if (!devicesDiffering.isEmpty()) {
        why.add("device state differs or did not resume on device(s) " + devicesDiffering);
      }
      message = "FAILED: " + String.join("; ", why);
    }
    return new Verdict(passed, differing, firstGpa, devicesDiffering, message);
  }
}
