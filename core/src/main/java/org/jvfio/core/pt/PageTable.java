package org.jvfio.core.pt;

import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

/**
 * One IO page table of any {@link PtFormat}, with the algorithm written once: map (best page size,
 * table install by compare-and-swap, top growth), unmap (iommupt's rules), lookups, the hardware
 * walk and its A/D update, read-and-clear, split and collapse, IOTLB gathering and deferred frees,
 * and freeing the whole table. The counterpart of Linux's {@code
 * drivers/iommu/generic_pt/iommu_pt.h} over {@code pt_iter.h}.
 *
 * <p>Levels are numbered from 0 (the smallest leaf) up to {@link #topLevel()}. Range walks are
 * recursive descents over the tables that exist, resuming per level where they left off, so their
 * cost follows the entries present, not the span. Each operation's walk has its own package-private
 * class: {@code Install} (map), {@code Unmap}, {@code Harvest} (read-and-clear), {@code Reshape}
 * (split and collapse) and {@code HardwareWalk} (the DMA's walk and dirty update).
 *
 * <p><b>Walks racing table changes: the one strategy.</b> The hardware path ({@link #translate},
 * {@link #setDirtyByHardware}) takes no lock and validates nothing after the fact. It relies on
 * three rules the control plane keeps:
 *
 * <ol>
 *   <li>A change to the tree is published by one volatile store or compare-and-swap of one entry (a
 *       new table is filled before its pointer is stored; a split subtree is built privately and
 *       swapped in), so a walk sees either the old or the new tree below each entry.
 *   <li>The hardware's dirty update is a compare-and-swap against the exact leaf value the walk
 *       read (ignoring the bits hardware itself changes). If the slot no longer holds that leaf
 *       (unmapped, split into a table, rewritten as another size) it fails, and the DMA engine
 *       drops its IOTLB entry and walks again, so the write dirties the new leaf.
 *   <li>A table taken out of the tree is freed only after an IOTLB invalidation of its range has
 *       returned. {@link Iotlb}'s invalidation drains every DMA that entered before it, and a DMA
 *       brackets its walks too, so no walk and no cached translation still refers to the table.
 * </ol>
 *
 * <p>What the drain does not cover is left to the operation: a leaf orphaned by a collapse keeps
 * its value, so a DMA holding its translation can still set its dirty bit until the drain; the
 * collapse therefore re-reads the orphaned children after its invalidation and folds their dirty
 * state into the new leaf. Callers that walk outside a DMA (iova-to-phys, {@link #walk}) run on the
 * control plane, serialised with every free.
 *
 * <p><b>Thread-safety.</b> The control plane (every method but {@link #translate} and {@link
 * #setDirtyByHardware}) is called by one thread at a time; the hardware path from any number of
 * threads concurrently with it.
 */
public final class PageTable {
  /** Told when the top level changes (AMD rewrites the DTE's root and Mode). */
  @FunctionalInterface
  public interface TopListener {
    /**
     * Called after the table grew to a new top.
     *
     * @param root the physical address of the new top table
     * @param topLevel the new top level
     */
    void topChanged(long root, int topLevel);
  }

  final PtFormat f;
  final PageTableMemory memory;
  final Iotlb iotlb;
  private final TopListener topListener;
  final int entries;
  private final int tableFrames;
  private final int topFrames;

  volatile long rootTop; // the top table's address | top level; 0 once freed
  volatile boolean dirtyUpdates;
  volatile boolean accessUpdates;

  Runnable raceWindow = () -> {};
  private long[] deferred = new long[8];
  private int deferredCount;

  /**
   * Allocates an empty table of {@code format} at its start level.
   *
   * @param format the format
   * @param memory where the table frames live
   * @param iotlb the IOTLB split and collapse invalidate, and {@link #free} drains
   * @param topListener told when the top grows (only formats whose max top exceeds the start)
   */
  public PageTable(PtFormat format, PageTableMemory memory, Iotlb iotlb, TopListener topListener) {
    this.f = format;
    this.memory = memory;
    this.iotlb = iotlb;
    this.topListener = topListener;
    this.entries = format.entriesPerTable();
    this.tableFrames = Math.max(1, entries * Long.BYTES / PageTableMemory.FRAME_SIZE);
    this.topFrames = // indexBits(maxTop) is bitsPerLevel in a table that grows
        Math.max(1, (Long.BYTES << format.indexBits(format.maxTop())) / PageTableMemory.FRAME_SIZE);
    this.rootTop = memory.allocateFrames(topFrames) | format.startTop();
  }

