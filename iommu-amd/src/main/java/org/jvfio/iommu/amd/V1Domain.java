package org.jvfio.iommu.amd;

import static org.jvfio.iommu.amd.AmdV1Entry.A;
import static org.jvfio.iommu.amd.AmdV1Entry.AD;
import static org.jvfio.iommu.amd.AmdV1Entry.ADDRESS_MASK;
import static org.jvfio.iommu.amd.AmdV1Entry.ATTRS;
import static org.jvfio.iommu.amd.AmdV1Entry.D;
import static org.jvfio.iommu.amd.AmdV1Entry.FC;
import static org.jvfio.iommu.amd.AmdV1Entry.IR;
import static org.jvfio.iommu.amd.AmdV1Entry.IW;
import static org.jvfio.iommu.amd.AmdV1Entry.NEXT_LEVEL_MASK;
import static org.jvfio.iommu.amd.AmdV1Entry.NL_SIZE;
import static org.jvfio.iommu.amd.AmdV1Entry.PR;
import static org.jvfio.iommu.amd.AmdV1Entry.leaf;
import static org.jvfio.iommu.amd.AmdV1Entry.leafAt;
import static org.jvfio.iommu.amd.AmdV1Entry.nl;
import static org.jvfio.iommu.amd.AmdV1Entry.oa;
import static org.jvfio.iommu.amd.AmdV1Entry.pde;
import static org.jvfio.iommu.amd.AmdV1Entry.present;
import static org.jvfio.iommu.amd.AmdV1Entry.replicas;
import static org.jvfio.iommu.amd.AmdV1Entry.shift;
import static org.jvfio.iommu.amd.AmdV1Entry.sizeLog2;

import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.StampedLock;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DirtyLeafScanner;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IotlbGather;

/*
 * Design. The table is the AMD v1 host page table of vendor-pagetables §2, stored entry for entry
 * in this domain's PageTableMemory; the DTE dword 0 (root, Mode, HAD) is one volatile long so a
 * hardware walk reads root and mode together. Internally levels are 0-based as in iommupt
 * (level 0 holds 4 KiB items; the spec's level n is level n-1 here); the public decoder uses the
 * spec's 1-based levels.
 *
 * The control plane (map, unmap, harvest, split, collapse, toggles) runs on one thread at a time.
 * The only concurrent writer of table memory is the hardware path, which changes nothing but the
 * A and D bits of leaves, always by compare-and-swap. So the control plane may read tables with
 * plain loads where only it writes (PDEs), uses volatile loads where hardware races (leaves), and
 * replaces a leaf only by CAS loops that fold any D the hardware set meanwhile into the new
 * entries (spec §5.2). The hardware update (setDirtyByHardware) compares the walked slot against
 * the walked leaf ignoring A/D; if the slot now holds anything else (a table, another size, zero)
 * it refuses, and the caller re-walks (§5.2 step 5, trap T16).
 *
 * Every range walk (harvest, unmap, split, collapse, the map overlap check) is a recursive descent
 * over the tables that exist: at most six frames deep, each level resumes where it left off, so the
 * cost follows the entries present, not the span; no walk restarts from the root per entry, and
 * the harvest allocates nothing.
 *
 * Table frames: map and growth allocate; unmap frees tables its range covers entirely (iommupt
 * __unmap_range), deferred until the caller's iotlbSync; map frees empty tables it replaces by a
 * leaf after its own flush (iommupt clear_contig); collapse frees the collapsed table after the
 * invalidation and the re-read of §5.2 step 5. On hardware an invalidation completes only after
 * in-flight walks finish; here a walk may still be inside a table when it is freed (zeroed, maybe
 * reused), so translate() reads under a StampedLock optimistic stamp that every batch of frees
 * invalidates, and walks again if a free overlapped it.
 */
final class V1Domain implements AmdV1Domain {
  private static final int START_MODE = 3;
  private static final int MAX_MODE = 6;
  private static final int MAX_LEAF_LEVEL = 4; // the mode-6 top level holds no leaves (trap T3)
  private static final int ENTRIES = PageTableMemory.ENTRIES_PER_FRAME;
  private static final long PAGE_SIZES = AmdV1Driver.PAGE_SIZES;

  private final AmdV1Driver driver;
  private final DomainConfig config;
  private final PageTableMemory memory = new PageTableMemory();
  private final Iotlb iotlb = new Iotlb();
  private final AtomicLong dteInvalidations = new AtomicLong();
  private final StampedLock frameFrees = new StampedLock(); // see translate()

  private volatile long dte; // DTE dword 0; written by the control plane, read by every walk
  private volatile boolean tracking;

  // control-plane scratch state
  private long[] deferredFree = new long[8];
  private int deferredCount;
  private long unmapped;

  /**
   * Test seam: run after split/collapse has read the dirty state it will publish and before it
   * publishes (the §5.2 step 1–3 window), so tests can play the hardware racing into it.
   */
  Runnable publishWindow = () -> {};

