package org.jvfio.iommu.smmuv3;

import org.jvfio.core.spi.IommuDomain;

/**
 * Stage-2 LPAE descriptor bits and the architectural stage-2 dirty state. <b>Architecture-only:</b>
 * the Linux SMMUv3 driver refuses dirty tracking on stage-2 domains, never sets DBM in a stage-2
 * leaf and never sets the STE's S2HD/S2HA bits; these helpers exist so that models and tests can
 * state the architecture's rules, and the stage-2 domains of {@link SmmuV3Driver} do not use them
 * for dirty tracking.
 *
 * <p>The sense of the write bit is the opposite of stage 1: S2AP[1] (bit 7) <em>grants</em> write,
 * so with DBM = 1 a leaf is writable-clean while S2AP[1] = 0, the SMMU sets S2AP[1] on the first
 * write, and dirty means DBM = 1 and S2AP[1] = 1; cleaning clears S2AP[1]. (Derived from the KVM
 * stage-2 DBM patches and the architecture, not from the SMMU specification itself: [spec?].)
 */
public final class Stage2Descriptor {
  /** Bit 6: S2AP[0], read permission ({@code ARM_LPAE_PTE_HAP_READ}). */
  public static final long HAP_READ = 1L << 6;

  /** Bit 7: S2AP[1], write permission ({@code ARM_LPAE_PTE_HAP_WRITE}). */
  public static final long HAP_WRITE = 2L << 6;

  /** Bits 5:2: MemAttr normal outer/inner write-back ({@code ARM_LPAE_PTE_MEMATTR_OIWB}). */
  public static final long MEMATTR_OIWB = 0xFL << 2;

  /** Bits 5:2: MemAttr normal non-cacheable ({@code ARM_LPAE_PTE_MEMATTR_NC}). */
  public static final long MEMATTR_NC = 0x5L << 2;

  /** Bits 5:2: MemAttr device ({@code ARM_LPAE_PTE_MEMATTR_DEV}). */
  public static final long MEMATTR_DEV = 0x1L << 2;

  /** STE dword 2 bit 53 (STE bit 181): S2AFFD, access-flag fault disable (from QEMU's model). */
  public static final long STE_2_S2AFFD = 1L << 53;

  /** STE dword 2 bit 55 (STE bit 183): S2HD, stage-2 hardware dirty update (from QEMU's model). */
  public static final long STE_2_S2HD = 1L << 55;

  /** STE dword 2 bit 56 (STE bit 184): S2HA, stage-2 hardware access update (QEMU's model). */
  public static final long STE_2_S2HA = 1L << 56;

  private Stage2Descriptor() {}

  /**
   * Returns the stage-2 leaf io-pgtable-arm builds for {@code prot} ({@code arm_lpae_prot_to_pte}
   * for {@code ARM_64_LPAE_S2} with {@code IOMMU_CACHE}, as iommufd always passes): S2AP from
   * {@code IOMMU_READ}/{@code IOMMU_WRITE}, MemAttr write-back, inner-shareable, AF, the type for
   * {@code level}, and the address field. Never DBM.
   *
   * @param pa the output physical address, aligned to the leaf's size
   * @param level the lookup level, 0 to 3: a page at 3, a block above
   * @param prot {@link IommuDomain#IOMMU_READ} and/or {@link IommuDomain#IOMMU_WRITE}
   * @return the leaf descriptor: S2AP, MemAttr {@code 0xF}, SH inner-shareable, AF, type, address
   */
  public static long leaf(long pa, int level, int prot) {
    long d = MEMATTR_OIWB | LpaeDescriptor.SH_IS | LpaeDescriptor.AF;
    if ((prot & IommuDomain.IOMMU_READ) != 0) {
      d |= HAP_READ;
    }
    if ((prot & IommuDomain.IOMMU_WRITE) != 0) {
      d |= HAP_WRITE;
    }
    d |= level == 3 ? LpaeDescriptor.TYPE_PAGE : LpaeDescriptor.TYPE_BLOCK;
    return d | LpaeDescriptor.addressField(pa);
  }

