package org.jvfio.core.vfio;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;

/*
 * Design. A started tracker publishes an immutable Log through a volatile field: the chosen page
 * size (a power of two, the granule) and one Segment per effective range, sorted by IOVA. A Segment
 * is a bitmap, one bit per granule from the granule-aligned start of its range, kept sparse: its
 * words live in chunks of CHUNK_WORDS words (2^18 granules, 1 GiB of IOVA at 4 KiB) that are
 * allocated on the first write into them and installed by compare-and-set, so a log costs memory
 * in proportion to the part of its ranges that was ever dirtied, plus a directory of one reference
 * per chunk. Words are updated only through a VarHandle: recordWrite ORs bits in with
 * getAndBitwiseOr (after an acquire read that skips the atomic when the bits are already set),
 * readAndClear takes them out with getAndBitwiseAnd(~mask), one word at a time, and skips chunks
 * never written. Each word's bits are therefore either taken by the report (and reported) or left
 * for the next one; a write racing with a report is never lost. The control plane (start, stop,
 * readAndClear, fail) is serialised by the tracker's monitor; recordWrite takes no lock and finds
 * the segments with a binary search, allocating only a chunk the first time it is written.
 *
 * The model's limit: at most MAX_GRANULES granules per log (the sum over its ranges), so that the
 * directories stay small (2^17 references); a START beyond fails with ENOMEM, the errno of a driver
 * that cannot allocate its host bitmaps (pds_vfio_dirty_alloc_bitmaps in
 * drivers/vfio/pci/pds/dirty.c). docs/limits.md lists the model's limits.
 *
 * Subclasses choose the page size and the effective ranges (admit), may add report checks
 * (checkReport) and may replace the report walk (pds reads whole 64-bit words of its single
 * region).
 */
abstract class AbstractDmaTracker implements DmaTracker {
  private static final VarHandle WORDS = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle CHUNKS = MethodHandles.arrayElementVarHandle(long[][].class);

  /** At most 2^35 granules per log (128 TiB of IOVA at 4 KiB): beyond, start fails with ENOMEM. */
  static final long MAX_GRANULES = 1L << 35;

  private static final int CHUNK_SHIFT = 12;
  private static final int CHUNK_WORDS = 1 << CHUNK_SHIFT;

  /** A started log: immutable but for the bits. */
  static final class Log {
    final int shift;
    final ImmutableList<DmaLoggingRange> ranges;
    final Segment[] segments;

    Log(int shift, ImmutableList<DmaLoggingRange> ranges, Segment[] segments) {
      this.shift = shift;
      this.ranges = ranges;
      this.segments = segments;
    }
  }

  /** The bitmap of one effective range, bit i = granule [base + (i << shift), +granule). */
  static final class Segment {
    final long base;
    final long last;
    final int shift;
    final long bits;
    private final int words;
    private final long[][] chunks;

    /** A segment of {@code bits} granules from {@code base}, its last byte at {@code last}. */
    Segment(long base, long last, int shift, long bits) {
      this.base = base;
      this.last = last;
      this.shift = shift;
      this.bits = bits;
      this.words = (int) ((bits + 63) >>> 6); // bits <= MAX_GRANULES
      this.chunks = new long[(words + CHUNK_WORDS - 1) >>> CHUNK_SHIFT][];
    }

    /** Returns the chunk holding word {@code w}, allocating it if {@code create}; else null. */
    private long[] chunk(int w, boolean create) {
      int c = w >>> CHUNK_SHIFT;
      long[] chunk = (long[]) CHUNKS.getAcquire(chunks, c);
      if (chunk != null || !create) {
        return chunk;
      }
      long[] fresh = new long[Math.min(CHUNK_WORDS, words - (c << CHUNK_SHIFT))];
      long[] witness = (long[]) CHUNKS.compareAndExchangeRelease(chunks, c, null, fresh);
      return witness == null ? fresh : witness;
    }

    /** Returns the number of chunks allocated so far (for tests of the memory bound). */
    int allocatedChunks() {
      int n = 0;
      for (int c = 0; c < chunks.length; c++) {
        if (CHUNKS.getAcquire(chunks, c) != null) {
          n++;
        }
      }
      return n;
    }

    /** The bits of word {@code w} that lie in [b0, b1], for words w0 = b0 / 64 .. w1 = b1 / 64. */
    private static long wordMask(int w, int w0, int w1, long b0, long b1) {
      long mask = -1L;
      if (w == w0) {
        mask &= -1L << b0;
      }
      if (w == w1) {
        mask &= -1L >>> (63 - (b1 & 63));
      }
      return mask;
    }

