package org.jvfio.core.pt;

import java.util.Arrays;
import java.util.Objects;
import org.jvfio.core.hw.DirtyLeafScanner;

/**
 * What one IO page-table format is, as data: the level geometry, which leaf sizes each level holds,
 * how an entry is classified (empty, table pointer, leaf, replicated run), how table pointers and
 * leaves are encoded with their protections, the contiguous-entry style, the dirty and access bits
 * and a human description of an entry. The counterpart of one {@code fmt/*.h} header of Linux's
 * generic page table ({@code drivers/iommu/generic_pt/fmt/amdv1.h}, {@code fmt/vtdss.h}); the
 * algorithm over it is {@link PageTable}, written once.
 *
 * <p>Levels are numbered from 0, the level of the smallest leaf, upwards, as generic_pt numbers
 * them, whatever the vendor manual calls them. An item of level {@code L} spans {@code 2^(granule +
 * L * bitsPerLevel)} bytes.
 *
 * <p><b>Why a format is data, not a subclass.</b> The engine's loops ask per-entry questions
 * ({@link #isTable}, {@link #isLeaf}, {@link #isDirty}, {@link #leafSize}, ...) millions of times
 * per harvest. Were each format a subclass overriding them, a JVM that runs several formats (the
 * simulator, the contract suites, a VMM with two IOMMUs) would make those call sites megamorphic
 * and the JIT would stop inlining them. Here every format is an instance of this one final class
 * whose per-entry methods are mask arithmetic over its final fields: each call site has one
 * receiver type whatever formats are loaded, the loop bodies inline, and formats differ only in the
 * constants they load. Only {@link #describe}, for humans, calls vendor code. Instances are
 * immutable and thread-safe; build them with {@link #builder}.
 *
 * <p>A leaf larger than its level's item is a run of entries ({@link Contiguous}), one leaf to the
 * engine as to generic_pt's iterator ({@code drivers/iommu/generic_pt/pt_iter.h}): {@link
 * #leafSize} and {@link #leafAddress} of any entry give the whole run, whose dirty state is the OR
 * over its entries.
 */
public final class PtFormat {
  /** How a leaf larger than its level's item is written (generic_pt's contiguous entries). */
  public enum Contiguous {
    /** Every leaf is one entry of its level's item size. */
    NONE,
    /**
     * A leaf of {@code n} items is {@code n} identical entries in a naturally aligned run, the size
     * encoded in the output-address field as ones below a zero at bit {@code log2(size) - 1} (AMD
     * v1 "next level 7" pages, {@code fmt/amdv1.h}); hardware may set dirty in any one replica, so
     * the run is dirty if any replica is (AMD IOMMU spec 2.2.3.2).
     */
    REPLICAS,
    /**
     * A leaf of {@code n} items is {@code n} entries in a naturally aligned run, each with the
     * contiguous bit and its own output address (entry {@code j} maps the run's base plus {@code j}
     * items), {@code n} fixed per level and granule: Arm's contiguous hint (Arm ARM, chapter D8,
     * "The Contiguous bit"; 16 entries at a 4 KiB granule, 128 and 32 at 16 KiB, 32 at 64 KiB). The
     * run may be cached as one TLB entry, so a hardware dirty update for a write anywhere in it may
     * land on any of its entries: the run is dirty if any entry is, and cleaning cleans every
     * entry.
     */
    PER_ITEM_ADDRESS
  }

  /** Decodes an entry for humans (test failures, {@code describeEntry}); never on a hot path. */
  @FunctionalInterface
  public interface Describer {
    /**
     * Returns a one-line description of {@code entry} read at {@code level} (0 = smallest leaf).
     *
     * @param entry the raw entry word
     * @param level the level it was read at
     * @return the description
     */
    String describe(long entry, int level);
  }

  final String name;
  final int granule;
  final int bitsPerLevel;
  final int startTop;
  final int maxTop;
  final int vaBits;
  final long presentBit;
  final long oaMask;
  final long[] leafMask;
  final long[] leafValue;
  final long[] tableMask;
  final long[] tableValue;
  final long[] tableBits;
  final long[] leafBits;
  final long[] leafSizes;
  final long runMask;
  final long runValue;
  final long[] protBits;
  final long readMask;
  final long readNot;
  final long writeMask;
  final long writeNot;
  final boolean permsAlongWalk;
  final long dirtyMask;
  final long dirtyValue;
  final long cleanAnd;
  final long cleanOr;
  final long dirtyAnd;
  final long dirtyOr;
  final long accessBit;
  final long hwBits;
  final long attrMask;
  final Contiguous contiguous;
  final boolean breakBeforeMake;
  final int[] indexBits;
  final long[] indexMask;
  final long pageSizes;
  final Describer describer;
  private final byte[] levelOfSize = new byte[64];
  final boolean[] hasRuns;
  final long[] walkLevels; // HardwareWalk.levels
  private final byte[] runShift;
  private final DirtyLeafScanner.Format[] scanFormats;

