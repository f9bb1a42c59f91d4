package org.jvfio.iommu.smmuv3;

import org.jvfio.core.spi.IommuDriver;
import org.jvfio.testkit.contract.IommuDomainContract;

/** The SMMUv3 stage-1 LPAE table with HTTU against the testkit's domain contract. */
class SmmuV3DomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return new SmmuV3Driver();
  }
}
