package org.jvfio.iommu.smmuv3;

import java.util.Set;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.testkit.contract.IommuDomainContract;

/**
 * The SMMUv3 stage-1 LPAE table at the 64 KiB granule with the contiguous hint (runs of 32 pages, 2
 * MiB, and of 32 blocks, 16 GiB) against the testkit's domain contract, splitting to 64 KiB and 2
 * MiB.
 */
class SmmuV3G64KContiguousDomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return SmmuV3Driver.builder().granule(Granule.G64K).contiguousHint(true).build();
  }

  @Override
  protected Set<Long> splitPageSizes() {
    return Set.of(1L << 16, 1L << 21);
  }

  /** io-pgtable-arm unmaps in page-size pieces; a piece over a table frees it whole. */
  @Override
  protected boolean unmapsInPageSizePieces() {
    return true;
  }

  @Override
  protected int walkLevel(IommuDomain domain, int index) {
    return ((PtDomain) domain).format().maxTop() - index;
  }
}