  PtFormat(PtFormatBuilder b) {
    name = Objects.requireNonNull(b.name, "name");
    granule = b.granule;
    bitsPerLevel = b.bitsPerLevel;
    startTop = b.startTop;
    maxTop = b.maxTop;
    vaBits = b.vaBits;
    presentBit = b.presentBit;
    oaMask = b.oaMask;
    leafMask = b.leafMask.clone();
    leafValue = b.leafValue.clone();
    tableMask = b.tableMask.clone();
    tableValue = b.tableValue.clone();
    tableBits = b.tableBits.clone();
    leafBits = b.leafBits.clone();
    leafSizes = b.leafSizes.clone();
    runMask = b.runMask;
    runValue = b.runValue;
    protBits = b.protBits.clone();
    readMask = b.readMask;
    readNot = b.readNot;
    writeMask = b.writeMask;
    writeNot = b.writeNot;
    permsAlongWalk = b.permsAlongWalk;
    dirtyMask = b.dirtyMask;
    dirtyValue = b.dirtyValue;
    cleanAnd = b.cleanAnd;
    cleanOr = b.cleanOr;
    dirtyAnd = b.dirtyAnd;
    dirtyOr = b.dirtyOr;
    accessBit = b.accessBit;
    hwBits = b.dirtyMask | b.accessBit;
    attrMask = b.attrMask;
    contiguous = b.contiguous;
    breakBeforeMake = b.breakBeforeMake;
    describer = Objects.requireNonNull(b.describer, "describer");
    indexBits = new int[maxTop + 1];
    indexMask = new long[maxTop + 1];
    hasRuns = new boolean[maxTop + 1];
    runShift = new byte[maxTop + 1];
    scanFormats = new DirtyLeafScanner.Format[maxTop + 1];
    long sizes = 0;
    Arrays.fill(levelOfSize, (byte) -1);
    for (int l = 0; l <= maxTop; l++) {
      indexBits[l] = l == maxTop && startTop == maxTop ? vaBits - shift(l) : bitsPerLevel;
      indexMask[l] = (1L << indexBits[l]) - 1;
      sizes |= leafSizes[l];
      for (long m = leafSizes[l]; m != 0; m &= m - 1) {
        levelOfSize[Long.numberOfTrailingZeros(m)] = (byte) l;
      }
      hasRuns[l] = runMask != 0 && (leafSizes[l] & -(2L << shift(l))) != 0;
      runShift[l] = (byte) (63 - Long.numberOfLeadingZeros(leafSizes[l])); // read if hasRuns
      scanFormats[l] = // none where no leaves are; a run stops the scanner, as a table does
          leafSizes[l] == 0
              ? null
              : new DirtyLeafScanner.Format(
                  presentBit | leafMask[l] | (hasRuns[l] ? runMask : 0),
                  presentBit | leafValue[l],
                  -1L, // a zero entry is a hole: the engine writes no other non-present one
                  dirtyMask,
                  dirtyValue,
                  cleanAnd,
                  cleanOr,
                  accessBit);
    }
    pageSizes = sizes;
    walkLevels = HardwareWalk.levels(this);
  }

  /**
   * Returns a builder for a format called {@code name}.
   *
   * @param name the format's name, returned by {@link #name} and {@link #toString}
   * @return a builder with the defaults: 4 KiB granule, 9 bits per level, top level 3, 48-bit IOVA
   */
  public static PtFormatBuilder builder(String name) {
    return new PtFormatBuilder(name);
  }

  /**
   * Returns the format's name, e.g. {@code "amdv1"}.
   *
   * @return the name given to {@link #builder}
   */
  public String name() {
    return name;
  }

  /**
   * Returns log2 of the bytes an item of {@code level} spans.
   *
   * @param level the level, 0 for the smallest leaf, up to {@link #maxTop}
   * @return {@code granule + level * bitsPerLevel}, e.g. 12, 21, 30, 39 for a 4 KiB granule
   */
  public int shift(int level) {
    return granule + level * bitsPerLevel;
  }

