package org.jvfio.core.vfio;

import java.util.EnumSet;
import java.util.Set;
import org.jvfio.api.vfio.Vfio;

/**
 * A VFIO migration device state: {@code enum vfio_device_mig_state} of vfio.h, with its uAPI
 * number.
 *
 * <p>Which states a device supports depends on its {@link MigrationFlag}s ({@link #isSupportedBy}).
 */
public enum MigrationState {
  /** {@code VFIO_DEVICE_STATE_ERROR} (0): the device failed and must be reset. */
  ERROR(Vfio.VFIO_DEVICE_STATE_ERROR),
  /** {@code VFIO_DEVICE_STATE_STOP} (1): no DMA, no interrupts, internal state unchanged. */
  STOP(Vfio.VFIO_DEVICE_STATE_STOP),
  /** {@code VFIO_DEVICE_STATE_RUNNING} (2): operating normally. */
  RUNNING(Vfio.VFIO_DEVICE_STATE_RUNNING),
  /** {@code VFIO_DEVICE_STATE_STOP_COPY} (3): stopped; the internal state can be read out. */
  STOP_COPY(Vfio.VFIO_DEVICE_STATE_STOP_COPY),
  /** {@code VFIO_DEVICE_STATE_RESUMING} (4): stopped and loading a new internal state. */
  RESUMING(Vfio.VFIO_DEVICE_STATE_RESUMING),
  /** {@code VFIO_DEVICE_STATE_RUNNING_P2P} (5): running without initiating P2P DMA. */
  RUNNING_P2P(Vfio.VFIO_DEVICE_STATE_RUNNING_P2P),
  /** {@code VFIO_DEVICE_STATE_PRE_COPY} (6): running and tracking internal state changes. */
  PRE_COPY(Vfio.VFIO_DEVICE_STATE_PRE_COPY),
  /** {@code VFIO_DEVICE_STATE_PRE_COPY_P2P} (7): PRE_COPY without initiating P2P DMA. */
  PRE_COPY_P2P(Vfio.VFIO_DEVICE_STATE_PRE_COPY_P2P);

  private static final MigrationState[] BY_VALUE = values();

  private final int value;

  MigrationState(int value) {
    this.value = value;
  }

  /**
   * Returns the uAPI number ({@code vfio_feature_mig_state.device_state}).
   *
   * @return the {@code enum vfio_device_mig_state} value
   */
  public int value() {
    return value;
  }

  /**
   * Returns the state with the given uAPI number.
   *
   * @param value an {@code enum vfio_device_mig_state} value
   * @return the state with that number
   * @throws IllegalArgumentException if {@code value} is not in {@code [0, VFIO_DEVICE_STATE_NR)}
   */
  public static MigrationState of(int value) {
    if (value < 0 || value >= BY_VALUE.length) {
      throw new IllegalArgumentException("not a vfio_device_mig_state: " + value);
    }
    return BY_VALUE[value];
  }

  /**
   * Returns whether this state is in the saving group (PRE_COPY, PRE_COPY_P2P, STOP_COPY).
   *
   * @return true for PRE_COPY, PRE_COPY_P2P and STOP_COPY
   */
  public boolean isSaving() {
    return this == PRE_COPY || this == PRE_COPY_P2P || this == STOP_COPY;
  }

  /**
   * Returns whether a device with {@code flags} supports this state as an FSM endpoint, exactly as
   * {@code state_flags_table} of {@code vfio_mig_get_next_state()} says: STOP, RUNNING, STOP_COPY
   * and RESUMING need STOP_COPY; RUNNING_P2P needs STOP_COPY|P2P; PRE_COPY needs
   * STOP_COPY|PRE_COPY; PRE_COPY_P2P needs all three; ERROR is never supported (its required mask
   * is {@code ~0U}). Note that even RUNNING is unsupported without STOP_COPY: such a device cannot
   * change state at all.
   *
   * @param flags the device's migration flags
   * @return true if a device with {@code flags} can be in this state
   */
  public boolean isSupportedBy(Set<MigrationFlag> flags) {
    return switch (this) {
      case ERROR -> false;
      case STOP, RUNNING, STOP_COPY, RESUMING -> flags.contains(MigrationFlag.STOP_COPY);
      case RUNNING_P2P -> flags.containsAll(EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.P2P));
      case PRE_COPY ->
          flags.containsAll(EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY));
      case PRE_COPY_P2P -> flags.containsAll(EnumSet.allOf(MigrationFlag.class));
    };
  }
}
