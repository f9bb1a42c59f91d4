package org.jvfio.core.pt;

import static org.jvfio.core.pt.PageTable.slot;
import static org.jvfio.core.pt.PageTable.ule;
import static org.jvfio.core.pt.PageTable.umax;
import static org.jvfio.core.pt.PageTable.umin;

import org.jvfio.core.hw.PageTableMemory;

/*
 * One map call after PageTable.map has validated it, as iommupt's map_pages (drivers/iommu/
 * generic_pt/iommu_pt.h, __map_range and increase_top): the range is cut into the largest leaves
 * alignment and length allow (iommu_pgsize), the table first grows until the last IOVA and the
 * largest of them fit under its top, then each leaf is installed: missing tables on its path by a
 * compare-and-swap (a loser frees its unpublished frame and walks the winner's), then every entry
 * of the leaf (all entries of a run, each with its own output address where the format says so).
 * Empty tables where a large leaf goes are deferred and freed after one range invalidation
 * (iommupt clear_contig). The overlap check runs before anything is written.
 */
final class Install {
  private final PageTable pt;
  private final PtFormat f;
  private final PageTableMemory memory;

  Install(PageTable pt) {
    this.pt = pt;
    this.f = pt.f;
    this.memory = pt.memory;
  }

  /** Maps {@code [iova, iova + size)} to {@code physical}; the arguments are already checked. */
  void run(long iova, long physical, long size, int prot) {
    grow(iova + size - 1, f.levelOfSize(f.bestPageSize(iova, physical, size)));
    long attrs = f.protBits(prot);
    int freedFrom = pt.deferredCount();
    for (long va = iova, pa = physical, left = size; left != 0; ) {
      long s = f.bestPageSize(va, pa, left);
      installLeaf(va, pa, s, attrs);
      va += s;
      pa += s;
      left -= s;
    }
    if (pt.deferredCount() > freedFrom) {
      pt.iotlb.invalidateRange(iova, size);
      pt.freeDeferred(freedFrom);
    }
  }

  /**
   * Grows the table until {@code last} (at most the reach of the highest top, as map checked) and
   * the first leaf, at {@code firstLevel}, fit under its top. Only the first leaf can need more: a
   * leaf above a top whose reach holds {@code last} spans at least {@code 2^shift(top + 1)} bytes,
   * the top's whole reach, so it is the map's only leaf (AMD's 256 TiB leaf at IOVA 0).
   */
  private void grow(long last, int firstLevel) {
    int top = pt.topLevel();
    long root = pt.root();
    int oldTop = top;
    while (!ule(last, f.reach(top)) || firstLevel > top) { // ends at maxTop at the latest
      long t = pt.allocateTable();
      memory.set(slot(t, 0), f.encodeTable(root, top + 1));
      root = t;
      top++;
    }
    if (top != oldTop) {
      pt.publishTop(root, top);
    }
  }

  private void installLeaf(long va, long pa, long size, long attrs) {
    int leafLevel = f.levelOfSize(size);
    long table = pt.root();
    for (int level = pt.topLevel(); level > leafLevel; level--) {
      long sl = slot(table, pt.index(va, level));
      long e = memory.getVolatile(sl);
      if (f.isEmpty(e)) {
        long t = pt.allocateTable();
        if (!memory.compareAndSet(sl, e, f.encodeTable(t, level))) {
          pt.freeTable(t); // another mapper installed a table first: use it
          level++;
          continue;
        }
        table = t;
      } else if (f.isLeaf(e, level)) {
        throw new IllegalStateException(
            "leaf met after the overlap check: " + f.describe(e, level));
      } else {
        table = f.tableAddress(e);
      }
    }
    long first = f.encodeLeaf(pa, size, leafLevel, attrs);
    int i0 = pt.index(va, leafLevel);
    for (int j = 0, n = f.entriesOf(size); j < n; j++) {
      long sl = slot(table, i0 + j);
      long e = memory.get(sl);
      if (!f.isEmpty(e)) {
        pt.deferTree(f.tableAddress(e), leafLevel - 1); // empty: the overlap check passed
      }
      memory.setVolatile(sl, f.itemOf(first, j, leafLevel));
    }
  }

  /** Returns whether a leaf overlaps {@code [first, last]}. */
  boolean anyLeaf(long first, long last) {
    int top = pt.topLevel();
    long reach = f.reach(top);
    return ule(first, reach) && anyLeaf(pt.root(), top, first, umin(last, reach));
  }

  private boolean anyLeaf(long table, int level, long first, long last) {
    for (int i = pt.index(first, level), end = pt.index(last, level); i <= end; i++) {
      long e = memory.get(slot(table, i));
      if (f.isEmpty(e)) {
        continue;
      }
      if (f.isLeaf(e, level)) {
        return true;
      }
      long iv = pt.itemVa(first, level, i);
      if (anyLeaf(
          f.tableAddress(e), level - 1, umax(iv, first), umin(pt.itemLast(iv, level), last))) {
        return true;
      }
    }
    return false;
  }
}
