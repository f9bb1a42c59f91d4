package org.jvfio.iommu.intel;

import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.testkit.contract.PtFormatContract;

/** The format contract over the VT-d second stage with 5 levels and SLLPS = 0 (4 KiB leaves). */
class IntelSsSmallFormatContractTest extends PtFormatContract {
  @Override
  protected PtFormat format() {
    VtdRegisters regs = VtdRegisters.DEFAULT.withSecondStageLevels(5).withSllps(0);
    return ((PtDomain) IntelSsDriver.of(regs).allocateDomain(DomainConfig.PLAIN)).format();
  }

  @Override
  protected long expectedPageSizes() {
    return 1L << 12;
  }
}
