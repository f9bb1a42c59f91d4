package org.jvfio.testkit.contract;

import java.util.ArrayList;
import java.util.List;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.gen.DmaWrite;

/*
 * The IOVA layouts and DMA writes the domain contract generates. A plan is a few regions, each
 * mapped by one map call with leaves of one size from the sizes under test (the greedy split of
 * iommu_map may still choose larger leaves where both addresses happen to align; the reference
 * page table predicts that). Regions of leaves smaller than 2 MiB are often placed across a 2 MiB
 * boundary, so that the last entry of a 512-entry table is mapped, and writes prefer the first
 * page, the last page and the page before a 2 MiB boundary: the edges where walks go wrong.
 * Physical addresses come from one guest memory at MEMORY_BASE, aligned to the leaf size and
 * sometimes to no more, so that greedy splitting sees both aligned and misaligned pairs.
 */
record DomainPlan(List<DomainPlan.Region> regions, long memorySize) {
  static final long PAGE = 4096;
  static final long TABLE = 2L << 20;
  static final long MEMORY_BASE = 1L << 32;
  static final int RW = IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE;

  /** One map call: {@code [iova, iova + length)} to {@code physical}, made of {@code leaf}s. */
  record Region(long iova, long length, long physical, long leaf, int prot) {
    long last() {
      return iova + length - 1;
    }

    @Override
    public String toString() {
      return "[0x"
          + Long.toHexString(iova)
          + "+0x"
          + Long.toHexString(length)
          + " -> 0x"
          + Long.toHexString(physical)
          + " by 0x"
          + Long.toHexString(leaf)
          + ((prot & IommuDomain.IOMMU_WRITE) == 0 ? " RO]" : "]");
    }
  }

  DomainPlan {
    regions = List.copyOf(regions);
  }

  Region region(int index) {
    return regions.get(Math.floorMod(index, regions.size()));
  }

  /**
   * Plans of {@code minRegions..maxRegions} regions with gaps of at least {@code minGapPages} 4 KiB
   * pages between them.
   */
  static Gen<DomainPlan> plans(List<Long> sizes, int minRegions, int maxRegions, int minGapPages) {
    return src -> {
      int n = src.nextInt(minRegions, maxRegions);
      long iova = (1L << 30) * src.nextLong(1, 4);
      long pa = MEMORY_BASE;
      List<Region> regions = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        long leaf = sizes.get(src.nextInt(0, sizes.size() - 1));
        iova += minGapPages * PAGE;
        if (leaf < TABLE && src.nextBoolean()) {
          iova = alignUp(iova, TABLE) + TABLE - leaf * src.nextLong(1, 2); // crosses a 2 MiB line
        } else {
          iova = alignUp(iova, leaf) + leaf * src.nextLong(0, 2);
        }
        long count = src.nextLong(1, leaf < (64 << 10) ? 16 : leaf <= TABLE ? 3 : 1);
        pa = alignUp(pa, leaf) + leaf * src.nextLong(0, 1);
        int prot = src.nextInt(0, 3) == 3 ? IommuDomain.IOMMU_READ : RW;
        regions.add(new Region(iova, count * leaf, pa, leaf, prot));
        iova += count * leaf;
        pa += count * leaf;
      }
      return new DomainPlan(regions, alignUp(pa - MEMORY_BASE, TABLE));
    };
  }

  /** One write of 1 byte to 2 pages near an interesting page of a region (it may run past it). */
  Gen<DmaWrite> writes() {
    return src -> {
      Region r = regions.get(src.nextInt(0, regions.size() - 1));
      long pages = r.length() / PAGE;
      long page;
      switch (src.nextInt(0, 3)) {
        case 0:
          page = 0;
          break;
        case 1:
          page = pages - 1;
          break;
        case 2: // the page before the first 2 MiB line inside the region, else the last
          long line = alignUp(r.iova() + 1, TABLE);
          page =
              Long.compareUnsigned(line, r.last()) <= 0 ? (line - r.iova()) / PAGE - 1 : pages - 1;
          break;
        default:
          page = src.nextLong(0, pages - 1);
      }
      long offset = src.nextLong(0, PAGE - 1);
      return new DmaWrite(r.iova() + page * PAGE + offset, src.nextLong(1, 2 * PAGE - offset));
    };
  }

  static long alignUp(long value, long alignment) {
    return (value + alignment - 1) & -alignment;
  }

  @Override
  public String toString() {
    return "DomainPlan" + regions;
  }
}
