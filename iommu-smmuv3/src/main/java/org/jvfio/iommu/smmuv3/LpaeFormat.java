package org.jvfio.iommu.smmuv3;

import static org.jvfio.iommu.smmuv3.LpaeDescriptor.AF;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.AP_RDONLY;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.AP_UNPRIV;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.ATTRINDX_SHIFT;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.ATTR_MASK;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.DBM;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.MAIR_IDX_CACHE;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.NG;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.SH_IS;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_BLOCK;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_MASK;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_PAGE;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_TABLE;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.VALID;

import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.pt.PtFormatBuilder;
import org.jvfio.core.spi.IommuDomain;

/*
 * The io-pgtable-arm LPAE formats as data for the page-table engine (level 0 = the page level,
 * LPAE level 3; engine level l is LPAE level 3 - l).
 *
 * Geometry as arm_lpae_alloc_pgtable sets it up: levels = ceil((ias - pg_shift) / bits_per_level),
 * the top (LPAE start level 4 - levels) resolving exactly the input bits left, so its table may
 * be smaller than a granule (2 entries at 16 KiB and 48 bits). A stage-2 table whose top would be
 * LPAE level 0 with at most 16 entries is concatenated instead: it starts one level lower with
 * that many tables side by side (arm_lpae_concat_mandatory; at 48 bits, the 16 KiB granule only). Type field
 * bits 1:0: 0b11 a page at level 0 and a table above, 0b01 a block where the granule allows one.
 *
 * Stage-1 leaves are what arm_lpae_prot_to_pte builds with IOMMU_CACHE: nG | AP[1] | AttrIndx 1 |
 * SH IS | AF, plus AP[2] for read-only, or in a dirty-tracking domain (IO_PGTABLE_QUIRK_ARM_HD) DBM
 * for writable leaves, AP[2] clear: a fresh writable leaf is writable-dirty. Writable =
 * AP[2] clear, or DBM with HD; dirty = DBM with AP[2] clear; cleaning sets AP[2]. Two leaves merge
 * by a collapse if they agree on ARM_LPAE_PTE_ATTR_MASK except AF, and, where DBM makes AP[2] the
 * dirty state, except AP[2]. Stage-2 leaves are Stage2Descriptor.leaf, S2AP as permissions, never
 * dirty. IDR3.BBML 0 makes split and collapse break-before-make.
 *
 * With the contiguous hint (an option, off by default: io-pgtable-arm never sets bit 52, and
 * mainline's generic_pt has no Arm format; the out-of-tree generic_pt fmt/armv8.h of
 * jgunthorpe/linux sets it, with the counts below) every level that holds leaves also holds runs
 * of 16 entries at a 4 KiB granule, 128 (level 0) or 32 (level 1) at 16 KiB and 32 at 64 KiB,
 * each entry with bit 52 and its own output address (Arm ARM, chapter D8, "The Contiguous bit").
 * Such a run is one TLB entry, so a DBM update may land on any of its entries: the engine ORs
 * dirty over the run and cleans every entry (PtFormat.Contiguous.PER_ITEM_ADDRESS).
 */
final class LpaeFormat {
  private static final int MAX_CONCAT = 16;

  private LpaeFormat() {}

  /**
   * Returns the leaf sizes of engine level {@code level}: the granule's block or page size there,
   * and with {@code contig} the run of contiguous entries of that size.
   */
  static long sizes(Granule granule, int level, boolean contig) {
    int shift = granule.shift() + level * granule.bitsPerLevel();
    long item = granule.pageSizeBitmap() & (1L << shift);
    if (!contig || item == 0) {
      return item;
    }
    int runLog2 = granule == Granule.G4K ? 4 : granule == Granule.G16K && level == 0 ? 7 : 5;
    return item | item << runLog2;
  }

