package org.jvfio.core.iommufd;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/*
 * A value kept per map (a pagesId: one IOMMU_IOAS_MAP or IOMMU_IOAS_MAP_FILE, struct iopt_pages),
 * which lives as long as an area of that map does, as the kernel frees iopt_pages with its last
 * area. Maps whose areas have all gone are dropped when the table has doubled since the last sweep,
 * so it holds at most about twice the live maps. Guarded by the context's lock.
 */
final class PerMap<V> {
  private static final int FIRST_SWEEP = 64;

  private final Map<Long, V> values = new HashMap<>();
  private final Supplier<Set<Long>> live; // the pagesIds some area still holds
  private int sweepAt = FIRST_SWEEP;

  PerMap(Supplier<Set<Long>> live) {
    this.live = live;
  }

  void put(long pagesId, V value) {
    if (values.size() >= sweepAt) {
      values.keySet().retainAll(live.get());
      sweepAt = Math.max(FIRST_SWEEP, 2 * values.size());
    }
    values.put(pagesId, value);
  }

  /** The value of the map, or null if none was put (or its areas have gone and it was swept). */
  V get(long pagesId) {
    return values.get(pagesId);
  }

  void remove(long pagesId) {
    values.remove(pagesId);
  }

  int size() {
    return values.size();
  }
}
