package org.jvfio.iommu.intel;

import static org.jvfio.iommu.intel.VtdPte.ADDRESS_MASK;

import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.pt.PtFormatBuilder;

/*
 * The two VT-d entry formats as data for the page-table engine (org.jvfio.core.pt), the
 * counterparts of Linux's drivers/iommu/generic_pt/fmt/vtdss.h and fmt/x86_64.h. Levels count as
 * the engine's: 0 = PTE (4 KiB), 1 = PDE (2 MiB), 2 = PDPTE (1 GiB), 3 = PML4E, 4 = PML5E; leaves
 * at levels 0..2 (PS at 1 and 2) where the unit offers the size.
 *
 * Second stage (VT-d specification, "Second-Stage Paging Entries"): no present bit, R = W = 0
 * means not present, so an entry is empty iff it is 0 (the engine never writes A or D alone);
 * table entries are R | W | address; leaves address | R? | W? | PS (levels >= 1); A and D start
 * clear and are set by the hardware (A on the walk, D on a write) when SSADE is on; a harvest
 * clears D.
 *
 * First stage (VT-d specification, "First-Stage Paging Entries"; x86-64 paging): P bit; table
 * entries P | RW | U | A | address; leaves P | U | A | (RW | D if writable) | PS. Linux pre-sets A
 * and D, so a writable leaf is mapped dirty and the hardware never updates an entry; the domains
 * have no dirty ops. A (set in every entry used) and R/W (needed at every level for a write) are
 * declared for the walk of a guest's first stage in nested translation, where the IOMMU does set A
 * and D in the guest's table (org.jvfio.core.pt.NestedWalk).
 */
final class VtdFormat {
  private VtdFormat() {}

  /** PS, bit 7 in both formats. */
  private static final long PS = 1L << 7;

  private static final long SS_RW = VtdPte.SS_R | VtdPte.SS_W;
  private static final long FS_TABLE = VtdPte.FS_P | VtdPte.FS_RW | VtdPte.FS_US | VtdPte.FS_A;
  private static final long FS_LEAF = VtdPte.FS_P | VtdPte.FS_US | VtdPte.FS_A;
  private static final String[] LEVEL_NAMES = {"PTE", "PDE", "PDPTE", "PML4E", "PML5E"};

  /**
   * Returns the second-stage format with {@code levels} (3, 4 or 5) levels, the leaf sizes of
   * {@code pageSizes} and an IOVA width of {@code vaBits}.
   */
  static PtFormat secondStage(int levels, long pageSizes, int vaBits) {
    PtFormatBuilder b =
        PtFormat.builder("vtd-ss-" + levels)
            .geometry(12, 9, levels - 1, levels - 1, vaBits)
            .addressMask(ADDRESS_MASK)
            .leaf(0, 0, 0, 0, 1L << 12)
            .protections(VtdPte.SS_R, VtdPte.SS_W, SS_RW)
            .permissions(VtdPte.SS_R, 0, VtdPte.SS_W, 0, false)
            .dirty(VtdPte.SS_D, VtdPte.SS_D, ~VtdPte.SS_D, 0, -1L, VtdPte.SS_D)
            .accessBit(VtdPte.SS_A)
            .attributes(SS_RW | VtdPte.SS_SNP)
            .describer(VtdFormat::describeSecondStage);
    return levels(b, levels, pageSizes, SS_RW, 0).build();
  }

  /**
   * Returns the first-stage (x86-64) format with {@code levels} (4 or 5) levels, the leaf sizes of
   * {@code pageSizes} and an IOVA width of {@code vaBits}.
   */
  static PtFormat firstStage(int levels, long pageSizes, int vaBits) {
    long writable = VtdPte.FS_RW | VtdPte.FS_D;
    PtFormatBuilder b =
        PtFormat.builder("vtd-fs-" + levels)
            .geometry(12, 9, levels - 1, levels - 1, vaBits)
            .presentBit(VtdPte.FS_P)
            .addressMask(ADDRESS_MASK)
            .leaf(0, 0, 0, FS_LEAF, 1L << 12)
            .protections(0, writable, writable)
            .permissions(0, 1, VtdPte.FS_RW, 0, true) // present means readable; RW at every level
            .dirty(VtdPte.FS_D, VtdPte.FS_D, ~VtdPte.FS_D, 0, -1L, VtdPte.FS_D)
            .accessBit(VtdPte.FS_A)
            .attributes(VtdPte.FS_RW | VtdPte.FS_XD)
            .describer(VtdFormat::describeFirstStage);
    return levels(b, levels, pageSizes, FS_TABLE, FS_LEAF).build();
  }

  /** Declares the table and leaf levels above the PTE: PS marks a leaf at the PDE and PDPTE. */
  private static PtFormatBuilder levels(
      PtFormatBuilder b, int levels, long pageSizes, long tableBits, long leafBits) {
    for (int level = 1; level < levels; level++) {
      b.table(level, level <= 2 ? PS : 0, 0, tableBits);
      long size = 1L << (12 + 9 * level);
      if (level <= 2 && (pageSizes & size) != 0) {
        b.leaf(level, PS, PS, leafBits | PS, size);
      }
    }
    return b;
  }

  private static final long[] SS_BITS = {
    VtdPte.SS_R, VtdPte.SS_W, VtdPte.SS_PS, VtdPte.SS_A, VtdPte.SS_D, VtdPte.SS_SNP
  };
  private static final String[] SS_NAMES = {"R", "W", "PS", "A", "D", "SNP"};
  private static final long[] FS_BITS = {
    VtdPte.FS_P, VtdPte.FS_RW, VtdPte.FS_US, VtdPte.FS_A, VtdPte.FS_D, VtdPte.FS_PS, VtdPte.FS_XD
  };
  private static final String[] FS_NAMES = {"P", "RW", "U", "A", "D", "PS", "XD"};

  static String describeSecondStage(long e, int level) {
    return describe("SS", e, level, (e & SS_RW) != 0, SS_BITS, SS_NAMES);
  }

  static String describeFirstStage(long e, int level) {
    return describe("FS", e, level, (e & VtdPte.FS_P) != 0, FS_BITS, FS_NAMES);
  }

  private static String describe(
      String stage, long e, int level, boolean present, long[] bits, String[] names) {
    boolean known = level >= 0 && level < LEVEL_NAMES.length;
    String head = String.format("%s-%s %#018x", stage, known ? LEVEL_NAMES[level] : "L" + level, e);
    if (!present) {
      return head + " not present";
    }
    boolean leaf = level == 0 || (known && level <= 2 && (e & PS) != 0);
    StringBuilder b =
        new StringBuilder(head)
            .append(leaf ? " leaf " + (level == 0 ? "4K" : level == 1 ? "2M" : "1G") : " table")
            .append(String.format(" -> %#x", e & ADDRESS_MASK));
    for (int i = 0; i < bits.length; i++) {
      if ((e & bits[i]) != 0) {
        b.append(' ').append(names[i]);
      }
    }
    return b.toString();
  }
}
