package org.jvfio.iommu.intel;

import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.testkit.contract.IommuDomainContract;

/** The VT-d second-stage table against the testkit's domain contract. */
class IntelSsDomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return new IntelSsDriver();
  }

  /** The default driver has 4 levels; a walk starts at level 3 and 4 KiB leaves are level 0. */
  @Override
  protected int walkLevel(IommuDomain domain, int index) {
    return 3 - index;
  }
}
