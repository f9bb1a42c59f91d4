package org.jvfio.iommu.smmuv3;

import org.junit.jupiter.api.Nested;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.testkit.contract.PtFormatContract;

/**
 * The stage-1 LPAE format with HTTU dirty tracking passes {@link PtFormatContract} at each granule,
 * without and with the contiguous hint.
 */
class LpaeFormatContractTest {
  /** The contract for one granule at a 48-bit input size. */
  abstract static class Stage1 extends PtFormatContract {
    private final Granule granule;
    private final boolean contig;

    Stage1(Granule granule, boolean contig) {
      this.granule = granule;
      this.contig = contig;
    }

    @Override
    protected PtFormat format() {
      return LpaeFormat.of(granule, 48, false, true, false, contig);
    }

    @Override
    protected long expectedPageSizes() {
      return contig ? contiguousSizes(granule) : granule.pageSizeBitmap();
    }

    @Override
    protected boolean mapsWritableDirty() {
      return true;
    }

    @Override
    protected boolean writeImpliesRead() {
      return true;
    }
  }

  @Nested
  class G4K extends Stage1 {
    G4K() {
      super(Granule.G4K, false);
    }
  }

  @Nested
  class G4KContiguous extends Stage1 {
    G4KContiguous() {
      super(Granule.G4K, true);
    }
  }

  @Nested
  class G16K extends Stage1 {
    G16K() {
      super(Granule.G16K, false);
    }
  }

  @Nested
  class G16KContiguous extends Stage1 {
    G16KContiguous() {
      super(Granule.G16K, true);
    }
  }

  @Nested
  class G64K extends Stage1 {
    G64K() {
      super(Granule.G64K, false);
    }
  }

  @Nested
  class G64KContiguous extends Stage1 {
    G64KContiguous() {
      super(Granule.G64K, true);
    }
  }

  /**
   * The page sizes with the contiguous hint, from the Arm ARM's table of contiguous entries per
   * granule and level, written out rather than computed: 16 entries at 4 KiB; 128 pages and 32
   * blocks at 16 KiB; 32 at 64 KiB.
   */
  static long contiguousSizes(Granule granule) {
    long runs =
        switch (granule) {
          case G4K -> 0x1_0000L | 0x200_0000L | 0x4_0000_0000L; // 64K 32M 16G
          case G16K -> 0x20_0000L | 0x4000_0000L; // 2M 1G
          case G64K -> 0x20_0000L | 0x4_0000_0000L; // 2M 16G
        };
    return granule.pageSizeBitmap() | runs;
  }
}
