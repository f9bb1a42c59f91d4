package org.jvfio.core.vfio;

import java.util.Objects;

/**
 * One FSM arc a migration driver executes, {@code from → to}: a single step of a (possibly
 * combined) {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} SET.
 *
 * @param from the state before the arc
 * @param to the state after it
 */
public record MigrationArc(MigrationState from, MigrationState to) {
  /**
   * Validates the components.
   *
   * @param from the state before the arc
   * @param to the state after it
   */
  public MigrationArc {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
  }

  /**
   * Returns whether this arc begins a data transfer session and so returns a new {@code data_fd}:
   * RUNNING→PRE_COPY, RUNNING_P2P→PRE_COPY_P2P and STOP→STOP_COPY start a saving session,
   * STOP→RESUMING a resuming one.
   *
   * @return true if the arc opens a saving or resuming session
   */
  public boolean startsDataTransfer() {
    return (from == MigrationState.RUNNING && to == MigrationState.PRE_COPY)
        || (from == MigrationState.RUNNING_P2P && to == MigrationState.PRE_COPY_P2P)
        || (from == MigrationState.STOP && to == MigrationState.STOP_COPY)
        || (from == MigrationState.STOP && to == MigrationState.RESUMING);
  }

  /**
   * Returns whether this arc ends the current data transfer session: leaving the saving group
   * (PRE_COPY→RUNNING, PRE_COPY_P2P→RUNNING_P2P, STOP_COPY→STOP) or RESUMING→STOP.
   *
   * @return true if the arc closes the current session
   */
  public boolean endsDataTransfer() {
    return (from.isSaving() && !to.isSaving()) || from == MigrationState.RESUMING;
  }

  @Override
  public String toString() {
    return from + "->" + to;
  }
}
