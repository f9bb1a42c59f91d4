package org.jvfio.iommu.intel;

/**
 * The bits of VT-d paging entries and a human decoder for them (VT-d specification, "First-Stage
 * Paging Entries" and "Second-Stage Paging Entries"; drivers/iommu/generic_pt/fmt/vtdss.h and
 * fmt/x86_64.h).
 *
 * <p>Levels are numbered from 0, as iommupt and the page-table engine number them: 0 = PTE (4 KiB),
 * 1 = PDE (2 MiB), 2 = PDPTE (1 GiB), 3 = PML4E, 4 = PML5E. (The legacy VT-d driver counts the same
 * levels from 1.)
 */
public final class VtdPte {
  private VtdPte() {}

  /** Second stage bit 0, R ({@code DMA_PTE_READ}, {@code VTDSS_FMT_R}). */
  public static final long SS_R = 1L;

  /** Second stage bit 1, W ({@code DMA_PTE_WRITE}, {@code VTDSS_FMT_W}). */
  public static final long SS_W = 1L << 1;

  /** Second stage bit 7, PS: a leaf at a PDE or PDPTE ({@code DMA_PTE_LARGE_PAGE}). */
  public static final long SS_PS = 1L << 7;

  /** Second stage bit 8, A: accessed, set by hardware when SSADE = 1. */
  public static final long SS_A = 1L << 8;

  /** Second stage bit 9, D: dirty, set by hardware on a write when SSADE = 1. */
  public static final long SS_D = 1L << 9;

  /** Second stage bit 11, SNP: snoop ({@code DMA_PTE_SNP}); not set by this model. */
  public static final long SS_SNP = 1L << 11;

  /** First stage bit 0, P: present. */
  public static final long FS_P = 1L;

  /** First stage bit 1, R/W: writable. */
  public static final long FS_RW = 1L << 1;

  /** First stage bit 2, U/S: user (set by Linux on every IOMMU entry). */
  public static final long FS_US = 1L << 2;

  /** First stage bit 5, A: accessed (pre-set by Linux). */
  public static final long FS_A = 1L << 5;

  /** First stage bit 6, D: dirty (pre-set by Linux on writable leaves). */
  public static final long FS_D = 1L << 6;

  /** First stage bit 7, PS: a leaf at a PDE or PDPTE. */
  public static final long FS_PS = 1L << 7;

  /** First stage bit 63, XD: execute disable. */
  public static final long FS_XD = 1L << 63;

  /** Bits 51:12 of both formats: the next table or the output address. */
  public static final long ADDRESS_MASK = 0x000F_FFFF_FFFF_F000L;

  /**
   * Decodes a second-stage entry at {@code level} (0 = PTE … 4 = PML5E), e.g. {@code "SS-PDE
   * 0x...283 leaf 2M -> 0x40000000 R W PS A D"}; an entry with R = W = 0 is not present.
   *
   * @param entry an entry word
   * @param level 0 (PTE) to 4 (PML5E)
   * @return a one-line decoding of its fields
   */
  public static String describeSecondStage(long entry, int level) {
    return VtdFormat.describeSecondStage(entry, level);
  }

  /**
   * Decodes a first-stage (x86-64) entry at {@code level} (0 = PTE … 4 = PML5E).
   *
   * @param entry a first-stage entry word (P bit 0, R/W bit 1, A bit 5, D bit 6, PS bit 7)
   * @param level 0 (PTE) to 4 (PML5E), the level of the table the entry was read from
   * @return a one-line decoding of its fields, {@code "not present"} when P = 0
   */
  public static String describeFirstStage(long entry, int level) {
    return VtdFormat.describeFirstStage(entry, level);
  }
}
