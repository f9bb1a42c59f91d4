package org.jvfio.testkit.contract;

import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.MockIommuDriver;

/** The format contract over the mock's format with 4 KiB, 2 MiB and 1 GiB leaves. */
class MockFormatContractTest extends PtFormatContract {
  @Override
  protected PtFormat format() {
    return ((PtDomain) MockIommuDriver.createWithGiantPages().allocateDomain(DomainConfig.PLAIN))
        .format();
  }

  @Override
  protected long expectedPageSizes() {
    return MockIommuDriver.PAGE_4K | MockIommuDriver.PAGE_2M | MockIommuDriver.PAGE_1G;
  }
}
