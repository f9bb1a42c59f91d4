package org.jvfio.core.vfio.pci;

import java.util.HashMap;
import java.util.Map;

/*
 * The contents of a region of any size: 4 KiB pages allocated on first write, zeros elsewhere, so a
 * device may report a 16 GiB BAR without the model holding 16 GiB. Not thread-safe: the owning
 * VfioPciDevice serialises access.
 */
final class SparseBytes {
  private static final int PAGE_SHIFT = 12;
  private static final int PAGE = 1 << PAGE_SHIFT;

  private final Map<Long, byte[]> pages = new HashMap<>();

  byte get(long pos) {
    byte[] page = pages.get(pos >>> PAGE_SHIFT);
    return page == null ? 0 : page[(int) (pos & (PAGE - 1))];
  }

  void set(long pos, byte value) {
    byte[] page = pages.get(pos >>> PAGE_SHIFT);
    if (page == null) {
      if (value == 0) {
        return;
      }
      page = new byte[PAGE];
      pages.put(pos >>> PAGE_SHIFT, page);
    }
    page[(int) (pos & (PAGE - 1))] = value;
  }

  void clear() {
    pages.clear();
  }
}
