package org.jvfio.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationFsm;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.testkit.Property;

class MigrationGensTest {
  /** The uAPI numbers of the states each flag set supports, from vfio.h's text. */
  private static Set<Integer> supportedValues(Set<MigrationFlag> f) {
    Set<Integer> s = new HashSet<>();
    if (!f.contains(MigrationFlag.STOP_COPY)) {
      return s;
    }
    s.addAll(List.of(1, 2, 3, 4)); // STOP, RUNNING, STOP_COPY, RESUMING
    if (f.contains(MigrationFlag.P2P)) {
      s.add(5);
    }
    if (f.contains(MigrationFlag.PRE_COPY)) {
      s.add(6);
    }
    if (f.contains(MigrationFlag.P2P) && f.contains(MigrationFlag.PRE_COPY)) {
      s.add(7);
    }
    return s;
  }

  @Test
  void flagSets_coverAllEightSubsets_validOnesHaveStopCopy() {
    Set<Set<MigrationFlag>> all = new HashSet<>();
    Property.check("flag sets", MigrationGens.flagSets(), all::add);
    assertEquals(8, all.size());
    Set<Set<MigrationFlag>> valid = new HashSet<>();
    Property.check(
        "valid flag sets",
        MigrationGens.validFlagSets(),
        f -> {
          assertTrue(f.contains(MigrationFlag.STOP_COPY));
          valid.add(f);
        });
    assertEquals(4, valid.size());
  }

  @Test
  void validStateRequests_reachTheirTarget() {
    Property.check(
        "valid state requests",
        MigrationGens.validStateRequests(),
        r -> {
          assertEquals(Optional.empty(), r.expected());
          Set<Integer> ok = supportedValues(r.migrationFlags());
          assertTrue(ok.contains(r.current().value()) && ok.contains(r.deviceState()));
          MigrationState target = r.target().orElseThrow();
          List<MigrationArc> path = MigrationFsm.path(r.migrationFlags(), r.current(), target);
          MigrationState end = path.isEmpty() ? r.current() : path.get(path.size() - 1).to();
          assertEquals(target, end);
        });
  }

  @Test
  void invalidStateRequests_areRefusedWithEinval_forOneReason() {
    Set<String> seen = new HashSet<>();
    Property.check(
        "invalid state requests",
        MigrationGens.invalidStateRequests(),
        r -> {
          assertEquals(Optional.of(Errno.EINVAL), r.expected());
          Set<Integer> ok = supportedValues(r.migrationFlags());
          assertTrue(ok.contains(r.current().value()), "current state must be supported");
          boolean unsupported = !ok.contains(r.deviceState());
          boolean blocked =
              r.current() == MigrationState.STOP_COPY
                  && (r.deviceState() == 6 || r.deviceState() == 7);
          assertTrue(unsupported ^ blocked, "exactly one reason: " + r);
          seen.add(blocked ? "blocked" : r.target().isPresent() ? "unsupported" : "not a state");
          if (r.target().isPresent()) {
            UapiException e =
                assertThrows(
                    UapiException.class,
                    () ->
                        MigrationFsm.nextState(
                            r.migrationFlags(), r.current(), r.target().orElseThrow()));
            assertEquals(Errno.EINVAL, e.errno());
          } else {
            assertTrue(Integer.compareUnsigned(r.deviceState(), 8) >= 0);
          }
        });
    assertEquals(Set.of("blocked", "unsupported", "not a state"), seen);
  }
}
