package org.jvfio.core.pt;

import java.util.Arrays;

/**
 * Builds a {@link PtFormat}: {@link PtFormat#builder} returns one. Per-level settings take the
 * level (0 = smallest leaf); a level without {@link #leaf} holds no leaves, one without {@link
 * #table} holds no table pointers. Not thread-safe; the format it builds is immutable.
 */
public final class PtFormatBuilder {
  private static final long NEVER_MASK = 0;
  private static final long NEVER_VALUE = 1; // (e & 0) == 1 never holds

  final String name;
  int granule = 12;
  int bitsPerLevel = 9;
  int startTop = 3;
  int maxTop = 3;
  int vaBits = 48;
  long presentBit;
  long oaMask = 0x000F_FFFF_FFFF_F000L;
  final long[] leafMask = filled(NEVER_MASK);
  final long[] leafValue = filled(NEVER_VALUE);
  final long[] tableMask = filled(NEVER_MASK);
  final long[] tableValue = filled(NEVER_VALUE);
  final long[] tableBits = new long[8];
  final long[] leafBits = new long[8];
  final long[] leafSizes = new long[8];
  long runMask;
  long runValue;
  PtFormat.Contiguous contiguous = PtFormat.Contiguous.NONE;
  final long[] protBits = new long[4];
  long readMask;
  long readNot = 1;
  long writeMask;
  long writeNot = 1;
  boolean permsAlongWalk;
  long dirtyMask;
  long dirtyValue = 1;
  long cleanAnd = -1L;
  long cleanOr;
  long dirtyAnd = -1L;
  long dirtyOr;
  long accessBit;
  long attrMask;
  boolean breakBeforeMake;
  PtFormat.Describer describer;

