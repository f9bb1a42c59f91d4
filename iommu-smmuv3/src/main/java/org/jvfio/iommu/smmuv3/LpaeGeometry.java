package org.jvfio.iommu.smmuv3;

/**
 * The level structure of one LPAE table as io-pgtable-arm sets it up ({@code
 * arm_lpae_alloc_pgtable} in {@code drivers/iommu/io-pgtable-arm.c}): {@code levels = ceil((ias −
 * pg_shift) / bits_per_level)}, {@code start_level = 4 − levels}, the top table ("pgd") holding
 * {@code 2^pgd_bits} entries, level {@code l} resolving IOVA bits from {@code (4 − l) *
 * bits_per_level + 3}. A stage-2 table whose top level would be L0 with at most 16 entries is
 * concatenated instead (start one level lower, {@code pgd_bits += bits_per_level}), which at a
 * 48-bit input size concerns the 16 KiB granule only. Immutable.
 */
final class LpaeGeometry {
  static final int MAX_LEVELS = 4;
  private static final int MAX_CONCAT = 16;

  final Granule granule;
  final int ias;
  final int startLevel;
  final int pgdEntries;
  final int tableEntries;

  LpaeGeometry(Granule granule, int ias, boolean stage2) {
    this.granule = granule;
    this.ias = ias;
    int bpl = granule.bitsPerLevel();
    int va = ias - granule.shift();
    int levels = (va + bpl - 1) / bpl;
    int start = MAX_LEVELS - levels;
    int pgdBits = va - bpl * (levels - 1);
    if (stage2 && start == 0 && (1 << pgdBits) <= MAX_CONCAT) {
      start++;
      pgdBits += bpl;
    }
    this.startLevel = start;
    this.pgdEntries = 1 << pgdBits;
    this.tableEntries = granule.entriesPerTable();
  }

  /** Returns the lowest IOVA bit level {@code level} resolves. */
  int shift(int level) {
    return (MAX_LEVELS - level) * granule.bitsPerLevel() + 3;
  }

  /** Returns the size a leaf (or a table entry) at {@code level} covers. */
  long blockSize(int level) {
    return 1L << shift(level);
  }

  /** Returns the number of entries of a table at {@code level}. */
  int entries(int level) {
    return level == startLevel ? pgdEntries : tableEntries;
  }

  /** Returns the index of {@code iova} in a table at {@code level} ({@code ARM_LPAE_LVL_IDX}). */
  int index(long iova, int level) {
    return (int) ((iova >>> shift(level)) & (entries(level) - 1));
  }

  /** Returns the 4 KiB frames a table at {@code level} occupies (a run, at least one). */
  int tableFrames(int level) {
    return Math.max(1, (int) ((long) entries(level) * 8 / 4096));
  }

  /** Returns whether a leaf may sit at {@code level}: its size is a page size of the granule. */
  boolean leafAllowed(int level) {
    return level >= startLevel && (granule.pageSizeBitmap() & blockSize(level)) != 0;
  }

  /** Returns the level whose leaves have {@code size} bytes, or -1. */
  int levelOf(long size) {
    for (int l = startLevel; l < MAX_LEVELS; l++) {
      if (blockSize(l) == size) {
        return l;
      }
    }
    return -1;
  }
}
