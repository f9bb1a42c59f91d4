package org.jvfio.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * Where guest RAM sits in guest physical (= IO virtual) address space, as an x86 VMM lays it out:
 * up to 3 GiB at address 0, the rest at 4 GiB, leaving the 1 GiB PCI hole unmapped. The migration
 * works on RAM offsets (one RAM block); devices and trackers see IOVAs.
 */
final class RamLayout {
  static final long LOW_RAM = 3L << 30;
  static final long HIGH_BASE = 4L << 30;

  /** One contiguous range: {@code length} bytes of RAM from {@code ramOffset}, at {@code iova}. */
  record Area(long iova, long ramOffset, long length) {}

  private final List<Area> areas;

  private RamLayout(List<Area> areas) {
    this.areas = List.copyOf(areas);
  }

  /** Returns the x86 layout of {@code memory} bytes of RAM. */
  static RamLayout x86(long memory) {
    List<Area> areas = new ArrayList<>();
    areas.add(new Area(0, 0, Math.min(memory, LOW_RAM)));
    if (memory > LOW_RAM) {
      areas.add(new Area(HIGH_BASE, LOW_RAM, memory - LOW_RAM));
    }
    return new RamLayout(areas);
  }

  List<Area> areas() {
    return areas;
  }

  /** Returns the IOVA of a RAM offset. */
  long iovaOf(long ramOffset) {
    return ramOffset < LOW_RAM ? ramOffset : ramOffset - LOW_RAM + HIGH_BASE;
  }
}
