package org.jvfio.core.iommufd;

import static org.jvfio.core.iommufd.Iovas.ULONG_MAX;
import static org.jvfio.core.iommufd.Iovas.lastOf;
import static org.jvfio.core.iommufd.Iovas.lastWraps;
import static org.jvfio.core.iommufd.Iovas.span;
import static org.jvfio.core.iommufd.Iovas.startOf;
import static org.jvfio.core.iommufd.Iovas.u;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.Range;
import com.google.common.collect.RangeMap;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeMap;
import com.google.common.collect.TreeRangeSet;
import com.google.common.primitives.UnsignedLong;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.iommufd.IommufdContext.Area;
import org.jvfio.core.iommufd.IommufdContext.Hwpt;
import org.jvfio.core.iommufd.IommufdContext.Obj;
import org.jvfio.core.iommufd.IommufdContext.Pages;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

/*
 * An IOAS (struct iommufd_ioas) and its io_pagetable (struct io_pagetable,
 * drivers/iommu/iommufd/io_pagetable.c): the areas mapped by IOVA, the reserved and allowed
 * ranges, the HWPTs whose domains mirror the areas, the accesses and their pins; and the
 * io_pagetable steps that need nothing but the IOAS: iopt_check_iova, iopt_alloc_iova,
 * iopt_get_pages, the unmap's checks, the removal of areas from the IOAS and its domains,
 * iopt_calculate_iova_alignment, iopt_check_iova_alignment, iopt_cut_iova, and mapping an area into
 * a domain. IommufdContext holds the objects and runs the ioctls; guarded by its lock.
 */
final class Ioas extends Obj {
  final RangeMap<UnsignedLong, Area> areas = TreeRangeMap.create();
  final List<IommufdAccess> accesses = new ArrayList<>(); // iopt->access_list
  final List<IommufdAccess.Pin> pins = new ArrayList<>(); // what area->num_accesses counts
  final Set<Area> preventAccess = Collections.newSetFromMap(new IdentityHashMap<>());
  RangeSet<UnsignedLong> allowed = TreeRangeSet.create(); // empty: no restriction
  final List<Hwpt> hwpts = new ArrayList<>();
  long iovaAlignment = 1;
  boolean disableLargePages; // IOMMU_OPTION_HUGE_PAGES 0: domains get PAGE_SIZE map calls
  // IOMMU_TEST_OP_ADD_RESERVED: iopt_reserve_iova with no owner, kept until the IOAS is destroyed
  final RangeSet<UnsignedLong> testReserved = TreeRangeSet.create();

  final long pageSize; // the host kernel's PAGE_SIZE
  private final long hpageSize; // its PMD_SIZE, the largest alignment iopt_alloc_iova picks

  Ioas(int id, long pageSize, long hpageSize) {
    super(id);
    this.pageSize = pageSize;
    this.hpageSize = hpageSize;
  }

  /** The reserved IOVA: the selftest's, and what each domain's aperture excludes. */
  RangeSet<UnsignedLong> reserved() {
    RangeSet<UnsignedLong> r = TreeRangeSet.create(testReserved);
    for (Hwpt h : hwpts) {
      r.addAll(h.reserved);
    }
    return r;
  }

  /** The areas that overlap {@code [start, last]}, in IOVA order. */
  List<Area> areasIn(long start, long last) {
    return ImmutableList.copyOf(areas.subRangeMap(span(start, last)).asMapOfRanges().values());
  }

  /** {@code iopt_check_iova}. */
  void checkIova(long iova, long length) {
    UapiException.check(
        (iova & (iovaAlignment - 1)) == 0, Errno.EINVAL, "iova not aligned to the IOAS");
    UapiException.check(!lastWraps(iova, length), Errno.EOVERFLOW, "iova + length wraps");
    Range<UnsignedLong> r = span(iova, iova + length - 1);
    UapiException.check(reserved().subRangeSet(r).isEmpty(), Errno.EINVAL, "range is reserved");
    UapiException.check(
        areas.subRangeMap(r).asMapOfRanges().isEmpty(), Errno.EEXIST, "range is mapped");
  }

