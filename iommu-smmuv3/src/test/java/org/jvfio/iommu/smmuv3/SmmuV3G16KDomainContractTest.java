package org.jvfio.iommu.smmuv3;

/** The SMMUv3 stage-1 LPAE table at the 16KB granule against the testkit's domain contract. */
class SmmuV3G16KDomainContractTest extends LpaeDomainContract {
  SmmuV3G16KDomainContractTest() {
    super(Granule.G16K, false);
  }
}
