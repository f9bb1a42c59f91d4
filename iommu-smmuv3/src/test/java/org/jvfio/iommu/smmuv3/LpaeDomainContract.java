package org.jvfio.iommu.smmuv3;

import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.testkit.contract.IommuDomainContract;

/**
 * The testkit's domain contract over an SMMUv3 stage-1 LPAE table at one granule, with or without
 * the contiguous hint, otherwise the default driver.
 */
abstract class LpaeDomainContract extends IommuDomainContract {
  private final Granule granule;
  private final boolean contiguousHint;

  LpaeDomainContract(Granule granule, boolean contiguousHint) {
    this.granule = granule;
    this.contiguousHint = contiguousHint;
  }

  @Override
  protected IommuDriver driver() {
    return SmmuV3Driver.builder().granule(granule).contiguousHint(contiguousHint).build();
  }

  /** io-pgtable-arm unmaps in page-size pieces; a piece over a table frees it whole. */
  @Override
  protected boolean unmapsInPageSizePieces() {
    return true;
  }

  /** The engine's levels: the format's top (LPAE start level) first, down to 0 (LPAE level 3). */
  @Override
  protected int walkLevel(IommuDomain domain, int index) {
    return ((PtDomain) domain).format().maxTop() - index;
  }
}