  V1Domain(AmdV1Driver driver, DomainConfig config) {
    this.driver = driver;
    this.config = config;
    this.dte = Dte.forHostTable(memory.allocateFrame(), START_MODE, false).dword0();
  }

  // --- small helpers ---------------------------------------------------------------------------

  private static int modeOf(long dte0) {
    return (int) ((dte0 >>> Dte.MODE_SHIFT) & 7);
  }

  /** Returns the last IOVA a table of {@code mode} levels translates. */
  private static long reach(int mode) {
    return mode >= MAX_MODE ? -1L : (1L << shift(mode)) - 1;
  }

  private static int index(long va, int lvl) {
    return (int) ((va >>> shift(lvl)) & (ENTRIES - 1));
  }

  private static long slot(long table, int i) {
    return table + 8L * i;
  }

  /**
   * Returns the first IOVA of item {@code i} of the level-{@code lvl} table that covers {@code va}.
   */
  private static long itemVa(long va, int lvl, int i) {
    int tableShift = shift(lvl) + 9;
    long tableBase = tableShift >= 64 ? 0 : va & -(1L << tableShift);
    return tableBase + ((long) i << shift(lvl));
  }

  private static long itemLast(long itemVa, int lvl) {
    return itemVa + ((1L << shift(lvl)) - 1);
  }

  private static boolean ule(long a, long b) {
    return Long.compareUnsigned(a, b) <= 0;
  }

  private static long umin(long a, long b) {
    return ule(a, b) ? a : b;
  }

  private static long umax(long a, long b) {
    return ule(a, b) ? b : a;
  }

  private static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Returns the last IOVA of a non-empty, non-wrapping range. */
  private static long checkedLast(long iova, long length) {
    require(length != 0, "empty range");
    long last = iova + length - 1;
    require(ule(iova, last), "range wraps past 2^64");
    return last;
  }

  /** Returns the output address of slot {@code j} of a table, inside the leaf {@code e} there. */
  private static long oaAt(long e, int lvl, int j) {
    int s = sizeLog2(e, lvl);
    return oa(e, s) + ((long) (j & (replicas(s, lvl) - 1)) << shift(lvl));
  }

  private long root() {
    return dte & ADDRESS_MASK;
  }

  private int mode() {
    return modeOf(dte);
  }

  private boolean dirtyUpdates(long dte0) {
    return driver.hdsup() && (dte0 & Dte.HAD) == Dte.HAD;
  }

  private boolean accessUpdates(long dte0) {
    return driver.hasup() && (dte0 & Dte.HAD) != 0;
  }

  private void defer(long frame) {
    if (deferredCount == deferredFree.length) {
      deferredFree = Arrays.copyOf(deferredFree, deferredCount * 2);
    }
    deferredFree[deferredCount++] = frame;
  }

  private void freeDeferred(int from) {
    long stamp = frameFrees.writeLock();
    try {
      for (int i = from; i < deferredCount; i++) {
        memory.freeFrame(deferredFree[i]);
      }
    } finally {
      frameFrees.unlockWrite(stamp);
    }
    deferredCount = from;
  }

  // --- identity --------------------------------------------------------------------------------

  @Override
  public AmdV1Driver driver() {
    return driver;
  }

  @Override
  public DomainConfig config() {
    return config;
  }

  @Override
  public long pageSizeBitmap() {
    return PAGE_SIZES;
  }

  @Override
  public Dte dte() {
    return new Dte(dte);
  }

  @Override
  public long dteInvalidations() {
    return dteInvalidations.get();
  }

  @Override
  public Iotlb iotlb() {
    return iotlb;
  }

  @Override
  public PageTableMemory memory() {
    return memory;
  }

  @Override
  public String describeEntry(long entry, int level) {
    return AmdV1Entry.describe(entry, level);
  }

  @Override
  public String toString() {
    return "amd-v1 domain " + dte();
  }

  // --- map -------------------------------------------------------------------------------------

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1: leaves are {@code PR | FC | OA | NL | IR/IW} with D = 0; a non-default size is
   * written as its run of identical replicas. If the range or a leaf size is beyond the current
   * mode, the table first grows (iommupt {@code increase_top}): new top tables whose entry 0 points
   * to the old top, then one DTE rewrite with the new root and Mode and its DTE invalidation; no
   * IOTLB flush, as all newly reachable IOVA is non-present. Empty tables where a large leaf goes
   * are freed after a range flush, as iommupt's {@code clear_contig}.
   *
   * @throws IllegalArgumentException also if the output address does not fit in 52 bits ({@code
   *     ERANGE} in the driver)
   */
  @Override
  public void map(long iova, long physical, long size, int prot) {
    require(
        prot != 0 && (prot & ~(IOMMU_READ | IOMMU_WRITE)) == 0,
        "prot must be IOMMU_READ and/or IOMMU_WRITE: " + prot);
    require(size != 0 && ((iova | physical | size) & 0xFFF) == 0, "range not 4 KiB-aligned");
    long last = checkedLast(iova, size);
    long pLast = physical + size - 1;
    require(ule(physical, pLast) && (pLast >>> 52) == 0, "ERANGE: output beyond 52 bits");
    require(!anyLeaf(iova, last), "EADDRINUSE: range overlaps a mapping");

    int maxLevel = 0;
    for (long va = iova, pa = physical, left = size; left != 0; ) {
      int s = bestSize(va, pa, left);
      maxLevel = Math.max(maxLevel, (s - 12) / 9);
      va += 1L << s;
      pa += 1L << s;
      left -= 1L << s;
    }
    grow(last, maxLevel);

    long bits = FC | ((prot & IOMMU_READ) != 0 ? IR : 0) | ((prot & IOMMU_WRITE) != 0 ? IW : 0);
    int freedFrom = deferredCount;
    for (long va = iova, pa = physical, left = size; left != 0; ) {
      int s = bestSize(va, pa, left);
      installLeaf(va, pa, s, bits);
      va += 1L << s;
      pa += 1L << s;
      left -= 1L << s;
    }
    if (deferredCount > freedFrom) {
      iotlb.invalidateRange(iova, size);
      freeDeferred(freedFrom);
    }
  }

