package org.jvfio.core.container;

import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_VADDR;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_ALL;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_VADDR;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioBitmap;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.api.vfio.VfioIovaRange;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

/*
 * struct vfio_iommu of drivers/vfio/vfio_iommu_type1.c: one container's type1 backend.
 *
 * State: the IOMMU domains (one per distinct driver and page-size set; physical groups of the
 * same kind share one), the emulated groups, the vfio_dma list (non-overlapping, keyed by IOVA
 * in unsigned order), dma_avail, pgsize_bitmap, num_non_pinned_groups, dirty_page_tracking,
 * vaddr_invalid_count and the emulated devices registered for dma_unmap callbacks. Every method
 * runs under the owning VfioContainer's lock; the DMA of physical devices reads a group's domain
 * through a volatile field and takes no lock.
 *
 * Pinning is the identity: a vaddr is an address in one of the process's guest memories and its
 * "pfn" is the same address. Pages are pinned (and must exist, else EFAULT) only when the
 * container has an IOMMU domain to fill, or when an emulated device pins them. RLIMIT_MEMLOCK
 * accounting, reserved regions (the x86 MSI window) and the unsafe-interrupts check are not
 * modelled: every IOMMU here isolates MSIs and the usable IOVA space is [0, aperture end].
 *
 * A dma's bitmap has room for one bit per PAGE_SIZE page, the smallest pgsize can ever be: a
 * domain with larger pages raises pgsize (fewer bits), and its group's detach lowers it again,
 * which in the kernel writes past a bitmap sized at the larger pgsize.
 *
 * Checks come in the kernel's order with its errnos: before the 2025 series "vfio/type1: handle
 * DMA map/unmap up to the addressable limit" a wrap is EINVAL; with it (addressableLimit) a zero
 * size is EINVAL first and a wrap EOVERFLOW. The series' other change, mappings that end at the
 * last IOVA, is not modelled: such a mapping is accepted but the model's overlap lookups, like the
 * unpatched kernel's, do not see it. Where the kernel would fail half-way, the model checks first so that a refused call
 * changes nothing; the exceptions are the kernel's own partial results: an EFAULT while copying
 * dirty bits leaves the dmas already reported (or removed, for unmap) as they are.
 */
final class Type1Iommu {
  static final int DMA_ENTRY_LIMIT = 65535; // module parameter dma_entry_limit, U16_MAX

  /** struct vfio_dma. */
  static final class Dma {
    final long iova;
    final long size;
    final int prot;
    long vaddr;
    boolean iommuMapped;
    boolean vaddrInvalid;
    final TreeMap<Long, Pin> pins = new TreeMap<>(Long::compareUnsigned); // pfn_list by iova
    long[] bitmap; // while tracking

    Dma(long iova, long size, int prot, long vaddr) {
      this.iova = iova;
      this.size = size;
      this.prot = prot;
      this.vaddr = vaddr;
    }

    long end() {
      return iova + size;
    }
  }

  /** struct vfio_pfn: a page pinned by emulated devices, with its physical page. */
  static final class Pin {
    final long physical;
    int refs;

    Pin(long physical) {
      this.physical = physical;
    }
  }

  /** struct vfio_domain: an IOMMU domain and the physical groups attached to it. */
  static final class Domain {
    final IommuDomain domain;
    final List<VfioGroup> groups = new ArrayList<>();

    Domain(IommuDomain domain) {
      this.domain = domain;
    }
  }

  final boolean v2;
  private final boolean addressableLimit; // the 2025 series: a wrap is EOVERFLOW
  final long pageSize; // the host's PAGE_SIZE
  private final List<GuestMemory> memories;
  final List<Domain> domains = new ArrayList<>();
  final Set<VfioGroup> emulatedGroups = new LinkedHashSet<>();
  final Set<GroupDevice> devices = new LinkedHashSet<>(); // device_list: emulated, dma_unmap
  final TreeMap<Long, Dma> dmas = new TreeMap<>(Long::compareUnsigned);
  int dmaAvail = DMA_ENTRY_LIMIT;
  long pgsizeBitmap;
  int numNonPinnedGroups;
  boolean dirtyTracking;
  int vaddrInvalidCount;

