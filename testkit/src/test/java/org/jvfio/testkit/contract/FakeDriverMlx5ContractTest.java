package org.jvfio.testkit.contract;

import java.util.EnumSet;
import java.util.Set;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.VfioDeviceDriver;
import org.jvfio.testkit.fake.FakeVfioDeviceDriver;

/** STOP_COPY and P2P without pre-copy, an mlx5-like tracker, its own invariants checked. */
class FakeDriverMlx5ContractTest extends VfioDeviceContract {
  static final Set<MigrationFlag> FLAGS = EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.P2P);

  @Override
  protected VfioDeviceDriver newDriver(long seed) {
    return FakeVfioDeviceDriver.builder()
        .flags(FLAGS)
        .stateSize(10_000)
        .chunkSize(1000)
        .seed(seed)
        .tracker(DmaTracker.mlx5Like(2, 12, 16, 12, 40))
        .build();
  }

  @Override
  protected Set<MigrationFlag> expectedMigrationFlags() {
    return FLAGS;
  }

  @Override
  protected byte[] deviceState(VfioDeviceDriver driver) {
    return ((FakeVfioDeviceDriver) driver).deviceState();
  }

  @Override
  protected void mutate(VfioDeviceDriver driver) {
    ((FakeVfioDeviceDriver) driver).mutate();
  }

  @Override
  protected void checkInvariants(VfioDeviceDriver driver) {
    ((FakeVfioDeviceDriver) driver).checkInvariants();
  }
}
