package org.jvfio.iommu.intel;

/**
 * A scalable-mode PASID-table entry: the first three of the eight qwords of {@code struct
 * pasid_entry} ({@code u64 val[8]}, drivers/iommu/intel/pasid.h), the ones the driver programs for
 * paging domains; qwords 3..7 are zero.
 *
 * <p>Fields, as {@code pasid_set_*} writes them: {@code val[0]}: P bit 0, FPD bit 1, AW bits 4:2,
 * PGTT bits 8:6, SSADE bit 9, SSPTPTR bits 63:12; {@code val[1]}: DID bits 15:0, PWSNP bit 23,
 * PGSNP bit 24; {@code val[2]}: SRE bit 0, FLPM bits 3:2, FSPTPTR bits 63:12.
 *
 * @param val0 qword 0
 * @param val1 qword 1
 * @param val2 qword 2
 */
public record PasidEntry(long val0, long val1, long val2) {
  /** {@code PASID_ENTRY_PGTT_FL_ONLY}: first-stage translation only. */
  public static final int PGTT_FL_ONLY = 1;

  /** {@code PASID_ENTRY_PGTT_SL_ONLY}: second-stage translation only. */
  public static final int PGTT_SL_ONLY = 2;

  /** {@code PASID_ENTRY_PGTT_NESTED}: first stage nested on a second stage. */
  public static final int PGTT_NESTED = 3;

  /** {@code PASID_ENTRY_PGTT_PT}: pass-through. */
  public static final int PGTT_PT = 4;

  /** val[0] bit 0: present. */
  public static final long P = 1L;

  /** val[0] bit 9: SSADE (second-stage accessed/dirty enable), {@code pasid_set_ssade}. */
  public static final long SSADE = 1L << 9;

  /** val[1] bit 23: PWSNP (page-walk snoop), set when ECAP.SMPWC. */
  public static final long PWSNP = 1L << 23;

  private static final long PTR_MASK = ~0xFFFL;

  /**
   * Returns the entry {@code pasid_pte_config_second_level} writes: present, faults reported, PGTT
   * = 2, the AW of the table, the table root, the domain id, PWSNP if the walk is coherent, and
   * SSADE if the domain tracks dirty.
   */
  static PasidEntry secondStage(int did, int aw, long ssptptr, boolean pwsnp, boolean ssade) {
    long v0 = P | ((long) aw << 2) | ((long) PGTT_SL_ONLY << 6) | (ssptptr & PTR_MASK);
    return new PasidEntry(ssade ? v0 | SSADE : v0, did & 0xffff | (pwsnp ? PWSNP : 0), 0);
  }

  /**
   * Returns the entry {@code pasid_pte_config_first_level} writes: present, PGTT = 1, the unit's
   * AGAW, the domain id, PWSNP if coherent, FLPM = 1 for 5-level paging, and the table root.
   */
  static PasidEntry firstStage(int did, int aw, long fsptptr, boolean pwsnp, boolean fiveLevel) {
    long v0 = P | ((long) aw << 2) | ((long) PGTT_FL_ONLY << 6);
    long v2 = (fsptptr & PTR_MASK) | (fiveLevel ? 1L << 2 : 0);
    return new PasidEntry(v0, did & 0xffff | (pwsnp ? PWSNP : 0), v2);
  }

  /**
   * Returns the entry {@code intel_pasid_setup_nested} writes for a stage-1 domain nested on a
   * second-stage parent: PGTT = 3, both table roots, SSADE from the parent's dirty tracking.
   */
  static PasidEntry nested(
      int did, int aw, long ssptptr, long fsptptr, boolean pwsnp, boolean ssade) {
    PasidEntry ss = secondStage(did, aw, ssptptr, pwsnp, ssade);
    long v0 = (ss.val0 & ~(7L << 6)) | ((long) PGTT_NESTED << 6);
    return new PasidEntry(v0, ss.val1, fsptptr & PTR_MASK);
  }

  /** Returns a copy with SSADE set or cleared, the in-place update of {@code pasid_set_ssade}. */
  PasidEntry withSsade(boolean enable) {
    return new PasidEntry(enable ? val0 | SSADE : val0 & ~SSADE, val1, val2);
  }

  /**
   * Returns P, val[0] bit 0.
   *
   * @return true if the entry is present
   */
  public boolean present() {
    return (val0 & P) != 0;
  }

  /**
   * Returns AW, val[0] bits 4:2: the second-stage AGAW (levels − 2).
   *
   * @return the AW field, 0 to 7
   */
  public int aw() {
    return (int) ((val0 >>> 2) & 7);
  }

  /**
   * Returns PGTT, val[0] bits 8:6 ({@link #PGTT_SL_ONLY} etc.).
   *
   * @return the PGTT field, 0 to 7
   */
  public int pgtt() {
    return (int) ((val0 >>> 6) & 7);
  }

  /**
   * Returns SSADE, val[0] bit 9.
   *
   * @return true if second-stage A/D updates are on
   */
  public boolean ssade() {
    return (val0 & SSADE) != 0;
  }

  /**
   * Returns SSPTPTR, val[0] bits 63:12: the second-stage table root.
   *
   * @return the physical address of the second-stage root table
   */
  public long ssptptr() {
    return val0 & PTR_MASK;
  }

  /**
   * Returns DID, val[1] bits 15:0.
   *
   * @return the domain id, 16 bits
   */
  public int did() {
    return (int) (val1 & 0xffff);
  }

  /**
   * Returns FLPM, val[2] bits 3:2: 0 = 4-level, 1 = 5-level first-stage paging.
   *
   * @return the FLPM field, 0 to 3
   */
  public int flpm() {
    return (int) ((val2 >>> 2) & 3);
  }

  /**
   * Returns FSPTPTR, val[2] bits 63:12: the first-stage table root.
   *
   * @return the physical address of the first-stage root table
   */
  public long fsptptr() {
    return val2 & PTR_MASK;
  }

  /**
   * Returns the 512-bit entry as its eight qwords, {@code val[0..7]}.
   *
   * @return a copy of the eight qwords
   */
  public long[] words() {
    return new long[] {val0, val1, val2, 0, 0, 0, 0, 0};
  }

  @Override
  public String toString() {
    return String.format(
        "PasidEntry[val0=%#018x val1=%#018x val2=%#018x: P=%d AW=%d PGTT=%d SSADE=%d"
            + " SSPTPTR=%#x DID=%d FLPM=%d FSPTPTR=%#x]",
        val0,
        val1,
        val2,
        present() ? 1 : 0,
        aw(),
        pgtt(),
        ssade() ? 1 : 0,
        ssptptr(),
        did(),
        flpm(),
        fsptptr());
  }
}
