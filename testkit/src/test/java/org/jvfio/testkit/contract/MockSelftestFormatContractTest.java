package org.jvfio.testkit.contract;

import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.MockIommuDriver;

/** The format contract over the mock in the iommufd selftest's geometry: 2 KiB and 1 MiB pages. */
class MockSelftestFormatContractTest extends PtFormatContract {
  @Override
  protected PtFormat format() {
    return ((PtDomain) MockIommuDriver.create().allocateSelftestDomain(DomainConfig.PLAIN, true))
        .format();
  }

  @Override
  protected long expectedPageSizes() {
    return MockIommuDriver.SELFTEST_PAGE | MockIommuDriver.SELFTEST_HUGE_PAGE;
  }
}
