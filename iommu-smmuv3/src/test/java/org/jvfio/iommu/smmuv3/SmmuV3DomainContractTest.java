package org.jvfio.iommu.smmuv3;

import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.testkit.contract.IommuDomainContract;

/** The SMMUv3 stage-1 LPAE table with HTTU against the testkit's domain contract. */
class SmmuV3DomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return new SmmuV3Driver();
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
