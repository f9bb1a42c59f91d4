package org.jvfio.core.vfio;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * The VFIO migration state machine: {@code vfio_mig_get_next_state()} of drivers/vfio/vfio_main.c
 * with the 2026 fix for the ERROR sentinel.
 *
 * <p>Given the device's flags, its current state and the requested one, {@link #nextState} returns
 * the next state along the shortest path that never passes through the saving group; optional
 * states the device lacks are skipped by continuing the walk from the skipped state. {@link #path}
 * iterates it and returns the arcs a driver executes. Stateless and thread-safe.
 */
public final class MigrationFsm {
  private MigrationFsm() {}

  private static final MigrationState E = MigrationState.ERROR;
  private static final MigrationState S = MigrationState.STOP;
  private static final MigrationState R = MigrationState.RUNNING;
  private static final MigrationState SC = MigrationState.STOP_COPY;
  private static final MigrationState RS = MigrationState.RESUMING;
  private static final MigrationState RP = MigrationState.RUNNING_P2P;
  private static final MigrationState PC = MigrationState.PRE_COPY;
  private static final MigrationState PP = MigrationState.PRE_COPY_P2P;

  /** {@code vfio_from_fsm_table[cur][new]}, indexed by the uAPI numbers. */
  private static final MigrationState[][] TABLE = {
    /* ERROR        */ {E, E, E, E, E, E, E, E},
    /* STOP         */ {E, S, RP, SC, RS, RP, RP, RP},
    /* RUNNING      */ {E, RP, R, RP, RP, RP, PC, RP},
    /* STOP_COPY    */ {E, S, S, SC, S, S, E, E},
    /* RESUMING     */ {E, S, S, S, RS, S, S, S},
    /* RUNNING_P2P  */ {E, S, R, S, S, RP, R, PP},
    /* PRE_COPY     */ {E, R, R, PP, R, R, PC, PP},
    /* PRE_COPY_P2P */ {E, RP, RP, SC, RP, RP, PC, PP},
  };

  /**
   * Returns the next state a driver moves to from {@code cur} on its way to {@code target}; {@code
   * cur} itself when they are equal.
   *
   * @param flags the device's {@code migration_flags}
   * @param cur the device's current state
   * @param target the requested state
   * @return the state of the next arc, or {@code cur} when {@code cur == target}
   * @throws UapiException {@code EINVAL} if {@code cur} or {@code target} is not supported by
   *     {@code flags} (ERROR never is), or if the way is blocked (STOP_COPY→PRE_COPY[_P2P]; the
   *     unfixed kernel loops forever there)
   */
  public static MigrationState nextState(
      Set<MigrationFlag> flags, MigrationState cur, MigrationState target) {
    UapiException.check(
        cur.isSupportedBy(flags),
        Errno.EINVAL,
        "current state " + cur + " not supported by migration flags " + flags);
    UapiException.check(
        target.isSupportedBy(flags),
        Errno.EINVAL,
        "state " + target + " not supported by migration flags " + flags);
    MigrationState next = TABLE[cur.value()][target.value()];
    while (next != E && !next.isSupportedBy(flags)) {
      next = TABLE[next.value()][target.value()];
    }
    UapiException.check(next != E, Errno.EINVAL, "no arc from " + cur + " to " + target);
    return next;
  }

  /**
   * Returns the arcs a driver executes to move from {@code from} to {@code to}, in order; empty
   * when they are equal. The list is unmodifiable.
   *
   * @param flags the device's migration flags
   * @param from the current state
   * @param to the requested state
   * @return the arcs in execution order
   * @throws UapiException {@code EINVAL} where {@link #nextState} refuses the first step
   */
  public static List<MigrationArc> path(
      Set<MigrationFlag> flags, MigrationState from, MigrationState to) {
    List<MigrationArc> arcs = new ArrayList<>();
    MigrationState cur = from;
    // The table guarantees progress; at most 7 arcs are needed between 8 states.
    for (int steps = 0; cur != to; steps++) {
      if (steps >= TABLE.length) {
        throw new IllegalStateException("FSM did not converge from " + from + " to " + to);
      }
      MigrationState next = nextState(flags, cur, to);
      arcs.add(new MigrationArc(cur, next));
      cur = next;
    }
    return List.copyOf(arcs);
  }
}
