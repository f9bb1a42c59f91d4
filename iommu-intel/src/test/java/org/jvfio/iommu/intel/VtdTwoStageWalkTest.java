package org.jvfio.iommu.intel;

import org.jvfio.core.hw.Stage1Format;
import org.jvfio.core.nesting.GuestIoPageTable;
import org.jvfio.core.pt.NestedWalk;
import org.jvfio.testkit.contract.TwoStageWalkContract;

/** The two-stage walk contract over the VT-d first stage a nest parent names (x86-64). */
class VtdTwoStageWalkTest extends TwoStageWalkContract {
  @Override
  protected boolean x86() {
    return true;
  }

  @Override
  protected Stage1Format stage1(GuestIoPageTable guest) {
    return NestedWalk.x86(VtdNestedTranslatorTest.FIRST_STAGE, guest.root());
  }
}
