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
 * constants they load. Only {@link #describe}, for humans, calls vendor code. (An engine
 * specialised per format class would also stay monomorphic, but at the price of one compiled engine
 * per format.) Instances are immutable and thread-safe; build them with {@link #builder}.
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
    REPLICAS
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

  private static final long NEVER_MASK = 0;
  private static final long NEVER_VALUE = 1; // (e & 0) == 1 never holds

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
  final long settledMask;
  final Contiguous contiguous;
  final boolean breakBeforeMake;
  final int[] indexBits;
  final long[] indexMask;
  final long pageSizes;
  final Describer describer;
  private final byte[] levelOfSize = new byte[64];
  private final boolean[] hasRuns;
  private final DirtyLeafScanner.Format[] scanFormats;

  private PtFormat(Builder b) {
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
    settledMask = b.accessBit;
    contiguous = b.runMask != 0 ? Contiguous.REPLICAS : Contiguous.NONE;
    breakBeforeMake = b.breakBeforeMake;
    indexBits = new int[maxTop + 1];
    indexMask = new long[maxTop + 1];
    for (int l = 0; l <= maxTop; l++) {
      indexBits[l] = l == maxTop && startTop == maxTop ? vaBits - shift(l) : bitsPerLevel;
      indexMask[l] = (1L << indexBits[l]) - 1;
    }
    describer = Objects.requireNonNull(b.describer, "describer");
    long sizes = 0;
    Arrays.fill(levelOfSize, (byte) -1);
    for (int l = 0; l <= maxTop; l++) {
      sizes |= leafSizes[l];
      for (long m = leafSizes[l]; m != 0; m &= m - 1) {
        levelOfSize[Long.numberOfTrailingZeros(m)] = (byte) l;
      }
    }
    pageSizes = sizes;
    hasRuns = new boolean[maxTop + 1];
    for (int l = 0; l <= maxTop; l++) {
      hasRuns[l] = runMask != 0 && (leafSizes[l] & -(2L << shift(l))) != 0;
    }
    scanFormats = new DirtyLeafScanner.Format[maxTop + 1];
    for (int l = 0; l <= maxTop; l++) {
      if (leafSizes[l] == 0) {
        continue; // no leaves: never scanned
      }
      scanFormats[l] =
          new DirtyLeafScanner.Format(
              presentBit | leafMask[l],
              presentBit | leafValue[l],
              presentBit != 0 ? presentBit : -1L,
              dirtyMask,
              dirtyValue,
              cleanAnd,
              cleanOr,
              settledMask);
    }
    check();
  }

  private void check() {
    if (granule < 10 || granule > 20 || bitsPerLevel < 1 || bitsPerLevel > 13) {
      throw new IllegalArgumentException("bad geometry");
    }
    if (startTop < 0 || startTop > maxTop || vaBits > 64 || pageSizes == 0) {
      throw new IllegalArgumentException("bad levels or sizes");
    }
    if (indexBits[maxTop] < 1 || indexBits[maxTop] > bitsPerLevel + 4) {
      throw new IllegalArgumentException("top table of 2^" + indexBits[maxTop] + " entries");
    }
    for (int l = 0; l <= maxTop; l++) {
      long item = 1L << shift(l);
      long max = contiguous == Contiguous.REPLICAS ? item << (bitsPerLevel - 1) : item;
      for (long m = leafSizes[l]; m != 0; m &= m - 1) {
        long s = Long.lowestOneBit(m);
        if (Long.compareUnsigned(s, item) < 0 || Long.compareUnsigned(s, max) > 0) {
          throw new IllegalArgumentException("size 0x" + Long.toHexString(s) + " at level " + l);
        }
      }
    }
  }

  /**
   * Returns a builder for a format called {@code name}.
   *
   * @param name the format's name, returned by {@link #name} and {@link #toString}
   * @return a builder with the defaults: 4 KiB granule, 9 bits per level, top level 3, 48-bit IOVA
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  // --- geometry -------------------------------------------------------------------------------

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
   * Returns the IOVA width in bits (64: the whole space).
   *
   * @return the IOVA width in bits, at most 64
   */
  public int vaBits() {
    return vaBits;
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
   * Returns whether a live entry is replaced break-before-make: split and collapse first swap it to
   * 0 and invalidate its range, then write the new entry (an Arm SMMU without {@code IDR3.BBML},
   * Arm ARM D8.16.1); otherwise the new entry replaces the old by one compare-and-swap.
   *
   * @return true if a live entry is replaced via 0 and an invalidation, false if by one
   *     compare-and-swap
   */
  public boolean breakBeforeMake() {
    return breakBeforeMake;
  }

  /**
   * Returns the contiguous-entry style.
   *
   * @return {@link Contiguous#REPLICAS} if the format declared {@link Builder#replicas}, else
   *     {@link Contiguous#NONE}
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
    long align = Long.lowestOneBit(iova | pa);
    if (align != 0 && Long.compareUnsigned(align, limit) < 0) {
      limit = align;
    }
    return Long.highestOneBit(pageSizes & (limit | (limit - 1)));
  }

  // --- classification -------------------------------------------------------------------------

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
   * Returns whether {@code e} is a replica of a {@link Contiguous#REPLICAS} run.
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
   * @return {@link #shift} of {@code level}, or for a run replica log2 of the size encoded in its
   *     address field
   */
  public int leafSizeLog2(long e, int level) {
    if (isRun(e, level)) {
      return 1 + Long.numberOfTrailingZeros(~(e | ((1L << granule) - 1)));
    }
    return shift(level);
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
   * @return {@code e} masked with the mask set by {@link Builder#attributes}
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
   * Returns the entry (for a run: each replica) of a leaf of {@code size} mapping {@code oa} with
   * {@code prot}, write-clean unless the format maps writable leaves dirty (Arm with HTTU).
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

  /** Returns a leaf of {@code size} at {@code level} with attribute bits {@code attrs}. */
  long encodeLeaf(long oa, long size, int level, long attrs) {
    long base = leafBits[level] | (attrs & ~(runMask | oaMask));
    if (size > (1L << shift(level))) {
      return base | runValue | (((oa | (size - 1)) & ~(size >>> 1)) & oaMask);
    }
    return base | (oa & oaMask);
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

  /**
   * Builds a {@link PtFormat}. Per-level settings take the level (0 = smallest leaf); a level
   * without {@link #leaf} holds no leaves, one without {@link #table} holds no table pointers.
   */
  public static final class Builder {
    private final String name;
    private int granule = 12;
    private int bitsPerLevel = 9;
    private int startTop = 3;
    private int maxTop = 3;
    private int vaBits = 48;
    private long presentBit;
    private long oaMask = 0x000F_FFFF_FFFF_F000L;
    private final long[] leafMask = filled(NEVER_MASK);
    private final long[] leafValue = filled(NEVER_VALUE);
    private final long[] tableMask = filled(NEVER_MASK);
    private final long[] tableValue = filled(NEVER_VALUE);
    private final long[] tableBits = new long[8];
    private final long[] leafBits = new long[8];
    private final long[] leafSizes = new long[8];
    private long runMask;
    private long runValue;
    private final long[] protBits = new long[4];
    private long readMask;
    private long readNot = 1;
    private long writeMask;
    private long writeNot = 1;
    private boolean permsAlongWalk;
    private long dirtyMask;
    private long dirtyValue = 1;
    private long cleanAnd = -1L;
    private long cleanOr;
    private long dirtyAnd = -1L;
    private long dirtyOr;
    private long accessBit;
    private long attrMask;
    private boolean breakBeforeMake;
    private Describer describer;

    private Builder(String name) {
      this.name = name;
    }

    private static long[] filled(long v) {
      long[] a = new long[8];
      Arrays.fill(a, v);
      return a;
    }

    /**
     * Sets the geometry: level 0 items of {@code 2^granule} bytes, tables of {@code 2^bitsPerLevel}
     * entries, a new table's top level, the top it may grow to and the IOVA width.
     *
     * @param granule log2 of a level-0 item in bytes, 10 to 20 (12 for 4 KiB)
     * @param bitsPerLevel log2 of the entries per table, 1 to 13 (9 for 512 entries)
     * @param startTop the top level of a newly allocated table
     * @param maxTop the highest top level the table may grow to, at least {@code startTop}
     * @param vaBits the IOVA width in bits, at most 64
     * @return this builder
     */
    public Builder geometry(int granule, int bitsPerLevel, int startTop, int maxTop, int vaBits) {
      this.granule = granule;
      this.bitsPerLevel = bitsPerLevel;
      this.startTop = startTop;
      this.maxTop = maxTop;
      this.vaBits = vaBits;
      return this;
    }

    /**
     * Sets the present bit; 0 (the default) means an entry is empty iff it is 0 (VT-d second
     * stage).
     *
     * @param bit the present bit as a mask, e.g. {@code 1L << 0}, or 0 for none
     * @return this builder
     */
    public Builder presentBit(long bit) {
      this.presentBit = bit;
      return this;
    }

    /**
     * Sets the output-address field (table pointers and leaves).
     *
     * @param mask the mask of the output-address bits in an entry
     * @return this builder
     */
    public Builder addressMask(long mask) {
      this.oaMask = mask;
      return this;
    }

    /**
     * Declares that {@code level} holds table pointers: a present entry {@code e} that is not a
     * leaf is one if {@code (e & mask) == value}; new ones are written {@code address | bits}.
     *
     * @param level the level, 0 = smallest leaf
     * @param mask the bits tested to recognise a table pointer
     * @param value the value those bits have in a table pointer
     * @param bits the bits ORed into the address of a new table pointer
     * @return this builder
     */
    public Builder table(int level, long mask, long value, long bits) {
      tableMask[level] = mask;
      tableValue[level] = value;
      tableBits[level] = bits;
      return this;
    }

    /**
     * Declares that {@code level} holds leaves of the sizes in {@code sizes}: a present entry is
     * one if {@code (e & mask) == value} (or it is a run replica); new ones are written {@code
     * address | bits | protection bits}.
     *
     * @param level the level, 0 = smallest leaf
     * @param mask the bits tested to recognise a leaf
     * @param value the value those bits have in a leaf
     * @param bits the bits ORed into the address of a new leaf
     * @param sizes the leaf sizes the level holds, bit {@code n} for a {@code 2^n}-byte leaf
     * @return this builder
     */
    public Builder leaf(int level, long mask, long value, long bits, long sizes) {
      leafMask[level] = mask;
      leafValue[level] = value;
      leafBits[level] = bits;
      leafSizes[level] = sizes;
      return this;
    }

    /**
     * Declares {@link Contiguous#REPLICAS} runs: a leaf entry with {@code (e & mask) == value} is a
     * replica whose size is encoded in its address field.
     *
     * @param mask the bits tested to recognise a run replica
     * @param value the value those bits have in a replica
     * @return this builder
     */
    public Builder replicas(long mask, long value) {
      this.runMask = mask;
      this.runValue = value;
      return this;
    }

    /**
     * Sets the bits a new leaf carries for {@code IOMMU_READ} (1), {@code IOMMU_WRITE} (2) and both
     * (3).
     *
     * @param read the bits of a leaf mapped with {@code IOMMU_READ} only
     * @param write the bits of a leaf mapped with {@code IOMMU_WRITE} only
     * @param readWrite the bits of a leaf mapped with both
     * @return this builder
     */
    public Builder protections(long read, long write, long readWrite) {
      protBits[1] = read;
      protBits[2] = write;
      protBits[3] = readWrite;
      return this;
    }

    /**
     * Sets the permission tests: readable iff {@code (e & readMask) != readNot}, writable iff
     * {@code (e & writeMask) != writeNot}; with {@code alongWalk}, table pointers are tested too
     * and the permissions ANDed down the walk (AMD IR/IW).
     *
     * @param readMask the bits tested for readability
     * @param readNot the value of those bits in an entry that denies reads
     * @param writeMask the bits tested for writability
     * @param writeNot the value of those bits in an entry that denies writes
     * @param alongWalk whether table pointers carry permissions too, ANDed down the walk
     * @return this builder
     */
    public Builder permissions(
        long readMask, long readNot, long writeMask, long writeNot, boolean alongWalk) {
      this.readMask = readMask;
      this.readNot = readNot;
      this.writeMask = writeMask;
      this.writeNot = writeNot;
      this.permsAlongWalk = alongWalk;
      return this;
    }

    /**
     * Sets the dirty state: dirty iff {@code (e & mask) == value}; cleaning computes {@code (e &
     * cleanAnd) | cleanOr}, dirtying {@code (e & dirtyAnd) | dirtyOr}.
     *
     * @param mask the bits tested for dirtiness
     * @param value the value those bits have in a dirty leaf
     * @param cleanAnd the mask ANDed into a leaf to make it write-clean
     * @param cleanOr the bits then ORed in to make it write-clean
     * @param dirtyAnd the mask ANDed into a leaf to make it write-dirty
     * @param dirtyOr the bits then ORed in to make it write-dirty
     * @return this builder
     */
    public Builder dirty(
        long mask, long value, long cleanAnd, long cleanOr, long dirtyAnd, long dirtyOr) {
      this.dirtyMask = mask;
      this.dirtyValue = value;
      this.cleanAnd = cleanAnd;
      this.cleanOr = cleanOr;
      this.dirtyAnd = dirtyAnd;
      this.dirtyOr = dirtyOr;
      return this;
    }

    /**
     * Sets the accessed bit the hardware sets on a walk when access updates are on.
     *
     * @param bit the accessed bit as a mask, or 0 if the format has none
     * @return this builder
     */
    public Builder accessBit(long bit) {
      this.accessBit = bit;
      return this;
    }

    /**
     * Sets the bits (besides the address) two leaves must share to be merged by a collapse.
     *
     * @param mask the attribute bits compared by a collapse
     * @return this builder
     */
    public Builder attributes(long mask) {
      this.attrMask = mask;
      return this;
    }

    /**
     * Sets whether split and collapse replace live entries break-before-make.
     *
     * @param bbm true to replace live entries via 0 and an invalidation, false for one
     *     compare-and-swap
     * @return this builder
     */
    public Builder breakBeforeMake(boolean bbm) {
      this.breakBeforeMake = bbm;
      return this;
    }

    /**
     * Sets the human decoder.
     *
     * @param d the decoder {@link PtFormat#describe} calls; required by {@link #build}
     * @return this builder
     */
    public Builder describer(Describer d) {
      this.describer = d;
      return this;
    }

    /**
     * Builds the format.
     *
     * @return the immutable format
     * @throws IllegalArgumentException if the geometry or sizes are inconsistent
     */
    public PtFormat build() {
      return new PtFormat(this);
    }
  }
}