  /** Returns log2 of the largest page size aligned for {@code va} and {@code pa} within left. */
  private static int bestSize(long va, long pa, long left) {
    long limit = Long.highestOneBit(left);
    long align = Long.lowestOneBit(va | pa);
    if (align != 0 && Long.compareUnsigned(align, limit) < 0) {
      limit = align;
    }
    long candidates = PAGE_SIZES & (limit | (limit - 1));
    return 63 - Long.numberOfLeadingZeros(candidates);
  }

  /** Adds top levels until {@code last} is reachable and {@code leafLevel} exists. */
  private void grow(long last, int leafLevel) {
    int mode = mode();
    long top = root();
    int oldMode = mode;
    while (mode < MAX_MODE && (!ule(last, reach(mode)) || leafLevel > mode - 1)) {
      long newTop = memory.allocateFrame();
      memory.set(slot(newTop, 0), pde(top, mode));
      top = newTop;
      mode++;
    }
    if (mode != oldMode) {
      dte = Dte.forHostTable(top, mode, tracking).dword0(); // amd_iommu_change_top
      dteInvalidations.incrementAndGet();
    }
  }

  private void installLeaf(long va, long pa, int s, long bits) {
    int leafLevel = (s - 12) / 9;
    long table = root();
    for (int lvl = mode() - 1; lvl > leafLevel; lvl--) {
      long sl = slot(table, index(va, lvl));
      long e = memory.get(sl);
      if (!present(e)) {
        long t = memory.allocateFrame();
        memory.setVolatile(sl, pde(t, lvl));
        table = t;
      } else if (leafAt(e, lvl)) {
        throw new IllegalStateException("leaf met after the overlap check: " + describe(e, lvl));
      } else {
        table = e & ADDRESS_MASK;
      }
    }
    long value = leaf(pa, s, leafLevel, bits);
    int i0 = index(va, leafLevel);
    for (int i = i0; i < i0 + replicas(s, leafLevel); i++) {
      long sl = slot(table, i);
      long e = memory.get(sl);
      if (present(e)) {
        deferTables(e & ADDRESS_MASK, leafLevel - 1); // an empty table: the overlap check passed
      }
      memory.setVolatile(sl, value);
    }
  }

  private void deferTables(long table, int lvl) {
    if (lvl > 0) {
      for (int i = 0; i < ENTRIES; i++) {
        long e = memory.get(slot(table, i));
        if (present(e)) {
          deferTables(e & ADDRESS_MASK, lvl - 1);
        }
      }
    }
    defer(table);
  }

  private boolean anyLeaf(long first, long last) {
    int mode = mode();
    return ule(first, reach(mode)) && anyLeaf(root(), mode - 1, first, umin(last, reach(mode)));
  }

  private boolean anyLeaf(long table, int lvl, long first, long last) {
    for (int i = index(first, lvl), end = index(last, lvl); i <= end; i++) {
      long e = memory.get(slot(table, i));
      if (!present(e)) {
        continue;
      }
      if (leafAt(e, lvl)) {
        return true;
      }
      long iv = itemVa(first, lvl, i);
      if (anyLeaf(e & ADDRESS_MASK, lvl - 1, umax(iv, first), umin(itemLast(iv, lvl), last))) {
        return true;
      }
    }
    return false;
  }