  PtFormatBuilder(String name) {
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
  public PtFormatBuilder geometry(
      int granule, int bitsPerLevel, int startTop, int maxTop, int vaBits) {
    this.granule = granule;
    this.bitsPerLevel = bitsPerLevel;
    this.startTop = startTop;
    this.maxTop = maxTop;
    this.vaBits = vaBits;
    return this;
  }

  /**
   * Sets the present bit; 0 (the default) means an entry is empty iff it is 0 (VT-d second stage).
   *
   * @param bit the present bit as a mask, e.g. {@code 1L << 0}, or 0 for none
   * @return this builder
   */
  public PtFormatBuilder presentBit(long bit) {
    this.presentBit = bit;
    return this;
  }

  /**
   * Sets the output-address field (table pointers and leaves).
   *
   * @param mask the mask of the output-address bits in an entry
   * @return this builder
   */
  public PtFormatBuilder addressMask(long mask) {
    this.oaMask = mask;
    return this;
  }

  /**
   * Declares that {@code level} holds table pointers: a present entry {@code e} that is not a leaf
   * is one if {@code (e & mask) == value}; new ones are written {@code address | bits}.
   *
   * @param level the level, 0 = smallest leaf
   * @param mask the bits tested to recognise a table pointer
   * @param value the value those bits have in a table pointer
   * @param bits the bits ORed into the address of a new table pointer
   * @return this builder
   */
  public PtFormatBuilder table(int level, long mask, long value, long bits) {
    tableMask[level] = mask;
    tableValue[level] = value;
    tableBits[level] = bits;
    return this;
  }

  /**
   * Declares that {@code level} holds leaves of the sizes in {@code sizes}: a present entry is one
   * if {@code (e & mask) == value} (or it is a run replica); new ones are written {@code address |
   * bits | protection bits}.
   *
   * @param level the level, 0 = smallest leaf
   * @param mask the bits tested to recognise a leaf
   * @param value the value those bits have in a leaf
   * @param bits the bits ORed into the address of a new leaf
   * @param sizes the leaf sizes the level holds, bit {@code n} for a {@code 2^n}-byte leaf
   * @return this builder
   */
  public PtFormatBuilder leaf(int level, long mask, long value, long bits, long sizes) {
    leafMask[level] = mask;
    leafValue[level] = value;
    leafBits[level] = bits;
    leafSizes[level] = sizes;
    return this;
  }

  /**
   * Declares {@link PtFormat.Contiguous#REPLICAS} runs: a leaf entry with {@code (e & mask) ==
   * value} is a replica whose size is encoded in its address field.
   *
   * @param mask the bits tested to recognise a run replica
   * @param value the value those bits have in a replica
   * @return this builder
   */
  public PtFormatBuilder replicas(long mask, long value) {
    return runs(PtFormat.Contiguous.REPLICAS, mask, value);
  }

  /**
   * Declares {@link PtFormat.Contiguous#PER_ITEM_ADDRESS} runs: a leaf entry with {@code bit} set
   * is one item of a run as long as the larger of the (at most two) leaf sizes its level holds, and
   * carries its own output address (Arm's contiguous hint, bit 52).
   *
   * @param bit the contiguous bit as a mask, e.g. {@code 1L << 52}
   * @return this builder
   */
  public PtFormatBuilder contiguousHint(long bit) {
    return runs(PtFormat.Contiguous.PER_ITEM_ADDRESS, bit, bit);
  }

  private PtFormatBuilder runs(PtFormat.Contiguous style, long mask, long value) {
    this.contiguous = style;
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
  public PtFormatBuilder protections(long read, long write, long readWrite) {
    protBits[1] = read;
    protBits[2] = write;
    protBits[3] = readWrite;
    return this;
  }

  /**
   * Sets the permission tests: readable iff {@code (e & readMask) != readNot}, writable iff {@code
   * (e & writeMask) != writeNot}; with {@code alongWalk}, table pointers are tested too and the
   * permissions ANDed down the walk (AMD IR/IW).
   *
   * @param readMask the bits tested for readability
   * @param readNot the value of those bits in an entry that denies reads
   * @param writeMask the bits tested for writability
   * @param writeNot the value of those bits in an entry that denies writes
   * @param alongWalk whether table pointers carry permissions too, ANDed down the walk
   * @return this builder
   */
  public PtFormatBuilder permissions(
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
  public PtFormatBuilder dirty(
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
  public PtFormatBuilder accessBit(long bit) {
    this.accessBit = bit;
    return this;
  }

  /**
   * Sets the bits (besides the address) two leaves must share to be merged by a collapse.
   *
   * @param mask the attribute bits compared by a collapse
   * @return this builder
   */
  public PtFormatBuilder attributes(long mask) {
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
  public PtFormatBuilder breakBeforeMake(boolean bbm) {
    this.breakBeforeMake = bbm;
    return this;
  }

  /**
   * Sets the human decoder.
   *
   * @param d the decoder {@link PtFormat#describe} calls; required by {@link #build}
   * @return this builder
   */
  public PtFormatBuilder describer(PtFormat.Describer d) {
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
    PtFormat f = new PtFormat(this);
    check(f);
    return f;
  }

  /** Throws if the geometry and sizes of {@code f} are inconsistent. */
  private static void check(PtFormat f) {
    if (f.granule < 10 || f.granule > 20 || f.bitsPerLevel < 1 || f.bitsPerLevel > 13) {
      throw new IllegalArgumentException("bad geometry");
    }
    if (f.startTop < 0 || f.startTop > f.maxTop || f.vaBits > 64 || f.pageSizes == 0) {
      throw new IllegalArgumentException("bad levels or sizes");
    }
    if (f.indexBits[f.maxTop] < 1 || f.indexBits[f.maxTop] > f.bitsPerLevel + 4) {
      throw new IllegalArgumentException("top table of 2^" + f.indexBits[f.maxTop] + " entries");
    }
    for (int l = 0; l <= f.maxTop; l++) {
      long item = 1L << f.shift(l);
      long max = f.contiguous == PtFormat.Contiguous.REPLICAS ? item << (f.bitsPerLevel - 1) : item;
      if (f.contiguous == PtFormat.Contiguous.PER_ITEM_ADDRESS) {
        max = item << f.bitsPerLevel;
        if (Long.bitCount(f.leafSizes[l] & ~item) > 1) {
          throw new IllegalArgumentException("two run sizes at level " + l);
        }
      }
      for (long m = f.leafSizes[l]; m != 0; m &= m - 1) {
        long s = Long.lowestOneBit(m);
        if (Long.compareUnsigned(s, item) < 0 || Long.compareUnsigned(s, max) > 0) {
          throw new IllegalArgumentException("size 0x" + Long.toHexString(s) + " at level " + l);
        }
      }
    }
  }
}