  Type1Iommu(boolean v2, boolean addressableLimit, long pageSize, List<GuestMemory> memories) {
    this.v2 = v2;
    this.addressableLimit = addressableLimit;
    this.pageSize = pageSize;
    this.memories = memories;
    this.pgsizeBitmap = -pageSize; // PAGE_MASK
  }

  /** {@code 1 << __ffs(pgsize_bitmap)}: the smallest supported IOMMU page. */
  long pgsize() {
    return Long.lowestOneBit(pgsizeBitmap);
  }

  /** Whether {@code [start, start + size - 1]} wraps around 2^64 ({@code size > 0}). */
  static boolean wraps(long start, long size) {
    return Long.compareUnsigned(start + size - 1, start) < 0;
  }

  /**
   * The wrap check of GET_BITMAP: {@code iova + size < iova} before the 2025 series (EINVAL),
   * {@code size == 0} (EINVAL) then {@code iova + size - 1} overflowing (EOVERFLOW) after it.
   */
  void checkBitmapRange(long iova, long size) {
    if (addressableLimit) {
      UapiException.check(size != 0, Errno.EINVAL, "size 0");
      UapiException.check(!wraps(iova, size), Errno.EOVERFLOW, "range wraps");
    } else {
      UapiException.check(
          Long.compareUnsigned(iova + size, iova) >= 0, Errno.EINVAL, "range wraps");
    }
  }

  /** {@code vfio_find_dma(start, size)} with the kernel's u64 arithmetic. */
  Dma find(long start, long size) {
    Map.Entry<Long, Dma> e = dmas.lowerEntry(start + size);
    if (e == null) {
      return null;
    }
    Dma d = e.getValue();
    return Long.compareUnsigned(start, d.end()) < 0 ? d : null;
  }

  /** The dmas whose IOVA lies in {@code [first, last]}, in IOVA order. */
  private List<Dma> dmasStartingIn(long first, long last) {
    return new ArrayList<>(dmas.subMap(first, true, last, true).values());
  }

  /** The bisection rule of v2 unmap and GET_BITMAP: EINVAL if the range cuts a dma. */
  private void checkNotBisected(long iova, long size) {
    Dma d = find(iova, 1);
    UapiException.check(d == null || d.iova == iova, Errno.EINVAL, "range starts inside a dma");
    d = find(iova + size - 1, 0);
    UapiException.check(
        d == null || d.end() == iova + size, Errno.EINVAL, "range ends inside a dma");
  }

  // --- groups -----------------------------------------------------------------------------------

  /** {@code vfio_iommu_type1_attach_group}, checks in the kernel's order. */
  void attachGroup(VfioGroup group) {
    UapiException.check(vaddrInvalidCount == 0, Errno.EBUSY, "a dma's vaddr is invalid");
    UapiException.check(
        !emulatedGroups.contains(group) && domainOf(group) == null,
        Errno.EINVAL,
        "group already attached");
    if (group.isEmulated()) {
      emulatedGroups.add(group);
      group.pinnedPageDirtyScope = true;
      return;
    }
    Domain shared = null;
    for (Domain d : domains) {
      if (d.domain.driver().name().equals(group.iommu().name())
          && d.domain.pageSizeBitmap() == group.iommu().pageSizeBitmap()) {
        shared = d;
        break;
      }
    }
    if (shared == null) {
      IommuDomain fresh = group.iommu().allocateDomain(DomainConfig.PLAIN);
      long end = fresh.apertureEnd();
      for (Dma d : dmas.values()) {
        UapiException.check(
            Long.compareUnsigned(d.end() - 1, end) <= 0, Errno.EINVAL, "aperture conflict");
        long align = Long.lowestOneBit(fresh.pageSizeBitmap());
        UapiException.check(
            ((d.iova | d.vaddr | d.size) & (align - 1)) == 0, Errno.EINVAL, "replay misaligned");
        if (!d.iommuMapped) {
          checkPinnable(d.vaddr, d.size);
        }
      }
      shared = new Domain(fresh);
      for (Dma d : dmas.values()) {
        fresh.map(d.iova, d.vaddr, d.size, d.prot);
        d.iommuMapped = true;
      }
      domains.add(shared);
      updatePgsizeBitmap();
    }
    shared.groups.add(group);
    group.domain = shared.domain;
    group.pinnedPageDirtyScope = false;
    numNonPinnedGroups++;
  }

