package org.jvfio.core.pt;

import static org.jvfio.core.pt.PageTable.slot;
import static org.jvfio.core.pt.PageTable.ule;
import static org.jvfio.core.pt.PageTable.umax;
import static org.jvfio.core.pt.PageTable.umin;

import org.jvfio.core.hw.PageTableMemory;

/*
 * Split (demote) and collapse (promote) of live leaves, once for every format, keeping the dirty
 * contract: a write before the operation is never invisible to the next harvest (over-reporting is
 * allowed). Upstream has no such operation; the steps are those of the model's split and collapse
 * rules, numbered below.
 *
 * Split of a leaf (or a run) the range covers: (1) read every entry of the run and OR their dirty
 * and accessed state; (2) build the replacement privately, every child inheriting that state (a
 * run is split in place into smaller runs or single leaves at its own level, otherwise each slot
 * becomes a table, or a subtree when the target is several levels down: only the items overlapping
 * the range go down to the target, the others stay leaves one level down, so splitting a 4 KiB
 * range of a 1 GiB leaf costs two tables, not 513); (3) publish each slot by compare-and-swap from
 * the value read, folding in any dirty bit the hardware set meanwhile, and if the state grew dirty
 * mark every new leaf dirty; (4) invalidate the old leaf's range. A DMA holding the old
 * translation fails its hardware update against the changed slot and re-walks (PageTable rule 2).
 * A leaf the range covers only in part is split whole, but only one level down (to the largest
 * page size of the next level, or the target if larger), and the walk goes on into what replaced
 * it, so only the pieces inside the range go further down.
 * A break-before-make format (PtFormat#breakBeforeMake) swaps each slot to 0 in step 3,
 * invalidates, and only then writes the new entries (a DMA in between faults); its collapse writes
 * the leaf only after step 5.
 *
 * Collapse, bottom-up: a table whose span lies in the range and whose entries are present leaves
 * with contiguous output addresses, equal attributes and an aligned base becomes one leaf in its
 * parent if that level holds leaves of the span's size: (1) OR the children's state; (2) build the
 * leaf with it; (3) publish by compare-and-swap; (4) invalidate the span, which drains every DMA
 * that could still update a child; (5) re-read the now unreachable children and make the leaf
 * dirty if one became dirty since step 1; only then free the table. In a format with runs
 * (replicas or per-item addresses), aligned groups of such leaves inside one table that make a
 * size the level holds become one run in place, largest first, by the compare-and-swap of split
 * step 3.
 */
final class Reshape {
  private final PageTable pt;
  private final PtFormat f;
  private final PageTableMemory memory;

  Reshape(PageTable pt) {
    this.pt = pt;
    this.f = pt.f;
    this.memory = pt.memory;
  }

  // --- split ----------------------------------------------------------------------------------

  void splitRange(long table, int level, long first, long last, int ps) {
    int end = pt.index(last, level);
    for (int i = pt.index(first, level); i <= end; ) {
      long e = memory.getVolatile(slot(table, i));
      if (f.isEmpty(e)) {
        i++;
        continue;
      }
      long iv = pt.itemVa(first, level, i);
      if (!f.isLeaf(e, level)) {
        if (f.isTable(e, level)) {
          splitRange(
              f.tableAddress(e),
              level - 1,
              umax(iv, first),
              umin(pt.itemLast(iv, level), last),
              ps);
        }
        i++;
        continue;
      }
      int s = f.leafSizeLog2(e, level);
      int n = pt.runLength(e, level);
      int base = i & -n;
      if (s > ps) {
        splitLeaf(table, level, base, pt.itemVa(first, level, base), e, s, ps, first, last);
      }
      i = base + n;
    }
  }

  private void splitLeaf(
      long table, int level, int base, long leafVa, long e, int s, int ps, long lo, long hi) {
    int n = pt.runLength(e, level);
    int sh = f.shift(level);
    long first = slot(table, base);
    boolean d = false; // step 1
    long accessed = 0;
    for (int j = 0; j < n; j++) {
      long r = memory.getVolatile(first + 8L * j);
      d |= f.isDirty(r);
      accessed |= r & f.accessBit;
    }
    long attrs = withDirty(childAttributes(e) | accessed, d); // step 2
    long oa = f.leafAddress(e, level);
    long[] values = new long[n];
    int psLevel = f.levelOfSize(1L << ps);
    for (int j = 0; j < n; j++) {
      if (psLevel == level) {
        int c = f.entriesOf(1L << ps);
        long run = f.encodeLeaf(oa + ((long) (j & -c) << sh), 1L << ps, level, attrs);
        values[j] = f.itemOf(run, j & (c - 1), level);
      } else {
        long off = (long) j << sh;
        values[j] =
            f.encodeTable(buildTable(oa + off, leafVa + off, level - 1, ps, attrs, lo, hi), level);
      }
    }
    replaceSlots(first, level, values, d, leafVa, 1L << s); // steps 3 and 4
  }