  /** {@code iopt_alloc_iova}. */
  long allocIova(long addr, long length) {
    UapiException.check(
        length != 0 && Long.compareUnsigned(length, ULONG_MAX >>> 1) < 0,
        Errno.EOVERFLOW,
        "length too large to allocate");
    long align = length == 1 ? 1 : Long.highestOneBit(length - 1) << 1; // roundup_pow_of_two
    if (addr != 0) {
      align = Math.min(align, Long.lowestOneBit(addr));
    }
    align = Math.min(align, hpageSize);
    UapiException.check(
        align >= iovaAlignment, Errno.EINVAL, "allocation alignment below the IOAS's");
    long pageOffset = addr % pageSize;
    Range<UnsignedLong> window = span(pageSize, ULONG_MAX - pageSize);
    RangeSet<UnsignedLong> candidates =
        allowed.isEmpty() ? TreeRangeSet.create(List.of(window)) : allowed.subRangeSet(window);
    RangeSet<UnsignedLong> used = reserved();
    used.addAll(areas.asMapOfRanges().keySet());
    for (Range<UnsignedLong> a : candidates.asRanges()) {
      long start = fit(startOf(a), lastOf(a), length, align, pageOffset);
      if (start == 0) {
        continue;
      }
      for (Range<UnsignedLong> hole :
          used.complement().subRangeSet(span(start, lastOf(a))).asRanges()) {
        long at = fit(startOf(hole), lastOf(hole), length, align, pageOffset);
        if (at != 0) {
          return at;
        }
      }
    }
    throw new UapiException(Errno.ENOSPC, "no free IOVA for 0x" + Long.toHexString(length));
  }

  /** {@code __alloc_iova_check_range}: the aligned start that fits, or 0 (never a valid start). */
  private static long fit(long start, long last, long length, long align, long pageOffset) {
    long aligned = start + (align - 1);
    if (Long.compareUnsigned(aligned, start) < 0) {
      return 0;
    }
    aligned = (aligned & -align) | pageOffset;
    if (Long.compareUnsigned(aligned, last) >= 0
        || Long.compareUnsigned(last - aligned, length - 1) < 0) {
      return 0;
    }
    return aligned;
  }

  /**
   * Removes areas from the IOAS and every domain, one flush per domain; with a bitmap, the dirty
   * leaves of tracking domains are read in the same atomic step as their removal.
   */
  long removeAreas(List<Area> victims, Optional<IovaBitmap> bitmap) {
    for (Hwpt h : hwpts) {
      IommuDomain domain = h.domain;
      IotlbGather gather = new IotlbGather();
      boolean reading = bitmap.isPresent() && domain.hasDirtyOps() && domain.isDirtyTracking();
      for (Area a : victims) {
        long unmapped =
            reading
                ? domain.unmapReadingDirty(
                    a.iova(), a.length(), IommuDirtyBitmap.of(bitmap.get(), gather))
                : domain.unmap(a.iova(), a.length());
        // As the kernel's unmap_pages() does, gather what was removed (a large leaf may exceed the
        // area) with its page size, so every driver's sync invalidates after an unmap (even the
        // SMMUv3 iotlb_sync, which skips a gather without a page size: docs/fidelity.md, "Arm
        // SMMUv3").
        gather.addRange(a.iova(), Math.max(unmapped, a.length()));
        gather.addPage(a.iova(), Long.lowestOneBit(domain.pageSizeBitmap()));
      }
      domain.iotlbSync(gather);
    }
    long total = 0;
    for (Area a : victims) {
      areas.remove(span(a.iova(), a.last()));
      preventAccess.remove(a);
      total += a.length();
    }
    return total;
  }

  /** The areas {@code IOMMU_IOAS_UNMAP} of {@code [iova, iova + length)} removes, checked. */
  List<Area> unmapVictims(long iova, long length) {
    if (iova == 0 && length == ULONG_MAX) {
      return areasIn(0, ULONG_MAX);
    }
    UapiException.check(iova != ULONG_MAX && length != ULONG_MAX, Errno.EOVERFLOW, "ULONG_MAX");
    UapiException.check(length != 0, Errno.EINVAL, "length is 0");
    UapiException.check(!lastWraps(iova, length), Errno.EOVERFLOW, "iova + length wraps");
    long last = iova + length - 1;
    List<Area> victims = areasIn(iova, last);
    for (Area a : victims) {
      UapiException.check(
          Long.compareUnsigned(a.iova(), iova) >= 0 && Long.compareUnsigned(a.last(), last) <= 0,
          Errno.ENOENT,
          "unmap would split the area at 0x" + Long.toHexString(a.iova()));
    }
    UapiException.check(!victims.isEmpty(), Errno.ENOENT, "nothing mapped in range");
    return victims;
  }

