package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * {@link MigrationFsm} against next-step tables derived from vfio_mig_get_next_state() in
 * drivers/vfio/vfio_main.c, cell by cell.
 */
class MigrationFsmTest {
  /**
   * The four tables, one per flag set, derived from the kernel's table by hand (row = cur, column =
   * new).
   */
  private static final Map<Integer, String> SPEC_TABLES =
      Map.ofEntries(
          Map.entry(
              0x1,
              """
          cur STOP RUNNING STOP_COPY RESUMING RUNNING_P2P PRE_COPY PRE_COPY_P2P ERROR
          STOP STOP RUNNING STOP_COPY RESUMING -EINVAL -EINVAL -EINVAL -EINVAL
          RUNNING STOP RUNNING STOP STOP -EINVAL -EINVAL -EINVAL -EINVAL
          STOP_COPY STOP STOP STOP_COPY STOP -EINVAL -EINVAL -EINVAL -EINVAL
          RESUMING STOP STOP STOP RESUMING -EINVAL -EINVAL -EINVAL -EINVAL
          RUNNING_P2P -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          PRE_COPY -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          PRE_COPY_P2P -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          ERROR -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          """),
          Map.entry(
              0x3,
              """
          cur STOP RUNNING STOP_COPY RESUMING RUNNING_P2P PRE_COPY PRE_COPY_P2P ERROR
          STOP STOP RUNNING_P2P STOP_COPY RESUMING RUNNING_P2P -EINVAL -EINVAL -EINVAL
          RUNNING RUNNING_P2P RUNNING RUNNING_P2P RUNNING_P2P RUNNING_P2P -EINVAL -EINVAL -EINVAL
          STOP_COPY STOP STOP STOP_COPY STOP STOP -EINVAL -EINVAL -EINVAL
          RESUMING STOP STOP STOP RESUMING STOP -EINVAL -EINVAL -EINVAL
          RUNNING_P2P STOP RUNNING STOP STOP RUNNING_P2P -EINVAL -EINVAL -EINVAL
          PRE_COPY -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          PRE_COPY_P2P -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          ERROR -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          """),
          Map.entry(
              0x5,
              """
          cur STOP RUNNING STOP_COPY RESUMING RUNNING_P2P PRE_COPY PRE_COPY_P2P ERROR
          STOP STOP RUNNING STOP_COPY RESUMING -EINVAL RUNNING -EINVAL -EINVAL
          RUNNING STOP RUNNING STOP STOP -EINVAL PRE_COPY -EINVAL -EINVAL
          STOP_COPY STOP STOP STOP_COPY STOP -EINVAL -EINVAL -EINVAL -EINVAL
          RESUMING STOP STOP STOP RESUMING -EINVAL STOP -EINVAL -EINVAL
          RUNNING_P2P -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          PRE_COPY RUNNING RUNNING STOP_COPY RUNNING -EINVAL PRE_COPY -EINVAL -EINVAL
          PRE_COPY_P2P -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          ERROR -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          """),
          Map.entry(
              0x7,
              """
          cur STOP RUNNING STOP_COPY RESUMING RUNNING_P2P PRE_COPY PRE_COPY_P2P ERROR
          STOP STOP RUNNING_P2P STOP_COPY RESUMING RUNNING_P2P RUNNING_P2P RUNNING_P2P -EINVAL
          RUNNING RUNNING_P2P RUNNING RUNNING_P2P RUNNING_P2P RUNNING_P2P PRE_COPY RUNNING_P2P -EINVAL
          STOP_COPY STOP STOP STOP_COPY STOP STOP -EINVAL -EINVAL -EINVAL
          RESUMING STOP STOP STOP RESUMING STOP STOP STOP -EINVAL
          RUNNING_P2P STOP RUNNING STOP STOP RUNNING_P2P RUNNING PRE_COPY_P2P -EINVAL
          PRE_COPY RUNNING RUNNING PRE_COPY_P2P RUNNING RUNNING PRE_COPY PRE_COPY_P2P -EINVAL
          PRE_COPY_P2P RUNNING_P2P RUNNING_P2P STOP_COPY RUNNING_P2P RUNNING_P2P PRE_COPY PRE_COPY_P2P -EINVAL
          ERROR -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL -EINVAL
          """));

  private static final Set<MigrationArc> BASE_ARCS =
      Set.of(
          arc("RESUMING", "STOP"),
          arc("STOP", "RESUMING"),
          arc("STOP", "STOP_COPY"),
          arc("STOP_COPY", "STOP"));

  @TestFactory
  List<DynamicTest> nextState_everyCellOfTheSpecTables() {
    List<DynamicTest> tests = new ArrayList<>();
    SPEC_TABLES.forEach(
        (bits, table) -> {
          Set<MigrationFlag> flags = MigrationFlag.fromBits(bits);
          String[] lines = table.strip().split("\n");
          String[] columns = lines[0].trim().split("\\s+");
          for (int r = 1; r < lines.length; r++) {
            String[] cells = lines[r].trim().split("\\s+");
            MigrationState cur = MigrationState.valueOf(cells[0]);
            for (int c = 1; c < columns.length; c++) {
              MigrationState target = MigrationState.valueOf(columns[c]);
              String expected = cells[c];
              tests.add(
                  DynamicTest.dynamicTest(
                      "F=0x" + Integer.toHexString(bits) + " " + cur + "->" + target,
                      () -> check(flags, cur, target, expected)));
            }
          }
        });
    assertEquals(256, tests.size(), "4 flag sets x 8 x 8 cells");
    return tests;
  }

