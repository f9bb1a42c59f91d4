package org.jvfio.core.hw;

/**
 * How the IOMMU finds and decodes a guest's stage-1 table in nested translation: the x86-64
 * first-stage format of Intel VT-d, or the Arm VMSAv8-64 stage-1 format (4 KiB granule) that an
 * SMMUv3 context descriptor points to; and the two configurations of an SMMUv3 stream table entry
 * without a stage-1 table (bypass, abort).
 *
 * <p>Entry decoding, read-only of the guest's tables except for the x86-64 accessed and dirty bits
 * that the hardware sets:
 *
 * <ul>
 *   <li>x86-64 (VT-d 9.7, "First-Stage Paging Entries"): P bit 0, R/W 1, U/S 2, A 5, D 6, PS 7
 *       (leaf at the 2 MiB and 1 GiB levels), address bits 51:12, XD 63. A write needs R/W at every
 *       level. 4 levels for a 48-bit, 5 for a 57-bit input; the input must be canonical.
 *   <li>Arm LPAE stage 1 (Arm ARM D8.3, "Translation table descriptor formats"): valid bit 0, bit 1
 *       table (levels 0-2) or page (level 3), block at levels 1 and 2, AP[2] bit 7 read-only, AF
 *       bit 10, address bits 47:12. Hardware access-flag and dirty updates are not supported by
 *       Linux for nesting, so a leaf with AF clear is an access-flag fault and a read-only leaf a
 *       permission fault; nothing is ever written to the guest's table.
 * </ul>
 *
 * <p>Level 0 is the 4 KiB leaf level, as in the rest of jvfio. This is the one small stage-1
 * decoder of the nested walk ({@link NestedTranslator}); it moves onto the page-table engine's
 * formats when that engine is in place.
 *
 * @param kind the format or fixed configuration
 * @param address x86-64: the guest-physical root table; Arm: the guest-physical address of the
 *     context descriptor; otherwise 0
 * @param levels x86-64: 4 or 5; otherwise 0 (Arm takes its geometry from the context descriptor)
 */
public record Stage1Format(Kind kind, long address, int levels) {
  /** The kinds of stage-1 configuration. */
  public enum Kind {
    /** VT-d first stage (x86-64 paging), root in the PASID entry's FSPTPTR. */
    X86_64,
    /** SMMUv3 STE Cfg = S1 translate: the context descriptor at S1ContextPtr gives TTB0. */
    ARM_CONTEXT_DESCRIPTOR,
    /** SMMUv3 STE Cfg = bypass: stage 1 is the identity, the device translates as the parent. */
    BYPASS,
    /** SMMUv3 STE Cfg = abort (or a non-valid vSTE): every access faults. */
    ABORT
  }

  static final long X86_P = 1L;
  static final long X86_RW = 1L << 1;
  static final long X86_A = 1L << 5;
  static final long X86_D = 1L << 6;
  static final long X86_PS = 1L << 7;
  static final long X86_ADDR = 0x000F_FFFF_FFFF_F000L;

  static final long ARM_VALID = 1L;
  static final long ARM_TABLE = 1L << 1;
  static final long ARM_AP_RDONLY = 1L << 7;
  static final long ARM_AF = 1L << 10;
  static final long ARM_ADDR = 0x0000_FFFF_FFFF_F000L;

  /** Context descriptor word 0: T0SZ bits 5:0, TG0 bits 7:6, EPD0 bit 14, V bit 31, AA64 41. */
  static final long CD0_T0SZ = 0x3F;

  static final int CD0_TG0_SHIFT = 6;
  static final long CD0_EPD0 = 1L << 14;
  static final long CD0_V = 1L << 31;
  static final long CD0_AA64 = 1L << 41;

  /** Context descriptor word 1: TTB0 bits 51:4. */
  static final long CD1_TTB0 = 0x000F_FFFF_FFFF_FFF0L;

  /**
   * Returns the VT-d first-stage format for {@code iommu_hwpt_vtd_s1}: 5 levels when {@code
   * addrWidth} is 57, else 4 ({@code intel_pasid_setup_nested} sets FLPM only for 57).
   *
   * @param rootGpa the guest-physical address of the root table ({@code pgtbl_addr}), masked to the
   *     address field
   * @param addrWidth the {@code addr_width}: 57 for 5 levels, anything else for 4
   * @return an {@link Kind#X86_64} format
   */
  public static Stage1Format x86(long rootGpa, int addrWidth) {
    return new Stage1Format(Kind.X86_64, rootGpa & X86_ADDR, addrWidth == 57 ? 5 : 4);
  }

  /**
   * Returns an SMMUv3 stage 1 whose context descriptor is at guest-physical {@code cdGpa}.
   *
   * @param cdGpa the guest-physical address of the context descriptor (the vSTE's S1ContextPtr)
   * @return an {@link Kind#ARM_CONTEXT_DESCRIPTOR} format
   */
  public static Stage1Format armContextDescriptor(long cdGpa) {
    return new Stage1Format(Kind.ARM_CONTEXT_DESCRIPTOR, cdGpa, 0);
  }

  /**
   * Returns the SMMUv3 bypass configuration (stage 1 is the identity).
   *
   * @return a {@link Kind#BYPASS} format
   */
  public static Stage1Format bypass() {
    return new Stage1Format(Kind.BYPASS, 0, 0);
  }

  /**
   * Returns the SMMUv3 abort configuration (every access faults at stage 1).
   *
   * @return an {@link Kind#ABORT} format
   */
  public static Stage1Format abort() {
    return new Stage1Format(Kind.ABORT, 0, 0);
  }

  /** Returns whether an x86-64 entry is a leaf at {@code level} (level 0 is 4 KiB). */
  static boolean x86Leaf(long e, int level) {
    return level == 0 || (level <= 2 && (e & X86_PS) != 0);
  }

  /**
   * Returns whether an Arm stage-1 descriptor is valid at {@code level} (level 0 is Arm's level 3):
   * bit 0 set, and bit 1 set at level 0 (a page) and at level 3 (Arm level 0 holds no blocks).
   */
  static boolean armValid(long e, int level) {
    return (e & ARM_VALID) != 0 && ((level != 0 && level != 3) || (e & ARM_TABLE) != 0);
  }

  /** Returns whether a valid Arm descriptor is a leaf: a page at level 0, a block at 1 or 2. */
  static boolean armLeaf(long e, int level) {
    return level == 0 || (e & ARM_TABLE) == 0;
  }
}
