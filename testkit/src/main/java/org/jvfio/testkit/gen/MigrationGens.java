package org.jvfio.testkit.gen;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Source;

/**
 * Generators of migration flag sets ({@code vfio_device_feature_migration.flags}) and of state
 * change requests with the outcome {@code vfio_mig_get_next_state()} (fixed; docs/fidelity.md,
 * "VFIO migration state machine") gives them.
 *
 * <p>Requests are made for the four documented flag combinations (STOP_COPY alone or with P2P
 * and/or PRE_COPY) from a supported current state. A device in ERROR is not generated: the FSM
 * refuses every request from it with {@code EINVAL}, but drivers answer differently (pds: {@code
 * EIO}).
 */
public final class MigrationGens {
  private MigrationGens() {}

  /**
   * Returns any subset of {@link MigrationFlag}, including the empty one; shrinks toward it.
   *
   * @return any subset of {@link MigrationFlag}, including the empty one; shrinks toward it
   */
  public static Gen<Set<MigrationFlag>> flagSets() {
    return src -> {
      EnumSet<MigrationFlag> flags = EnumSet.noneOf(MigrationFlag.class);
      for (MigrationFlag f : MigrationFlag.values()) {
        if (src.nextBoolean()) {
          flags.add(f);
        }
      }
      return flags;
    };
  }

  /**
   * Returns one of the flag combinations vfio.h defines: STOP_COPY, STOP_COPY|P2P,
   * STOP_COPY|PRE_COPY, STOP_COPY|P2P|PRE_COPY; shrinks toward STOP_COPY.
   *
   * @return one of the flag combinations vfio.h defines: STOP_COPY, STOP_COPY|P2P,
   *     STOP_COPY|PRE_COPY, STOP_COPY|P2P|PRE_COPY; shrinks toward STOP_COPY
   */
  public static Gen<Set<MigrationFlag>> validFlagSets() {
    return flagSets()
        .map(
            f -> {
              EnumSet<MigrationFlag> withStopCopy = EnumSet.of(MigrationFlag.STOP_COPY);
              withStopCopy.addAll(f);
              return withStopCopy;
            });
  }

  /**
   * Returns requests the FSM accepts: both states supported by the flags, and not the blocked arcs
   * STOP_COPY→PRE_COPY[_P2P]. Includes {@code current == target}.
   *
   * @return requests the FSM accepts: both states supported by the flags, and not the blocked arcs
   *     STOP_COPY→PRE_COPY[_P2P]
   */
  public static Gen<MigrationStateRequest> validStateRequests() {
    return src -> {
      Set<MigrationFlag> flags = validFlagSets().generate(src);
      MigrationState cur = pick(supported(flags), src);
      List<MigrationState> targets = supported(flags);
      if (cur == MigrationState.STOP_COPY) {
        targets.removeIf(MigrationGens::isPreCopy);
      }
      return new MigrationStateRequest(flags, cur, pick(targets, src).value(), Optional.empty());
    };
  }

  /**
   * Returns requests the FSM refuses with {@code EINVAL}, each for one reason: a target the flags
   * do not support (ERROR always, or an optional state the device lacks), a {@code device_state}
   * that is no state ({@code >= VFIO_DEVICE_STATE_NR}, as unsigned 32-bit), or the blocked arc
   * STOP_COPY→PRE_COPY[_P2P] on a device that supports the target.
   *
   * @return requests the FSM refuses with {@code EINVAL}, each for one reason: a target the flags
   *     do not support (ERROR always, or an optional state the device lacks), a {@code
   *     device_state} that is no state ({@code >= VFIO_DEVICE_STATE_NR}, as unsigned 32-bit), or
   *     the blocked arc STOP_COPY→PRE_COPY[_P2P] on a device that supports the target
   */
  public static Gen<MigrationStateRequest> invalidStateRequests() {
    Optional<Errno> einval = Optional.of(Errno.EINVAL);
    Gen<MigrationStateRequest> unsupportedTarget =
        src -> {
          Set<MigrationFlag> flags = validFlagSets().generate(src);
          List<MigrationState> unsupported = new ArrayList<>();
          for (MigrationState s : MigrationState.values()) {
            if (!s.isSupportedBy(flags)) {
              unsupported.add(s);
            }
          }
          MigrationState cur = pick(supported(flags), src);
          if (cur == MigrationState.STOP_COPY) {
            unsupported.removeIf(MigrationGens::isPreCopy); // that would also be the blocked arc
          }
          return new MigrationStateRequest(flags, cur, pick(unsupported, src).value(), einval);
        };
    Gen<MigrationStateRequest> notAState =
        src -> {
          Set<MigrationFlag> flags = validFlagSets().generate(src);
          MigrationState cur = pick(supported(flags), src);
          int raw = (int) src.nextUnsignedLong(MigrationState.values().length, 0xFFFF_FFFFL);
          return new MigrationStateRequest(flags, cur, raw, einval);
        };
    Gen<MigrationStateRequest> blocked =
        src -> {
          Set<MigrationFlag> flags = EnumSet.of(MigrationFlag.STOP_COPY, MigrationFlag.PRE_COPY);
          if (src.nextBoolean()) {
            flags.add(MigrationFlag.P2P);
          }
          MigrationState target =
              flags.contains(MigrationFlag.P2P) && src.nextBoolean()
                  ? MigrationState.PRE_COPY_P2P
                  : MigrationState.PRE_COPY;
          return new MigrationStateRequest(flags, MigrationState.STOP_COPY, target.value(), einval);
        };
    return Gen.choose(unsupportedTarget, notAState, blocked);
  }

  private static boolean isPreCopy(MigrationState s) {
    return s == MigrationState.PRE_COPY || s == MigrationState.PRE_COPY_P2P;
  }

  private static List<MigrationState> supported(Set<MigrationFlag> flags) {
    List<MigrationState> states = new ArrayList<>();
    for (MigrationState s : MigrationState.values()) {
      if (s.isSupportedBy(flags)) {
        states.add(s);
      }
    }
    return states;
  }

  private static <T> T pick(List<T> values, Source src) {
    return values.get(src.nextInt(0, values.size() - 1));
  }
}