  /**
   * Returns the number of entries of one table ({@code 2^bitsPerLevel}).
   *
   * @return {@code 1 << bitsPerLevel}, e.g. 512 for 4 KiB tables of 8-byte entries
   */
  public int entriesPerTable() {
    return 1 << bitsPerLevel;
  }

  /**
   * Returns log2 of the entries of a table at {@code level}: {@code bitsPerLevel}, except for the
   * top of a table that cannot grow, which resolves exactly the IOVA bits left above it ({@code
   * vaBits - shift(top)}): fewer entries (an LPAE top level with 2 entries at a 16 KiB granule) or
   * up to 16 times more (an Arm stage-2 concatenated top level).
   *
   * @param level the table's level, 0 to {@link #maxTop}
   * @return the number of IOVA bits the table at {@code level} resolves
   */
  public int indexBits(int level) {
    return indexBits[level];
  }

  /**
   * Returns the top level of a newly allocated table.
   *
   * @return the level of a new table's top, 0 to {@link #maxTop}
   */
  public int startTop() {
    return startTop;
  }

  /**
   * Returns the highest top level the table may grow to ({@link #startTop} if it cannot grow).
   *
   * @return the highest top level, at least {@link #startTop}
   */
  public int maxTop() {
    return maxTop;
  }

  /**
   * Returns the last IOVA a table whose top is {@code top} translates ({@code -1L}: all of 2^64).
   *
   * @param top the table's top level, 0 to {@link #maxTop}
   * @return the highest IOVA translated, {@code 2^bits - 1} for the IOVA bits the top resolves
   */
  public long reach(int top) {
    int bits = Math.min(shift(top) + indexBits[top], vaBits);
    return bits >= 64 ? -1L : (1L << bits) - 1;
  }

  /**
   * Returns the output-address field of table pointers and leaves.
   *
   * @return the mask of the output-address bits in an entry
   */
  public long addressMask() {
    return oaMask;
  }

  /**
   * Returns the leaf sizes level {@code level} can hold, as a page-size bitmap.
   *
   * @param level the level; above {@link #maxTop} no sizes
   * @return a bitmap with bit {@code n} set if a leaf of {@code 2^n} bytes sits at {@code level}, 0
   *     if none
   */
  public long possibleSizes(int level) {
    return level <= maxTop ? leafSizes[level] : 0;
  }

  /**
   * Returns every leaf size the format can map ({@code pgsize_bitmap}).
   *
   * @return the OR of {@link #possibleSizes} over all levels, bit {@code n} for a {@code 2^n}-byte
   *     leaf
   */
  public long pageSizeBitmap() {
    return pageSizes;
  }

  /**
   * Returns whether split and collapse replace a live entry break-before-make (an Arm SMMU without
   * {@code IDR3.BBML}, Arm ARM D8.16.1).
   *
   * @return true if a live entry is swapped to 0 and its range invalidated before the new entry is
   *     written, false if the new entry replaces the old by one compare-and-swap
   */
  public boolean breakBeforeMake() {
    return breakBeforeMake;
  }

  /**
   * Returns the contiguous-entry style.
   *
   * @return {@link Contiguous#REPLICAS} if the format declared {@link PtFormatBuilder#replicas},
   *     {@link Contiguous#PER_ITEM_ADDRESS} if {@link PtFormatBuilder#contiguousHint}, else {@link
   *     Contiguous#NONE}
   */
  public Contiguous contiguous() {
    return contiguous;
  }

  /**
   * Returns the level that holds leaves of {@code size}, or -1 if the format has none.
   *
   * @param size the leaf size in bytes, a power of two
   * @return the level, 0 to {@link #maxTop}, or -1 if {@code size} is not a power of two or no
   *     level holds it
   */
  public int levelOfSize(long size) {
    return Long.bitCount(size) == 1 ? levelOfSize[Long.numberOfTrailingZeros(size)] : -1;
  }

  /**
   * Returns how many entries a leaf of {@code size} at its level takes (1 unless a run).
   *
   * @param size a leaf size of {@link #pageSizeBitmap}, in bytes
   * @return {@code size} divided by the item size of its level
   */
  public int entriesOf(long size) {
    return (int) (size >>> shift(levelOfSize(size)));
  }