  /** Returns the bits of leaf {@code e} its children keep: attributes and hardware state. */
  private long childAttributes(long e) {
    return e & ~f.oaMask & ~f.runMask & (f.attrMask | f.dirtyMask | f.accessBit);
  }

  /**
   * Builds an unpublished table at {@code level} mapping its span from {@code oa} at {@code va}:
   * items overlapping {@code [lo, hi]} are split down to leaves of {@code 2^ps}, the others become
   * leaves of the item size where the level holds them (only the range is demoted to the target).
   */
  private long buildTable(long oa, long va, int level, int ps, long attrs, long lo, long hi) {
    long t = pt.allocateTable();
    int sh = f.shift(level);
    long item = 1L << sh;
    int c = f.levelOfSize(1L << ps) == level ? f.entriesOf(1L << ps) : 0;
    boolean itemLeaves = (f.possibleSizes(level) & item) != 0;
    for (int j = 0; j < pt.entries; j++) {
      long off = (long) j << sh;
      boolean outside = !ule(va + off, hi) || !ule(lo, va + off + item - 1);
      long v;
      if (c != 0) {
        long run = f.encodeLeaf(oa + ((long) (j & -c) << sh), 1L << ps, level, attrs);
        v = f.itemOf(run, j & (c - 1), level);
      } else if (outside && itemLeaves) {
        v = f.encodeLeaf(oa + off, item, level, attrs);
      } else {
        v = f.encodeTable(buildTable(oa + off, va + off, level - 1, ps, attrs, lo, hi), level);
      }
      memory.set(slot(t, j), v);
    }
    return t;
  }

  /**
   * Replaces the {@code values.length} consecutive slots from {@code first} (which hardware may be
   * updating) by {@code values}, built with dirty state {@code d0}, and invalidates {@code [va, va
   * + size)}: each slot by a CAS from its current value, folding any dirty bit the hardware set
   * since; if that happened, every leaf reachable from the new slots is made dirty (step 3); then
   * the invalidation (step 4). Break-before-make formats CAS every slot to 0 and invalidate first,
   * then write the values; a DMA in between faults.
   */
  private void replaceSlots(long first, int level, long[] values, boolean d0, long va, long size) {
    pt.raceWindow.run();
    boolean bbm = f.breakBeforeMake;
    boolean d = d0;
    for (int j = 0; j < values.length; j++) {
      long sl = first + 8L * j;
      for (; ; ) {
        long cur = memory.getVolatile(sl);
        boolean curDirty = f.isLeaf(cur, level) && f.isDirty(cur);
        if (memory.compareAndSet(sl, cur, bbm ? 0 : values[j])) {
          d |= curDirty;
          break;
        }
      }
    }
    pt.iotlb.invalidateRange(va, size);
    for (int j = 0; bbm && j < values.length; j++) {
      memory.setVolatile(first + 8L * j, values[j]);
    }
    if (d != d0) {
      for (int j = 0; j < values.length; j++) {
        markDirty(first + 8L * j, level);
      }
    }
  }

  private void markDirty(long sl, int level) {
    long e = memory.getVolatile(sl);
    if (f.isLeaf(e, level)) {
      makeDirty(sl);
    } else if (f.isTable(e, level)) {
      for (int i = 0; i < pt.entries; i++) {
        markDirty(slot(f.tableAddress(e), i), level - 1);
      }
    }
  }

  // --- collapse -------------------------------------------------------------------------------

  /** Collapses inside a table; returns true if the caller should replace the whole table. */
  boolean collapseRange(long table, int level, long first, long last, boolean whole) {
    for (int i = pt.index(first, level), end = pt.index(last, level); i <= end; i++) {
      long sl = slot(table, i);
      long e = memory.get(sl);
      if (!f.isTable(e, level)) {
        continue;
      }
      long iv = pt.itemVa(first, level, i);
      long il = pt.itemLast(iv, level);
      boolean leafFits =
          ule(first, iv) && ule(il, last) && (f.possibleSizes(level) & (1L << f.shift(level))) != 0;
      long child = f.tableAddress(e);
      if (collapseRange(child, level - 1, umax(iv, first), umin(il, last), leafFits)) {
        collapseTable(sl, level, iv, child);
      }
    }
    if (whole && uniform(table, level, 0, pt.entries, f.shift(level) + f.bitsPerLevel)) {
      return true;
    }
    if (f.contiguous() != PtFormat.Contiguous.NONE && f.possibleSizes(level) != 0) {
      formRuns(table, level, first, last);
    }
    return false;
  }