  /** {@code vfio_iommu_type1_detach_group}. */
  void detachGroup(VfioGroup group) {
    if (emulatedGroups.remove(group)) {
      if (emulatedGroups.isEmpty() && domains.isEmpty()) {
        removeAllDmas();
      }
      return;
    }
    Domain d = domainOf(group);
    if (d == null) {
      return;
    }
    boolean updateDirtyScope = !group.pinnedPageDirtyScope;
    d.groups.remove(group);
    group.domain = null;
    if (d.groups.isEmpty()) {
      if (domains.size() == 1) {
        if (emulatedGroups.isEmpty()) {
          removeAllDmas();
        } else {
          for (Dma dma : dmas.values()) {
            dma.iommuMapped = false;
          }
        }
      }
      unmapAll(d.domain);
      domains.remove(d);
      updatePgsizeBitmap();
    }
    if (updateDirtyScope) {
      numNonPinnedGroups--;
      if (dirtyTracking) {
        for (Dma dma : dmas.values()) {
          DirtyBitmaps.set(dma.bitmap, 0, dma.size / pgsize());
        }
      }
    }
  }

  /** {@code vfio_iommu_type1_release}: everything goes. */
  void release() {
    removeAllDmas();
    for (Domain d : domains) {
      for (VfioGroup g : d.groups) {
        g.domain = null;
      }
    }
    domains.clear();
    emulatedGroups.clear();
  }

  private Domain domainOf(VfioGroup group) {
    for (Domain d : domains) {
      if (d.groups.contains(group)) {
        return d;
      }
    }
    return null;
  }

  /** {@code vfio_update_pgsize_bitmap}: AND of the domains, sub-PAGE_SIZE sizes hidden. */
  private void updatePgsizeBitmap() {
    long bitmap = -1L;
    for (Domain d : domains) {
      bitmap &= d.domain.pageSizeBitmap();
    }
    if ((bitmap & (pageSize - 1)) != 0) {
      bitmap = (bitmap & -pageSize) | pageSize;
    }
    pgsizeBitmap = domains.isEmpty() ? -pageSize : bitmap;
  }

  /** The usable IOVA ranges ({@code iova_list}): empty without a domain. */
  List<VfioIovaRange> iovaRanges() {
    if (domains.isEmpty()) {
      return List.of();
    }
    long end = -1L;
    for (Domain d : domains) {
      end = Long.compareUnsigned(d.domain.apertureEnd(), end) < 0 ? d.domain.apertureEnd() : end;
    }
    return List.of(new VfioIovaRange(0, end));
  }

  private boolean insideIovaList(long iova, long last) {
    List<VfioIovaRange> ranges = iovaRanges();
    if (ranges.isEmpty()) {
      return true;
    }
    for (VfioIovaRange r : ranges) {
      if (Long.compareUnsigned(iova, r.start()) >= 0 && Long.compareUnsigned(last, r.end()) <= 0) {
        return true;
      }
    }
    return false;
  }

  // --- MAP_DMA ----------------------------------------------------------------------------------

