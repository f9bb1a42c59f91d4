package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The per-map tables (source mm, file pinnability) do not outgrow the maps that still exist. */
class PerMapTest {

  @Test
  void put_mapsWhoseAreasHaveGone_tableStaysWithinTwiceTheLiveMaps() {
    Set<Long> live = new HashSet<>();
    PerMap<Long> table = new PerMap<>(() -> live);
    for (long id = 0; id < 10_000; id++) {
      live.add(id);
      live.remove(id - 10); // ten maps alive at a time, as map/unmap cycles leave them
      table.put(id, id * 3);
      assertTrue(table.size() <= 128, "size " + table.size() + " after map " + id);
    }
    for (long id = 9_990; id < 10_000; id++) {
      assertEquals(id * 3, table.get(id));
    }
    assertNull(table.get(0));
  }

  /**
   * Nothing to drop: every map is kept, and the live maps are gathered only when the table has
   * doubled (at 64, 128, 256 and 512 entries), so a put costs amortised constant time.
   */
  @Test
  void put_everyMapStillLive_keepsThemAllAndSweepsOnlyWhenTheTableDoubles() {
    Set<Long> live = new HashSet<>();
    List<Integer> sweptAt = new ArrayList<>();
    List<PerMap<Boolean>> holder = new ArrayList<>();
    PerMap<Boolean> table =
        new PerMap<>(
            () -> {
              sweptAt.add(holder.get(0).size());
              return live;
            });
    holder.add(table);
    for (long id = 0; id < 1_000; id++) {
      live.add(id);
      table.put(id, id % 2 == 0);
    }
    assertEquals(1_000, table.size());
    assertEquals(List.of(64, 128, 256, 512), sweptAt);
    for (long id = 0; id < 1_000; id++) {
      assertEquals(id % 2 == 0, table.get(id));
    }
  }

  @Test
  void remove_forgetsTheMap() {
    PerMap<Boolean> table = new PerMap<>(Set::of);
    table.put(7, true);
    table.remove(7);
    assertNull(table.get(7));
  }
}