  /** {@code iopt_get_pages}. */
  List<Pages> getPages(long iova, long length) {
    UapiException.check(length != 0, Errno.EINVAL, "length is 0");
    UapiException.check(!lastWraps(iova, length), Errno.EOVERFLOW, "src_iova + length wraps");
    long last = iova + length - 1;
    List<Pages> out = new ArrayList<>();
    long cur = iova;
    while (true) {
      Area a = areas.get(u(cur));
      UapiException.check(a != null, Errno.ENOENT, "source range not fully mapped");
      long pieceLast = Long.compareUnsigned(a.last(), last) < 0 ? a.last() : last;
      out.add(
          new Pages(
              a.userVa() + (cur - a.iova()), pieceLast - cur + 1, a.pagesWritable(), a.pagesId()));
      if (pieceLast == last) {
        return out;
      }
      cur = pieceLast + 1;
    }
  }

  /**
   * {@code iopt_calculate_iova_alignment}: PAGE_SIZE with huge pages off, else 1, raised to the
   * smallest IO page of every domain and the alignment of every access ({@link IommufdAccess}).
   */
  long alignment() {
    long align = disableLargePages ? pageSize : 1;
    for (Hwpt o : hwpts) {
      align = Math.max(align, Long.lowestOneBit(o.domain.pageSizeBitmap()));
    }
    for (IommufdAccess a : accesses) {
      align = Math.max(align, a.iovaAlignment());
    }
    return align;
  }

  /**
   * {@code iopt_check_iova_alignment}: every area's IOVA, length and page offset fit {@code align}.
   */
  void checkAreasAligned(long align) {
    for (Area a : areas.asMapOfRanges().values()) {
      UapiException.check(
          ((a.iova() | a.length() | (a.userVa() % pageSize)) & (align - 1)) == 0,
          Errno.EADDRINUSE,
          "area not aligned to the new IO page size");
    }
  }

  /**
   * Maps an area into a domain: in one call, or in PAGE_SIZE calls when the IOAS has huge pages
   * off, as {@code batch_iommu_map_small} in {@code drivers/iommu/iommufd/pages.c} does, so that
   * the domain holds no leaf larger than PAGE_SIZE.
   */
  void mapArea(IommuDomain domain, Area a) {
    if (!disableLargePages) {
      domain.map(a.iova(), a.userVa(), a.length(), a.prot());
      return;
    }
    // the IOAS alignment (PAGE_SIZE with huge pages off) makes every area whole pages
    for (long off = 0; off < a.length(); off += pageSize) {
      domain.map(a.iova() + off, a.userVa() + off, pageSize, a.prot());
    }
  }

  /** {@code iopt_cut_iova}: see {@link IommufdContext#ioasCutIova}. */
  void cutIova(long... iovas) {
    for (long iova : iovas) {
      Area a = areas.get(u(iova));
      if (a == null || iova == a.iova() || iova == a.last()) {
        continue;
      }
      long newStart = iova + 1;
      long newUserVa = a.userVa() + (newStart - a.iova());
      UapiException.check(!preventAccess.contains(a), Errno.EBUSY, "area is being unmapped");
      UapiException.check(
          ((newStart | newUserVa) & (iovaAlignment - 1)) == 0,
          Errno.EINVAL,
          "cut not aligned to the IOAS");
      UapiException.check(
          !IommufdAccess.pinsAny(this, a), Errno.EINVAL, "an access has pinned the area");
      UapiException.check(
          hwpts.isEmpty() || disableLargePages, Errno.EINVAL, "a domain may hold huge IOPTEs");
      areas.put(
          span(a.iova(), iova),
          new Area(
              a.iova(), newStart - a.iova(), a.userVa(), a.prot(), a.pagesWritable(), a.pagesId()));
      areas.put(
          span(newStart, a.last()),
          new Area(newStart, a.last() - iova, newUserVa, a.prot(), a.pagesWritable(), a.pagesId()));
    }
  }
}
