package org.jvfio.iommu.intel;

import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.testkit.contract.PtFormatContract;

/** The format contract over the VT-d second stage: 4 levels, 4 KiB, 2 MiB and 1 GiB leaves. */
class IntelSsFormatContractTest extends PtFormatContract {
  @Override
  protected PtFormat format() {
    return ((PtDomain) new IntelSsDriver().allocateDomain(DomainConfig.PLAIN)).format();
  }

  @Override
  protected long expectedPageSizes() {
    return (1L << 12) | (1L << 21) | (1L << 30);
  }
}
