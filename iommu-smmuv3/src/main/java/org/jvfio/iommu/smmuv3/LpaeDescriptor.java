package org.jvfio.iommu.smmuv3;

/**
 * Bit layout and decoders of VMSAv8-64 LPAE descriptors as io-pgtable-arm writes them for the
 * SMMUv3: type field, stage-1 leaf attributes, the output address at each granule, and the HTTU
 * dirty state (DBM bit 51 with AP[2] bit 7).
 *
 * <p>Type field, bits 1:0: at levels 0–2, {@code 0b01} is a block (leaf) and {@code 0b11} a table;
 * at level 3, {@code 0b11} is a page (leaf) and {@code 0b01} is reserved (invalid). Bit 0 clear is
 * invalid at every level. This is {@code iopte_leaf}/{@code iopte_table}; whether a block is legal
 * at a level also depends on the granule (see {@link Granule}), which the decoders here do not
 * judge.
 *
 * <p>Stage-1 dirty state of a leaf by (DBM, AP[2]): (0, 1) read-only; (0, 0) writable, not tracked;
 * (1, 1) writable-clean (a write makes the SMMU clear AP[2]); (1, 0) writable-dirty. Stage-2
 * encodings, whose write bit has the opposite sense, are in {@link Stage2Descriptor}.
 *
 * <p>The contiguous hint (bit 52) is decoded but never set: io-pgtable-arm does not use it, and
 * neither does this model's {@code map}.
 */
public final class LpaeDescriptor {
  /** Bit 0: the descriptor is valid. */
  public static final long VALID = 1L;

  /** Bits 1:0: the type field. */
  public static final long TYPE_MASK = 3L;

  /** Type {@code 0b01}: a block at levels 0–2 ({@code ARM_LPAE_PTE_TYPE_BLOCK}). */
  public static final long TYPE_BLOCK = 1L;

  /** Type {@code 0b11}: a table at levels 0–2 ({@code ARM_LPAE_PTE_TYPE_TABLE}). */
  public static final long TYPE_TABLE = 3L;

  /** Type {@code 0b11}: a page at level 3 ({@code ARM_LPAE_PTE_TYPE_PAGE}). */
  public static final long TYPE_PAGE = 3L;

  /** Bits 4:2: stage-1 AttrIndx, the MAIR index ({@code ARM_LPAE_PTE_ATTRINDX_SHIFT = 2}). */
  public static final int ATTRINDX_SHIFT = 2;

  /** MAIR index 0: normal non-cacheable. */
  public static final int MAIR_IDX_NC = 0;

  /** MAIR index 1: normal write-back cacheable (what {@code IOMMU_CACHE} selects). */
  public static final int MAIR_IDX_CACHE = 1;

  /** MAIR index 2: device memory ({@code IOMMU_MMIO}). */
  public static final int MAIR_IDX_DEV = 2;

  /** MAIR index 3: inner non-cacheable, outer write-back. */
  public static final int MAIR_IDX_INC_OCACHE = 3;

  /** Bit 5: stage-1 NS. */
  public static final long NS = 1L << 5;

  /** Bit 6: stage-1 AP[1], unprivileged access ({@code ARM_LPAE_PTE_AP_UNPRIV}). */
  public static final long AP_UNPRIV = 1L << 6;

  /** The bit number of AP[2]. */
  public static final int AP_RDONLY_BIT = 7;

  /** Bit 7: stage-1 AP[2], read-only ({@code ARM_LPAE_PTE_AP_RDONLY}); with DBM, "clean". */
  public static final long AP_RDONLY = 1L << AP_RDONLY_BIT;

  /** Bits 9:8: shareability. */
  public static final int SH_SHIFT = 8;

  /** Shareability outer-shareable ({@code ARM_LPAE_PTE_SH_OS}). */
  public static final long SH_OS = 2L << SH_SHIFT;

  /** Shareability inner-shareable ({@code ARM_LPAE_PTE_SH_IS}). */
  public static final long SH_IS = 3L << SH_SHIFT;

  /** Bit 10: the access flag ({@code ARM_LPAE_PTE_AF}); Linux sets it on every leaf it maps. */
  public static final long AF = 1L << 10;

