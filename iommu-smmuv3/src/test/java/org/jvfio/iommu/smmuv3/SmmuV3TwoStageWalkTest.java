package org.jvfio.iommu.smmuv3;

import org.jvfio.core.hw.Stage1Format;
import org.jvfio.core.nesting.GuestIoPageTable;
import org.jvfio.testkit.contract.TwoStageWalkContract;

/** The two-stage walk contract over the LPAE stage 1 an SMMUv3 nest parent names. */
class SmmuV3TwoStageWalkTest extends TwoStageWalkContract {
  @Override
  protected boolean x86() {
    return false;
  }

  @Override
  protected Stage1Format stage1(GuestIoPageTable guest) {
    return ArmNestedTranslatorTest.walk(guest);
  }
}
