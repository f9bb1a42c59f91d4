package org.jvfio.iommu.intel;

import org.jvfio.core.spi.IommuDriver;
import org.jvfio.testkit.contract.IommuDomainContract;

/** The VT-d second-stage table against the testkit's domain contract. */
class IntelSsDomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return new IntelSsDriver();
  }
}
