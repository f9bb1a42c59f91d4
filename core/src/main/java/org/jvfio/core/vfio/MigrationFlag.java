package org.jvfio.core.vfio;

import java.util.EnumSet;
import java.util.Set;
import org.jvfio.api.vfio.Vfio;

/**
 * A bit of {@code vfio_device_feature_migration.flags}: which optional migration states a device
 * supports.
 */
public enum MigrationFlag {
  /** {@code VFIO_MIGRATION_STOP_COPY}: STOP, STOP_COPY and RESUMING; required for migration. */
  STOP_COPY(Vfio.VFIO_MIGRATION_STOP_COPY),
  /** {@code VFIO_MIGRATION_P2P}: RUNNING_P2P, and PRE_COPY_P2P together with PRE_COPY. */
  P2P(Vfio.VFIO_MIGRATION_P2P),
  /** {@code VFIO_MIGRATION_PRE_COPY}: PRE_COPY, and PRE_COPY_P2P together with P2P. */
  PRE_COPY(Vfio.VFIO_MIGRATION_PRE_COPY);

  private final long bit;

  MigrationFlag(long bit) {
    this.bit = bit;
  }

  /**
   * Returns this flag's bit in {@code vfio_device_feature_migration.flags}.
   *
   * @return the flag's bit, e.g. {@code VFIO_MIGRATION_STOP_COPY}
   */
  public long bit() {
    return bit;
  }

  /**
   * Returns the uAPI bit mask of {@code flags}.
   *
   * @param flags the flags to encode
   * @return the OR of their bits
   */
  public static long toBits(Set<MigrationFlag> flags) {
    long bits = 0;
    for (MigrationFlag f : flags) {
      bits |= f.bit;
    }
    return bits;
  }

  /**
   * Returns the flags set in {@code bits}; bits this enum does not name are ignored (the uAPI says
   * other combinations "have behavior to be defined in the future").
   *
   * @param bits a {@code flags} value
   * @return the named flags whose bits are set
   */
  public static Set<MigrationFlag> fromBits(long bits) {
    EnumSet<MigrationFlag> flags = EnumSet.noneOf(MigrationFlag.class);
    for (MigrationFlag f : values()) {
      if ((bits & f.bit) != 0) {
        flags.add(f);
      }
    }
    return flags;
  }
}