  /**
   * Returns whether slots {@code [i, i + g)} hold present leaves with equal attributes whose output
   * addresses continue one another from a base aligned to {@code 2^sizeLog2}.
   */
  private boolean uniform(long table, int level, int i, int g, int sizeLog2) {
    long e0 = memory.getVolatile(slot(table, i));
    if (!f.isLeaf(e0, level)) {
      return false;
    }
    long base = pt.oaAt(e0, level, i);
    if ((base & ((1L << sizeLog2) - 1)) != 0) {
      return false;
    }
    for (int j = i + 1; j < i + g; j++) {
      long e = memory.getVolatile(slot(table, j));
      if (!f.isLeaf(e, level)
          || f.attributes(e) != f.attributes(e0)
          || pt.oaAt(e, level, j) != base + ((long) (j - i) << f.shift(level))) {
        return false;
      }
    }
    return true;
  }

  /** State of slots {@code [first, first + 8n)}: bit 0 any dirty, the rest the accessed bits. */
  private long state(long first, int n) {
    long st = 0;
    for (int j = 0; j < n; j++) {
      long c = memory.getVolatile(first + 8L * j);
      st |= (f.isDirty(c) ? 1 : 0) | (c & f.accessBit);
    }
    return st;
  }

  private void collapseTable(long parentSlot, int plevel, long spanVa, long child) {
    int clevel = plevel - 1;
    long st = state(child, pt.entries); // step 1
    long e0 = memory.getVolatile(child);
    long span = 1L << f.shift(plevel);
    long attrs = withDirty(childAttributes(e0) | (st & f.accessBit), (st & 1) != 0);
    long leaf = f.encodeLeaf(pt.oaAt(e0, clevel, 0), span, plevel, attrs); // step 2
    pt.raceWindow.run();
    boolean bbm = f.breakBeforeMake;
    if (!memory.compareAndSet(parentSlot, memory.get(parentSlot), bbm ? 0 : leaf)) { // step 3
      throw new IllegalStateException("table pointer changed under the serialised control plane");
    }
    pt.iotlb.invalidateRange(spanVa, span); // step 4
    boolean late = (state(child, pt.entries) & 1) != 0 && !f.isDirty(leaf); // step 5
    if (bbm) {
      memory.setVolatile(parentSlot, late ? f.dirty(leaf) : leaf);
    } else if (late) {
      makeDirty(parentSlot);
    }
    pt.freeTable(child);
  }

  /** Rewrites aligned groups of contiguous leaves of one table, inside the range, as runs. */
  private void formRuns(long table, int level, long first, long last) {
    int sh = f.shift(level);
    int lo = pt.index(first, level);
    if (pt.itemVa(first, level, lo) != first) {
      lo++;
    }
    int hi = pt.index(last, level);
    if (pt.itemLast(pt.itemVa(first, level, hi), level) != last) {
      hi--;
    }
    for (int i = lo; i <= hi; ) {
      long e = memory.getVolatile(slot(table, i));
      if (!f.isLeaf(e, level)) {
        i++;
        continue;
      }
      int n = pt.runLength(e, level);
      if ((i & (n - 1)) != 0) {
        i = (i & -n) + n; // the range starts inside a run: leave it alone
        continue;
      }
      int k = f.bitsPerLevel - 1;
      while ((1 << k) > n
          && ((i & ((1 << k) - 1)) != 0
              || i + (1 << k) - 1 > hi
              || (f.possibleSizes(level) & (1L << (sh + k))) == 0
              || !uniform(table, level, i, 1 << k, sh + k))) {
        k--;
      }
      int g = 1 << k;
      if (g > n) {
        publishRun(table, level, i, g, sh + k, pt.itemVa(first, level, i));
      }
      i += g;
    }
  }

  private void publishRun(long table, int level, int i, int g, int sizeLog2, long va) {
    long first = slot(table, i);
    long st = state(first, g);
    long e0 = memory.getVolatile(first);
    long attrs = withDirty(childAttributes(e0) | (st & f.accessBit), (st & 1) != 0);
    long[] values = new long[g];
    long run = f.encodeLeaf(pt.oaAt(e0, level, i), 1L << sizeLog2, level, attrs);
    for (int j = 0; j < g; j++) {
      values[j] = f.itemOf(run, j, level);
    }
    replaceSlots(first, level, values, (st & 1) != 0, va, 1L << sizeLog2);
  }

  /**
   * Returns {@code e}, made write-dirty if {@code dirty}. It never cleans: every caller's {@code
   * dirty} is the OR of a read of entries among which is {@code e}'s own, so a dirty {@code e}
   * either made {@code dirty} true or became dirty since (only the hardware changes an entry
   * meanwhile, and it never cleans), and stays dirty.
   */
  private long withDirty(long e, boolean dirty) {
    return dirty ? f.dirty(e) : e;
  }

  /** Makes the leaf at {@code sl} write-dirty by compare-and-swap (still the leaf it was). */
  private void makeDirty(long sl) {
    for (; ; ) {
      long cur = memory.getVolatile(sl);
      if (f.isEmpty(cur) || f.isDirty(cur) || memory.compareAndSet(sl, cur, f.dirty(cur))) {
        return;
      }
    }
  }
}