  /** Bit 11: stage-1 not-global ({@code ARM_LPAE_PTE_nG}). */
  public static final long NG = 1L << 11;

  /** Bits 47:12: the output or next-table address field ({@code ARM_LPAE_PTE_ADDR_MASK}). */
  public static final long ADDR_MASK = 0x0000_FFFF_FFFF_F000L;

  /** Bit 51: dirty bit modifier ({@code ARM_LPAE_PTE_DBM}). */
  public static final long DBM = 1L << 51;

  /** Bit 52: the contiguous hint; decoded, never set. */
  public static final long CONTIGUOUS = 1L << 52;

  /** Bits 54:53: PXN and UXN, both set for {@code IOMMU_NOEXEC} ({@code ARM_LPAE_PTE_XN}). */
  public static final long XN = 3L << 53;

  /** Bit 55: software bit io-pgtable-arm uses for non-coherent walks ({@code SW_SYNC}). */
  public static final long SW_SYNC = 1L << 55;

  /** Bit 63 of a stage-1 table descriptor: NSTable. */
  public static final long NSTABLE = 1L << 63;

  /**
   * The attributes a block hands down to its children when split: bits 11:2, XN and DBM ({@code
   * ARM_LPAE_PTE_ATTR_MASK} of the v6.12-era split), so AP[2] and DBM — the dirty state — are
   * replicated.
   */
  public static final long ATTR_MASK = (0x3FFL << 2) | XN | DBM;

  private static final long DIRTY_STATE_MASK = AP_RDONLY | DBM;

  private LpaeDescriptor() {}

  /**
   * Returns whether bit 0 (valid) is set.
   *
   * @param d a 64-bit descriptor
   * @return true if bit 0 is 1
   */
  public static boolean isValid(long d) {
    return (d & VALID) != 0;
  }

  /**
   * Returns whether {@code d} is a leaf at {@code level}: a block at 0–2, a page at 3.
   *
   * @param d a 64-bit descriptor
   * @param level the lookup level, 0 to 3, the descriptor was read at
   * @return true if bits 1:0 are {@code 0b01} at levels 0–2 or {@code 0b11} at level 3
   */
  public static boolean isLeaf(long d, int level) {
    return (d & TYPE_MASK) == (level == 3 ? TYPE_PAGE : TYPE_BLOCK);
  }

  /**
   * Returns whether {@code d} is a table descriptor at {@code level} (only levels 0–2).
   *
   * @param d a 64-bit descriptor
   * @param level the lookup level, 0 to 3, the descriptor was read at
   * @return true if {@code level} is below 3 and bits 1:0 are {@code 0b11}
   */
  public static boolean isTable(long d, int level) {
    return level < 3 && (d & TYPE_MASK) == TYPE_TABLE;
  }

  /**
   * Returns the output (or next-table) address of {@code d}: bits 47:12, and at the 64 KiB granule
   * bits 47:16 with PA bits 51:48 unfolded from descriptor bits 15:12 ({@code iopte_to_paddr}).
   *
   * @param d a valid table or leaf descriptor
   * @param granule the translation granule, which decides the address field's layout
   * @return the physical address, 4 KiB aligned (64 KiB aligned at the 64 KiB granule)
   */
  public static long outputAddress(long d, Granule granule) {
    long pa = d & ADDR_MASK;
    if (granule != Granule.G64K) {
      return pa;
    }
    return (pa | (pa << (48 - 12))) & (ADDR_MASK << 4);
  }

  /**
   * Returns the address field for physical address {@code pa} ({@code paddr_to_iopte}): bits 47:12,
   * with PA bits 51:48 folded into bits 15:12 (always 0 below 2^48).
   *
   * @param pa a physical address below 2^52, aligned to at least 4 KiB
   * @return the descriptor bits 47:12 for {@code pa}, every other bit 0
   */
  public static long addressField(long pa) {
    return (pa | (pa >>> (48 - 12))) & ADDR_MASK;
  }

