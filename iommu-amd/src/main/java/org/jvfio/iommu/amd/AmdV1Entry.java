package org.jvfio.iommu.amd;

/**
 * The bits of an AMD-Vi v1 page-table entry (PDE or PTE, 64-bit) and a decoder for them (AMD IOMMU
 * specification 48882, "I/O Page Tables for Host Translations").
 *
 * <p>Levels are counted as the AMD specification and the DTE {@code Mode} field count them: level 1
 * holds 4 KiB items, level 2 2 MiB items, level 3 1 GiB items, … level 6 is the top table of a
 * mode-6 domain (128 entries, no leaves). A PDE's Next Level field names the level of the table it
 * points to (its own level minus one; AMD IOMMU specification 48882, "I/O Page Tables for Host
 * Translations"). A leaf has NL = 0 (the default size of its level) or NL = 7 (a non-default size,
 * stored as a naturally aligned run of identical replicas whose size is encoded in the low address
 * bits: bits {@code [log2(size) − 2 : 12]} are 1 and bit {@code log2(size) − 1} is 0). Every method
 * here is a pure function of its arguments.
 */
public final class AmdV1Entry {
  /** PR (bit 0): present. */
  public static final long PR = 1L;

  /**
   * A (bit 5): host accessed, set by hardware when access updates are on (DTE HA; AMD IOMMU
   * specification 48882, "Device Table Entry Format").
   */
  public static final long A = 1L << 5;

  /** D (bit 6): host dirty ({@code IOMMU_PTE_HD}), set by hardware on a write. */
  public static final long D = 1L << 6;

  /** Next Level field, bits 11:9. */
  public static final long NEXT_LEVEL_MASK = 7L << 9;

  /** NL value of a leaf of its level's default size ({@code AMDV1PT_FMT_NL_DEFAULT}). */
  public static final int NL_DEFAULT = 0;

  /** NL value of a leaf of a non-default size ({@code AMDV1PT_FMT_NL_SIZE}). */
  public static final int NL_SIZE = 7;

  /** Address field, bits 51:12 ({@code PM_ADDR_MASK}). */
  public static final long ADDRESS_MASK = 0x000F_FFFF_FFFF_F000L;

  /** U (bit 59), a legacy bit Linux never sets. */
  public static final long U = 1L << 59;

  /** FC (bit 60): force coherent; Linux sets it on every leaf. */
  public static final long FC = 1L << 60;

  /** IR (bit 61): read permission (ANDed along the walk). */
  public static final long IR = 1L << 61;

  /** IW (bit 62): write permission (ANDed along the walk). */
  public static final long IW = 1L << 62;

  /** The attribute bits a leaf's children inherit and collapse compares: FC, IR, IW, U. */
  static final long ATTRS = U | FC | IR | IW;

  private AmdV1Entry() {}

  // --- internal helpers, 0-based levels (iommupt numbering: level 0 = spec level 1) ------------

  /** Returns log2 of the item size of a table at 0-based level {@code lvl}. */
  static int shift(int lvl) {
    return 12 + 9 * lvl;
  }

  static int nl(long e) {
    return (int) ((e >>> 9) & 7);
  }

  static boolean present(long e) {
    return (e & PR) != 0;
  }

  /** Leaf determination of a present entry at 0-based level {@code lvl}. */
  static boolean leafAt(long e, int lvl) {
    int nl = nl(e);
    return lvl == 0 || nl == NL_DEFAULT || nl == NL_SIZE;
  }

  /** Returns log2 of a leaf's page size: the level size for NL = 0, decoded for NL = 7. */
  static int sizeLog2(long e, int lvl) {
    if (nl(e) == NL_SIZE) {
      return 1 + Long.numberOfTrailingZeros(~(e | 0xFFFL));
    }
    return shift(lvl);
  }

