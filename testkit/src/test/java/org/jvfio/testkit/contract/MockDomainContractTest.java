package org.jvfio.testkit.contract;

import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.MockIommuDriver;

/** Core's mock domain against the domain contract. */
class MockDomainContractTest extends IommuDomainContract {
  @Override
  protected IommuDriver driver() {
    return MockIommuDriver.create();
  }

  /** The mock's walk starts at level 3; leaves of 4 KiB are level 0. */
  @Override
  protected int walkLevel(IommuDomain domain, int index) {
    return 3 - index;
  }
}
