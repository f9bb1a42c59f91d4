package org.jvfio.testkit.gen;

import java.util.List;
import java.util.Optional;

/**
 * An IOVA space layout: non-overlapping {@link Mapping}s in increasing IOVA order, possibly
 * adjacent, mixing page sizes.
 *
 * @param mappings the mappings, sorted by IOVA, non-overlapping
 */
public record MappingLayout(List<Mapping> mappings) {
  /**
   * Copies and validates the layout.
   *
   * @param mappings the mappings, sorted by IOVA, non-overlapping
   * @throws IllegalArgumentException if the mappings are not sorted and disjoint
   */
  public MappingLayout {
    mappings = List.copyOf(mappings);
    for (int i = 1; i < mappings.size(); i++) {
      Mapping prev = mappings.get(i - 1);
      if (Long.compareUnsigned(prev.range().last(), mappings.get(i).iova()) >= 0) {
        throw new IllegalArgumentException("mappings overlap or are unsorted: " + mappings);
      }
    }
  }

  /**
   * Returns the mapping containing {@code iova}, if any.
   *
   * @param iova the first IO virtual address of the range
   * @return the mapping containing {@code iova}, if any
   */
  public Optional<Mapping> find(long iova) {
    for (Mapping m : mappings) {
      if (Long.compareUnsigned(iova, m.iova()) >= 0
          && Long.compareUnsigned(iova, m.range().last()) <= 0) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