  /**
   * Returns the largest page size for mapping {@code [iova, iova + length)} to {@code pa}: a size
   * of {@link #pageSizeBitmap} no larger than {@code length} that divides both addresses, as {@code
   * iommu_pgsize} chooses it; 0 if none fits.
   *
   * @param iova the first IOVA to map
   * @param pa the first physical address it maps to
   * @param length the bytes left to map
   * @return the page size in bytes, a single bit of {@link #pageSizeBitmap}, or 0
   */
  public long bestPageSize(long iova, long pa, long length) {
    long limit = Long.highestOneBit(length);
    long align = Long.lowestOneBit(iova | pa); // 0 if both are 0: no alignment limit
    return Long.highestOneBit(pageSizes & (limit | (limit - 1)) & (align | (align - 1)));
  }

  /**
   * Returns whether {@code e} is empty (non-present).
   *
   * @param e the raw entry
   * @return true if the present bit is clear, or, for a format without one, if {@code e == 0}
   */
  public boolean isEmpty(long e) {
    return presentBit != 0 ? (e & presentBit) == 0 : e == 0;
  }

  /**
   * Returns whether present entry {@code e} at {@code level} points to a table.
   *
   * @param e the raw entry
   * @param level the level it was read at
   * @return true if {@code e} is present, not a leaf and matches the level's table mask and value
   */
  public boolean isTable(long e, int level) {
    return !isEmpty(e) && !isLeaf(e, level) && (e & tableMask[level]) == tableValue[level];
  }

  /**
   * Returns whether present entry {@code e} at {@code level} is a leaf (or a run's replica).
   *
   * @param e the raw entry
   * @param level the level it was read at
   * @return true if {@code e} is present and matches the level's leaf mask and value or is a run
   *     replica
   */
  public boolean isLeaf(long e, int level) {
    return !isEmpty(e) && ((e & leafMask[level]) == leafValue[level] || isRun(e, level));
  }

  /**
   * Returns whether {@code e} is an entry of a run ({@link Contiguous#REPLICAS} or {@link
   * Contiguous#PER_ITEM_ADDRESS}).
   *
   * @param e the raw entry
   * @param level the level it was read at; false if that level holds no leaf larger than its item
   * @return true if the format has runs, {@code e} matches the run mask and value, and {@code
   *     level} holds runs
   */
  public boolean isRun(long e, int level) {
    return runMask != 0 && (e & runMask) == runValue && hasRuns[level];
  }

  /**
   * Returns the physical address of the table {@code e} points to.
   *
   * @param e a table pointer
   * @return {@code e} masked with {@link #addressMask}
   */
  public long tableAddress(long e) {
    return e & oaMask;
  }

  /**
   * Returns log2 of the size of leaf {@code e} at {@code level}.
   *
   * @param e a leaf entry
   * @param level the level it was read at
   * @return {@link #shift} of {@code level}, or for an entry of a run log2 of the run's size (for
   *     {@link Contiguous#REPLICAS} encoded in its address field)
   */
  public int leafSizeLog2(long e, int level) {
    if (!isRun(e, level)) {
      return shift(level);
    }
    return contiguous == Contiguous.PER_ITEM_ADDRESS
        ? runShift[level]
        : 1 + Long.numberOfTrailingZeros(~(e | ((1L << granule) - 1)));
  }

  /**
   * Returns the size of leaf {@code e} at {@code level}.
   *
   * @param e a leaf entry
   * @param level the level it was read at
   * @return the size in bytes, {@code 1 << leafSizeLog2(e, level)}
   */
  public long leafSize(long e, int level) {
    return 1L << leafSizeLog2(e, level);
  }

  /**
   * Returns the output address of leaf {@code e} at {@code level} (of the leaf's first byte).
   *
   * @param e a leaf entry
   * @param level the level it was read at
   * @return the address field of {@code e} aligned down to the leaf's size
   */
  public long leafAddress(long e, int level) {
    return e & oaMask & -(1L << leafSizeLog2(e, level));
  }

  /**
   * Returns whether {@code e} permits DMA reads.
   *
   * @param e a leaf, or a table pointer for a format that checks permissions along the walk
   * @return true if {@code (e & readMask) != readNot}
   */
  public boolean isReadable(long e) {
    return (e & readMask) != readNot;
  }

  /**
   * Returns whether {@code e} permits DMA writes (writable-clean counts).
   *
   * @param e a leaf, or a table pointer for a format that checks permissions along the walk
   * @return true if {@code (e & writeMask) != writeNot}
   */
  public boolean isWritable(long e) {
    return (e & writeMask) != writeNot;
  }

