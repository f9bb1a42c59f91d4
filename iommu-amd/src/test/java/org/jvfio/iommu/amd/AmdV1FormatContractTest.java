package org.jvfio.iommu.amd;

import org.jvfio.core.pt.PtFormat;
import org.jvfio.testkit.contract.PtFormatContract;

/** The format contract over the AMD v1 format: NL=7 runs, no 512 GiB leaves, growth to Mode 6. */
class AmdV1FormatContractTest extends PtFormatContract {
  @Override
  protected PtFormat format() {
    return AmdV1Format.FORMAT;
  }

  @Override
  protected long expectedPageSizes() {
    return AmdV1Driver.PAGE_SIZES;
  }
}