    /** Sets the bits of the granules covering [lo, hi] (both inside the segment). */
    void mark(long lo, long hi) {
      long b0 = (lo - base) >>> shift;
      long b1 = (hi - base) >>> shift;
      int w0 = (int) (b0 >>> 6);
      int w1 = (int) (b1 >>> 6);
      for (int w = w0; w <= w1; w++) {
        long mask = wordMask(w, w0, w1, b0, b1);
        long[] chunk = chunk(w, true);
        int i = w & (CHUNK_WORDS - 1);
        if (((long) WORDS.getAcquire(chunk, i) & mask) != mask) {
          WORDS.getAndBitwiseOr(chunk, i, mask);
        }
      }
    }

    /**
     * Clears bits [b0, b1] and reports each run of set bits into {@code dirty}, clipped to start at
     * {@code clipLo}.
     */
    void readAndClear(long b0, long b1, DirtySink dirty, long clipLo) {
      int w0 = (int) (b0 >>> 6);
      int w1 = (int) (b1 >>> 6);
      for (int w = w0; w <= w1; w++) {
        long[] chunk = chunk(w, false);
        if (chunk == null) {
          w |= CHUNK_WORDS - 1; // never written: skip to the next chunk
          continue;
        }
        int i = w & (CHUNK_WORDS - 1);
        long mask = wordMask(w, w0, w1, b0, b1);
        if (((long) WORDS.getAcquire(chunk, i) & mask) == 0) {
          continue;
        }
        long taken = (long) WORDS.getAndBitwiseAnd(chunk, i, ~mask) & mask;
        while (taken != 0) {
          int start = Long.numberOfTrailingZeros(taken);
          int run = Long.numberOfTrailingZeros(~(taken >>> start));
          long first = ((long) w << 6) + start;
          emit(dirty, base + (first << shift), run, clipLo);
          taken &= run == 64 ? 0 : ~(((1L << run) - 1) << start);
        }
      }
    }

    /** Reports {@code count} granules from {@code iova}; the first is clipped to {@code clipLo}. */
    private void emit(DirtySink dirty, long iova, int count, long clipLo) {
      // Granules above 2^32 bytes are emitted one at a time so that lengths cannot overflow.
      int step = shift >= 32 ? 1 : count;
      for (int done = 0; done < count; done += step) {
        long lo = iova + ((long) done << shift);
        long len = (long) step << shift;
        if (Long.compareUnsigned(lo, clipLo) < 0) {
          len -= clipLo - lo;
          lo = clipLo;
        }
        dirty.set(lo, len);
      }
    }
  }

  private final long supportedPageSizes;
  private volatile Log log;
  private volatile boolean failed;

  AbstractDmaTracker(long supportedPageSizes) {
    Preconditions.checkArgument(supportedPageSizes != 0, "no supported page size");
    this.supportedPageSizes = supportedPageSizes;
  }

  /**
   * Returns the effective ranges for {@code requested} (sorted, validated) at {@code pageSize},
   * refusing with the driver's errno what the tracker cannot do.
   */
  abstract List<DmaLoggingRange> admit(List<DmaLoggingRange> requested, long pageSize);

  /**
   * Returns the supported page size nearest {@code hint} in log2 distance, the smaller on a tie.
   */
  final long choosePageSize(long hint) {
    int want = 63 - Long.numberOfLeadingZeros(hint); // floor(log2(hint)); hint is a power of two
    // supportedPageSizes is not 0: some bit lies within distance 63 of want, so the search ends.
    for (int d = 0; ; d++) {
      if (want - d >= 0 && (supportedPageSizes & (1L << (want - d))) != 0) {
        return 1L << (want - d);
      }
      if (want + d <= 63 && (supportedPageSizes & (1L << (want + d))) != 0) {
        return 1L << (want + d);
      }
    }
  }

