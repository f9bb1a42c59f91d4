package org.jvfio.testkit.contract;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.ReferenceMigrationDriver;
import org.jvfio.core.vfio.VfioDeviceDriver;

/** Core's reference migration driver (all flags, an exact tracker) against the device contract. */
class ReferenceDriverContractTest extends VfioDeviceContract {
  static final Set<MigrationFlag> FLAGS =
      EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.P2P, MigrationFlag.PRE_COPY);

  @Override
  protected VfioDeviceDriver newDriver(long seed) {
    byte[] state = new byte[20_000]; // a short last chunk
    new SplittableRandom(seed).nextBytes(state);
    return ReferenceMigrationDriver.create(FLAGS, state, 4096, Optional.of(DmaTracker.exact()));
  }

  @Override
  protected Set<MigrationFlag> expectedMigrationFlags() {
    return FLAGS;
  }

  @Override
  protected byte[] deviceState(VfioDeviceDriver driver) {
    return ((ReferenceMigrationDriver) driver).deviceState();
  }

  @Override
  protected void mutate(VfioDeviceDriver driver) {
    ReferenceMigrationDriver d = (ReferenceMigrationDriver) driver;
    int size = d.deviceState().length;
    d.writeState(size / 3, new byte[] {(byte) (d.deviceState()[size / 3] + 1), 7, 7});
  }
}