  /** {@code vfio_iommu_type1_map_dma} and {@code vfio_dma_do_map}. */
  void mapDma(VfioIommuType1DmaMap map) {
    int known = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR;
    UapiException.check(
        Integer.toUnsignedLong(map.argsz()) >= VfioIommuType1DmaMap.SIZE
            && (map.flags() & ~known) == 0,
        Errno.EINVAL,
        "argsz or flags");
    int prot =
        ((map.flags() & VFIO_DMA_MAP_FLAG_READ) != 0 ? IommuDomain.IOMMU_READ : 0)
            | ((map.flags() & VFIO_DMA_MAP_FLAG_WRITE) != 0 ? IommuDomain.IOMMU_WRITE : 0);
    boolean setVaddr = (map.flags() & VFIO_DMA_MAP_FLAG_VADDR) != 0;
    long iova = map.iova();
    long size = map.size();
    long vaddr = map.vaddr();
    boolean wraps = wraps(iova, size) || wraps(vaddr, size);
    if (addressableLimit) {
      UapiException.check(size != 0, Errno.EINVAL, "size 0");
      UapiException.check(!wraps, Errno.EOVERFLOW, "range wraps");
    }
    UapiException.check((prot != 0) != setVaddr, Errno.EINVAL, "VADDR with prot, or neither");
    long mask = pgsize() - 1;
    UapiException.check(
        size != 0 && ((size | iova | vaddr) & mask) == 0, Errno.EINVAL, "size 0 or unaligned");
    UapiException.check(!wraps, Errno.EINVAL, "range wraps");
    Dma dma = find(iova, size);
    if (setVaddr) {
      UapiException.check(dma != null, Errno.ENOENT, "no dma to update");
      UapiException.check(
          dma.vaddrInvalid && dma.iova == iova && dma.size == size,
          Errno.EINVAL,
          "VADDR must match an invalidated dma exactly");
      dma.vaddr = vaddr;
      dma.vaddrInvalid = false;
      vaddrInvalidCount--;
      return;
    }
    UapiException.check(dma == null, Errno.EEXIST, "overlaps a dma");
    UapiException.check(dmaAvail != 0, Errno.ENOSPC, "dma_entry_limit reached");
    UapiException.check(
        insideIovaList(iova, iova + size - 1), Errno.EINVAL, "outside the usable IOVA ranges");
    if (!domains.isEmpty()) {
      checkPinnable(vaddr, size);
    }
    long npages = size / pgsize();
    UapiException.check(
        !dirtyTracking || npages <= DirtyBitmaps.PAGES_MAX, Errno.EINVAL, "bitmap too large");
    Dma d = new Dma(iova, size, prot, vaddr);
    for (Domain dom : domains) {
      dom.domain.map(iova, vaddr, size, prot);
      d.iommuMapped = true;
    }
    if (dirtyTracking) {
      d.bitmap = DirtyBitmaps.allocate(size / pageSize);
    }
    dmas.put(iova, d);
    dmaAvail--;
  }

  /** Pinning by identity: EFAULT unless the range lies inside one guest memory. */
  void checkPinnable(long vaddr, long size) {
    UapiException.check(memoryOf(vaddr, size) != null, Errno.EFAULT, "vaddr not in guest memory");
  }

  GuestMemory memoryOf(long addr, long length) {
    for (GuestMemory m : memories) {
      if (m.contains(addr, length)) {
        return m;
      }
    }
    return null;
  }

  // --- UNMAP_DMA --------------------------------------------------------------------------------