  /**
   * Returns the format.
   *
   * @return the format the table was created with
   */
  public PtFormat format() {
    return f;
  }

  /**
   * Returns the physical address of the top table.
   *
   * @return the physical address of the top-level table, which changes when the table grows
   */
  public long root() {
    return live() & ~0xFFFL;
  }

  /**
   * Returns the current top level.
   *
   * @return the top level, from {@link PtFormat#startTop} up to {@link PtFormat#maxTop}
   */
  public int topLevel() {
    return (int) (live() & 0xFFF);
  }

  /**
   * Returns the last IOVA the table can ever translate (after any growth).
   *
   * @return {@link PtFormat#reach} of {@link PtFormat#maxTop}, {@code -1L} for all of 2^64
   */
  public long apertureEnd() {
    return f.reach(f.maxTop());
  }

  /**
   * Sets what the hardware updates on a walk and a write: dirty bits (dirty tracking on) and
   * accessed bits. Translations cached earlier keep the old behaviour until invalidated: the caller
   * invalidates.
   *
   * @param dirty whether a write sets the leaf's dirty state
   * @param access whether a walk sets the leaf's accessed bit
   */
  public void setHardwareUpdates(boolean dirty, boolean access) {
    this.dirtyUpdates = dirty;
    this.accessUpdates = access;
  }

  /**
   * Test seam: {@code window} runs after a split or collapse has read the state it will publish and
   * before it publishes (the window of steps 1 to 3 of {@code Reshape}), so a test can play the
   * hardware racing into it.
   *
   * @param window the code to run inside the window
   */
  public void setRaceWindow(Runnable window) {
    this.raceWindow = window;
  }

  private long live() {
    long rt = rootTop;
    if (rt == 0) {
      throw new IllegalStateException("page table was freed");
    }
    return rt;
  }

  // --- level arithmetic (level 0 = the smallest leaf) -----------------------------------------

  int index(long va, int level) {
    return (int) ((va >>> f.shift(level)) & f.indexMask[level]);
  }

  static long slot(long table, int i) {
    return table + 8L * i;
  }

  /** Returns the first IOVA of item {@code i} of the level-{@code level} table covering va. */
  long itemVa(long va, int level, int i) {
    int tableShift = f.shift(level) + f.indexBits[level];
    long tableBase = tableShift >= 64 ? 0 : va & -(1L << tableShift);
    return tableBase + ((long) i << f.shift(level));
  }

  long itemLast(long itemVa, int level) {
    return itemVa + ((1L << f.shift(level)) - 1);
  }

  static boolean ule(long a, long b) {
    return Long.compareUnsigned(a, b) <= 0;
  }

  static long umin(long a, long b) {
    return ule(a, b) ? a : b;
  }

  static long umax(long a, long b) {
    return ule(a, b) ? b : a;
  }

  static void require(boolean condition, String message) {
    if (!condition) {
      throw new IllegalArgumentException(message);
    }
  }

  /** Returns the last IOVA of a non-empty, non-wrapping range. */
  static long checkedLast(long iova, long length) {
    require(length != 0, "empty range");
    long last = iova + length - 1;
    require(ule(iova, last), "range wraps past 2^64");
    return last;
  }

  /** Returns the entries a leaf {@code e} at {@code level} occupies (1 unless a run). */
  int runLength(long e, int level) {
    return f.isRun(e, level) ? (int) (f.leafSize(e, level) >>> f.shift(level)) : 1;
  }

  /** Returns the output address of slot {@code j} of a table, inside the leaf {@code e} there. */
  long oaAt(long e, int level, int j) {
    return f.leafAddress(e, level) + ((long) (j & (runLength(e, level) - 1)) << f.shift(level));
  }

  long allocateTable() {
    return tableFrames == 1 ? memory.allocateFrame() : memory.allocateFrames(tableFrames);
  }

