package org.jvfio.examples;

import java.util.EnumSet;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationFsm;
import org.jvfio.core.vfio.MigrationState;

/** The README's migration state machine example. */
final class MigrationPath {
  private MigrationPath() {}

  /** Runs the example; its last call throws {@code UapiException(EINVAL)}. */
  static void run() {
    var flags = EnumSet.allOf(MigrationFlag.class); // STOP_COPY | P2P | PRE_COPY
    MigrationFsm.path(flags, MigrationState.PRE_COPY, MigrationState.RESUMING);
    // [PRE_COPY->RUNNING, RUNNING->RUNNING_P2P, RUNNING_P2P->STOP, STOP->RESUMING]
    MigrationFsm.nextState(flags, MigrationState.STOP_COPY, MigrationState.PRE_COPY);
    // throws UapiException(EINVAL): a blocked arc (the unfixed kernel loops forever here)
  }
}
