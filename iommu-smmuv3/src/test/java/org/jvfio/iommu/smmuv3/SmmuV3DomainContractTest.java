package org.jvfio.iommu.smmuv3;

/** The SMMUv3 stage-1 LPAE table with HTTU against the testkit's domain contract. */
class SmmuV3DomainContractTest extends LpaeDomainContract {
  SmmuV3DomainContractTest() {
    super(Granule.G4K, false);
  }
}