  @Override
  public final synchronized DmaLoggingControl start(DmaLoggingControl requested) {
    UapiException.check(log == null, Errno.EINVAL, "DMA logging already started");
    long pageSize = choosePageSize(requested.pageSize());
    int shift = Long.numberOfTrailingZeros(pageSize);
    ImmutableList<DmaLoggingRange> ranges =
        ImmutableList.copyOf(admit(requested.ranges(), pageSize));
    long[] bits = new long[ranges.size()];
    long granules = 0;
    for (int i = 0; i < bits.length; i++) {
      DmaLoggingRange r = ranges.get(i);
      bits[i] = ((r.last() - (r.iova() & -pageSize)) >>> shift) + 1; // <= 2^52 at 4 KiB
      UapiException.check(
          bits[i] <= MAX_GRANULES - granules,
          Errno.ENOMEM,
          "tracker log larger than " + MAX_GRANULES + " granules");
      granules += bits[i];
    }
    Segment[] segments = new Segment[bits.length];
    for (int i = 0; i < segments.length; i++) {
      DmaLoggingRange r = ranges.get(i);
      segments[i] = new Segment(r.iova() & -pageSize, r.last(), shift, bits[i]);
    }
    failed = false;
    log = new Log(shift, ranges, segments);
    return new DmaLoggingControl(pageSize, ranges);
  }

  @Override
  public final synchronized void stop() {
    log = null;
    failed = false;
  }

  @Override
  public final void readAndClear(long iova, long length, IovaBitmap dirty) {
    readAndClear(iova, length, dirty::set);
  }

  /** {@link #readAndClear(long, long, IovaBitmap)} into any sink: the byte door's window. */
  final synchronized void readAndClear(long iova, long length, DirtySink dirty) {
    Log l = checkedLog(iova, length);
    readAndClear(l, iova, length, dirty);
  }

  @Override
  public final synchronized void checkReport(long iova, long length) {
    checkedLog(iova, length);
  }

  private Log checkedLog(long iova, long length) {
    Log l = log;
    UapiException.check(l != null, Errno.EINVAL, "DMA logging not started");
    UapiException.check(!failed, Errno.EIO, "tracker in error state: the log is corrupted");
    checkReport(l, iova, length);
    return l;
  }

  /** The tracker's own checks of a report, before anything is read; by default none. */
  void checkReport(Log l, long iova, long length) {}

  /** Returns the number of log chunks allocated so far (for tests of the memory bound). */
  final int allocatedChunks() {
    Log l = log;
    int n = 0;
    if (l != null) {
      for (Segment s : l.segments) {
        n += s.allocatedChunks();
      }
    }
    return n;
  }

  /**
   * Reports and clears {@code [iova, iova + length)} of {@code l}, already checked; by default
   * every granule of every segment that intersects the range.
   */
  void readAndClear(Log l, long iova, long length, DirtySink dirty) {
    long last = lastOf(iova, length);
    Segment[] segs = l.segments;
    for (int i = firstSegment(segs, iova); i < segs.length; i++) {
      Segment s = segs[i];
      if (Long.compareUnsigned(s.base, last) > 0) {
        break;
      }
      long lo = Long.compareUnsigned(iova, s.base) > 0 ? iova : s.base;
      long hi = Long.compareUnsigned(last, s.last) < 0 ? last : s.last;
      s.readAndClear((lo - s.base) >>> s.shift, (hi - s.base) >>> s.shift, dirty, iova);
    }
  }

  @Override
  public final boolean isLogging() {
    return log != null;
  }

  @Override
  public final long pageSize() {
    Log l = log;
    return l == null ? 0 : 1L << l.shift;
  }

  @Override
  public final List<DmaLoggingRange> effectiveRanges() {
    Log l = log;
    return l == null ? ImmutableList.of() : l.ranges;
  }

  @Override
  public final synchronized void fail() {
    if (log != null) {
      failed = true;
    }
  }

  @Override
  public final boolean isFailed() {
    return failed;
  }

  @Override
  public final void recordWrite(long iova, long length) {
    Log l = log;
    if (l == null || length == 0) {
      return;
    }
    long last = lastOf(iova, length);
    Segment[] segs = l.segments;
    for (int i = firstSegment(segs, iova); i < segs.length; i++) {
      Segment s = segs[i];
      if (Long.compareUnsigned(s.base, last) > 0) {
        return;
      }
      long lo = Long.compareUnsigned(iova, s.base) > 0 ? iova : s.base;
      long hi = Long.compareUnsigned(last, s.last) < 0 ? last : s.last;
      s.mark(lo, hi);
    }
  }

  /** Returns {@code iova + length - 1}, saturated at 2^64 - 1 (unsigned). */
  static long lastOf(long iova, long length) {
    long last = iova + length - 1;
    return Long.compareUnsigned(last, iova) < 0 ? -1L : last;
  }

  /** Returns the index of the first segment whose last byte is at or above {@code iova}. */
  private static int firstSegment(Segment[] segs, long iova) {
    int lo = 0;
    int hi = segs.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (Long.compareUnsigned(segs[mid].last, iova) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