  void freeTable(long table) {
    memory.freeFrames(table, tableFrames);
  }

  void defer(long table) {
    if (deferredCount == deferred.length) {
      deferred = Arrays.copyOf(deferred, deferredCount * 2);
    }
    deferred[deferredCount++] = table;
  }

  int deferredCount() {
    return deferredCount;
  }

  /** Frees the tables deferred since index {@code from}; an invalidation must have drained. */
  void freeDeferred(int from) {
    for (int i = from; i < deferredCount; i++) {
      freeTable(deferred[i]);
    }
    deferredCount = from;
  }

  /** Defers {@code table} at {@code level} (not the top) and every table below it. */
  void deferTree(long table, int level) {
    deferChildren(table, level, entries);
    defer(table);
  }

  private void deferChildren(long table, int level, int n) {
    if (level > 0) {
      for (int i = 0; i < n; i++) {
        long e = memory.get(slot(table, i));
        if (f.isTable(e, level)) {
          deferTree(f.tableAddress(e), level - 1);
        }
      }
    }
  }

  // --- map ------------------------------------------------------------------------------------

  /**
   * Maps {@code [iova, iova + size)} to {@code physical} with the largest leaves alignment and size
   * allow ({@code iommu_pgsize}); a run is written as its replicas. If the range or a leaf is
   * beyond the current top, the table first grows (iommupt {@code increase_top}): new top tables
   * whose entry 0 points to the old top, then the {@link TopListener}. Empty tables where a large
   * leaf goes are freed after a range invalidation (iommupt {@code clear_contig}). A missing table
   * is installed by compare-and-swap; a loser frees its unpublished frame.
   *
   * @param iova the first IOVA, aligned to the smallest page size
   * @param physical the first physical address, aligned as {@code iova}
   * @param size the bytes to map, a multiple of the smallest page size
   * @param prot {@link IommuDomain#IOMMU_READ} and/or {@link IommuDomain#IOMMU_WRITE}
   * @throws IllegalArgumentException if {@code prot} is empty, the range is empty, wraps, is not
   *     aligned to the smallest page size, lies beyond the aperture, the output does not fit the
   *     address field, or the range overlaps a mapping (nothing is changed)
   */
  public void map(long iova, long physical, long size, int prot) {
    require(
        prot != 0 && (prot & ~(IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE)) == 0,
        "prot must be IOMMU_READ and/or IOMMU_WRITE: " + prot);
    long minPage = Long.lowestOneBit(f.pageSizes);
    require(size != 0 && ((iova | physical | size) & (minPage - 1)) == 0, "range not aligned");
    long last = checkedLast(iova, size);
    require(ule(last, apertureEnd()), "range beyond the aperture");
    long pLast = physical + size - 1;
    long low = minPage - 1;
    require(
        ule(physical, pLast) && ((pLast | low) & ~(f.oaMask | low)) == 0,
        "output address beyond the address field");
    Install install = new Install(this);
    require(!install.anyLeaf(iova, last), "range overlaps a mapping");
    install.run(iova, physical, size, prot);
  }

  /** Publishes the top a map grew the table to, and tells the listener. */
  void publishTop(long root, int top) {
    rootTop = root | top;
    topListener.topChanged(root, top);
  }

  // --- unmap ----------------------------------------------------------------------------------

  /**
   * Unmaps as iommupt's {@code __unmap_range}: if {@code iova} falls inside a leaf but not at its
   * start, nothing is unmapped and 0 is returned; a leaf (or run) that starts in the range is
   * removed whole, every entry of a run, and counted at its full size even past the range end; the
   * walk stops at the first non-present entry and returns what it removed up to there, so a range
   * with nothing mapped at its start returns 0. Each entry is removed with an atomic exchange to 0;
   * with {@code dirty} non-null, a removed leaf whose old value was dirty in any entry of its run
   * is recorded whole, so a hardware update either lands before the exchange (and is recorded) or
   * finds the slot empty (and the DMA faults). Tables the range covers entirely are cleared and
   * freed at the next {@link #iotlbSync}. A range beyond the top's reach unmaps nothing.
   *
   * @param iova the first IOVA to unmap
   * @param size the bytes to unmap
   * @param dirty where to record dirty leaves, or null
   * @return the bytes unmapped
   */
  public long unmap(long iova, long size, IommuDirtyBitmap dirty) {
    return Unmap.range(this, iova, size, dirty, true);
  }