  /**
   * Returns whether a stage-2 leaf is writable-dirty: DBM set and S2AP[1] set (inverted).
   *
   * @param d a 64-bit stage-2 leaf descriptor
   * @return true if DBM (bit 51) and S2AP[1] (bit 7) are both 1
   */
  public static boolean isWritableDirty(long d) {
    return (d & LpaeDescriptor.DBM) != 0 && (d & HAP_WRITE) != 0;
  }

  /**
   * Returns whether a stage-2 leaf is writable-clean: DBM set and S2AP[1] clear.
   *
   * @param d a 64-bit stage-2 leaf descriptor
   * @return true if DBM (bit 51) is 1 and S2AP[1] (bit 7) is 0
   */
  public static boolean isWritableClean(long d) {
    return (d & LpaeDescriptor.DBM) != 0 && (d & HAP_WRITE) == 0;
  }

  /**
   * Returns {@code d} made writable-clean: S2AP[1] cleared (the harvest's clean step).
   *
   * @param d a 64-bit stage-2 leaf descriptor
   * @return {@code d} with bit 7 cleared, every other bit unchanged
   */
  public static long makeWritableClean(long d) {
    return d & ~HAP_WRITE;
  }

  /**
   * Returns {@code d} as the SMMU's dirty update leaves it: S2AP[1] set.
   *
   * @param d a 64-bit stage-2 leaf descriptor
   * @return {@code d} with bit 7 set, every other bit unchanged
   */
  public static long markDirty(long d) {
    return d | HAP_WRITE;
  }

  /**
   * Returns whether a device write through stage-2 leaf {@code d} is permitted: S2AP[1] set, or DBM
   * set while the STE has S2HD (the SMMU then sets S2AP[1] first).
   *
   * @param d a 64-bit stage-2 leaf descriptor
   * @param s2hd whether the STE's S2HD bit (stage-2 hardware dirty update) is set
   * @return true if S2AP[1] (bit 7) is 1, or {@code s2hd} and DBM (bit 51) is 1
   */
  public static boolean permitsWrite(long d, boolean s2hd) {
    return (d & HAP_WRITE) != 0 || (s2hd && (d & LpaeDescriptor.DBM) != 0);
  }

  /**
   * Returns a one-line decoding of a stage-2 descriptor at {@code level}.
   *
   * @param d a 64-bit stage-2 descriptor
   * @param level the lookup level, 0 to 3, the descriptor was read at
   * @param granule the translation granule, which decides the address field's layout
   * @return for a leaf, the level, kind, raw value, OA, MemAttr, SH, S2AP and flags; otherwise the
   *     stage-1 decoding of {@link LpaeDescriptor#describe}
   */
  public static String describe(long d, int level, Granule granule) {
    if (!LpaeDescriptor.isValid(d) || !LpaeDescriptor.isLeaf(d, level)) {
      return LpaeDescriptor.describe(d, level, granule); // tables and invalid entries are alike
    }
    StringBuilder sb = new StringBuilder();
    sb.append('L').append(level).append(level == 3 ? " page " : " block ");
    sb.append(LpaeDescriptor.hex(d));
    sb.append(" OA=0x").append(Long.toHexString(LpaeDescriptor.outputAddress(d, granule)));
    sb.append(" MemAttr=0x").append(Long.toHexString((d >>> 2) & 0xF));
    sb.append(" SH=").append(LpaeDescriptor.shareability(d));
    sb.append(" S2AP=").append((d & HAP_WRITE) != 0 ? 'W' : '-');
    sb.append((d & HAP_READ) != 0 ? 'R' : '-');
    LpaeDescriptor.appendFlag(sb, d, LpaeDescriptor.AF, "AF");
    LpaeDescriptor.appendFlag(sb, d, LpaeDescriptor.DBM, "DBM");
    LpaeDescriptor.appendFlag(sb, d, LpaeDescriptor.CONTIGUOUS, "Contiguous");
    if ((d & LpaeDescriptor.XN) != 0) {
      sb.append(" XN=").append((d & LpaeDescriptor.XN) >>> 53);
    }
    if ((d & LpaeDescriptor.DBM) != 0) {
      sb.append(isWritableDirty(d) ? " writable-dirty" : " writable-clean");
    }
    return sb.toString();
  }
}
