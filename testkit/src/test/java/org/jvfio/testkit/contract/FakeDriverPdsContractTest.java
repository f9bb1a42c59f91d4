package org.jvfio.testkit.contract;

import java.util.EnumSet;
import java.util.Set;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.VfioDeviceDriver;
import org.jvfio.testkit.fake.FakeVfioDeviceDriver;

/** All flags, pre-copy dirtying three chunks per mutation, a pds-like tracker. */
class FakeDriverPdsContractTest extends FakeDriverMlx5ContractTest {
  @Override
  protected VfioDeviceDriver newDriver(long seed) {
    return FakeVfioDeviceDriver.builder()
        .stateSize(48 << 10)
        .chunksDirtiedPerMutate(3)
        .seed(seed)
        .tracker(DmaTracker.pdsLike())
        .build();
  }

  @Override
  protected Set<MigrationFlag> expectedMigrationFlags() {
    return EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.P2P, MigrationFlag.PRE_COPY);
  }
}