  /**
   * {@code vfio_dma_do_unmap} after the ioctl's own checks; {@code bitmap} is present with {@code
   * GET_DIRTY_BITMAP}. Returns the bytes unmapped.
   */
  long unmapDma(int flags, long iova, long size, VfioBitmap bitmap, DirtyBitmaps.Words user) {
    boolean invalidateVaddr = (flags & VFIO_DMA_UNMAP_FLAG_VADDR) != 0;
    boolean unmapAll = (flags & VFIO_DMA_UNMAP_FLAG_ALL) != 0;
    boolean dirty = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) != 0;
    UapiException.check(
        !invalidateVaddr || emulatedGroups.isEmpty(), Errno.EBUSY, "VADDR with emulated groups");
    long pgsize = pgsize();
    UapiException.check((iova & (pgsize - 1)) == 0, Errno.EINVAL, "iova unaligned");
    if (unmapAll) {
      UapiException.check(iova == 0 && size == 0, Errno.EINVAL, "ALL with iova or size");
      size = -1L;
    } else {
      UapiException.check(
          size != 0 && (size & (pgsize - 1)) == 0, Errno.EINVAL, "size 0 or unaligned");
      UapiException.check(
          !wraps(iova, size), addressableLimit ? Errno.EOVERFLOW : Errno.EINVAL, "range wraps");
    }
    UapiException.check(
        !dirty || (dirtyTracking && bitmap.pgsize() == pgsize),
        Errno.EINVAL,
        "not tracking, or bitmap pgsize is not the smallest IOMMU page");
    if (v2 && !unmapAll) {
      checkNotBisected(iova, size);
    }
    long last = iova + size - 1;
    Map.Entry<Long, Dma> below = dmas.floorEntry(iova);
    Dma first =
        below != null && Long.compareUnsigned(iova, below.getValue().end()) < 0
            ? below.getValue()
            : null;
    if (first != null && !v2 && first.iova != iova) {
      return 0; // v1: a range starting inside a dma unmaps nothing from there
    }
    List<Dma> victims =
        new ArrayList<>(dmas.subMap(first != null ? first.iova : iova, true, last, true).values());
    long unmapped = 0;
    if (invalidateVaddr) {
      for (Dma d : victims) {
        UapiException.check(!d.vaddrInvalid, Errno.EINVAL, "vaddr already invalid");
      }
      for (Dma d : victims) {
        d.vaddrInvalid = true;
        vaddrInvalidCount++;
        unmapped += d.size;
      }
      return unmapped;
    }
    for (Dma d : victims) {
      if (!d.pins.isEmpty()) {
        notifyDmaUnmap(d.iova, d.size);
      }
      if (dirty) {
        DirtyBitmaps.report(
            d.bitmap,
            d.size / pgsize,
            (d.iova - iova) / pgsize,
            numNonPinnedGroups > 0 && d.iommuMapped,
            user);
      }
      removeDma(d);
      unmapped += d.size;
    }
    return unmapped;
  }

  /** Calls every registered emulated device's {@code dma_unmap}, which drops its pins there. */
  private void notifyDmaUnmap(long iova, long size) {
    for (GroupDevice dev : new ArrayList<>(devices)) {
      dev.dmaUnmap(iova, size);
    }
  }

  private void removeDma(Dma d) {
    if (d.iommuMapped) {
      for (Domain dom : domains) {
        IotlbGather gather = new IotlbGather();
        long n = dom.domain.unmap(d.iova, d.size);
        gather.addRange(d.iova, Math.max(n, d.size));
        gather.addPage(d.iova, Long.lowestOneBit(dom.domain.pageSizeBitmap()));
        dom.domain.iotlbSync(gather);
      }
    }
    if (d.vaddrInvalid) {
      vaddrInvalidCount--;
    }
    dmas.remove(d.iova);
    dmaAvail++;
  }

  private void removeAllDmas() {
    for (Dma d : new ArrayList<>(dmas.values())) {
      d.pins.clear();
      removeDma(d);
    }
  }

  private void unmapAll(IommuDomain domain) {
    for (Dma d : dmas.values()) {
      domain.unmap(d.iova, d.size);
    }
    domain.iotlb().invalidateAll();
  }

  // --- DIRTY_PAGES ------------------------------------------------------------------------------

  /** START: idempotent; every dma gets a bitmap holding its pinned pages. */
  void startDirty() {
    if (dirtyTracking) {
      return;
    }
    long pgsize = pgsize();
    for (Dma d : dmas.values()) {
      UapiException.check(
          d.size / pgsize <= DirtyBitmaps.PAGES_MAX, Errno.EINVAL, "dma too large for a bitmap");
    }
    for (Dma d : dmas.values()) {
      d.bitmap = DirtyBitmaps.allocate(d.size / pageSize);
      populate(d, pgsize);
    }
    dirtyTracking = true;
  }

  /** STOP: idempotent; the bitmaps and everything not yet reported are dropped. */
  void stopDirty() {
    if (dirtyTracking) {
      dirtyTracking = false;
      for (Dma d : dmas.values()) {
        d.bitmap = null;
      }
    }
  }

  /** {@code vfio_dma_populate_bitmap}: sets the bit of every pinned page. */
  private static void populate(Dma d, long pgsize) {
    for (long pinned : d.pins.keySet()) {
      DirtyBitmaps.set(d.bitmap, (pinned - d.iova) / pgsize, 1);
    }
  }

  /** {@code vfio_iova_dirty_bitmap}: reports every dma in the range and refills from the pins. */
  void reportDirty(long iova, long size, long pgsize, DirtyBitmaps.Words user) {
    checkNotBisected(iova, size);
    for (Dma d : dmasStartingIn(iova, iova + size - 1)) {
      long nbits = d.size / pgsize;
      DirtyBitmaps.report(
          d.bitmap, nbits, (d.iova - iova) / pgsize, numNonPinnedGroups > 0 && d.iommuMapped, user);
      DirtyBitmaps.clearPrefix(d.bitmap, nbits);
      populate(d, pgsize);
    }
  }
}
