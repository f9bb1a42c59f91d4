package org.jvfio.iommu.smmuv3;

/**
 * The first four dwords of a stage-1 SMMUv3 context descriptor as {@code arm_smmu_make_s1_cd}
 * writes them for a paging domain: the TCR fields, validity, the ASID, the table base ({@code
 * TTB0}) and the MAIR. Obtain one with {@link SmmuV3Driver#contextDescriptorOf}.
 *
 * <p>HTTU is switched on here and only here: a domain allocated with dirty tracking has {@link
 * #hd()} (dword 0 bit 42) and {@link #ha()} (bit 43) set from creation on, and nothing ever clears
 * them — {@code set_dirty_tracking} is a no-op on SMMUv3.
 *
 * @param dword0 TCR fields, V, AA64, R, A, ASET, ASID and HA/HD
 * @param dword1 {@code TTB0} (bits 51:4): the physical address of the top-level table
 * @param dword2 0 for the domains modelled here
 * @param dword3 the MAIR value the table's AttrIndx refers to
 */
public record ContextDescriptor(long dword0, long dword1, long dword2, long dword3) {
  /** CD dword 0 bits 5:0, {@code T0SZ} = 64 − input size. */
  public static final long T0SZ_MASK = 0x3FL;

  /** CD dword 0 bits 7:6, {@code TG0} (see {@link Granule#tg0()}). */
  public static final int TG0_SHIFT = 6;

  /** CD dword 0 bits 9:8, {@code IRGN0}. */
  public static final int IRGN0_SHIFT = 8;

  /** CD dword 0 bits 11:10, {@code ORGN0}. */
  public static final int ORGN0_SHIFT = 10;

  /** CD dword 0 bits 13:12, {@code SH0}. */
  public static final int SH0_SHIFT = 12;

  /** CD dword 0 bit 30, {@code EPD1}: no walks through TTB1. */
  public static final long EPD1 = 1L << 30;

  /** CD dword 0 bit 31, {@code V}: valid. */
  public static final long V = 1L << 31;

  /** CD dword 0 bits 34:32, {@code IPS}. */
  public static final int IPS_SHIFT = 32;

  /** CD dword 0 bit 41, {@code AA64}. */
  public static final long AA64 = 1L << 41;

  /** CD dword 0 bit 42, {@code CTXDESC_CD_0_TCR_HD}: hardware dirty-state update. */
  public static final long TCR_HD = 1L << 42;

  /** CD dword 0 bit 43, {@code CTXDESC_CD_0_TCR_HA}: hardware access-flag update. */
  public static final long TCR_HA = 1L << 43;

  /** CD dword 0 bit 45, {@code R}: record faults. */
  public static final long R = 1L << 45;

  /** CD dword 0 bit 46, {@code A}: abort on faults. */
  public static final long A = 1L << 46;

  /** CD dword 0 bit 47, {@code ASET}. */
  public static final long ASET = 1L << 47;

  /** CD dword 0 bits 63:48, {@code ASID}. */
  public static final int ASID_SHIFT = 48;

  /** CD dword 1 bits 51:4, {@code TTB0}. */
  public static final long TTB0_MASK = 0x000F_FFFF_FFFF_FFF0L;

  /**
   * Returns whether {@code V} is set.
   *
   * @return true if CD dword 0 bit 31 (V) is 1
   */
  public boolean valid() {
    return (dword0 & V) != 0;
  }

  /**
   * Returns whether hardware dirty-state updates are on ({@code HD}, bit 42).
   *
   * @return true if CD dword 0 bit 42 (HD) is 1
   */
  public boolean hd() {
    return (dword0 & TCR_HD) != 0;
  }

  /**
   * Returns whether hardware access-flag updates are on ({@code HA}, bit 43).
   *
   * @return true if CD dword 0 bit 43 (HA) is 1
   */
  public boolean ha() {
    return (dword0 & TCR_HA) != 0;
  }

  /**
   * Returns {@code T0SZ}.
   *
   * @return CD dword 0 bits 5:0, 64 minus the input size in bits
   */
  public int t0sz() {
    return (int) (dword0 & T0SZ_MASK);
  }

  /**
   * Returns {@code TG0}.
   *
   * @return CD dword 0 bits 7:6: 0 for 4 KiB, 2 for 16 KiB, 1 for 64 KiB
   */
  public int tg0() {
    return (int) ((dword0 >>> TG0_SHIFT) & 3);
  }

  /**
   * Returns {@code IPS}.
   *
   * @return CD dword 0 bits 34:32, the intermediate physical address size encoding
   */
  public int ips() {
    return (int) ((dword0 >>> IPS_SHIFT) & 7);
  }

  /**
   * Returns the ASID.
   *
   * @return CD dword 0 bits 63:48, 0 to 65535
   */
  public int asid() {
    return (int) (dword0 >>> ASID_SHIFT);
  }

  /**
   * Returns {@code TTB0}, the physical address of the top-level table.
   *
   * @return CD dword 1 bits 51:4
   */
  public long ttb0() {
    return dword1 & TTB0_MASK;
  }
}