  /**
   * Unmaps as io-pgtable-arm's {@code arm_lpae_unmap_pages} under {@code iommu_unmap}'s page-size
   * loop: the range is cut into pieces of the largest page size alignment and length allow; a piece
   * that meets an entry of exactly its size removes it (a leaf, every entry of a run, or a table
   * with everything below it, holes included, then freed after the walk invalidation Linux issues
   * for it); a piece that meets a larger leaf (a block or a run) is refused, as since v6.13 ("Unmap
   * of a partial large IOPTE is not allowed"), and one that meets an empty entry ends the unmap.
   * With {@code dirty}, removed leaves are recorded as {@link #unmap(long, long, IommuDirtyBitmap)}
   * records them.
   *
   * @param iova the first IOVA to unmap, aligned to the smallest page size
   * @param size the bytes to unmap, a multiple of the smallest page size
   * @param dirty where to record dirty leaves, or null
   * @return the bytes of the pieces removed before the first refused or empty one, possibly 0
   * @throws IllegalArgumentException if the range is empty, wraps, is not aligned to the smallest
   *     page size, or ends beyond the aperture
   */
  public long unmapPieces(long iova, long size, IommuDirtyBitmap dirty) {
    long min = Long.lowestOneBit(f.pageSizes);
    require(size != 0 && ((iova | size) & (min - 1)) == 0, "range not aligned");
    require(ule(checkedLast(iova, size), apertureEnd()), "range beyond the aperture");
    return Unmap.pieces(this, iova, size, dirty);
  }

  /**
   * Issues the IOTLB invalidation for {@code gather} and waits for it, then frees the tables
   * earlier unmaps took out (iommupt frees them through the gather's free list after the sync). An
   * empty gather does nothing.
   *
   * @param gather the IOVA range the unmaps gathered; an empty one does nothing
   */
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
   * Frees every frame of the table, the top included, after a whole-IOTLB invalidation has drained
   * every DMA (iommupt {@code pt_iommu_deinit}). The caller has detached every device; the table
   * cannot be used afterwards.
   */
  public void free() {
    long rt = live();
    iotlb.invalidateAll();
    int top = (int) (rt & 0xFFF);
    deferChildren(rt & ~0xFFFL, top, 1 << f.indexBits[top]);
    rootTop = 0;
    freeDeferred(0);
    memory.freeFrames(rt & ~0xFFFL, topFrames);
  }

  // --- lookups --------------------------------------------------------------------------------

  /**
   * Returns the raw entry words a hardware walk of {@code iova} reads, from the top down to the
   * leaf or to the first entry that is neither a table pointer nor a leaf; empty beyond the top's
   * reach.
   *
   * @param iova the IOVA walked
   * @return the entries read, top level first
   */
  public long[] walk(long iova) {
    int top = topLevel();
    if (!ule(iova, f.reach(top))) {
      return new long[0];
    }
    long[] words = new long[top + 1];
    int n = 0;
    long table = root();
    for (int level = top; level >= 0; level--) {
      long e = memory.getVolatile(slot(table, index(iova, level)));
      words[n++] = e;
      if (!f.isTable(e, level)) {
        break;
      }
      table = f.tableAddress(e);
    }
    return Arrays.copyOf(words, n);
  }

  /**
   * Returns the physical address {@code iova} translates to, if mapped ({@code iova_to_phys}).
   *
   * @param iova the IOVA to translate
   * @return the leaf's output address plus the offset of {@code iova} in the leaf, or empty if
   *     unmapped
   */
  public OptionalLong iovaToPhys(long iova) {
    long[] words = walk(iova);
    if (words.length == 0) {
      return OptionalLong.empty();
    }
    long e = words[words.length - 1];
    int level = topLevel() + 1 - words.length;
    if (!f.isLeaf(e, level) || f.possibleSizes(level) == 0) {
      return OptionalLong.empty();
    }
    return OptionalLong.of(f.leafAddress(e, level) + (iova & (f.leafSize(e, level) - 1)));
  }

