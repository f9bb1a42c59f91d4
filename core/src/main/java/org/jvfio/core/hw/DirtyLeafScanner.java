package org.jvfio.core.hw;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The read-and-clear kernel of a harvest walk: reads up to 64 consecutive leaf entries of one table
 * in {@link PageTableMemory}, returns which are write-dirty as one 64-bit mask, and makes them
 * write-clean (the vendors' {@code read_and_clear_dirty}, e.g. in {@code
 * drivers/iommu/generic_pt/iommu_pt.h}). The loop is branch-free because a harvest's cost is
 * dominated by this per-entry work; bench/ReadAndClearBench measures it.
 *
 * <p>A vendor describes its leaf format once with a {@link Format} and, per harvest call, gets a
 * scanner with {@link Format#scanner}; its walk then hands whole runs of a table to {@link
 * #readAndClear} instead of visiting entries one by one, and records the mask with {@link
 * org.jvfio.core.bitmap.IovaBitmap#setLeaves} (one OR per 64 leaves when leaves and bitmap pages
 * have the same size). The scanner stops at the first entry it does not handle (a table pointer, a
 * replicated or contiguous run, or a hole in a format whose walk aborts on holes): {@link
 * #consumed()} says where, and the vendor's own code handles that entry.
 *
 * <p><b>Memory ordering.</b> The entries are first read with plain loads (atomic for aligned 64-bit
 * array elements on the 64-bit JVMs jvfio supports), so a harvest that races with the hardware may
 * see an entry's previous value: a write-dirty bit set after the read is left for the next harvest,
 * never lost, because only entries seen dirty are written. An entry seen dirty is cleaned with a
 * plain store when it is <em>settled</em>: dirty and with every bit of {@link Format#settledMask()}
 * set (when every entry handled is, the clean values computed from the first read are stored with
 * one array copy; otherwise each is re-read and stored opaque). The hardware model changes nothing
 * but the A/D-type bits of a leaf, always by compare-and-swap from a value in which some bit it
 * sets is clear (or the bit it clears is set); a settled entry offers no such value, so no hardware
 * update can fall between the re-read and the store, and the single writer of the clean value is
 * this scanner (the control plane is serialised per domain). Per-location coherence of opaque and
 * volatile accesses then orders every later hardware update after the store. An entry seen dirty
 * but not settled (for example AMD D = 1 with A = 0, which the hardware may still change) is
 * cleaned by a compare-and-swap loop instead. The caller orders the stores before the IOTLB flush
 * that follows the harvest; the flush's invalidation is a full fence.
 *
 * <p>Not thread-safe: one scanner per harvest call, used by the thread that runs it.
 */
public final class DirtyLeafScanner {
  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  /** The most entries one {@link #readAndClear(long, int, boolean, long[])} call handles. */
  public static final int MAX_SPAN = 512;

  /**
   * A vendor's leaf-entry format as the kernel sees it. An entry {@code e} is a <em>leaf</em> the
   * kernel handles if {@code (e & leafMask) == leafValue}; a <em>hole</em> if {@code holeMask != 0}
   * and {@code (e & holeMask) == 0} (skipped, never written); anything else stops the scan. A leaf
   * is write-dirty if {@code (e & dirtyMask) == dirtyValue}; cleaning writes {@code (e &
   * cleanAndMask) | cleanOrMask}.
   *
   * @param leafMask the bits that identify a plain leaf at the level scanned
   * @param leafValue their value in a plain leaf
   * @param holeMask bits of which one is set in every present entry (AMD PR, x86 P); 0 when the
   *     walk must stop at holes (Arm: an invalid entry ends the harvest with {@code EINVAL})
   * @param dirtyMask the bits that make up the write-dirty state
   * @param dirtyValue their value in a write-dirty leaf
   * @param cleanAndMask ANDed into a dirty leaf to clean it (AMD, VT-d: {@code ~D})
   * @param cleanOrMask ORed into a dirty leaf to clean it (Arm stage 1: {@code AP[2]})
   * @param settledMask the other bits the hardware sets in a leaf (AMD A, Arm AF): a dirty leaf
   *     with all of them set is cleaned by a plain store, otherwise by compare-and-swap
   */
  public record Format(
      long leafMask,
      long leafValue,
      long holeMask,
      long dirtyMask,
      long dirtyValue,
      long cleanAndMask,
      long cleanOrMask,
      long settledMask) {

    /**
     * Checks the format.
     *
     * @param leafMask the bits that identify a plain leaf at the level scanned
     * @param leafValue their value in a plain leaf
     * @param holeMask bits of which one is set in every present entry; 0 when holes stop the scan
     * @param dirtyMask the bits that make up the write-dirty state
     * @param dirtyValue their value in a write-dirty leaf
     * @param cleanAndMask ANDed into a dirty leaf to clean it
     * @param cleanOrMask ORed into a dirty leaf to clean it
     * @param settledMask the other hardware-set bits whose presence allows a plain-store clean
     * @throws IllegalArgumentException if the leaf and dirty bits overlap, or a leaf value has bits
     *     outside its mask
     */
    public Format {
      if ((leafMask & dirtyMask) != 0
          || (leafValue & ~leafMask) != 0
          || (dirtyValue & ~dirtyMask) != 0) {
        throw new IllegalArgumentException("leaf and dirty bits must be disjoint masks");
      }
    }

    /**
     * Returns a scanner of {@code memory} in this format, for one harvest call.
     *
     * @param memory the page-table memory holding the tables to scan
     * @return a new scanner; not thread-safe, one per harvest call
     */
    public DirtyLeafScanner scanner(PageTableMemory memory) {
      return new DirtyLeafScanner(memory, this);
    }
  }

  private final PageTableMemory memory;
  private final long leafMask;
  private final long leafValue;
  private final long holeMask;
  private final long holeMatch; // (e & holeMask) == holeMatch: a hole (never, if holeMask == 0)
  private final long dirtyMatchMask;
  private final long dirtyMatchValue;
  private final long cleanAnd;
  private final long cleanOr;
  private final long settledBits;
  // The skip test (see block): a block of leaves may hold a dirty one only if some entry has the
  // bit candMask set in (e ^ candFlip); candMask is 0 when the format has no dirty bits (then
  // every block takes the full pass).
  private final long candMask;
  private final long candFlip;
  private final long[] cleaned = new long[64];
  private int consumed;

  private DirtyLeafScanner(PageTableMemory memory, Format f) {
    this.memory = memory;
    this.leafMask = f.leafMask();
    this.leafValue = f.leafValue();
    this.holeMask = f.holeMask();
    this.holeMatch = f.holeMask() != 0 ? 0 : -1L;
    this.dirtyMatchMask = f.leafMask() | f.dirtyMask();
    this.dirtyMatchValue = f.leafValue() | f.dirtyValue();
    this.cleanAnd = f.cleanAndMask();
    this.cleanOr = f.cleanOrMask();
    this.settledBits = f.settledMask();
    long ones = f.dirtyValue();
    long zeros = f.dirtyMask() & ~f.dirtyValue();
    // A dirty leaf has every bit of ones set and every bit of zeros clear: one of them will do.
    this.candMask = Long.lowestOneBit(zeros != 0 ? zeros : ones);
    this.candFlip = zeros != 0 ? candMask : 0;
  }

  /**
   * Reads the {@code count} entries from {@code pa} up to the first one that is neither a leaf nor
   * a skipped hole, and returns the mask of the write-dirty leaves among them (bit {@code k}: the
   * entry at {@code pa + 8k}); if {@code clear}, makes each of those write-clean. {@link
   * #consumed()} then returns how many entries were handled: {@code count}, or the index of the
   * entry the scan stopped at.
   *
   * @param pa the address of the first entry; the {@code count} entries must lie in one table (one
   *     frame, or one run from {@link PageTableMemory#allocateFrames})
   * @param count 1 to 64
   * @param clear true to make the write-dirty leaves write-clean; false to only read them ({@code
   *     IOMMU_DIRTY_NO_CLEAR})
   * @return the write-dirty mask: bit {@code k} set if the entry at {@code pa + 8k} was a
   *     write-dirty leaf
   * @throws IllegalArgumentException if {@code count} is out of range
   */
  public long readAndClear(long pa, int count, boolean clear) {
    if (count < 1 || count > 64) {
      throw new IllegalArgumentException("count must be 1..64: " + count);
    }
    return block(memory.chunk(pa), PageTableMemory.index(pa), count, clear);
  }

  /**
   * Reads and clears up to {@value #MAX_SPAN} entries as consecutive calls of {@link
   * #readAndClear(long, int, boolean)} on blocks of 64 would, stopping where such a call stops:
   * {@code masks[w]} receives the mask of entries {@code 64w} to {@code 64w + 63}, for every block
   * the scan reached. One call per table keeps the walk's per-entry cost at the kernel's.
   *
   * @param pa the address of the first entry; the {@code count} entries must lie in one table
   * @param count 1 to {@value #MAX_SPAN}
   * @param clear true to make the write-dirty leaves write-clean; false to only read them
   * @param masks receives the dirty masks, one per block of 64 entries the scan reached; at least
   *     {@code ceil(count / 64)} long
   * @return the number of entries handled, as {@link #consumed()} then returns
   * @throws IllegalArgumentException if {@code count} is out of range or {@code masks} too short
   */
  public int readAndClear(long pa, int count, boolean clear, long[] masks) {
    if (count < 1 || count > MAX_SPAN || masks.length < (count + 63) >>> 6) {
      throw new IllegalArgumentException("count must be 1.." + MAX_SPAN + ": " + count);
    }
    long[] a = memory.chunk(pa);
    int base = PageTableMemory.index(pa);
    int done = 0;
    for (int b = 0; b < count; b += 64) {
      int n = Math.min(64, count - b);
      masks[b >>> 6] = block(a, base + b, n, clear);
      done += consumed;
      if (consumed < n) {
        break;
      }
    }
    consumed = done;
    return done;
  }

  /*
   * One block of up to 64 entries. A first, read-only pass learns whether every entry is a plain
   * leaf and whether any may be write-dirty: two OR-reductions of an AND and an XOR with constants,
   * which the JIT vectorises, so a clean block of leaves costs what a read-only scan of it costs
   * (the memory-read limit). The test is necessary, not sufficient: a dirty leaf has its one
   * dirty-value bit set (AMD, VT-d: D), or, when the dirty state also needs a bit clear (Arm: DBM
   * set and AP[2] clear), that bit clear, and writable-clean entries have it set. A block of leaves
   * that may be dirty is read again (from the cache) for the exact mask; only dirty entries are
   * written, all at once by a vectorisable read-modify-write pass when every entry is dirty and
   * settled. Blocks with holes or other entries take the full pass.
   */
  private long block(long[] a, int base, int n, boolean clear) {
    if (candMask != 0) {
      long lm = leafMask;
      long lv = leafValue;
      long fl = candFlip;
      long notLeaf = 0;
      long cand = 0;
      for (int k = 0; k < n; k++) {
        long e = a[base + k];
        notLeaf |= (e & lm) ^ lv;
        cand |= e ^ fl;
      }
      if (notLeaf == 0) {
        consumed = n;
        return (cand & candMask) == 0 ? 0 : leaves(a, base, n, clear);
      }
    }
    return full(a, base, n, clear);
  }

  /** A block of plain leaves: the exact dirty mask, then only the dirty entries cleaned. */
  private long leaves(long[] a, int base, int n, boolean clear) {
    long dm = dirtyMatchMask;
    long dv = dirtyMatchValue;
    long dirty = 0;
    long and = -1L;
    for (int k = 0; k < n; k++) {
      long e = a[base + k];
      long x = (e & dm) ^ dv; // 0 iff a dirty leaf
      dirty |= (((x - 1) & ~x) >>> 63) << k;
      and &= e;
    }
    if (clear && dirty != 0) {
      if (dirty == -1L >>> (64 - n) && (and & settledBits) == settledBits) {
        // Every entry is dirty and settled: none can change until it is cleaned (class comment),
        // so a second read sees the same values and plain stores clean them.
        long ca = cleanAnd;
        long co = cleanOr;
        for (int k = 0; k < n; k++) {
          a[base + k] = (a[base + k] & ca) | co;
        }
      } else {
        for (long m = dirty; m != 0; m &= m - 1) {
          clean(a, base + Long.numberOfTrailingZeros(m));
        }
      }
    }
    return dirty;
  }

  /** The full branch-free pass: any mix of leaves, holes and other entries. */
  private long full(long[] a, int base, int count, boolean clear) {
    // Fast pass, branch-free: the dirty mask, whether every entry is a plain leaf (notLeaf == 0)
    // and the AND of all entries (to see whether every entry is settled).
    long dirty = 0;
    long notLeaf = 0;
    long and = -1L;
    for (int k = 0; k < count; k++) {
      long e = a[base + k];
      long x = (e & dirtyMatchMask) ^ dirtyMatchValue; // 0 iff a dirty leaf
      dirty |= (((x - 1) & ~x) >>> 63) << k;
      notLeaf |= (e & leafMask) ^ leafValue;
      and &= e;
      cleaned[k] = (e & cleanAnd) | cleanOr;
    }
    long all = -1L >>> (64 - count);
    if (notLeaf != 0) {
      // Holes or other entries: find the first entry that is neither a leaf nor a hole.
      for (int k = 0; k < count; k++) {
        long e = a[base + k];
        if ((e & leafMask) != leafValue && (e & holeMask) != holeMatch) {
          all = (1L << k) - 1;
          dirty &= all;
          break;
        }
      }
    }
    consumed = Long.bitCount(all);
    if (clear && dirty != 0) {
      if (dirty == all && (and & settledBits) == settledBits) {
        // Every entry handled is dirty and settled: none can have changed since it was read.
        System.arraycopy(cleaned, 0, a, base, consumed);
      } else {
        for (long m = dirty; m != 0; m &= m - 1) {
          clean(a, base + Long.numberOfTrailingZeros(m));
        }
      }
    }
    return dirty;
  }

  private void clean(long[] a, int i) {
    long e = a[i];
    if ((e & settledBits) == settledBits) {
      LONGS.setOpaque(a, i, (e & cleanAnd) | cleanOr);
      return;
    }
    while (!LONGS.compareAndSet(a, i, e, (e & cleanAnd) | cleanOr)) {
      e = (long) LONGS.getVolatile(a, i);
    }
  }

  /**
   * Returns how many entries the last {@link #readAndClear} handled.
   *
   * @return the number of entries the last {@link #readAndClear} handled, 0 to {@code count}
   */
  public int consumed() {
    return consumed;
  }
}