  /**
   * Returns every leaf size of a granule ({@code pgsize_bitmap}), with {@code contig} the runs too.
   */
  static long pageSizes(Granule granule, boolean contig) {
    long all = 0;
    for (int level = 0; level < 4; level++) {
      all |= sizes(granule, level, contig);
    }
    return all;
  }

  /**
   * Returns the LPAE format of a domain.
   *
   * @param granule the translation granule
   * @param ias the input size in bits
   * @param stage2 a stage-2 (nest parent) table rather than stage 1
   * @param hd stage 1 with HTTU dirty tracking (DBM in writable leaves, CD.HA/HD)
   * @param bbm break-before-make split and collapse ({@code IDR3.BBML} 0)
   * @param contig leaves may be contiguous runs (bit 52)
   */
  static PtFormat of(
      Granule granule, int ias, boolean stage2, boolean hd, boolean bbm, boolean contig) {
    int bpl = granule.bitsPerLevel();
    int va = ias - granule.shift();
    int top = (va + bpl - 1) / bpl - 1;
    if (stage2 && top == 3 && 1 << (va - bpl * top) <= MAX_CONCAT) {
      top--; // the top table resolves bpl more bits: concatenated tables
    }
    PtFormatBuilder b =
        PtFormat.builder(
                (stage2 ? "lpae-s2-" : hd ? "lpae-s1-hd-" : "lpae-s1-")
                    + granule
                    + (contig ? "-contig" : ""))
            .geometry(granule.shift(), bpl, top, top, ias)
            .presentBit(VALID)
            .addressMask(LpaeDescriptor.ADDR_MASK)
            .leaf(0, TYPE_MASK, TYPE_PAGE, TYPE_PAGE, sizes(granule, 0, contig))
            .accessBit(AF)
            .breakBeforeMake(bbm)
            .describer(
                (e, level) ->
                    stage2
                        ? Stage2Descriptor.describe(e, 3 - level, granule)
                        : LpaeDescriptor.describe(e, 3 - level, granule));
    for (int level = 1; level <= top; level++) {
      b.table(level, TYPE_MASK, TYPE_TABLE, TYPE_TABLE);
      long sizes = sizes(granule, level, contig);
      if (sizes != 0) {
        b.leaf(level, TYPE_MASK, TYPE_BLOCK, TYPE_BLOCK, sizes);
      }
    }
    if (contig) {
      b.contiguousHint(LpaeDescriptor.CONTIGUOUS);
    }
    if (stage2) {
      long noType = ~TYPE_MASK & ~LpaeDescriptor.ADDR_MASK;
      return b.protections(
              Stage2Descriptor.leaf(0, 0, IommuDomain.IOMMU_READ) & noType,
              Stage2Descriptor.leaf(0, 0, IommuDomain.IOMMU_WRITE) & noType,
              Stage2Descriptor.leaf(0, 0, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE)
                  & noType)
          .permissions(Stage2Descriptor.HAP_READ, 0, Stage2Descriptor.HAP_WRITE, 0, false)
          .dirty(DBM, DBM, -1L, 0, -1L, 0) // never written: a stage-2 table has no dirty ops
          .attributes(ATTR_MASK & ~AF)
          .build();
    }
    long base = NG | AP_UNPRIV | (long) MAIR_IDX_CACHE << ATTRINDX_SHIFT | SH_IS | AF;
    long writable = hd ? base | DBM : base; // stage 1 ignores IOMMU_READ: always readable
    b.protections(base | AP_RDONLY, writable, writable)
        .dirty(AP_RDONLY | DBM, DBM, -1L, AP_RDONLY, ~AP_RDONLY, 0); // without HD, DBM is never set
    if (!hd) {
      return b.permissions(0, 1, AP_RDONLY, AP_RDONLY, false).attributes(ATTR_MASK & ~AF).build();
    }
    return b.permissions(0, 1, AP_RDONLY | DBM, AP_RDONLY, false)
        .attributes(ATTR_MASK & ~AF & ~AP_RDONLY)
        .build();
  }
}