  // --- the hardware path ----------------------------------------------------------------------

  /**
   * Walks the table for a DMA access to {@code iova}, as the IOMMU's page walker does on an IOTLB
   * miss (see the class comment for why no lock is needed). A non-present entry, an entry that is
   * neither a table nor a leaf, or a leaf at a level that cannot hold leaves faults (empty). With
   * {@link PtFormatBuilder#permissions} along the walk, permissions are ANDed over every entry.
   * With access updates on, the walk sets the accessed bit in the leaf slot it read by
   * compare-and-swap (walking again if the slot changed meanwhile). The translation is dirty if the
   * entry is, or if dirty updates are off (nothing to update).
   *
   * @param iova the IOVA the device accesses
   * @return the leaf's IOVA range, output address, permissions, dirty state, slot and entry, or
   *     empty for a fault
   */
  public Optional<Translation> translate(long iova) {
    return Optional.ofNullable(HardwareWalk.translate(this, iova));
  }

  /** {@link #translate} without the {@code Optional}: the translation, or null for a fault. */
  Translation translateOrNull(long iova) {
    return HardwareWalk.translate(this, iova);
  }

  /**
   * Performs the IOMMU's interlocked dirty update for a write through {@code t}: the slot must
   * still hold the walked leaf apart from the bits hardware changes; it is then made dirty (and
   * accessed, with access updates on) by compare-and-swap, retried if only those bits changed. Only
   * the walked slot is updated, even inside a run (AMD IOMMU spec 2.2.3.2).
   *
   * @param t a translation returned by {@link #translate}
   * @return true if the entry is now dirty; false if the slot holds something else (the caller
   *     re-walks) or a leaf that does not permit the write (it faults; the update never grants a
   *     write, as an Arm read-only leaf whose AP[2] is also the clean state)
   */
  public boolean setDirtyByHardware(Translation t) {
    return HardwareWalk.setDirtyByHardware(this, t);
  }

  // --- dirty tracking, split, collapse ---------------------------------------------------------

  /**
   * Records every write-dirty leaf of {@code [iova, iova + size)} and, if {@code clear}, makes it
   * write-clean: see {@code Harvest}.
   *
   * @param iova the first IOVA of the range
   * @param size the bytes of the range
   * @param clear whether dirty leaves are made write-clean
   * @param dirty where the dirty leaves are recorded
   * @throws IllegalArgumentException if the range is empty or wraps
   */
  public void readAndClearDirty(long iova, long size, boolean clear, IommuDirtyBitmap dirty) {
    long last = checkedLast(iova, size);
    int top = topLevel();
    long reach = f.reach(top);
    if (ule(iova, reach)) {
      new Harvest(this, dirty, clear).run(root(), top, iova, umin(last, reach));
    }
  }

  /**
   * Splits every leaf larger than {@code pageSize} overlapping {@code [iova, iova + length)}: see
   * {@code Reshape.split}.
   *
   * @param iova the first IOVA of the range
   * @param length the bytes of the range
   * @param pageSize the largest leaf size left, a size the format has
   * @throws IllegalArgumentException if the format has no leaf of {@code pageSize}, or the range is
   *     empty or wraps
   */
  public void split(long iova, long length, long pageSize) {
    require(
        f.levelOfSize(pageSize) >= 0,
        "not a page size of " + f.name() + ": 0x" + Long.toHexString(pageSize));
    long last = checkedLast(iova, length);
    int top = topLevel();
    if (ule(iova, f.reach(top))) {
      new Reshape(this)
          .splitRange(
              root(), top, iova, umin(last, f.reach(top)), Long.numberOfTrailingZeros(pageSize));
    }
  }

  /**
   * Collapses tables and runs inside {@code [iova, iova + length)} into larger leaves: see {@code
   * Reshape.collapse}.
   *
   * @param iova the first IOVA of the range
   * @param length the bytes of the range
   * @throws IllegalArgumentException if the range is empty or wraps
   */
  public void collapse(long iova, long length) {
    long last = checkedLast(iova, length);
    int top = topLevel();
    if (ule(iova, f.reach(top))) {
      new Reshape(this).collapseRange(root(), top, iova, umin(last, f.reach(top)), false);
    }
  }
}