  /** Returns the output address of a leaf of {@code 2^sizeLog2} bytes (size code removed). */
  static long oa(long e, int sizeLog2) {
    return e & ADDRESS_MASK & -(1L << sizeLog2);
  }

  /**
   * Encodes a leaf: {@code PR | OA(+size code) | NL | bits}, NL = 0 when {@code sizeLog2} is the
   * item size of {@code lvl}, else NL = 7 with the size code in the address field.
   */
  static long leaf(long oa, int sizeLog2, int lvl, long bits) {
    if (sizeLog2 == shift(lvl)) {
      return PR | (oa & ADDRESS_MASK) | bits;
    }
    long code = ((oa | ((1L << sizeLog2) - 1)) & ~(1L << (sizeLog2 - 1))) & ADDRESS_MASK;
    return PR | code | ((long) NL_SIZE << 9) | bits;
  }

  /** Encodes a PDE in a table at 0-based level {@code lvl} pointing to a table at {@code lvl-1}. */
  static long pde(long tablePa, int lvl) {
    return PR | (tablePa & ADDRESS_MASK) | ((long) lvl << 9) | IR | IW;
  }

  /** Returns how many replicas a leaf of {@code 2^sizeLog2} bytes has at 0-based {@code lvl}. */
  static int replicas(int sizeLog2, int lvl) {
    return 1 << (sizeLog2 - shift(lvl));
  }

  // --- public decoder, AMD (1-based) levels ------------------------------------------------------

  /**
   * Returns whether {@code entry} is present (PR = 1).
   *
   * @param entry a 64-bit PDE or PTE
   * @return true if PR (bit 0) is set
   */
  public static boolean isPresent(long entry) {
    return present(entry);
  }

  /**
   * Returns the Next Level field (bits 11:9).
   *
   * @param entry a 64-bit PDE or PTE
   * @return NL, 0..7: 0 or 7 for a leaf, the pointed-to table's level for a PDE
   */
  public static int nextLevel(long entry) {
    return nl(entry);
  }

  /**
   * Returns whether {@code entry}, read in a table of the given level, is a leaf: present and at
   * level 1 or with NL = 0 or NL = 7 ({@code amdv1pt_load_entry_raw}).
   *
   * @param entry a 64-bit PDE or PTE
   * @param level the AMD level (1..6) of the table the entry was read from
   * @return true if PR = 1 and {@code level} is 1 or NL is 0 or 7
   * @throws IllegalArgumentException if {@code level} is not 1..6
   */
  public static boolean isLeaf(long entry, int level) {
    return present(entry) && leafAt(entry, lvl(level));
  }

  /**
   * Returns the page size of the leaf {@code entry} read at {@code level}: the level's size for NL
   * = 0, or {@code 1 << (1 + ffz(entry | 0xfff))} for NL = 7 ({@code PTE_PAGE_SIZE}).
   *
   * @param entry a 64-bit PDE or PTE
   * @param level the AMD level (1..6) of the table the entry was read from
   * @return the page size in bytes, a power of two from 4 KiB
   * @throws IllegalArgumentException if {@code entry} is not a leaf at {@code level}
   */
  public static long pageSize(long entry, int level) {
    requireLeaf(entry, level);
    return 1L << sizeLog2(entry, lvl(level));
  }

  /**
   * Returns how many identical replicas represent the leaf: 1 for NL = 0, {@code
   * PAGE_SIZE_PTE_COUNT} for NL = 7.
   *
   * @param entry a 64-bit PDE or PTE
   * @param level the AMD level (1..6) of the table the entry was read from
   * @return the page size divided by the level's item size, a power of two
   * @throws IllegalArgumentException if {@code entry} is not a leaf at {@code level}
   */
  public static int replicaCount(long entry, int level) {
    requireLeaf(entry, level);
    return replicas(sizeLog2(entry, lvl(level)), lvl(level));
  }

