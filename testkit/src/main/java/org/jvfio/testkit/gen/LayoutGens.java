package org.jvfio.testkit.gen;

import java.util.ArrayList;
import org.jvfio.testkit.Gen;

/**
 * Generators of {@link MappingLayout}s mixing 4 KiB, 2 MiB and 1 GiB mappings, each aligned to its
 * page size, with gaps of zero (adjacent mappings) to a few pages between them, below 2^48.
 */
public final class LayoutGens {
  private LayoutGens() {}

  /** Layouts start at a 1 GiB boundary below this. */
  private static final long MAX_BASE_GIB = 1L << 16;

  /**
   * Returns layouts of {@code 1..maxMappings} mappings of {@code 1..maxPages} pages each; shrinks
   * toward one 4 KiB page at IOVA 0.
   *
   * @param maxMappings the most mappings
   * @param maxPages the most 4 KiB pages
   * @return layouts of {@code 1..maxMappings} mappings of {@code 1..maxPages} pages each; shrinks
   *     toward one 4 KiB page at IOVA 0
   * @throws IllegalArgumentException unless {@code 1 <= maxMappings <= 64} and {@code 1 <= maxPages
   *     <= 512}
   */
  public static Gen<MappingLayout> layouts(int maxMappings, int maxPages) {
    if (maxMappings < 1 || maxMappings > 64 || maxPages < 1 || maxPages > 512) {
      throw new IllegalArgumentException("bad bounds " + maxMappings + ", " + maxPages);
    }
    Gen<Long> pageSizes = PageSizeGens.standard();
    return src -> {
      long cursor = src.nextLong(0, MAX_BASE_GIB - 1) * PageSizeGens.SZ_1G;
      int count = src.nextInt(1, maxMappings);
      ArrayList<Mapping> mappings = new ArrayList<>(count);
      for (int i = 0; i < count; i++) {
        long pageSize = pageSizes.generate(src);
        cursor = (cursor + pageSize - 1) & -pageSize;
        cursor += src.nextLong(0, 3) * pageSize;
        long length = src.nextLong(1, maxPages) * pageSize;
        mappings.add(new Mapping(cursor, length, pageSize));
        cursor += length;
      }
      return new MappingLayout(mappings);
    };
  }
}
