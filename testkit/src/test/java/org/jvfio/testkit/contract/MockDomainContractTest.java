package org.jvfio.testkit.contract;

import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.MockIommuDriver;

/** Core's mock domain against the domain contract. */
class MockDomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return MockIommuDriver.create();
  }
}
