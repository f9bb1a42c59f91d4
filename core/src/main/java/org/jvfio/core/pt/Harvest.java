package org.jvfio.core.pt;

import static org.jvfio.core.hw.DirtyLeafScanner.MAX_SPAN;
import static org.jvfio.core.pt.PageTable.slot;
import static org.jvfio.core.pt.PageTable.ule;
import static org.jvfio.core.pt.PageTable.umax;
import static org.jvfio.core.pt.PageTable.umin;

import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DirtyLeafScanner;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IotlbGather;

/*
 * One read-and-clear call, as iommupt's read_and_clear_dirty (drivers/iommu/generic_pt/
 * iommu_pt.h, __read_and_clear_dirty and record_dirty), recursive over present tables.
 *
 * Non-present entries are skipped. From each entry that starts inside the range and is a plain leaf
 * (every entry of a level-0 table is tried), the rest of the table (up to 512 entries) goes to the
 * DirtyLeafScanner in one call, which skips clean blocks of 64 at the memory-read limit and writes
 * only dirty entries; each nonzero block mask is recorded with one bitmap OR, and the span from the
 * first to the last dirty leaf is added to the gather once. The scanner stops at a table pointer or
 * a run, which the per-entry code handles: a run counts once and is dirty if any replica is (AMD
 * IOMMU spec 2.2.3.2); an entry is recorded from the walk's current IOVA (the range start for the
 * entry the range starts inside) for the rest of its run clipped to the range end, one item for a
 * plain leaf, as record_dirty does. Unless NO_CLEAR, each dirty replica is cleaned by
 * compare-and-swap (never overwriting a concurrent hardware update) and the recorded range is added
 * to the gather; with NO_CLEAR neither. The caller syncs the gather once afterwards.
 */
final class Harvest {
  private final PageTable pt;
  private final PtFormat f;
  private final IovaBitmap bitmap;
  private final IotlbGather gather;
  private final boolean clear;
  private final DirtyLeafScanner[] scanners;
  private final long[] masks = new long[MAX_SPAN / 64];

  Harvest(PageTable pt, IommuDirtyBitmap dirty, boolean clear) {
    this.pt = pt;
    this.f = pt.f;
    this.bitmap = dirty.bitmap().orElse(null);
    this.gather = dirty.gather();
    this.clear = clear;
    this.scanners = new DirtyLeafScanner[f.maxTop() + 1];
  }

  private DirtyLeafScanner scanner(int level) {
    DirtyLeafScanner s = scanners[level];
    if (s == null) {
      s = f.scanFormat(level).scanner(pt.memory);
      scanners[level] = s;
    }
    return s;
  }

  /** Records the scanner's masks for the {@code n} entries from the one at {@code iv}. */
  private void recordMasks(long iv, int sh, int n) {
    boolean any = false;
    long lo = 0;
    long hi = 0;
    for (int w = 0; w < (n + 63) >>> 6; w++) {
      long mask = masks[w];
      if (mask != 0) {
        long va = iv + ((long) w << (6 + sh));
        if (bitmap != null) {
          bitmap.setLeaves(va, 1L << sh, mask);
        }
        if (!any) {
          any = true;
          lo = va + ((long) Long.numberOfTrailingZeros(mask) << sh);
        }
        hi = va + ((long) (64 - Long.numberOfLeadingZeros(mask)) << sh);
      }
    }
    if (clear && any) {
      gather.addRange(lo, hi - lo);
    }
  }

  private void record(long va, long len) {
    if (bitmap != null) {
      bitmap.set(va, len);
    }
    if (clear) {
      gather.addRange(va, len);
    }
  }

  void run(long table, int level, long first, long last) {
    int sh = f.shift(level);
    int end = pt.index(last, level);
    for (int i = pt.index(first, level); i <= end; ) {
      long iv = pt.itemVa(first, level, i);
      long e = pt.memory.getVolatile(slot(table, i));
      if (ule(first, iv) && (level == 0 || (f.isLeaf(e, level) && !f.isRun(e, level)))) {
        int n =
            scanner(level)
                .readAndClear(slot(table, i), Math.min(MAX_SPAN, end - i + 1), clear, masks);
        recordMasks(iv, sh, n);
        if (n > 0) {
          i += n;
          continue;
        }
        e = pt.memory.getVolatile(slot(table, i));
      }
      if (f.isEmpty(e)) {
        i++;
        continue;
      }
      long va = umax(iv, first);
      if (!f.isLeaf(e, level)) {
        if (f.isTable(e, level)) {
          run(f.tableAddress(e), level - 1, va, umin(pt.itemLast(iv, level), last));
        }
        i++;
        continue;
      }
      int n = pt.runLength(e, level);
      int base = i & -n;
      boolean dirty = false;
      for (int j = base; j < base + n; j++) {
        dirty |= f.isDirty(pt.memory.getVolatile(slot(table, j)));
      }
      if (dirty) {
        if (clear) {
          for (int j = base; j < base + n; j++) {
            cleanIfDirty(slot(table, j));
          }
        }
        record(va, (long) (Math.min(base + n, end + 1) - i) << sh);
      }
      i = base + n;
    }
  }

  /** Makes the leaf at {@code sl} write-clean by compare-and-swap if it is dirty. */
  private void cleanIfDirty(long sl) {
    for (; ; ) {
      long cur = pt.memory.getVolatile(sl);
      if (!f.isDirty(cur) || pt.memory.compareAndSet(sl, cur, f.clean(cur))) {
        return;
      }
    }
  }
}
