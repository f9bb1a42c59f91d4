package org.jvfio.iommu.intel;

/**
 * The capability registers of one VT-d remapping unit and the kernel's scalable-mode choice: the
 * inputs from which the driver decides what its domains can do (the {@code cap_*} and {@code
 * ecap_*} accessors of drivers/iommu/intel/iommu.h). {@code IOMMU_GET_HW_INFO} reports {@code cap}
 * and {@code ecap} verbatim as {@code struct iommu_hw_info_vtd}.
 *
 * @param cap the Capability Register ({@code CAP_REG}, offset 0x08)
 * @param ecap the Extended Capability Register ({@code ECAP_REG}, offset 0x10)
 * @param scalableModeEnabled the kernel runs the unit in scalable mode ({@code intel_iommu=sm_on},
 *     the default since v5.x when ECAP.SMTS is set); false models legacy (context-entry) mode
 */
public record VtdRegisters(long cap, long ecap, boolean scalableModeEnabled) {
  /** CAP bit 7, {@code cap_caching_mode}: the unit is a virtual IOMMU that caches not-present. */
  public static final long CAP_CM = 1L << 7;

  /** CAP bits 12:8, {@code cap_sagaw}: bit 1 = 39-bit (3-level), 2 = 48-bit, 3 = 57-bit tables. */
  public static final int CAP_SAGAW_SHIFT = 8;

  /** CAP bits 21:16, {@code cap_mgaw}: maximum guest address width minus 1. */
  public static final int CAP_MGAW_SHIFT = 16;

  /** CAP bits 37:34, {@code cap_super_page_val} (SLLPS): bit 0 = 2 MiB, bit 1 = 1 GiB SS leaves. */
  public static final int CAP_SLLPS_SHIFT = 34;

  /** CAP bit 56, {@code cap_fl1gp_support}: 1 GiB first-stage leaves. */
  public static final long CAP_FS1GP = 1L << 56;

  /** CAP bit 60, {@code cap_fl5lp_support}: 5-level first-stage paging. */
  public static final long CAP_FS5LP = 1L << 60;

  /** ECAP bit 0, {@code ecap_coherent} (C): page walks snoop, no clflush of updated entries. */
  public static final long ECAP_C = 1L;

  /** ECAP bit 2, {@code ecap_dev_iotlb_support} (DT): device TLBs (ATS). */
  public static final long ECAP_DT = 1L << 2;

  /** ECAP bit 26, {@code ecap_nest} (NEST): nested translation. */
  public static final long ECAP_NEST = 1L << 26;

  /** ECAP bit 40, {@code ecap_pasid} (PASID): PASIDs other than RID_PASID. */
  public static final long ECAP_PASID = 1L << 40;

  /** ECAP bit 43, {@code ecap_smts} (SMTS): scalable-mode translation. */
  public static final long ECAP_SMTS = 1L << 43;

  /** ECAP bit 45, {@code ecap_slads} (SSADS/SLADS): second-stage accessed/dirty support. */
  public static final long ECAP_SLADS = 1L << 45;

  /** ECAP bit 46, {@code ecap_slts} (SSTS): second-stage translation. */
  public static final long ECAP_SLTS = 1L << 46;

  /** ECAP bit 47, {@code ecap_flts} (FSTS): first-stage translation. */
  public static final long ECAP_FLTS = 1L << 47;

  /** ECAP bit 48, {@code ecap_smpwc} (SMPWC): scalable-mode page walks are coherent. */
  public static final long ECAP_SMPWC = 1L << 48;

  /**
   * A Sapphire-Rapids-like unit in scalable mode: SAGAW 39/48-bit (AGAW 2, 4 levels), MGAW 48,
   * SLLPS 2 MiB and 1 GiB, FS 1 GiB pages, and ECAP C, DT, NEST, PASID, SMTS, SLADS, SLTS, FLTS,
   * SMPWC.
   */
  public static final VtdRegisters DEFAULT =
      new VtdRegisters(
          (0b00110L << CAP_SAGAW_SHIFT)
              | (47L << CAP_MGAW_SHIFT)
              | (0b0011L << CAP_SLLPS_SHIFT)
              | CAP_FS1GP,
          ECAP_C
              | ECAP_DT
              | ECAP_NEST
              | ECAP_PASID
              | ECAP_SMTS
              | ECAP_SLADS
              | ECAP_SLTS
              | ECAP_FLTS
              | ECAP_SMPWC,
          true);

  /**
   * Returns a copy with {@code bits} set in ECAP.
   *
   * @param bits ECAP bits to set
   * @return the modified copy
   */
  public VtdRegisters withEcap(long bits) {
    return new VtdRegisters(cap, ecap | bits, scalableModeEnabled);
  }

  /**
   * Returns a copy with {@code bits} cleared in ECAP.
   *
   * @param bits ECAP bits to clear
   * @return the modified copy
   */
  public VtdRegisters withoutEcap(long bits) {
    return new VtdRegisters(cap, ecap & ~bits, scalableModeEnabled);
  }

  /**
   * Returns a copy with {@code bits} set in CAP.
   *
   * @param bits CAP bits to set
   * @return the modified copy
   */
  public VtdRegisters withCap(long bits) {
    return new VtdRegisters(cap | bits, ecap, scalableModeEnabled);
  }

