package org.jvfio.iommu.amd;

import static org.jvfio.iommu.amd.AmdV1Entry.A;
import static org.jvfio.iommu.amd.AmdV1Entry.ADDRESS_MASK;
import static org.jvfio.iommu.amd.AmdV1Entry.ATTRS;
import static org.jvfio.iommu.amd.AmdV1Entry.D;
import static org.jvfio.iommu.amd.AmdV1Entry.FC;
import static org.jvfio.iommu.amd.AmdV1Entry.IR;
import static org.jvfio.iommu.amd.AmdV1Entry.IW;
import static org.jvfio.iommu.amd.AmdV1Entry.NEXT_LEVEL_MASK;
import static org.jvfio.iommu.amd.AmdV1Entry.PR;

import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.pt.PtFormatBuilder;

/**
 * The AMD-Vi v1 host page table as a {@link PtFormat}, the counterpart of Linux's {@code
 * drivers/iommu/generic_pt/fmt/amdv1.h} (AMD IOMMU spec 2.2.3, "I/O Page Tables for Host
 * Translations"). Levels are the engine's: level 0 holds 4 KiB items (the spec's level 1), and a
 * new table starts at level 2 (DTE Mode 3) and grows up to level 5 (Mode 6), whose top table holds
 * no leaves.
 *
 * <p>A PDE at level {@code L} carries Next Level {@code L} (the spec level of the table it points
 * to) and, as Linux writes it, IR and IW, which the hardware ANDs along the walk. A leaf has NL = 0
 * (the level's default size) or NL = 7 (a run of 2 to 256 identical replicas whose size is encoded
 * in the low address bits); 512 GiB leaves are never made ("512GB Pages are not supported due to a
 * hardware bug"). D (bit 6) is the dirty bit, ORed over a run's replicas (AMD IOMMU spec 2.2.3.2);
 * A (bit 5) is set by the walk only with EFR.HASUP and DTE.HAD on.
 */
final class AmdV1Format {
  private AmdV1Format() {}

  /** The format. */
  static final PtFormat FORMAT = build();

  private static PtFormat build() {
    PtFormatBuilder b =
        PtFormat.builder("amdv1")
            .geometry(12, 9, 2, 5, 64)
            .presentBit(PR)
            .addressMask(ADDRESS_MASK)
            .replicas(NEXT_LEVEL_MASK, NEXT_LEVEL_MASK)
            .protections(IR, IW, IR | IW)
            .permissions(IR, 0, IW, 0, true)
            .dirty(D, D, ~D, 0, -1L, D)
            .accessBit(A)
            .attributes(ATTRS)
            .describer((e, level) -> AmdV1Entry.describe(e, level + 1));
    for (int level = 0; level <= 5; level++) {
      if (level > 0) {
        long nl = (long) level << 9;
        b.table(level, NEXT_LEVEL_MASK, nl, PR | IR | IW | nl);
      }
      int shift = 12 + 9 * level;
      long sizes = shift + 8 < 64 ? ((1L << (shift + 9)) - 1) & -(1L << shift) : 0;
      sizes &= AmdV1Driver.PAGE_SIZES;
      if (level < 5 && sizes != 0) {
        b.leaf(level, NEXT_LEVEL_MASK, 0, PR | FC, sizes);
      }
    }
    return b.build();
  }
}