  /**
   * Returns the output address of the leaf (the size code in the low address bits cleared).
   *
   * @param entry a 64-bit PDE or PTE
   * @param level the AMD level (1..6) of the table the entry was read from
   * @return the Address field (bits 51:12) aligned down to the page size
   * @throws IllegalArgumentException if {@code entry} is not a leaf at {@code level}
   */
  public static long outputAddress(long entry, int level) {
    requireLeaf(entry, level);
    return oa(entry, sizeLog2(entry, lvl(level)));
  }

  /**
   * Returns the physical address of the table a PDE points to.
   *
   * @param entry a 64-bit PDE or PTE
   * @param level the AMD level (1..6) of the table the entry was read from
   * @return the Address field (bits 51:12), 4 KiB aligned
   * @throws IllegalArgumentException if {@code entry} is not a PDE at {@code level}
   */
  public static long tableAddress(long entry, int level) {
    if (!present(entry) || leafAt(entry, lvl(level))) {
      throw new IllegalArgumentException("not a PDE at level " + level + ": " + hex(entry));
    }
    return entry & ADDRESS_MASK;
  }

  /**
   * Returns a one-line human-readable decoding of {@code entry} read in a table of the given level,
   * e.g. {@code "L1 PTE 0x7000000000005e01 16 KiB (NL=7, 4 replicas) OA=0x4000 IR IW FC"}.
   *
   * @param entry a 64-bit PDE or PTE
   * @param level the AMD level (1..6) of the table the entry was read from
   * @return the level, PTE or PDE, raw value, size, NL, address and set IR, IW, FC, U, A, D bits;
   *     the level, {@code "not present"} and the raw value when PR = 0
   * @throws IllegalArgumentException if {@code level} is not 1..6
   */
  public static String describe(long entry, int level) {
    int lvl = lvl(level);
    StringBuilder sb = new StringBuilder("L").append(level).append(' ');
    if (!present(entry)) {
      return sb.append("not present ").append(hex(entry)).toString();
    }
    if (leafAt(entry, lvl)) {
      int s = sizeLog2(entry, lvl);
      sb.append("PTE ").append(hex(entry)).append(' ').append(sizeName(s));
      sb.append(" (NL=").append(nl(entry));
      if (lvl > 0 && nl(entry) != NL_DEFAULT && nl(entry) != NL_SIZE) {
        sb.append(" invalid");
      } else if (s < shift(lvl) || s - shift(lvl) > 8) {
        sb.append(" size code invalid at this level");
      } else if (nl(entry) == NL_SIZE) {
        sb.append(", ").append(replicas(s, lvl)).append(" replicas");
      }
      sb.append(") OA=").append(hex(oa(entry, s)));
    } else {
      sb.append("PDE ").append(hex(entry)).append(" -> table ");
      sb.append(hex(entry & ADDRESS_MASK)).append(" (NL=").append(nl(entry));
      if (nl(entry) != lvl) {
        sb.append(", level skip: unsupported");
      }
      sb.append(')');
    }
    appendFlag(sb, entry, IR, "IR");
    appendFlag(sb, entry, IW, "IW");
    appendFlag(sb, entry, FC, "FC");
    appendFlag(sb, entry, U, "U");
    appendFlag(sb, entry, A, "A");
    appendFlag(sb, entry, D, "D");
    return sb.toString();
  }

  private static void appendFlag(StringBuilder sb, long entry, long bit, String name) {
    if ((entry & bit) != 0) {
      sb.append(' ').append(name);
    }
  }

  static String sizeName(int sizeLog2) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    return (1L << (sizeLog2 % 10)) + " " + units[sizeLog2 / 10];
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  private static int lvl(int level) {
    if (level < 1 || level > 6) {
      throw new IllegalArgumentException("AMD v1 levels are 1..6: " + level);
    }
    return level - 1;
  }

  private static void requireLeaf(long entry, int level) {
    if (!isLeaf(entry, level)) {
      throw new IllegalArgumentException("not a leaf at level " + level + ": " + hex(entry));
    }
  }
}