  /**
   * Returns whether a stage-1 leaf is writable-dirty: DBM set and AP[2] clear.
   *
   * @param d a 64-bit stage-1 leaf descriptor
   * @return true if DBM (bit 51) is 1 and AP[2] (bit 7) is 0
   */
  public static boolean isWritableDirty(long d) {
    return (d & DIRTY_STATE_MASK) == DBM;
  }

  /**
   * Returns whether a stage-1 leaf is writable-clean: DBM and AP[2] both set.
   *
   * @param d a 64-bit stage-1 leaf descriptor
   * @return true if DBM (bit 51) and AP[2] (bit 7) are both 1
   */
  public static boolean isWritableClean(long d) {
    return (d & DIRTY_STATE_MASK) == DIRTY_STATE_MASK;
  }

  /**
   * Returns AttrIndx (bits 4:2) of a stage-1 leaf.
   *
   * @param d a 64-bit stage-1 leaf descriptor
   * @return the MAIR index, 0 to 7
   */
  public static int attrIndex(long d) {
    return (int) ((d >>> ATTRINDX_SHIFT) & 7);
  }

  /**
   * Returns a one-line decoding of a stage-1 descriptor at {@code level}, for test failures and
   * {@code walk} dumps, e.g. {@code "L3 page 0x0008000040000f47 OA=0x40000000 AttrIndx=1 SH=IS
   * AP[2:1]=01 AF nG DBM writable-dirty"}.
   *
   * @param d a 64-bit descriptor
   * @param level the lookup level, 0 to 3, the descriptor was read at
   * @param granule the translation granule, which decides the address field's layout
   * @return the level, kind (invalid, table, reserved, block or page), raw value and decoded fields
   */
  public static String describe(long d, int level, Granule granule) {
    StringBuilder sb = new StringBuilder();
    sb.append('L').append(level).append(' ');
    if (!isValid(d)) {
      return sb.append("invalid 0x").append(Long.toHexString(d)).toString();
    }
    if (isTable(d, level)) {
      sb.append("table ").append(hex(d)).append(" next=0x");
      sb.append(Long.toHexString(outputAddress(d, granule)));
      if ((d & NSTABLE) != 0) {
        sb.append(" NSTable");
      }
      return sb.toString();
    }
    if (!isLeaf(d, level)) {
      return sb.append("reserved ").append(hex(d)).toString();
    }
    sb.append(level == 3 ? "page " : "block ").append(hex(d));
    sb.append(" OA=0x").append(Long.toHexString(outputAddress(d, granule)));
    sb.append(" AttrIndx=").append(attrIndex(d));
    sb.append(" SH=").append(shareability(d));
    sb.append(" AP[2:1]=").append((d & AP_RDONLY) != 0 ? '1' : '0');
    sb.append((d & AP_UNPRIV) != 0 ? '1' : '0');
    appendFlag(sb, d, NS, "NS");
    appendFlag(sb, d, AF, "AF");
    appendFlag(sb, d, NG, "nG");
    appendFlag(sb, d, DBM, "DBM");
    appendFlag(sb, d, CONTIGUOUS, "Contiguous");
    if ((d & XN) != 0) {
      sb.append(" XN=").append((d & XN) >>> 53);
    }
    sb.append(' ').append(stage1State(d));
    return sb.toString();
  }

  /** Returns the stage-1 (DBM, AP[2]) state name of a leaf, as the table in the class comment. */
  static String stage1State(long d) {
    boolean dbm = (d & DBM) != 0;
    boolean rdonly = (d & AP_RDONLY) != 0;
    if (dbm) {
      return rdonly ? "writable-clean" : "writable-dirty";
    }
    return rdonly ? "read-only" : "writable(untracked)";
  }

  static String shareability(long d) {
    switch ((int) ((d >>> SH_SHIFT) & 3)) {
      case 0:
        return "NS";
      case 2:
        return "OS";
      case 3:
        return "IS";
      default:
        return "reserved";
    }
  }

  static void appendFlag(StringBuilder sb, long d, long bit, String name) {
    if ((d & bit) != 0) {
      sb.append(' ').append(name);
    }
  }

  static String hex(long d) {
    return String.format("0x%016x", d);
  }
}
