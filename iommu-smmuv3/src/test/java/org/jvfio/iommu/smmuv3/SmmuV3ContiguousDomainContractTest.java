package org.jvfio.iommu.smmuv3;

import java.util.Set;
import org.junit.jupiter.api.Nested;

/**
 * The SMMUv3 stage-1 LPAE table with the contiguous hint against the testkit's domain contract, at
 * each granule: runs of 16 pages or blocks at 4 KiB (64 KiB, 32 MiB), of 128 pages (2 MiB) and 32
 * blocks (1 GiB) at 16 KiB, of 32 pages (2 MiB) and 32 blocks (16 GiB) at 64 KiB. Splits go to the
 * page, the smallest run and, at 4 KiB, the 2 MiB block.
 */
class SmmuV3ContiguousDomainContractTest {
  /** The contract for one granule with the hint on. */
  abstract static class WithHint extends LpaeDomainContract {
    private final Set<Long> splitSizes;

    WithHint(Granule granule, Set<Long> splitSizes) {
      super(granule, true);
      this.splitSizes = splitSizes;
    }

    @Override
    protected Set<Long> splitPageSizes() {
      return splitSizes;
    }
  }

  @Nested
  class G4K extends WithHint {
    G4K() {
      super(Granule.G4K, Set.of(1L << 12, 1L << 16, 1L << 21));
    }
  }

  @Nested
  class G16K extends WithHint {
    G16K() {
      super(Granule.G16K, Set.of(1L << 14, 1L << 21));
    }
  }

  @Nested
  class G64K extends WithHint {
    G64K() {
      super(Granule.G64K, Set.of(1L << 16, 1L << 21));
    }
  }
}