  // --- unmap -----------------------------------------------------------------------------------

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1 follows iommupt's {@code __unmap_range}: if {@code iova} falls inside a leaf but not
   * at its start, nothing is unmapped and 0 is returned; a leaf (or replica run) that starts in the
   * range is removed whole, all replicas zeroed, and counted at its full size even if it extends
   * past the range (trap T15; its dirty state is lost); the walk stops at the first non-present
   * entry in the range and returns what it removed up to there. Tables the range covers entirely
   * are cleared and freed at the next {@link #iotlbSync}. A zero, wrapping or unreachable range
   * unmaps nothing.
   */
  @Override
  public long unmap(long iova, long size) {
    return unmap(iova, size, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1: the walk of {@link #unmap}, removing each replica with an atomic exchange to 0 and
   * recording a removed leaf at its whole size if D was set in any replica (trap T1). A hardware
   * update that lands before a replica's exchange is in the value exchanged; one after finds the
   * slot empty and refuses, and the re-walk faults.
   */
  @Override
  public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
    return unmap(iova, size, dirty);
  }

  private long unmap(long iova, long size, IommuDirtyBitmap dirty) {
    long last = iova + size - 1;
    int mode = mode();
    if (size == 0 || !ule(iova, last) || !ule(last, reach(mode))) {
      return 0;
    }
    unmapped = 0;
    unmapRange(root(), mode - 1, iova, last, dirty);
    return unmapped;
  }

  /** Unmaps inside one table; returns false where iommupt's walk fails (hole, misaligned start). */
  private boolean unmapRange(long table, int lvl, long first, long last, IommuDirtyBitmap dirty) {
    int i = index(first, lvl);
    int end = index(last, lvl) + 1;
    long e = memory.get(slot(table, i));
    if (present(e) && leafAt(e, lvl) && (first & ((1L << sizeLog2(e, lvl)) - 1)) != 0) {
      return false;
    }
    long items = 0;
    boolean ok = true;
    do {
      long sl = slot(table, i);
      e = memory.get(sl);
      if (!present(e)) {
        ok = false;
        break;
      }
      if (leafAt(e, lvl)) {
        int n = replicas(sizeLog2(e, lvl), lvl);
        long old = 0;
        for (int j = 0; j < n; j++) {
          old |= memory.getAndBitwiseAnd(slot(table, i + j), 0); // atomic exchange with 0
        }
        if (dirty != null && (old & D) != 0) {
          dirty.record(itemVa(first, lvl, i), (long) n << shift(lvl));
        }
        items += n;
        i += n;
      } else {
        long iv = itemVa(first, lvl, i);
        long il = itemLast(iv, lvl);
        long child = e & ADDRESS_MASK;
        if (!unmapRange(child, lvl - 1, umax(iv, first), umin(il, last), dirty)) {
          ok = false;
          break;
        }
        if (ule(first, iv) && ule(il, last)) {
          memory.setVolatile(sl, 0);
          defer(child);
        }
        i++;
      }
    } while (i < end);
    unmapped += items << shift(lvl);
    return ok;
  }

  // --- walks -----------------------------------------------------------------------------------

  @Override
  public OptionalLong iovaToPhys(long iova) {
    long dte0 = dte;
    long[] words = walk(dte0, iova);
    if (words.length == 0) {
      return OptionalLong.empty();
    }
    long e = words[words.length - 1];
    int lvl = modeOf(dte0) - words.length;
    if (!present(e) || !leafAt(e, lvl)) {
      return OptionalLong.empty();
    }
    int s = sizeLog2(e, lvl);
    return OptionalLong.of(oa(e, s) + (iova & ((1L << s) - 1)));
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1: one word per level from the DTE's root down; for a replicated run, the replica the
   * hardware would read for {@code iova}. Empty if {@code iova} is beyond the current mode's reach.
   */
  @Override
  public long[] walk(long iova) {
    return walk(dte, iova);
  }

  private long[] walk(long dte0, long iova) {
    int mode = modeOf(dte0);
    if (mode == 0 || !ule(iova, reach(mode))) {
      return new long[0];
    }
    long[] words = new long[mode];
    int n = 0;
    long table = dte0 & ADDRESS_MASK;
    for (int lvl = mode - 1; lvl >= 0; lvl--) {
      long e = memory.getVolatile(slot(table, index(iova, lvl)));
      words[n++] = e;
      if (!present(e) || leafAt(e, lvl) || nl(e) != lvl) {
        break;
      }
      table = e & ADDRESS_MASK;
    }
    return Arrays.copyOf(words, n);
  }

  private static String describe(long e, int lvl) {
    return AmdV1Entry.describe(e, lvl + 1);
  }

  // --- dirty tracking --------------------------------------------------------------------------

  /**
   * {@inheritDoc}
   *
   * <p>AMD ({@code amd_iommu_set_dirty_tracking}): writes DTE.HAD = 11b (on) or 00b (off), issues
   * {@code INVALIDATE_DEVTAB_ENTRY} (counted by {@link #dteInvalidations()}), then {@code
   * amd_iommu_domain_flush_all}: an {@code INVALIDATE_IOMMU_PAGES} of the whole address space and a
   * {@code COMPLETION_WAIT}, modelled as {@link Iotlb#invalidateAll()} (trap T10).
   */
  @Override
  public void setDirtyTracking(boolean enable) {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
    if (tracking == enable) {
      return;
    }
    long d0 = dte;
    dte = enable ? d0 | Dte.HAD : d0 & ~Dte.HAD;
    dteInvalidations.incrementAndGet();
    iotlb.invalidateAll();
    tracking = enable;
  }

  @Override
  public boolean isDirtyTracking() {
    return tracking;
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1, as iommupt's {@code read_and_clear_dirty} with {@code amdv1pt_entry_is_write_dirty}:
   * non-present entries are skipped; a replica run counts once and is dirty if D is set in any
   * replica (trap T1); it is recorded from the current IOVA (the range start for the first entry)
   * for the rest of the run clipped to the range end; a single leaf is recorded for its whole item
   * size from the current IOVA, as upstream does (so a range starting inside a large leaf may
   * record past that leaf). Unless {@code NO_CLEAR}, D is cleared in every replica with an atomic
   * AND and the recorded range added to the gather; with {@code NO_CLEAR} neither. Tracking being
   * off is not checked (iommupt does not either). The part of the range beyond the current mode's
   * reach holds nothing and is ignored.
   *
   * @throws IllegalArgumentException if the range is empty or wraps, or {@code flags} has bits
   *     other than {@code IOMMU_DIRTY_NO_CLEAR}
   */
  @Override
  public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
    require((flags & ~Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0, "unknown flags: " + flags);
    long last = checkedLast(iova, size);
    long dte0 = dte;
    int mode = modeOf(dte0);
    if (!ule(iova, reach(mode))) {
      return;
    }
    boolean clear = (flags & Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0;
    harvest(
        dte0 & ADDRESS_MASK,
        mode - 1,
        iova,
        umin(last, reach(mode)),
        new Harvest(LEAF.scanner(memory), dirty.bitmap().orElse(null), dirty.gather(), clear));
  }

  /**
   * Default-size leaves (NL = 0) at any level, as the harvest kernel sees them: D is the dirty
   * state, cleaned by clearing it; A is the other bit the hardware sets.
   */
  private static final DirtyLeafScanner.Format LEAF =
      new DirtyLeafScanner.Format(PR | NEXT_LEVEL_MASK, PR, PR, D, D, ~D, 0, A);

  /** The per-call state of a harvest walk. */
  private record Harvest(
      DirtyLeafScanner scan, IovaBitmap bitmap, IotlbGather gather, boolean clear) {}

  /*
   * The harvest walk, recursive over present tables. From each entry that starts inside the range
   * and is a default-size leaf (every entry of a level-0 table is tried), up to 64 entries go to
   * the scanner at once and its mask is recorded with one bitmap OR; the scanner stops at a PDE or
   * a replica run, which the per-entry code handles: a run counts once and is dirty if D is set in
   * any replica (trap T1); a leaf the range starts inside is recorded from the range start.
   */
  private void harvest(long table, int lvl, long first, long last, Harvest h) {
    int sh = shift(lvl);
    int end = index(last, lvl);
    for (int i = index(first, lvl); i <= end; ) {
      long iv = itemVa(first, lvl, i);
      if (ule(first, iv) && (lvl == 0 || isDefaultLeaf(memory.getVolatile(slot(table, i))))) {
        long mask = h.scan.readAndClear(slot(table, i), Math.min(64, end - i + 1), h.clear);
        if (mask != 0) {
          if (h.bitmap != null) {
            h.bitmap.setLeaves(iv, 1L << sh, mask);
          }
          if (h.clear) {
            int lo = Long.numberOfTrailingZeros(mask);
            h.gather.addRange(
                iv + ((long) lo << sh), (long) (64 - Long.numberOfLeadingZeros(mask) - lo) << sh);
          }
        }
        if (h.scan.consumed() > 0) {
          i += h.scan.consumed();
          continue;
        }
      }
      long e = memory.getVolatile(slot(table, i));
      if (!present(e)) {
        i++;
        continue;
      }
      long va = umax(iv, first);
      if (!leafAt(e, lvl)) {
        harvest(e & ADDRESS_MASK, lvl - 1, va, umin(itemLast(iv, lvl), last), h);
        i++;
        continue;
      }
      int n = nl(e) == NL_SIZE ? replicas(sizeLog2(e, lvl), lvl) : 1;
      int base = i & -n;
      long or = 0;
      for (int j = base; j < base + n; j++) {
        or |= memory.getVolatile(slot(table, j));
      }
      if ((or & D) != 0) {
        long len = (long) (Math.min(base + n, end + 1) - i) << sh;
        if (h.bitmap != null) {
          h.bitmap.set(va, len);
        }
        if (h.clear) {
          for (int j = base; j < base + n; j++) {
            memory.getAndBitwiseAnd(slot(table, j), ~D);
          }
          h.gather.addRange(va, len);
        }
      }
      i = base + n;
    }
  }

  private static boolean isDefaultLeaf(long e) {
    return (e & (PR | NEXT_LEVEL_MASK)) == PR;
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD: {@code amd_iommu_domain_flush_pages(start, end - start + 1)}, then frees the tables
   * earlier unmaps took out (iommupt frees them through the gather's free list after the sync).
   */
  @Override
  public void iotlbSync(IotlbGather gather) {
    if (gather.isEmpty()) {
      return;
    }
    long length = gather.end() - gather.start() + 1;
    if (length == 0) {
      iotlb.invalidateAll(); // the whole 2^64 space
    } else {
      iotlb.invalidateRange(gather.start(), length);
    }
    freeDeferred(0);
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1: frees the tables unmaps left for the next sync, then every table from the root.
   */
  @Override
  public void free() {
    iotlb.invalidateAll();
    freeDeferred(0);
    deferTree(root(), mode() - 1);
    freeDeferred(0);
  }

  private void deferTree(long table, int lvl) {
    if (lvl > 0) {
      for (int i = 0; i < ENTRIES; i++) {
        long e = memory.get(slot(table, i));
        if (present(e) && !leafAt(e, lvl)) {
          deferTree(e & ADDRESS_MASK, lvl - 1);
        }
      }
    }
    defer(table);
  }

  // --- the hardware path -----------------------------------------------------------------------

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1: walks from the DTE root through {@code Mode} levels (an IOVA above the mode's reach,
   * a non-present entry, a PDE that skips levels or a leaf at the top of mode 6 fault); IR/IW are
   * ANDed over the DTE, every PDE and the leaf. With HASUP and DTE.HAD ≠ 00b the walk sets A in the
   * leaf slot it read by compare-and-swap (walking again if the slot changed). The translation's
   * slot is the replica walked; it is dirty if that replica's D is set or dirty updates (HDSUP and
   * HAD = 11b) are off.
   */
  @Override
  public Optional<Translation> translate(long iova) {
    walk:
    for (; ; ) {
      long stamp = frameFrees.tryOptimisticRead();
      long dte0 = dte;
      int mode = modeOf(dte0);
      if (mode == 0 || !ule(iova, reach(mode))) {
        return Optional.empty();
      }
      boolean r = (dte0 & Dte.IR) != 0;
      boolean w = (dte0 & Dte.IW) != 0;
      long table = dte0 & ADDRESS_MASK;
      for (int lvl = mode - 1; lvl >= 0; lvl--) {
        long sl = slot(table, index(iova, lvl));
        long e = memory.getVolatile(sl);
        if (!present(e) || (leafAt(e, lvl) ? lvl > MAX_LEAF_LEVEL : nl(e) != lvl)) {
          // not present, a level skip (Linux never builds one) or a leaf at the mode-6 top
          if (!frameFrees.validate(stamp)) {
            continue walk;
          }
          return Optional.empty();
        }
        r &= (e & IR) != 0;
        w &= (e & IW) != 0;
        if (!leafAt(e, lvl)) {
          table = e & ADDRESS_MASK;
          continue;
        }
        if (accessUpdates(dte0) && (e & A) == 0) {
          if (!memory.compareAndSet(sl, e, e | A)) {
            continue walk;
          }
          e |= A;
        }
        if (!frameFrees.validate(stamp)) {
          continue walk;
        }
        int s = sizeLog2(e, lvl);
        long mask = (1L << s) - 1;
        boolean dirty = !dirtyUpdates(dte0) || (e & D) != 0;
        return Optional.of(new Translation(iova & ~mask, 1L << s, oa(e, s), r, w, dirty, sl, e));
      }
      throw new AssertionError("level 0 entries are leaves");
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD (spec §2.5): the interlocked 64-bit update of the walked slot only, even inside a
   * replica run (the other replicas keep D = 0, which is why a harvest ORs them). The slot must
   * still hold the walked leaf apart from A/D; D (and A, with access updates on) is then set by
   * compare-and-swap, retried if only A/D changed meanwhile.
   */
  @Override
  public boolean setDirtyByHardware(Translation t) {
    long sl = t.slot();
    long walked = t.entry() & ~AD;
    for (; ; ) {
      long cur = memory.getVolatile(sl);
      if ((cur & ~AD) != walked || !present(cur)) {
        return false;
      }
      if ((cur & D) != 0) {
        return true;
      }
      long next = cur | D | (accessUpdates(dte) ? A : 0);
      if (memory.compareAndSet(sl, cur, next)) {
        return true;
      }
    }
  }

  // --- split and collapse (spec §5.2) ----------------------------------------------------------

  /**
   * Replaces the {@code values.length} consecutive leaf slots from {@code first} (which hardware
   * may be updating) by {@code values}, built with dirty state {@code d0}: each slot by a CAS from
   * its current value, folding any D the hardware set since into {@code d}; if {@code d} grew,
   * every leaf reachable from the new slots is marked dirty (§5.2 step 3, AMD in-place rule).
   */
  private void replaceSlots(long first, int lvl, long[] values, long d0) {
    publishWindow.run();
    long d = d0;
    for (int j = 0; j < values.length; j++) {
      long sl = first + 8L * j;
      for (; ; ) {
        long cur = memory.getVolatile(sl);
        d |= cur & D;
        if (memory.compareAndSet(sl, cur, values[j])) {
          break;
        }
      }
    }
    if (d != d0) {
      for (int j = 0; j < values.length; j++) {
        markDirty(first + 8L * j, lvl);
      }
    }
  }

  private void markDirty(long sl, int lvl) {
    long e = memory.getVolatile(sl);
    if (!present(e)) {
      return;
    }
    if (leafAt(e, lvl)) {
      memory.getAndBitwiseOr(sl, D);
    } else {
      for (int i = 0; i < ENTRIES; i++) {
        markDirty(slot(e & ADDRESS_MASK, i), lvl - 1);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1: every leaf overlapping the range and larger than {@code pageSize} is split whole. A
   * default-size leaf (or each slot of a run) becomes a table (or a subtree, e.g. 1 GiB to 4 KiB)
   * built privately and published by CAS; a run split into smaller runs or single leaves at its own
   * level is rewritten in place slot by slot. Children get the OR of the replicas' D and A bits,
   * and any D the hardware sets during the publish is folded in; then the old leaf's range is
   * invalidated.
   */
  @Override
  public void split(long iova, long length, long pageSize) {
    require(
        Long.bitCount(pageSize) == 1 && (PAGE_SIZES & pageSize) != 0,
        "not an AMD v1 page size: 0x" + Long.toHexString(pageSize));
    long last = checkedLast(iova, length);
    int mode = mode();
    if (ule(iova, reach(mode))) {
      splitRange(
          root(), mode - 1, iova, umin(last, reach(mode)), Long.numberOfTrailingZeros(pageSize));
    }
  }

  private void splitRange(long table, int lvl, long first, long last, int ps) {
    int end = index(last, lvl);
    for (int i = index(first, lvl); i <= end; ) {
      long e = memory.getVolatile(slot(table, i));
      if (!present(e)) {
        i++;
        continue;
      }
      long iv = itemVa(first, lvl, i);
      if (!leafAt(e, lvl)) {
        splitRange(e & ADDRESS_MASK, lvl - 1, umax(iv, first), umin(itemLast(iv, lvl), last), ps);
        i++;
        continue;
      }
      int s = sizeLog2(e, lvl);
      int base = i & -replicas(s, lvl);
      if (s > ps) {
        splitLeaf(table, lvl, base, itemVa(first, lvl, base), e, s, ps);
      }
      i = base + replicas(s, lvl);
    }
  }

  private void splitLeaf(long table, int lvl, int base, long leafVa, long e, int s, int ps) {
    int n = replicas(s, lvl);
    int sh = shift(lvl);
    long first = slot(table, base);
    long ad = 0; // step 1: OR over the replicas
    for (int j = 0; j < n; j++) {
      ad |= memory.getVolatile(first + 8L * j) & AD;
    }
    long bits = (e & ATTRS) | ad; // step 2: every child inherits the OR
    long oa = oa(e, s);
    long[] values = new long[n];
    for (int j = 0; j < n; j++) {
      if ((ps - 12) / 9 == lvl) {
        int c = replicas(ps, lvl);
        values[j] = leaf(oa + ((long) (j & -c) << sh), ps, lvl, bits);
      } else {
        values[j] = pde(buildTable(oa + ((long) j << sh), lvl - 1, ps, bits), lvl);
      }
    }
    replaceSlots(first, lvl, values, ad & D); // step 3
    iotlb.invalidateRange(leafVa, 1L << s); // step 4
  }

  /** Builds an unpublished table at {@code lvl} mapping its span from {@code oa} in ps leaves. */
  private long buildTable(long oa, int lvl, int ps, long bits) {
    long t = memory.allocateFrame();
    int sh = shift(lvl);
    int c = (ps - 12) / 9 == lvl ? replicas(ps, lvl) : 0;
    for (int j = 0; j < ENTRIES; j++) {
      long v =
          c != 0
              ? leaf(oa + ((long) (j & -c) << sh), ps, lvl, bits)
              : pde(buildTable(oa + ((long) j << sh), lvl - 1, ps, bits), lvl);
      memory.set(slot(t, j), v);
    }
    return t;
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1, bottom-up: a table whose span lies in the range and whose 512 entries are present
   * leaves with contiguous output addresses, equal FC/IR/IW and an output base aligned to the span
   * becomes one default-size leaf in its parent, if the parent level can hold that size (not 512
   * GiB, not the mode-6 top), following §5.2 steps 1–5, after which the table is freed. Otherwise,
   * inside the table, every naturally aligned group of 2..256 such leaves within the range becomes
   * one replica run (largest group first), rewritten in place by CAS with D = OR of the group.
   */
  @Override
  public void collapse(long iova, long length) {
    long last = checkedLast(iova, length);
    int mode = mode();
    if (ule(iova, reach(mode))) {
      collapseRange(root(), mode - 1, iova, umin(last, reach(mode)), false);
    }
  }

  /** Collapses inside a table; returns true if the caller should replace the whole table. */
  private boolean collapseRange(long table, int lvl, long first, long last, boolean whole) {
    for (int i = index(first, lvl), end = index(last, lvl); i <= end; i++) {
      long sl = slot(table, i);
      long e = memory.get(sl);
      if (!present(e) || leafAt(e, lvl)) {
        continue;
      }
      long iv = itemVa(first, lvl, i);
      long il = itemLast(iv, lvl);
      boolean leafFits =
          ule(first, iv)
              && ule(il, last)
              && lvl <= MAX_LEAF_LEVEL
              && (PAGE_SIZES & (1L << shift(lvl))) != 0;
      long child = e & ADDRESS_MASK;
      if (collapseRange(child, lvl - 1, umax(iv, first), umin(il, last), leafFits)) {
        collapseTable(sl, lvl, iv, child);
      }
    }
    if (whole && uniform(table, lvl, 0, ENTRIES, shift(lvl) + 9)) {
      return true;
    }
    if (lvl <= MAX_LEAF_LEVEL) {
      formRuns(table, lvl, first, last);
    }
    return false;
  }

  /**
   * Returns whether slots {@code [i, i + g)} hold present leaves with equal attributes whose output
   * addresses continue one another from a base aligned to {@code 2^sizeLog2}.
   */
  private boolean uniform(long table, int lvl, int i, int g, int sizeLog2) {
    long e0 = memory.getVolatile(slot(table, i));
    if (!present(e0) || !leafAt(e0, lvl)) {
      return false;
    }
    long base = oaAt(e0, lvl, i);
    if ((base & ((1L << sizeLog2) - 1)) != 0) {
      return false;
    }
    for (int j = i + 1; j < i + g; j++) {
      long e = memory.getVolatile(slot(table, j));
      if (!present(e)
          || !leafAt(e, lvl)
          || (e & ATTRS) != (e0 & ATTRS)
          || oaAt(e, lvl, j) != base + ((long) (j - i) << shift(lvl))) {
        return false;
      }
    }
    return true;
  }

  /** §5.2 collapse of a leaf table into one leaf in {@code parentSlot} (at level plvl). */
  private void collapseTable(long parentSlot, int plvl, long spanVa, long child) {
    int clvl = plvl - 1;
    long ad = 0; // step 1
    for (int j = 0; j < ENTRIES; j++) {
      ad |= memory.getVolatile(slot(child, j)) & AD;
    }
    long e0 = memory.getVolatile(child);
    long l = leaf(oaAt(e0, clvl, 0), shift(plvl), plvl, (e0 & ATTRS) | ad); // step 2
    publishWindow.run();
    if (!memory.compareAndSet(parentSlot, memory.get(parentSlot), l)) { // step 3
      throw new IllegalStateException("PDE changed under the serialised control plane");
    }
    iotlb.invalidateRange(spanVa, 1L << shift(plvl)); // step 4
    long d1 = 0; // step 5: children written through stale translations before the flush
    for (int j = 0; j < ENTRIES; j++) {
      d1 |= memory.getVolatile(slot(child, j)) & D;
    }
    if (d1 != 0 && (l & D) == 0) {
      memory.getAndBitwiseOr(parentSlot, D);
    }
    defer(child);
    freeDeferred(deferredCount - 1);
  }

  /** Rewrites aligned groups of contiguous leaves of one table, inside the range, as runs. */
  private void formRuns(long table, int lvl, long first, long last) {
    int sh = shift(lvl);
    int lo = index(first, lvl);
    if (itemVa(first, lvl, lo) != first) {
      lo++;
    }
    int hi = index(last, lvl);
    if (itemLast(itemVa(first, lvl, hi), lvl) != last) {
      hi--;
    }
    for (int i = lo; i <= hi; ) {
      long e = memory.getVolatile(slot(table, i));
      if (!present(e) || !leafAt(e, lvl)) {
        i++;
        continue;
      }
      int n = replicas(sizeLog2(e, lvl), lvl);
      if ((i & (n - 1)) != 0) {
        i = (i & -n) + n; // the range starts inside a run: leave it alone
        continue;
      }
      int k = 8;
      while ((1 << k) > n
          && ((i & ((1 << k) - 1)) != 0
              || i + (1 << k) - 1 > hi
              || (PAGE_SIZES & (1L << (sh + k))) == 0
              || !uniform(table, lvl, i, 1 << k, sh + k))) {
        k--;
      }
      int g = 1 << k;
      if (g > n) {
        publishRun(table, lvl, i, g, sh + k, itemVa(first, lvl, i));
      }
      i += g;
    }
  }

  private void publishRun(long table, int lvl, int i, int g, int sizeLog2, long va) {
    long first = slot(table, i);
    long ad = 0;
    for (int j = 0; j < g; j++) {
      ad |= memory.getVolatile(first + 8L * j) & AD;
    }
    long e0 = memory.getVolatile(first);
    long[] values = new long[g];
    Arrays.fill(values, leaf(oaAt(e0, lvl, i), sizeLog2, lvl, (e0 & ATTRS) | ad));
    replaceSlots(first, lvl, values, ad & D);
    iotlb.invalidateRange(va, 1L << sizeLog2);
  }
}
