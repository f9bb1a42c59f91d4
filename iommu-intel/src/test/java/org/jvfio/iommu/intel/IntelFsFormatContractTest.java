package org.jvfio.iommu.intel;

import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.testkit.contract.PtFormatContract;

/**
 * The format contract over the VT-d first stage (x86-64 paging, 5 levels): no read bit, so a
 * write-only leaf is readable, and Linux pre-sets D on writable leaves, so they are mapped dirty.
 */
class IntelFsFormatContractTest extends PtFormatContract {
  @Override
  protected PtFormat format() {
    return ((PtDomain) IntelFsDriver.fiveLevel().allocateDomain(DomainConfig.PLAIN)).format();
  }

  @Override
  protected long expectedPageSizes() {
    return (1L << 12) | (1L << 21) | (1L << 30);
  }

  @Override
  protected boolean mapsWritableDirty() {
    return true;
  }

  @Override
  protected boolean writeImpliesRead() {
    return true;
  }
}
