package org.jvfio.core.vfio;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/*
 * Design. The byte door's DMA_LOGGING_REPORT output: the user's bitmap is never copied whole. As
 * the kernel's iova_bitmap_set() pins the user page that holds the bits it sets
 * (drivers/iommu/iommufd/iova_bitmap.c, iova_bitmap_advance_to), this writer holds one window of
 * WINDOW_BYTES bytes of the user bitmap at a time: a set() that reaches bits outside the window
 * writes the window back and loads the one it needs, so memory is O(window) whatever the report's
 * length. Loading reads the user's bytes and set() only ORs into them, so the bits already in the
 * user's buffer stay set (the uAPI's OR semantics). The caller has checked that every byte of the
 * bitmap is accessible before the walk; a window that has become unreachable since (freed by
 * another thread) is dropped silently, as the kernel drops a record it cannot pin.
 *
 * Bit i stands for [base + i * pageSize, + pageSize) and is bit i % 8 of byte i / 8 (as
 * documented in IovaBitmap). Records are dropped or clipped exactly as IovaBitmap.set does.
 */
final class UserBitmapWriter implements DirtySink {
  /** The bytes of user bitmap held at once: one 4 KiB page, as the kernel maps one at a time. */
  static final int WINDOW_BYTES = 4096;

  private static final int WINDOW_BIT_SHIFT = 15; // log2(WINDOW_BYTES * 8)

  private final UserAccess user;
  private final long address;
  private final long base;
  private final long length;
  private final int shift;
  private final long bits;
  private final long bytes;
  private final long[] words = new long[WINDOW_BYTES / 8];
  private long window = -1; // the index of the loaded window, -1 for none
  private int windowBytes;
  private boolean lost; // the loaded window could not be read: its records are dropped

  /**
   * A writer into the {@code ceil(ceil(length / pageSize) / 8)}-byte bitmap at {@code address} for
   * the report {@code [base, base + length)}.
   */
  UserBitmapWriter(UserAccess user, long address, long base, long length, long pageSize) {
    this.user = user;
    this.address = address;
    this.base = base;
    this.length = length;
    this.shift = Long.numberOfTrailingZeros(pageSize);
    this.bits = bitCount(length, pageSize);
    this.bytes = (bits + 7) >>> 3;
  }

  /** Returns {@code ceil(length / pageSize)} for a non-zero unsigned length. */
  static long bitCount(long length, long pageSize) {
    return ((length - 1) >>> Long.numberOfTrailingZeros(pageSize)) + 1;
  }

  @Override
  public void set(long iova, long len) {
    long rel = iova - base;
    if (len == 0
        || Long.compareUnsigned(iova, base) < 0
        || Long.compareUnsigned(rel, length) >= 0) {
      return;
    }
    long first = rel >>> shift;
    long relLast = rel + (len - 1);
    long last =
        Long.compareUnsigned(relLast, rel) < 0 || Long.compareUnsigned(relLast, length) >= 0
            ? bits - 1
            : relLast >>> shift;
    while (first <= last) {
      long w = first >>> WINDOW_BIT_SHIFT;
      moveTo(w);
      long w0 = w << WINDOW_BIT_SHIFT;
      long upTo = Math.min(last, w0 + (1L << WINDOW_BIT_SHIFT) - 1);
      if (!lost) {
        setBits((int) (first - w0), (int) (upTo - w0));
      }
      first = upTo + 1;
    }
  }

  /** Writes the loaded window back to user memory; call once the walk is over. */
  void flush() {
    if (window < 0 || lost) {
      window = -1;
      return;
    }
    ByteBuffer out = ByteBuffer.allocate(windowBytes).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < windowBytes; i++) {
      out.put(i, (byte) (words[i >>> 3] >>> ((i & 7) << 3)));
    }
    try {
      user.write(address + (window << (WINDOW_BIT_SHIFT - 3)), out);
    } catch (UapiException e) {
      if (e.errno() != Errno.EFAULT) {
        throw e;
      }
      // unreachable since the check: dropped, as a record the kernel cannot pin
    }
    window = -1;
  }

  private void moveTo(long w) {
    if (w == window) {
      return;
    }
    flush();
    long offset = w << (WINDOW_BIT_SHIFT - 3);
    windowBytes = (int) Math.min(WINDOW_BYTES, bytes - offset);
    Arrays.fill(words, 0);
    lost = false;
    try {
      ByteBuffer in = user.read(address + offset, windowBytes);
      int p = in.position();
      for (int i = 0; i < windowBytes; i++) {
        words[i >>> 3] |= (in.get(p + i) & 0xffL) << ((i & 7) << 3);
      }
    } catch (UapiException e) {
      if (e.errno() != Errno.EFAULT) {
        throw e;
      }
      lost = true;
    }
    window = w;
  }

  /** Sets bits {@code first..last} (inclusive) of the loaded window. */
  private void setBits(int first, int last) {
    int w0 = first >>> 6;
    int w1 = last >>> 6;
    long m0 = -1L << first;
    long m1 = -1L >>> (63 - (last & 63));
    if (w0 == w1) {
      words[w0] |= m0 & m1;
      return;
    }
    words[w0] |= m0;
    for (int w = w0 + 1; w < w1; w++) {
      words[w] = -1L;
    }
    words[w1] |= m1;
  }
}
