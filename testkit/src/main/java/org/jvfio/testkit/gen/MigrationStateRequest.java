package org.jvfio.testkit.gen;

import java.util.Optional;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationState;

/**
 * A {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} SET request: a device with {@code migrationFlags}
 * in state {@code current} is asked to move to {@code deviceState}.
 *
 * @param migrationFlags the device's {@code migration_flags}
 * @param current the device's current state
 * @param deviceState the requested {@code device_state}, an unsigned 32-bit value that may be no
 *     {@code vfio_device_mig_state} at all
 * @param expected the errno the request fails with, or empty if it succeeds
 */
public record MigrationStateRequest(
    Set<MigrationFlag> migrationFlags,
    MigrationState current,
    int deviceState,
    Optional<Errno> expected) {
  /**
   * Copies the flags.
   *
   * @param migrationFlags the device's {@code migration_flags}
   * @param current the device's current state
   * @param deviceState the requested {@code device_state}, an unsigned 32-bit value that may be no
   *     {@code vfio_device_mig_state} at all
   * @param expected the errno the core must refuse with, or empty if it must accept
   */
  public MigrationStateRequest {
    migrationFlags = Set.copyOf(migrationFlags);
  }

  /**
   * Returns the requested state, if {@code deviceState} names one.
   *
   * @return the requested state, if {@code deviceState} names one
   */
  public Optional<MigrationState> target() {
    return deviceState >= 0 && deviceState < MigrationState.values().length
        ? Optional.of(MigrationState.of(deviceState))
        : Optional.empty();
  }
}
