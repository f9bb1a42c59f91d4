package org.jvfio.iommu.smmuv3;

/** The SMMUv3 stage-1 LPAE table at the 64KB granule against the testkit's domain contract. */
class SmmuV3G64KDomainContractTest extends LpaeDomainContract {
  SmmuV3G64KDomainContractTest() {
    super(Granule.G64K, false);
  }
}
