package org.jvfio.core.pt;

import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;

/**
 * The hardware path of a {@link PageTable}: the IOMMU's page walk on an IOTLB miss and its
 * interlocked dirty update, the code every DMA miss runs. Why it needs no lock is argued once, in
 * {@link PageTable}'s class comment; this class only makes the walk cheap.
 *
 * <p>The walk asks per level what the format's per-entry methods answer ({@link PtFormat#isEmpty},
 * {@link PtFormat#isLeaf}, {@link PtFormat#isRun}, {@link PtFormat#isTable}), but each question
 * once and from one array: {@link #levels} packs, per level, the index shift and mask, the leaf,
 * run and table masks and values, the leaf sizes and the reach into {@value #STRIDE} consecutive
 * longs, so a level costs one entry read and a few loads from one cache line of format data. A
 * level without runs gets a run test that never matches. The result is a {@link Translation} or
 * null, without an {@code Optional}.
 */
final class HardwareWalk {
  static final int STRIDE = 16; // longs per level in PtFormat.walkLevels
  private static final int SHIFT = 0;
  private static final int INDEX_MASK = 1;
  private static final int LEAF_MASK = 2;
  private static final int LEAF_VALUE = 3;
  private static final int RUN_MASK = 4;
  private static final int RUN_VALUE = 5;
  private static final int TABLE_MASK = 6;
  private static final int TABLE_VALUE = 7;
  private static final int SIZES = 8;
  private static final int REACH = 9; // of a table whose top is this level

  private HardwareWalk() {}

  /** Returns {@code f}'s per-level walk data (see the class comment); f's other fields are set. */
  static long[] levels(PtFormat f) {
    long[] d = new long[(f.maxTop + 1) * STRIDE];
    for (int l = 0; l <= f.maxTop; l++) {
      int w = l * STRIDE;
      d[w + SHIFT] = f.shift(l);
      d[w + INDEX_MASK] = f.indexMask[l];
      d[w + LEAF_MASK] = f.leafMask[l];
      d[w + LEAF_VALUE] = f.leafValue[l];
      boolean runs = f.runMask != 0 && f.hasRuns[l];
      d[w + RUN_MASK] = runs ? f.runMask : 0;
      d[w + RUN_VALUE] = runs ? f.runValue : 1; // (e & 0) == 1 never holds
      d[w + TABLE_MASK] = f.tableMask[l];
      d[w + TABLE_VALUE] = f.tableValue[l];
      d[w + SIZES] = f.leafSizes[l];
      d[w + REACH] = f.reach(l);
    }
    return d;
  }

  /** See {@link PageTable#translate}; null for a fault. */
  static Translation translate(PageTable pt, long iova) {
    PtFormat f = pt.f;
    PageTableMemory memory = pt.memory;
    long[] d = f.walkLevels;
    long present = f.presentBit;
    walk:
    for (; ; ) {
      long rt = pt.rootTop;
      int top = (int) (rt & 0xFFF);
      if (rt == 0 || !PageTable.ule(iova, d[top * STRIDE + REACH])) {
        return null;
      }
      boolean r = true;
      boolean w = true;
      long table = rt & ~0xFFFL;
      for (int level = top; level >= 0; level--) {
        int at = level * STRIDE;
        int shift = (int) d[at + SHIFT];
        long sl = table + (((iova >>> shift) & d[at + INDEX_MASK]) << 3);
        long e = memory.getVolatile(sl);
        if (e == 0 || (e & present) != present) {
          return null; // empty, with or without a present bit
        }
        boolean run = (e & d[at + RUN_MASK]) == d[at + RUN_VALUE];
        if (!run && (e & d[at + LEAF_MASK]) != d[at + LEAF_VALUE]) {
          if ((e & d[at + TABLE_MASK]) != d[at + TABLE_VALUE]) {
            return null; // neither a table nor a leaf
          }
          if (f.permsAlongWalk) {
            r &= f.isReadable(e);
            w &= f.isWritable(e);
          }
          table = e & f.oaMask;
          continue;
        }
        if (d[at + SIZES] == 0) {
          return null; // a leaf where the format has none
        }
        r &= f.isReadable(e);
        w &= f.isWritable(e);
        long a = f.accessBit;
        if (a != 0 && (e & a) == 0 && pt.accessUpdates) {
          if (!memory.compareAndSet(sl, e, e | a)) {
            continue walk;
          }
          e |= a;
        }
        long size = 1L << (run ? f.leafSizeLog2(e, level) : shift);
        boolean dirty = !pt.dirtyUpdates || f.isDirty(e);
        return new Translation(iova & -size, size, e & f.oaMask & -size, r, w, dirty, sl, e);
      }
      return null;
    }
  }

  /** See {@link PageTable#setDirtyByHardware}. */
  static boolean setDirtyByHardware(PageTable pt, Translation t) {
    PtFormat f = pt.f;
    long sl = t.slot();
    long walked = f.withoutHardwareBits(t.entry());
    for (; ; ) {
      long cur = pt.memory.getVolatile(sl);
      if (f.withoutHardwareBits(cur) != walked || f.isEmpty(cur) || !f.isWritable(cur)) {
        return false;
      }
      if (f.isDirty(cur)) {
        return true;
      }
      long next = f.dirty(cur) | (pt.accessUpdates ? f.accessBit : 0);
      if (pt.memory.compareAndSet(sl, cur, next)) {
        return true;
      }
    }
  }
}
