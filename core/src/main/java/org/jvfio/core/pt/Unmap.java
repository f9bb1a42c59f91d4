package org.jvfio.core.pt;

import static org.jvfio.core.pt.PageTable.slot;
import static org.jvfio.core.pt.PageTable.ule;
import static org.jvfio.core.pt.PageTable.umax;
import static org.jvfio.core.pt.PageTable.umin;

import org.jvfio.core.spi.IommuDirtyBitmap;

/*
 * One unmap call, as iommupt's __unmap_range (drivers/iommu/generic_pt/iommu_pt.h), recursive over
 * present tables: a start inside a leaf fails the walk at once; each leaf (every replica of a run)
 * is removed with an atomic exchange to 0 and, with a dirty record, recorded whole if any old
 * replica was dirty; a non-present entry fails the walk, keeping what was removed before it; a
 * table the range covers entirely is cleared after its children and deferred to the next sync.
 * Without stopAtHole a non-present entry is skipped instead (io-pgtable-arm's piece over a table).
 *
 * pieces() is io-pgtable-arm's unmap under iommu_unmap's page-size loop (drivers/iommu/iommu.c,
 * __iommu_unmap; drivers/iommu/io-pgtable-arm.c, __arm_lpae_unmap): each piece of the largest
 * page size must meet an entry of exactly its size, a smaller piece over a larger leaf is refused
 * and an empty entry ends the loop; a piece that removed a table invalidates its range and frees
 * it at once, as io_pgtable_tlb_flush_walk before the free.
 */
final class Unmap {
  private final PageTable pt;
  private final PtFormat f;
  private final IommuDirtyBitmap dirty;
  private final boolean stopAtHole;
  private long unmapped;

  Unmap(PageTable pt, IommuDirtyBitmap dirty, boolean stopAtHole) {
    this.pt = pt;
    this.f = pt.f;
    this.dirty = dirty;
    this.stopAtHole = stopAtHole;
  }

  /**
   * Unmaps as PageTable.unmap, except that without {@code stopAtHole} a non-present entry is
   * skipped instead of ending the walk: every leaf in the range goes, and every table the range
   * covers entirely is freed whatever holes it has (one piece of {@link #pieces}). An empty range,
   * one that wraps or one beyond the top's reach unmaps nothing.
   */
  static long range(
      PageTable pt, long iova, long size, IommuDirtyBitmap dirty, boolean stopAtHole) {
    long last = iova + size - 1;
    int top = pt.topLevel();
    if (size == 0 || !ule(iova, last) || !ule(last, pt.f.reach(top))) {
      return 0;
    }
    return new Unmap(pt, dirty, stopAtHole).run(pt.root(), top, iova, last);
  }

  /** Unmaps as PageTable.unmapPieces, whose arguments are checked; returns the bytes removed. */
  static long pieces(PageTable pt, long iova, long size, IommuDirtyBitmap dirty) {
    PtFormat f = pt.f;
    int top = pt.topLevel();
    long done = 0;
    while (done != size) {
      long cur = iova + done;
      long pgsize = f.bestPageSize(cur, cur, size - done);
      int level = f.levelOfSize(pgsize);
      long[] words = pt.walk(cur);
      int k = top - level; // the piece's entry is word k of the walk
      if (words.length <= k
          || f.isEmpty(words[k])
          || (f.isLeaf(words[k], level) && f.leafSize(words[k], level) > pgsize)) {
        break;
      }
      range(pt, cur, pgsize, dirty, false);
      if (f.isTable(words[k], level)) {
        pt.iotlb.invalidateRange(cur, pgsize); // io_pgtable_tlb_flush_walk, then the free
        pt.freeDeferred(0);
      }
      done += pgsize;
    }
    return done;
  }

  /** Unmaps {@code [first, last]} below the top table; returns the bytes removed. */
  long run(long root, int top, long first, long last) {
    unmapTable(root, top, first, last);
    return unmapped;
  }

  /** Unmaps inside one table; returns false where the walk fails (a hole, a mid-leaf start). */
  private boolean unmapTable(long table, int level, long first, long last) {
    int i = pt.index(first, level);
    int end = pt.index(last, level) + 1;
    long e = pt.memory.get(slot(table, i));
    if (f.isLeaf(e, level) && (first & (f.leafSize(e, level) - 1)) != 0) {
      return false;
    }
    long items = 0;
    boolean ok = true;
    do {
      long sl = slot(table, i);
      e = pt.memory.get(sl);
      if (f.isEmpty(e)) {
        if (!stopAtHole) {
          i++;
          continue;
        }
        ok = false;
        break;
      }
      if (f.isLeaf(e, level)) {
        int n = pt.runLength(e, level);
        boolean wasDirty = false;
        for (int j = 0; j < n; j++) {
          wasDirty |= f.isDirty(pt.memory.getAndBitwiseAnd(slot(table, i + j), 0));
        }
        if (dirty != null && wasDirty) {
          dirty.record(pt.itemVa(first, level, i), (long) n << f.shift(level));
        }
        items += n;
        i += n;
      } else {
        long iv = pt.itemVa(first, level, i);
        long il = pt.itemLast(iv, level);
        long child = f.tableAddress(e);
        if (!unmapTable(child, level - 1, umax(iv, first), umin(il, last))) {
          ok = false;
          break;
        }
        if (ule(first, iv) && ule(il, last)) {
          pt.memory.setVolatile(sl, 0);
          pt.defer(child);
        }
        i++;
      }
    } while (i < end);
    unmapped += items << f.shift(level);
    return ok;
  }
}
