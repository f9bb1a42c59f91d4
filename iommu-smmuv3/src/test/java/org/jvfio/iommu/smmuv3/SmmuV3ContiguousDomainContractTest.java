package org.jvfio.iommu.smmuv3;

import java.util.Set;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.testkit.contract.IommuDomainContract;

/**
 * The SMMUv3 stage-1 LPAE table with the contiguous hint (runs of 16 pages or blocks: 64 KiB, 32
 * MiB) against the testkit's domain contract, splitting to every size up to 2 MiB.
 */
class SmmuV3ContiguousDomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return SmmuV3Driver.builder().contiguousHint(true).build();
  }

  @Override
  protected Set<Long> splitPageSizes() {
    return Set.of(1L << 12, 1L << 16, 1L << 21);
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
