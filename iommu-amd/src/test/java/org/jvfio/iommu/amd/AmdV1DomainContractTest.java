package org.jvfio.iommu.amd;

import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.testkit.contract.IommuDomainContract;

/** The AMD v1 host page table against the testkit's domain contract. */
class AmdV1DomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return new AmdV1Driver();
  }

  /** A walk starts at the DTE's mode; 4 KiB leaves are level 1. */
  @Override
  protected int walkLevel(IommuDomain domain, int index) {
    return ((AmdV1Domain) domain).dte().mode() - 1 - index;
  }
}