  /**
   * Returns whether leaf {@code e} is write-dirty ({@code pt_entry_is_write_dirty}).
   *
   * @param e a leaf entry
   * @return true if {@code (e & dirtyMask) == dirtyValue}
   */
  public boolean isDirty(long e) {
    return (e & dirtyMask) == dirtyValue;
  }

  /**
   * Returns {@code e} made write-clean ({@code pt_entry_make_write_clean}).
   *
   * @param e a leaf entry
   * @return {@code (e & cleanAnd) | cleanOr}
   */
  public long clean(long e) {
    return (e & cleanAnd) | cleanOr;
  }

  /**
   * Returns {@code e} made write-dirty ({@code pt_entry_make_write_dirty}).
   *
   * @param e a leaf entry
   * @return {@code (e & dirtyAnd) | dirtyOr}
   */
  public long dirty(long e) {
    return (e & dirtyAnd) | dirtyOr;
  }

  /**
   * Returns {@code e} without the bits hardware may change (dirty and accessed).
   *
   * @param e a raw entry
   * @return {@code e} with the dirty-mask and accessed bits cleared
   */
  public long withoutHardwareBits(long e) {
    return e & ~hwBits;
  }

  /**
   * Returns the attribute bits two leaves must share to be merged into one by a collapse.
   *
   * @param e a leaf entry
   * @return {@code e} masked with the mask set by {@link PtFormatBuilder#attributes}
   */
  public long attributes(long e) {
    return e & attrMask;
  }

  // --- encoding -------------------------------------------------------------------------------

  /**
   * Returns a table pointer at {@code level} to the table at {@code tablePa}.
   *
   * @param tablePa the physical address of the lower table, aligned to its size
   * @param level the level the pointer is written at
   * @return {@code tablePa} masked with {@link #addressMask}, ORed with the level's table bits
   */
  public long encodeTable(long tablePa, int level) {
    return (tablePa & oaMask) | tableBits[level];
  }

  /**
   * Returns the entry (for a run: its first entry, each replica for {@link Contiguous#REPLICAS}) of
   * a leaf of {@code size} mapping {@code oa} with {@code prot}, write-clean unless the format maps
   * writable leaves dirty (Arm with HTTU).
   *
   * @param oa the output address of the leaf's first byte, aligned to {@code size}
   * @param size the leaf size in bytes, a bit of {@link #pageSizeBitmap}
   * @param prot {@code IOMMU_READ} and/or {@code IOMMU_WRITE} (1..3)
   * @return the raw entry to write, with the level's leaf bits and the protection bits
   * @throws IllegalArgumentException if the format has no leaf of {@code size}
   */
  public long encodeLeaf(long oa, long size, int prot) {
    int level = levelOfSize(size);
    if (level < 0) {
      throw new IllegalArgumentException("no leaf of 0x" + Long.toHexString(size) + " in " + name);
    }
    return encodeLeaf(oa, size, level, protBits[prot & 3]);
  }

  /**
   * Returns the first entry of a leaf of {@code size} at {@code level} with attribute bits {@code
   * attrs}; {@link #itemOf} gives the others of a run.
   */
  long encodeLeaf(long oa, long size, int level, long attrs) {
    long base = leafBits[level] | attrs; // attrs: protections or a leaf's, never address bits
    if (size <= (1L << shift(level))) {
      return base | (oa & oaMask);
    }
    if (contiguous == Contiguous.PER_ITEM_ADDRESS) {
      return base | runValue | (oa & oaMask);
    }
    return base | runValue | (((oa | (size - 1)) & ~(size >>> 1)) & oaMask);
  }

  /**
   * Returns entry {@code j} of the run (or leaf) whose first entry at {@code level} is {@code
   * first}: {@code first} itself unless each entry carries its own output address.
   */
  long itemOf(long first, int j, int level) {
    return contiguous == Contiguous.PER_ITEM_ADDRESS ? first + ((long) j << shift(level)) : first;
  }

  /** Returns the attribute bits (protections and the format's fixed leaf bits) of a new leaf. */
  long protBits(int prot) {
    return protBits[prot & 3];
  }

  /** Returns the harvest kernel's view of plain leaves at {@code level}. */
  DirtyLeafScanner.Format scanFormat(int level) {
    return scanFormats[level];
  }

  /**
   * Returns a human description of {@code e} at {@code level} (the vendor's decoder).
   *
   * @param e the raw entry
   * @param level the level it was read at, 0 = smallest leaf
   * @return the one-line description from the format's {@link Describer}
   */
  public String describe(long e, int level) {
    return describer.describe(e, level);
  }

  @Override
  public String toString() {
    return name;
  }
}
