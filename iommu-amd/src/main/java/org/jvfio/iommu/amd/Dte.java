package org.jvfio.iommu.amd;

/**
 * Dword 0 of an AMD-Vi Device Table Entry ({@code dev_table_entry.data[0]}), the part that points a
 * device at a v1 host page table and enables hardware A/D updates (AMD IOMMU specification, "Device
 * Table Entry Format"; {@code set_dte_entry()} in {@code drivers/iommu/amd/iommu.c}).
 *
 * <p>jvfio keeps one DTE per domain, standing for the identical DTEs of every device attached to
 * it: the driver writes the same root, mode and HAD into each of them ({@code set_dte_entry}).
 *
 * @param dword0 the raw 64-bit value
 */
public record Dte(long dword0) {
  /** V (bit 0): the entry is valid ({@code DTE_FLAG_V}). */
  public static final long V = 1L;

  /** TV (bit 1): translation information is valid ({@code DTE_FLAG_TV}). */
  public static final long TV = 1L << 1;

  /** HAD (bits 8:7): host access/dirty update enable ({@code DTE_FLAG_HAD = 3 << 7}). */
  public static final long HAD = 3L << 7;

  /** Mode field shift ({@code DEV_ENTRY_MODE_SHIFT = 9}), 3 bits. */
  public static final int MODE_SHIFT = 9;

  /** Host page-table root pointer, bits 51:12. */
  public static final long ROOT_MASK = 0x000F_FFFF_FFFF_F000L;

  /** PPR (bit 52). */
  public static final long PPR = 1L << 52;

  /** GV (bit 55): guest translation valid. */
  public static final long GV = 1L << 55;

  /** IR (bit 61): DTE-level read permission. */
  public static final long IR = 1L << 61;

  /** IW (bit 62): DTE-level write permission. */
  public static final long IW = 1L << 62;

  /** Builds the dword 0 Linux writes for a v1 domain: V, TV, IR, IW, Mode, root and HAD. */
  static Dte forHostTable(long root, int mode, boolean had) {
    return new Dte(
        V | TV | IR | IW | ((long) mode << MODE_SHIFT) | (root & ROOT_MASK) | (had ? HAD : 0));
  }

  /**
   * Returns V.
   *
   * @return true if V (bit 0) is set
   */
  public boolean valid() {
    return (dword0 & V) != 0;
  }

  /**
   * Returns TV.
   *
   * @return true if TV (bit 1) is set
   */
  public boolean translationValid() {
    return (dword0 & TV) != 0;
  }

  /**
   * Returns the two HAD bits (bits 8:7) as a number: Linux writes 3 (11b) to enable access and
   * dirty updates and 0 to disable them; 1 and 2 are not used by Linux (their exact meaning is not
   * verified against the AMD IOMMU specification).
   *
   * @return the HAD field, 0 to 3
   */
  public int hostAccessDirty() {
    return (int) ((dword0 >>> 7) & 3);
  }

  /**
   * Returns the Mode field (bits 11:9): the number of table levels, 0 = no translation.
   *
   * @return the Mode field, 0 to 7
   */
  public int mode() {
    return (int) ((dword0 >>> MODE_SHIFT) & 7);
  }

  /**
   * Returns the host page-table root pointer (bits 51:12).
   *
   * @return the root table's physical address
   */
  public long hostPageTableRoot() {
    return dword0 & ROOT_MASK;
  }

  /**
   * Returns GV.
   *
   * @return true if GV (bit 55) is set
   */
  public boolean guestTranslationValid() {
    return (dword0 & GV) != 0;
  }

  /**
   * Returns the DTE-level IR bit.
   *
   * @return true if IR (bit 61) is set
   */
  public boolean readPermission() {
    return (dword0 & IR) != 0;
  }

  /**
   * Returns the DTE-level IW bit.
   *
   * @return true if IW (bit 62) is set
   */
  public boolean writePermission() {
    return (dword0 & IW) != 0;
  }

  /** Returns a human-readable decoding, e.g. {@code DTE[0x...: V TV HAD=11b Mode=3 root=0x...]}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("DTE[").append(AmdV1Entry.hex(dword0)).append(':');
    if (valid()) {
      sb.append(" V");
    }
    if (translationValid()) {
      sb.append(" TV");
    }
    sb.append(" HAD=").append(hostAccessDirty() >> 1).append(hostAccessDirty() & 1).append('b');
    sb.append(" Mode=").append(mode());
    sb.append(" root=").append(AmdV1Entry.hex(hostPageTableRoot()));
    if (readPermission()) {
      sb.append(" IR");
    }
    if (writePermission()) {
      sb.append(" IW");
    }
    if (guestTranslationValid()) {
      sb.append(" GV");
    }
    return sb.append(']').toString();
  }
}
