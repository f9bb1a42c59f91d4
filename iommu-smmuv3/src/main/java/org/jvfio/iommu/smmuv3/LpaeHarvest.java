package org.jvfio.iommu.smmuv3;

import static org.jvfio.iommu.smmuv3.LpaeDescriptor.AF;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.AP_RDONLY;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.CONTIGUOUS;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.DBM;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_BLOCK;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_MASK;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_PAGE;

import org.jvfio.core.hw.DirtyLeafScanner;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.IommuDirtyBitmap;

/*
 * One read-and-clear of a stage-1 LPAE table, as the newest io-pgtable-arm walker
 * (drivers/iommu/io-pgtable-arm.c, arm_lpae_read_and_clear_dirty over __arm_lpae_iopte_walk): the
 * one Arm quirk that is a different walk, so it stays its own strategy rather than a flag in the
 * engine's harvest (org.jvfio.core.pt).
 *
 * A single position (walk.addr) is carried across levels: each leaf is recorded at that position
 * with its full size and the position advanced by the size; an invalid (or reserved) entry ends the
 * walk with false, and the caller raises EINVAL after whatever was already recorded and cleaned.
 * Because the position is carried rather than realigned, a walk starting in the middle of a block
 * records [start, start + blockSize) and then continues at the same offset inside the following
 * entries, exactly as upstream does. From each leaf, the leaves that follow it in the table (up to
 * 512, no further than the range end) go to the DirtyLeafScanner at once, which records them as one
 * visit per leaf would, skipping clean blocks of 64 with a read-only pass over them (dirty: DBM set
 * and AP[2] clear); it stops at a table or an invalid entry. Cleaning is an atomic OR of AP[2] on a
 * leaf observed writable-dirty. A contiguous run (the contiguous-hint option; io-pgtable-arm never
 * sets bit 52) is one leaf of the run's size to the walk, as a block is: it is dirty if any of its
 * entries is, recorded at the position with its full size, every dirty entry cleaned, and the
 * position advanced by its size.
 */
final class LpaeHarvest {
  /**
   * Pages (level 0) as the scanner sees them; invalid entries stop it rather than being skipped.
   */
  private static final DirtyLeafScanner.Format PAGES =
      new DirtyLeafScanner.Format(
          TYPE_MASK | CONTIGUOUS, TYPE_PAGE, 0, AP_RDONLY | DBM, DBM, -1L, AP_RDONLY, AF);

  private static final DirtyLeafScanner.Format BLOCKS =
      new DirtyLeafScanner.Format(
          TYPE_MASK | CONTIGUOUS, TYPE_BLOCK, 0, AP_RDONLY | DBM, DBM, -1L, AP_RDONLY, AF);

  private final PtFormat f;
  private final PageTableMemory mem;
  private final IommuDirtyBitmap dirty;
  private final DirtyLeafScanner pages;
  private final DirtyLeafScanner blocks;
  private final long end;
  private final long[] masks = new long[DirtyLeafScanner.MAX_SPAN / 64];
  private final boolean clear;
  private long addr;

  LpaeHarvest(
      PtFormat f, PageTableMemory mem, long iova, long end, boolean clear, IommuDirtyBitmap dirty) {
    this.f = f;
    this.mem = mem;
    this.addr = iova;
    this.end = end;
    this.clear = clear;
    this.dirty = dirty;
    this.pages = PAGES.scanner(mem);
    this.blocks = BLOCKS.scanner(mem);
  }

  /** Returns the carried position: where the walk stopped if {@link #walk} returned false. */
  long position() {
    return addr;
  }

  /** Walks the table at {@code level}; returns false at the first invalid entry. */
  boolean walk(long table, int level) {
    int sh = f.shift(level);
    long size = 1L << sh;
    int max = 1 << f.indexBits(level);
    DirtyLeafScanner scan = level == 0 ? pages : blocks;
    for (int idx = (int) ((addr >>> sh) & (max - 1));
        idx < max && Long.compareUnsigned(addr, end) < 0; ) {
      long slot = table + 8L * idx;
      long pte = mem.getVolatile(slot);
      if (f.isRun(pte, level)) {
        int n = (int) (f.leafSize(pte, level) >>> sh);
        if (readAndCleanRun(table + 8L * (idx & -n), n)) {
          dirty.record(addr, n * size);
        }
        addr += n * size;
        idx += n;
      } else if (f.isLeaf(pte, level)) {
        long left = (end - addr + size - 1) >>> sh;
        int n = (int) Math.min(Math.min(DirtyLeafScanner.MAX_SPAN, max - idx), left);
        int done = scan.readAndClear(slot, n, clear, masks);
        for (int w = 0; w < (done + 63) >>> 6; w++) {
          dirty.recordLeaves(addr + w * 64 * size, size, masks[w]);
        }
        addr += done * size;
        idx += done;
      } else if (!f.isTable(pte, level) || !walk(f.tableAddress(pte), level - 1)) {
        return false;
      } else {
        idx++;
      }
    }
    return true;
  }

  /**
   * Returns whether any entry of the contiguous run of {@code n} entries from {@code first} is
   * writable-dirty and, if clearing, sets AP[2] in every dirty one.
   */
  private boolean readAndCleanRun(long first, int n) {
    boolean any = false;
    for (int j = 0; j < n; j++) {
      long sl = first + 8L * j;
      for (long cur = mem.getVolatile(sl); f.isDirty(cur); cur = mem.getVolatile(sl)) {
        any = true;
        if (!clear || mem.compareAndSet(sl, cur, f.clean(cur))) {
          break;
        }
      }
    }
    return any;
  }
}
