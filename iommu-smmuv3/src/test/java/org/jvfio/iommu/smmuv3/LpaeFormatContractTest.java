package org.jvfio.iommu.smmuv3;

import org.junit.jupiter.api.Nested;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.testkit.contract.PtFormatContract;

/**
 * The stage-1 LPAE format with HTTU dirty tracking passes {@link PtFormatContract} at each granule.
 */
class LpaeFormatContractTest {
  /** The contract for one granule at a 48-bit input size. */
  abstract static class Stage1 extends PtFormatContract {
    private final Granule granule;

    Stage1(Granule granule) {
      this.granule = granule;
    }

    @Override
    protected PtFormat format() {
      return LpaeFormat.of(granule, 48, false, true, false);
    }

    @Override
    protected long expectedPageSizes() {
      return granule.pageSizeBitmap();
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
      super(Granule.G4K);
    }
  }

  @Nested
  class G16K extends Stage1 {
    G16K() {
      super(Granule.G16K);
    }
  }

  @Nested
  class G64K extends Stage1 {
    G64K() {
      super(Granule.G64K);
    }
  }
}