  private static void check(
      Set<MigrationFlag> flags, MigrationState cur, MigrationState target, String expected) {
    if (expected.equals("-EINVAL")) {
      UapiException e =
          assertThrows(UapiException.class, () -> MigrationFsm.nextState(flags, cur, target));
      assertEquals(Errno.EINVAL, e.errno());
    } else {
      assertEquals(MigrationState.valueOf(expected), MigrationFsm.nextState(flags, cur, target));
    }
  }

  @Test
  void nextState_withoutStopCopy_refusesEverything() {
    for (Set<MigrationFlag> flags :
        List.of(EnumSet.noneOf(MigrationFlag.class), EnumSet.of(MigrationFlag.P2P))) {
      for (MigrationState cur : MigrationState.values()) {
        for (MigrationState target : MigrationState.values()) {
          assertEquals(
              Errno.EINVAL,
              assertThrows(UapiException.class, () -> MigrationFsm.nextState(flags, cur, target))
                  .errno());
        }
      }
    }
  }

  /**
   * Properties over every flag set and every pair (exhaustive, the space is small): a path ends at
   * its target, visits only supported states, uses only arcs the driver must implement (the arcs
   * documented in include/uapi/linux/vfio.h and the table comment of vfio_mig_get_next_state()),
   * never enters the saving group in its interior (it may only move on inside it), and only its
   * last arc may start a data transfer.
   */
  @Test
  void path_everyFlagSetAndPair_satisfiesTheArcRules() {
    for (int bits = 0; bits < 8; bits++) {
      Set<MigrationFlag> flags = MigrationFlag.fromBits(bits);
      Set<MigrationArc> allowed = implementedArcs(flags);
      for (MigrationState from : MigrationState.values()) {
        for (MigrationState to : MigrationState.values()) {
          List<MigrationArc> path;
          try {
            path = MigrationFsm.path(flags, from, to);
          } catch (UapiException e) {
            assertEquals(Errno.EINVAL, e.errno());
            continue;
          }
          String where = "flags=" + flags + " " + from + "->" + to + " path=" + path;
          MigrationState at = from;
          for (int i = 0; i < path.size(); i++) {
            MigrationArc arc = path.get(i);
            assertEquals(at, arc.from(), where);
            assertTrue(arc.to().isSupportedBy(flags), where);
            assertTrue(allowed.contains(arc), "arc " + arc + " not implemented; " + where);
            if (i < path.size() - 1) {
              // Interior saving states only while the path has not yet left the saving group
              // (PRE_COPY -> PRE_COPY_P2P -> STOP_COPY keeps one session).
              assertTrue(
                  !arc.to().isSaving() || arc.from().isSaving(),
                  "path re-enters the saving group in its interior; " + where);
              assertTrue(!arc.startsDataTransfer(), "fd from a non-final arc; " + where);
            }
            at = arc.to();
          }
          assertEquals(to, at, where);
        }
      }
    }
  }

  @Test
  void path_fullFeatureDevice_matchesTheSpecCombinations() {
    Set<MigrationFlag> all = EnumSet.allOf(MigrationFlag.class);
    assertEquals(
        List.of(arc("PRE_COPY", "PRE_COPY_P2P"), arc("PRE_COPY_P2P", "STOP_COPY")),
        MigrationFsm.path(all, MigrationState.PRE_COPY, MigrationState.STOP_COPY));
    assertEquals(
        List.of(
            arc("PRE_COPY", "RUNNING"),
            arc("RUNNING", "RUNNING_P2P"),
            arc("RUNNING_P2P", "STOP"),
            arc("STOP", "RESUMING")),
        MigrationFsm.path(all, MigrationState.PRE_COPY, MigrationState.RESUMING));
    assertEquals(List.of(), MigrationFsm.path(all, MigrationState.STOP, MigrationState.STOP));
  }

  private static Set<MigrationArc> implementedArcs(Set<MigrationFlag> flags) {
    Set<MigrationArc> arcs = new java.util.HashSet<>(BASE_ARCS);
    boolean p2p = flags.contains(MigrationFlag.P2P);
    boolean pre = flags.contains(MigrationFlag.PRE_COPY);
    if (p2p) {
      arcs.addAll(
          List.of(
              arc("RUNNING", "RUNNING_P2P"),
              arc("RUNNING_P2P", "RUNNING"),
              arc("RUNNING_P2P", "STOP"),
              arc("STOP", "RUNNING_P2P")));
    } else {
      arcs.addAll(List.of(arc("RUNNING", "STOP"), arc("STOP", "RUNNING")));
    }
    if (pre) {
      arcs.addAll(
          List.of(
              arc("RUNNING", "PRE_COPY"),
              arc("PRE_COPY", "RUNNING"),
              arc("PRE_COPY", "STOP_COPY")));
    }
    if (pre && p2p) {
      arcs.addAll(
          List.of(
              arc("PRE_COPY", "PRE_COPY_P2P"),
              arc("PRE_COPY_P2P", "PRE_COPY"),
              arc("PRE_COPY_P2P", "RUNNING_P2P"),
              arc("PRE_COPY_P2P", "STOP_COPY"),
              arc("RUNNING_P2P", "PRE_COPY_P2P")));
    }
    return arcs;
  }

  private static MigrationArc arc(String from, String to) {
    return new MigrationArc(MigrationState.valueOf(from), MigrationState.valueOf(to));
  }
}