  /**
   * Returns a copy with {@code bits} cleared in CAP.
   *
   * @param bits CAP bits to clear
   * @return the modified copy
   */
  public VtdRegisters withoutCap(long bits) {
    return new VtdRegisters(cap & ~bits, ecap, scalableModeEnabled);
  }

  /**
   * Returns a copy whose SAGAW offers exactly {@code levels} (3, 4 or 5) and whose MGAW is that
   * table's width, so the driver picks that many second-stage levels.
   *
   * @param levels 3, 4 or 5
   * @return the modified copy
   * @throws IllegalArgumentException unless {@code levels} is 3, 4 or 5
   */
  public VtdRegisters withSecondStageLevels(int levels) {
    if (levels < 3 || levels > 5) {
      throw new IllegalArgumentException("VT-d second stage has 3, 4 or 5 levels: " + levels);
    }
    int agaw = levels - 2;
    long c = cap & ~(0x1fL << CAP_SAGAW_SHIFT) & ~(0x3fL << CAP_MGAW_SHIFT);
    c |= (1L << agaw) << CAP_SAGAW_SHIFT;
    c |= (long) (agawToWidth(agaw) - 1) << CAP_MGAW_SHIFT;
    return new VtdRegisters(c, ecap, scalableModeEnabled);
  }

  /**
   * Returns a copy with SLLPS set to {@code sllps} (bit 0 = 2 MiB, bit 1 = 1 GiB).
   *
   * @param sllps the SLLPS field, 0 to 3
   * @return the modified copy
   */
  public VtdRegisters withSllps(int sllps) {
    long c = (cap & ~(0xfL << CAP_SLLPS_SHIFT)) | ((long) (sllps & 0xf) << CAP_SLLPS_SHIFT);
    return new VtdRegisters(c, ecap, scalableModeEnabled);
  }

  /**
   * Returns a copy in legacy (non-scalable) mode, as with {@code intel_iommu=sm_off}.
   *
   * @return the modified copy
   */
  public VtdRegisters legacyMode() {
    return new VtdRegisters(cap, ecap, false);
  }

  /**
   * Returns {@code cap_sagaw}: the supported adjusted guest address widths as a bit set.
   *
   * @return the SAGAW bit set (bit 1: 3 levels, bit 2: 4 levels, bit 3: 5 levels)
   */
  public int sagaw() {
    return (int) ((cap >>> CAP_SAGAW_SHIFT) & 0x1f);
  }

  /**
   * Returns {@code cap_mgaw}: the maximum guest address width in bits.
   *
   * @return the MGAW in bits
   */
  public int mgaw() {
    return (int) ((cap >>> CAP_MGAW_SHIFT) & 0x3f) + 1;
  }

  /**
   * Returns {@code cap_super_page_val}: SLLPS, bit 0 = 2 MiB, bit 1 = 1 GiB.
   *
   * @return the SLLPS field, 0 to 3
   */
  public int sllps() {
    return (int) ((cap >>> CAP_SLLPS_SHIFT) & 0xf);
  }

  /**
   * Returns the unit's AGAW as the kernel computes it ({@code iommu_calculate_agaw}): the largest
   * AGAW in SAGAW no wider than 57 bits, or -1 if SAGAW offers none of 3, 4 or 5 levels.
   *
   * @return the AGAW, 1 to 3 (levels minus 2)
   */
  public int agaw() {
    for (int agaw = 3; agaw >= 1; agaw--) {
      if ((sagaw() & (1 << agaw)) != 0) {
        return agaw;
      }
    }
    return -1;
  }

  /**
   * Returns {@code sm_supported}: scalable mode is enabled and ECAP.SMTS is set.
   *
   * @return true in scalable mode with ECAP.SMTS
   */
  public boolean smSupported() {
    return scalableModeEnabled && (ecap & ECAP_SMTS) != 0;
  }

  /**
   * Returns {@code ssads_supported}: scalable mode and ECAP.SLADS.
   *
   * @return true if {@link #smSupported} and ECAP.SLADS (bit 45, second-stage accessed/dirty) is
   *     set
   */
  public boolean ssadsSupported() {
    return smSupported() && (ecap & ECAP_SLADS) != 0;
  }

  /**
   * Returns {@code nested_supported}: scalable mode and ECAP.NEST.
   *
   * @return true if nesting is usable
   */
  public boolean nestedSupported() {
    return smSupported() && (ecap & ECAP_NEST) != 0;
  }

  /**
   * Returns {@code pasid_supported}: scalable mode and ECAP.PASID.
   *
   * @return true if PASIDs are usable
   */
  public boolean pasidSupported() {
    return smSupported() && (ecap & ECAP_PASID) != 0;
  }

  /**
   * Returns whether CAP.CM (caching mode) is set: no device-TLB flush is issued then.
   *
   * @return true if CAP.CM is set
   */
  public boolean cachingMode() {
    return (cap & CAP_CM) != 0;
  }

  /** Returns the address width in bits of an AGAW: {@code agaw_to_width = 30 + 9 * agaw}. */
  static int agawToWidth(int agaw) {
    return 30 + 9 * agaw;
  }
}
