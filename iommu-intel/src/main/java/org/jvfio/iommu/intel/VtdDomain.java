package org.jvfio.iommu.intel;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicLong;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DirtyLeafScanner;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;

/*
 * A VT-d paging domain over one table in a PageTableMemory, in the second-stage or the
 * first-stage format (VtdFormat). Levels are 1 (PTE, 4 KiB) .. levels (3, 4 or 5); entry i of a
 * level-l table covers 2^(12 + 9 (l - 1)) bytes.
 *
 * Control plane (map, unmap, split, collapse, harvest, tracking, attach) is serialised by the
 * caller; it writes entries a concurrent DMA walk may read with volatile stores or atomics, and
 * builds new tables privately before publishing them with one compare-and-swap.
 *
 * Hardware path (translate, setDirtyByHardware) runs on many threads. A walk that meets a
 * not-present entry re-reads the table entry it came through; if that changed (a collapse took the
 * table out and cleared its children, an unmap detached it), the walk starts again instead of
 * reporting a fault the hardware, whose invalidation drains walks in flight, would not raise.
 * With dirty tracking on (the
 * SSADE of the attached PASID entries, mirrored in the volatile `tracking`), the walk sets A in the
 * leaf by CAS and the write sets D (and A) by CAS against the leaf value it walked, ignoring A/D;
 * if the slot no longer holds that leaf (unmapped, split into a table, collapsed) the update
 * fails and the DMA engine walks again (spec §5.2 step 5, trap T16). The first stage never
 * updates anything: A/D are pre-set at map time and tracking is never on.
 *
 * Dirty harvest (spec §1.3, §3.5): an iterative walk that keeps a per-level table stack and the
 * current IOVA, so it costs O(present entries) and allocates nothing per entry; holes are skipped,
 * a dirty leaf is recorded at its whole size from the current IOVA (as iommupt's record_dirty: for
 * a range starting inside a leaf, from the range start, so the record runs past the leaf by the
 * start's offset into it; the bitmap clips at its own end), and D is cleared with
 * an atomic AND (trap T9) unless NO_CLEAR. As upstream's record_dirty, D of the whole leaf is
 * cleared even where the leaf extends past the range, so harvesting part of a large leaf drops the
 * dirty state of the rest (iommufd harvests whole areas). The pre-iommupt EINVAL for a bitmap on
 * a domain with tracking off is not modelled (iommupt dropped it). NO_CLEAR still widens the
 * gather (as the legacy code did); nobody syncs it. No flush here (trap T11): the caller syncs.
 *
 * Split (spec §5.2): the replacement table is built privately with every child inheriting the
 * leaf's A/D, published by CAS against the leaf value just read (a concurrent hardware D update
 * makes it fail and the split is rebuilt), then the old leaf's range is invalidated.
 *
 * Collapse (spec §5.2, trap T17): the children are checked (contiguous, same attributes), the new
 * leaf carries the OR of their A/D, is published by CAS, the range is invalidated, and then every
 * child is atomically swapped to 0 while its A/D is ORed into the new leaf: a write that dirtied a
 * child through a stale translation before that point is carried over, and one attempted after it
 * fails its CAS and re-walks to the new leaf. Only then is the old table freed.
 *
 * Freed tables: unmap and map (replacing an empty table by a large leaf) detach tables that a
 * concurrent walk may still be reading; they are freed on the next iotlbSync, after its
 * invalidation, like the kernel's gather freelist.
 */
final class VtdDomain implements IntelDomain {
  private static final long PAGE_MASK = 0xFFFL;
  private static final long OA_LIMIT = 1L << 52; // bits 51:12 hold the output address
  private static final int NO_CLEAR = Iommufd.IOMMU_DIRTY_NO_CLEAR;

  private final IommuDriver driver;
  private final VtdIommu unit;
  private final VtdFormat format;
  private final DomainConfig config;
  private final int levels;
  private final long pageSizeBitmap;
  private final long apertureEnd;
  private final int domainId;
  private final PageTableMemory memory = new PageTableMemory();
  private final Iotlb iotlb = new Iotlb();
  private final long root;
  private volatile boolean tracking;

  /** (device, PASID) key -> the PASID entry this domain programmed there; guarded by unit. */
  private final Map<Long, PasidEntry> attachments = new LinkedHashMap<>();

  private final AtomicLong pasidCacheInvalidations = new AtomicLong();
  private final AtomicLong deviceTlbInvalidations = new AtomicLong();

  private long[] pendingFree = new long[16];
  private int pendingCount;

  VtdDomain(
      IommuDriver driver,
      VtdIommu unit,
      VtdFormat format,
      DomainConfig config,
      int levels,
      long pageSizeBitmap,
      int apertureBits) {
    this.driver = driver;
    this.unit = unit;
    this.format = format;
    this.config = config;
    this.levels = levels;
    this.pageSizeBitmap = pageSizeBitmap;
    this.apertureEnd = apertureBits >= 64 ? -1L : (1L << apertureBits) - 1;
    this.domainId = unit.allocateDomainId();
    this.root = memory.allocateFrame();
  }

  // --- geometry -------------------------------------------------------------------------------

  private static int shift(int level) {
    return 12 + 9 * (level - 1);
  }

  private static long levelSize(int level) {
    return 1L << shift(level);
  }

  private static long slot(long table, long iova, int level) {
    return table + (((iova >>> shift(level)) & 511) << 3);
  }

  private static int levelOf(long size) {
    return (Long.numberOfTrailingZeros(size) - 12) / 9 + 1;
  }

  /** Validates a page-aligned, non-empty, non-wrapping range inside the aperture; returns last. */
  private long checkRange(long iova, long size) {
    if (size == 0 || ((iova | size) & PAGE_MASK) != 0) {
      throw new IllegalArgumentException(
          String.format("range [%#x, +%#x) is empty or not 4 KiB aligned", iova, size));
    }
    long last = iova + size - 1;
    if (Long.compareUnsigned(last, iova) < 0 || Long.compareUnsigned(last, apertureEnd) > 0) {
      throw new IllegalArgumentException(
          String.format(
              "range [%#x, +%#x) wraps or passes the aperture end %#x", iova, size, apertureEnd));
    }
    return last;
  }

  // --- IommuDomain: identity --------------------------------------------------------------------

  @Override
  public IommuDriver driver() {
    return driver;
  }

  @Override
  public DomainConfig config() {
    return config;
  }

  @Override
  public long pageSizeBitmap() {
    return pageSizeBitmap;
  }

  @Override
  public Iotlb iotlb() {
    return iotlb;
  }

  @Override
  public PageTableMemory memory() {
    return memory;
  }

  @Override
  public int domainId() {
    return domainId;
  }

  @Override
  public long apertureEnd() {
    return apertureEnd;
  }

  // --- map / unmap ------------------------------------------------------------------------------

  @Override
  public void map(long iova, long physical, long size, int prot) {
    long last = checkRange(iova, size);
    if ((physical & PAGE_MASK) != 0
        || Long.compareUnsigned(physical, OA_LIMIT) >= 0
        || Long.compareUnsigned(size, OA_LIMIT - physical) > 0) {
      throw new IllegalArgumentException(
          String.format("physical range [%#x, +%#x) not encodable", physical, size));
    }
    UapiException.check(
        (prot & (IOMMU_READ | IOMMU_WRITE)) != 0,
        Errno.EINVAL,
        "a VT-d mapping needs IOMMU_READ or IOMMU_WRITE (no present bit)");
    UapiException.check(
        !config.nestParent() || (prot & IOMMU_WRITE) != 0,
        Errno.EINVAL,
        "Read-only mapping is disallowed on the domain which serves as the parent in a nested"
            + " configuration, due to HW errata (ERRATA_772415_SPR17)");
    boolean[] overlaps = {false};
    forEachLeaf(
        root,
        levels,
        0,
        iova,
        last,
        (slot, e, level, leafIova) -> {
          overlaps[0] = true;
          return false;
        });
    if (overlaps[0]) {
      throw new IllegalArgumentException(
          String.format("[%#x, +%#x) overlaps an existing mapping", iova, size));
    }
    long cur = iova;
    long pa = physical;
    long remaining = size;
    while (remaining != 0) {
      int level = largestLevel(cur, pa, remaining);
      installLeaf(cur, pa, level, prot);
      long s = levelSize(level);
      cur += s;
      pa += s;
      remaining -= s;
    }
  }

  /** Returns the level of the leaf mapping {@code iova}, or 0 if unmapped. */
  private int leafLevel(long iova) {
    long table = root;
    for (int level = levels; level >= 1; level--) {
      long e = memory.getVolatile(slot(table, iova, level));
      if (!format.present(e)) {
        return 0;
      }
      if (VtdFormat.isLeaf(e, level)) {
        return level;
      }
      table = VtdFormat.address(e);
    }
    return 0;
  }

  private int largestLevel(long iova, long pa, long remaining) {
    for (int level = 3; level > 1; level--) {
      long s = levelSize(level);
      if ((pageSizeBitmap & s) != 0 && ((iova | pa) & (s - 1)) == 0 && remaining >= s) {
        return level;
      }
    }
    return 1;
  }

  private void installLeaf(long iova, long pa, int level, int prot) {
    long table = root;
    for (int l = levels; l > level; l--) {
      long slot = slot(table, iova, l);
      long e = memory.get(slot);
      if (format.present(e)) {
        table = VtdFormat.address(e); // a table: the overlap check excluded leaves
      } else {
        long child = memory.allocateFrame();
        memory.setVolatile(slot, format.tableEntry(child));
        table = child;
      }
    }
    long slot = slot(table, iova, level);
    long old = memory.get(slot);
    memory.setVolatile(slot, format.leafEntry(pa, level, prot));
    if (format.present(old)) { // an empty table left behind by unmap, replaced by a large leaf
      deferFreeTable(VtdFormat.address(old), level - 1);
    }
  }

  @Override
  public long unmap(long iova, long size) {
    long last = checkRange(iova, size);
    int level = leafLevel(iova);
    if (level != 0 && (iova & (levelSize(level) - 1)) != 0) {
      return 0; // a leaf that starts before iova: iommupt refuses to cut it and unmaps nothing
    }
    holeMet = false;
    return unmapTable(root, levels, 0, iova, last, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>VT-d: each leaf is removed by an atomic exchange with 0, and recorded if the value removed
   * had D set, so a hardware update either lands before the removal (and is recorded) or finds the
   * slot empty and faults.
   */
  @Override
  public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
    long last = checkRange(iova, size);
    int level = leafLevel(iova);
    if (level != 0 && (iova & (levelSize(level) - 1)) != 0) {
      return 0;
    }
    holeMet = false;
    return unmapTable(root, levels, 0, iova, last, dirty);
  }

  /** Set by {@link #unmapTable} when it stops at a non-present entry, as iommupt's walk does. */
  private boolean holeMet;

  /**
   * Unmaps leaves starting in [first, last] up to the first non-present entry (iommupt's {@code
   * __unmap_range} stops there); with {@code dirty}, records the dirty ones removed.
   */
  private long unmapTable(
      long table, int level, long base, long first, long last, IommuDirtyBitmap dirty) {
    long size = levelSize(level);
    long unmapped = 0;
    for (int i = firstIndex(first, base, level); i < 512; i++) {
      long entryIova = base + i * size;
      if (Long.compareUnsigned(entryIova, last) > 0) {
        break;
      }
      long slot = table + ((long) i << 3);
      long e = memory.get(slot);
      if (!format.present(e)) {
        holeMet = true;
        break;
      }
      if (VtdFormat.isLeaf(e, level)) {
        if (dirty == null) {
          memory.setVolatile(slot, 0);
        } else if ((memory.getAndBitwiseAnd(slot, 0) & format.dirty) != 0) {
          dirty.record(entryIova, size);
        }
        unmapped += size; // the whole leaf, even past last (trap T15)
      } else {
        long child = VtdFormat.address(e);
        unmapped += unmapTable(child, level - 1, entryIova, first, last, dirty);
        if (holeMet) {
          break;
        }
        long entryLast = entryIova + size - 1;
        if (Long.compareUnsigned(entryIova, first) >= 0
            && Long.compareUnsigned(entryLast, last) <= 0) {
          memory.setVolatile(slot, 0);
          deferFreeTable(child, level - 1);
        }
      }
    }
    return unmapped;
  }

  // --- lookups and the hardware path ------------------------------------------------------------

  @Override
  public OptionalLong iovaToPhys(long iova) {
    if (Long.compareUnsigned(iova, apertureEnd) > 0) {
      return OptionalLong.empty();
    }
    long table = root;
    for (int level = levels; level >= 1; level--) {
      long e = memory.getVolatile(slot(table, iova, level));
      if (!format.present(e)) {
        return OptionalLong.empty();
      }
      if (VtdFormat.isLeaf(e, level)) {
        return OptionalLong.of(VtdFormat.address(e) + (iova & (levelSize(level) - 1)));
      }
      table = VtdFormat.address(e);
    }
    return OptionalLong.empty();
  }

  @Override
  public Optional<Translation> translate(long iova) {
    if (Long.compareUnsigned(iova, apertureEnd) > 0) {
      return Optional.empty();
    }
    walk:
    while (true) {
      long table = root;
      long parentSlot = 0;
      long parent = 0;
      for (int level = levels; level >= 1; level--) {
        long slot = slot(table, iova, level);
        long e = memory.getVolatile(slot);
        if (!format.present(e)) {
          if (parentSlot != 0 && memory.getVolatile(parentSlot) != parent) {
            continue walk; // the table was replaced under the walk (collapse, unmap): walk again
          }
          return Optional.empty();
        }
        if (!VtdFormat.isLeaf(e, level)) {
          parentSlot = slot;
          parent = e;
          table = VtdFormat.address(e);
          continue;
        }
        boolean on = tracking;
        if (on && (e & format.accessed) == 0) {
          // The walk's A update: interlocked, and retried from the top if the entry changed.
          if (!memory.compareAndSet(slot, e, e | format.accessed)) {
            continue walk;
          }
          e |= format.accessed;
        }
        long size = levelSize(level);
        return Optional.of(
            new Translation(
                iova & -size,
                size,
                VtdFormat.address(e),
                format.readable(e),
                format.writable(e),
                !on || (e & format.dirty) != 0,
                slot,
                e));
      }
      return Optional.empty();
    }
  }

  @Override
  public boolean setDirtyByHardware(Translation t) {
    long identity = format.identity(t.entry());
    long mark = format.dirty | format.accessed;
    while (true) {
      long cur = memory.getVolatile(t.slot());
      if (format.identity(cur) != identity) {
        return false; // unmapped, split into a table or collapsed: the engine walks again
      }
      if ((cur & format.dirty) != 0 || memory.compareAndSet(t.slot(), cur, cur | mark)) {
        return true;
      }
    }
  }

  @Override
  public long[] walk(long iova) {
    long[] out = new long[levels];
    int n = 0;
    long table = root;
    for (int level = levels; level >= 1; level--) {
      long e = memory.getVolatile(slot(table, iova, level));
      out[n++] = e;
      if (!format.present(e) || VtdFormat.isLeaf(e, level)) {
        break;
      }
      table = VtdFormat.address(e);
    }
    return Arrays.copyOf(out, n);
  }

  /**
   * Decodes {@code entry}; {@code level} counts as {@link VtdPte} does (1 = PTE), so {@code
   * walk(iova)[i]} is at level {@code levels - i}.
   */
  @Override
  public String describeEntry(long entry, int level) {
    return format.describe(entry, level);
  }

  // --- dirty tracking ---------------------------------------------------------------------------

  @Override
  public boolean isDirtyTracking() {
    return tracking;
  }

  @Override
  public void setDirtyTracking(boolean enable) {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
    synchronized (unit) {
      if (tracking == enable) {
        return;
      }
      for (PasidEntry pe : attachments.values()) {
        UapiException.check(
            pe.pgtt() == PasidEntry.PGTT_SL_ONLY || pe.pgtt() == PasidEntry.PGTT_NESTED,
            Errno.EOPNOTSUPP,
            "PASID entry PGTT " + pe.pgtt() + " has no second stage");
      }
      // Hardware sees the new SSADE once the PASID cache is flushed; the model's walker reads
      // `tracking`, so it flips before the IOTLB flush that drops translations of the old state.
      tracking = enable;
      for (Map.Entry<Long, PasidEntry> a : attachments.entrySet()) {
        a.setValue(a.getValue().withSsade(enable));
        flushForPasidEntryChange();
      }
      if (attachments.isEmpty()) {
        iotlb.invalidateAll(); // the model's IOTLB is per domain; no translation of the old state
      }
    }
  }

  /**
   * The flushes of spec §3.4 after an in-place PASID-entry change: PASID cache (PASID-selective
   * within domain), IOTLB (domain-selective), device TLB unless caching mode.
   */
  private void flushForPasidEntryChange() {
    pasidCacheInvalidations.incrementAndGet();
    iotlb.invalidateAll();
    if (!unit.registers.cachingMode()) {
      deviceTlbInvalidations.incrementAndGet();
    }
  }

  @Override
  public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
    if ((flags & ~NO_CLEAR) != 0) {
      throw new IllegalArgumentException("unknown read_and_clear_dirty flags: " + flags);
    }
    if (size == 0) {
      return;
    }
    long last = iova + size - 1;
    if (Long.compareUnsigned(last, iova) < 0) {
      throw new IllegalArgumentException("range wraps");
    }
    boolean clear = (flags & NO_CLEAR) == 0;
    long d = format.dirty;
    long reach = shift(levels) + 9 < 64 ? (1L << (shift(levels) + 9)) - 1 : -1L;
    long[] tables = new long[levels + 1];
    int level = levels;
    tables[level] = root;
    long cur = iova;
    // Read-write leaves go to the harvest kernel up to 64 at a time (second stage only).
    DirtyLeafScanner pages = format == VtdFormat.SECOND_STAGE ? SS_PAGES.scanner(memory) : null;
    DirtyLeafScanner blocks = format == VtdFormat.SECOND_STAGE ? SS_BLOCKS.scanner(memory) : null;
    while (Long.compareUnsigned(cur, reach) <= 0) {
      int sh = shift(level);
      long slot = tables[level] + (((cur >>> sh) & 511) << 3);
      long e = memory.getVolatile(slot);
      long next = (cur | ((1L << sh) - 1)) + 1;
      if (format.present(e)) {
        if (!VtdFormat.isLeaf(e, level)) {
          tables[--level] = VtdFormat.address(e);
          continue; // same cur, one level down
        }
        // Whole leaves from an aligned cur up to the range end, the table end and 64.
        long whole = (last - cur + 1) >>> sh; // 0 if the range is the whole 2^64: per entry
        int n = (int) Math.min(Math.min(64, 512 - ((cur >>> sh) & 511)), whole);
        DirtyLeafScanner scan = level == 1 ? pages : blocks;
        boolean kernel = scan != null && (cur & ((1L << sh) - 1)) == 0 && n > 0;
        if (kernel) {
          dirty.recordLeaves(cur, 1L << sh, scan.readAndClear(slot, n, clear));
        }
        if (kernel && scan.consumed() > 0) {
          next = cur + ((long) scan.consumed() << sh);
        } else if ((e & d) != 0) {
          if (clear) {
            memory.getAndBitwiseAnd(slot, ~d); // atomic: a concurrent A update is kept
          }
          dirty.record(cur, 1L << sh); // from the current IOVA, the whole item size (iommupt)
        }
      }
      if (next == 0 || Long.compareUnsigned(next, last) > 0) {
        return;
      }
      cur = next;
      while (level < levels && ((cur >>> shift(level)) & 511) == 0) {
        level++; // crossed the end of a table: continue in its parent
      }
    }
  }

  /**
   * Second-stage read-write leaves as the harvest kernel sees them (4 KiB at level 1, PS leaves
   * above): D is the dirty state, cleared to clean; A is the other bit the hardware sets; entries
   * with R = W = 0 are holes. Read-only or write-only leaves stop the kernel and take the per-entry
   * path.
   */
  private static final DirtyLeafScanner.Format SS_PAGES =
      new DirtyLeafScanner.Format(
          VtdPte.SS_R | VtdPte.SS_W,
          VtdPte.SS_R | VtdPte.SS_W,
          VtdPte.SS_R | VtdPte.SS_W,
          VtdPte.SS_D,
          VtdPte.SS_D,
          ~VtdPte.SS_D,
          0,
          VtdPte.SS_A);

  private static final DirtyLeafScanner.Format SS_BLOCKS =
      new DirtyLeafScanner.Format(
          VtdPte.SS_R | VtdPte.SS_W | VtdPte.SS_PS,
          VtdPte.SS_R | VtdPte.SS_W | VtdPte.SS_PS,
          VtdPte.SS_R | VtdPte.SS_W,
          VtdPte.SS_D,
          VtdPte.SS_D,
          ~VtdPte.SS_D,
          0,
          VtdPte.SS_A);

  // --- split / collapse -------------------------------------------------------------------------

  @Override
  public void split(long iova, long length, long pageSize) {
    if (Long.bitCount(pageSize) != 1 || (pageSizeBitmap & pageSize) == 0) {
      throw new IllegalArgumentException("not a page size of this domain: " + pageSize);
    }
    long last = checkRange(iova, length);
    int target = levelOf(pageSize);
    forEachLeaf(
        root,
        levels,
        0,
        iova,
        last,
        (slot, e, level, leafIova) -> {
          if (level > target) {
            splitLeaf(slot, level, leafIova, target, iova, last);
          }
          return true;
        });
  }

  private void splitLeaf(long slot, int level, long leafIova, int target, long first, long last) {
    while (true) {
      long v = memory.getVolatile(slot);
      long table = buildSplit(v, level, leafIova, target, first, last);
      if (memory.compareAndSet(slot, v, format.tableEntry(table))) {
        break;
      }
      freeTable(table, level - 1); // never published; rebuild with the hardware's new A/D
    }
    iotlb.invalidateRange(leafIova, levelSize(level));
  }

  /** Builds, unpublished, the table replacing leaf {@code v}; children replicate its A/D. */
  private long buildSplit(long v, int level, long leafIova, int target, long first, long last) {
    long table = memory.allocateFrame();
    int childLevel = level - 1;
    long childSize = levelSize(childLevel);
    long attrs = v & ~VtdPte.ADDRESS_MASK & ~VtdFormat.PS;
    if (childLevel > 1) {
      attrs |= VtdFormat.PS;
    }
    long base = VtdFormat.address(v);
    for (int i = 0; i < 512; i++) {
      long childIova = leafIova + i * childSize;
      long child = (base + i * childSize) | attrs;
      if (childLevel > target
          && Long.compareUnsigned(childIova, last) <= 0
          && Long.compareUnsigned(childIova + childSize - 1, first) >= 0) {
        child = format.tableEntry(buildSplit(child, childLevel, childIova, target, first, last));
      }
      memory.set(table + ((long) i << 3), child);
    }
    return table;
  }

  @Override
  public void collapse(long iova, long length) {
    long last = checkRange(iova, length);
    collapseTable(root, levels, 0, iova, last);
  }

  private void collapseTable(long table, int level, long base, long first, long last) {
    long size = levelSize(level);
    for (int i = firstIndex(first, base, level); i < 512; i++) {
      long entryIova = base + i * size;
      if (Long.compareUnsigned(entryIova, last) > 0) {
        break;
      }
      long slot = table + ((long) i << 3);
      long e = memory.get(slot);
      if (!format.present(e) || VtdFormat.isLeaf(e, level)) {
        continue;
      }
      if (level - 1 >= 2) {
        collapseTable(VtdFormat.address(e), level - 1, entryIova, first, last);
      }
      long entryLast = entryIova + size - 1;
      if (level <= 3
          && (pageSizeBitmap & size) != 0
          && Long.compareUnsigned(entryIova, first) >= 0
          && Long.compareUnsigned(entryLast, last) <= 0) {
        collapseEntry(slot, level, entryIova);
      }
    }
  }

  private void collapseEntry(long slot, int level, long entryIova) {
    long te = memory.get(slot);
    long child = VtdFormat.address(te);
    int childLevel = level - 1;
    long childSize = levelSize(childLevel);
    long leaf;
    do {
      long e0 = memory.getVolatile(child);
      if (!format.present(e0) || !VtdFormat.isLeaf(e0, childLevel)) {
        return;
      }
      long base = VtdFormat.address(e0);
      if ((base & (levelSize(level) - 1)) != 0) {
        return;
      }
      long attrs = format.identity(e0) & ~VtdPte.ADDRESS_MASK & ~VtdFormat.PS;
      long ad = 0;
      for (int i = 0; i < 512; i++) {
        long e = memory.getVolatile(child + ((long) i << 3));
        if (!format.present(e)
            || !VtdFormat.isLeaf(e, childLevel)
            || VtdFormat.address(e) != base + i * childSize
            || (format.identity(e) & ~VtdPte.ADDRESS_MASK & ~VtdFormat.PS) != attrs) {
          return;
        }
        ad |= e & (format.accessed | format.dirty);
      }
      leaf = base | attrs | VtdFormat.PS | ad;
    } while (!memory.compareAndSet(slot, te, leaf));
    iotlb.invalidateRange(entryIova, levelSize(level));
    // After the invalidation: take each child out atomically and carry its A/D over (trap T17).
    long ad = 0;
    for (int i = 0; i < 512; i++) {
      ad |= memory.getAndBitwiseAnd(child + ((long) i << 3), 0L);
    }
    ad &= format.accessed | format.dirty;
    if ((ad & ~leaf) != 0) {
      memory.getAndBitwiseOr(slot, ad);
    }
    memory.freeFrame(child);
  }

  // --- table walking helpers --------------------------------------------------------------------

  private interface LeafVisitor {
    /** Visits a present leaf; returns false to stop the walk. */
    boolean visit(long slot, long entry, int level, long leafIova);
  }

  /** Visits the present leaves overlapping [first, last] in IOVA order; false if stopped. */
  private boolean forEachLeaf(
      long table, int level, long base, long first, long last, LeafVisitor visitor) {
    long size = levelSize(level);
    for (int i = firstIndex(first, base, level); i < 512; i++) {
      long entryIova = base + i * size;
      if (Long.compareUnsigned(entryIova, last) > 0) {
        break;
      }
      long slot = table + ((long) i << 3);
      long e = memory.getVolatile(slot);
      if (format.present(e)) {
        boolean go =
            VtdFormat.isLeaf(e, level)
                ? visitor.visit(slot, e, level, entryIova)
                : forEachLeaf(VtdFormat.address(e), level - 1, entryIova, first, last, visitor);
        if (!go) {
          return false;
        }
      }
    }
    return true;
  }

  /** Returns the index of the first entry of the table at {@code base} that may reach first. */
  private static int firstIndex(long first, long base, int level) {
    return Long.compareUnsigned(first, base) > 0 ? (int) ((first - base) >>> shift(level)) : 0;
  }

  private void deferFreeTable(long table, int level) {
    if (pendingCount == pendingFree.length) {
      pendingFree = Arrays.copyOf(pendingFree, pendingCount * 2);
    }
    pendingFree[pendingCount++] = ((long) level << 56) | table;
  }

  /**
   * {@inheritDoc}
   *
   * <p>VT-d: frees the tables unmaps left for the next sync, then the whole tree from the root.
   */
  @Override
  public void free() {
    iotlbSync(syncAll()); // the whole IOTLB, then the pending frees
    freeTable(root, levels);
  }

  private static IotlbGather syncAll() {
    IotlbGather g = new IotlbGather();
    g.addRange(0, -1L);
    return g;
  }

  /** Frees a table and every table below it (the caller guarantees nothing references them). */
  private void freeTable(long table, int level) {
    if (level > 1) {
      for (int i = 0; i < 512; i++) {
        long e = memory.get(table + ((long) i << 3));
        if (format.present(e) && !VtdFormat.isLeaf(e, level)) {
          freeTable(VtdFormat.address(e), level - 1);
        }
      }
    }
    memory.freeFrame(table);
  }

  @Override
  public void iotlbSync(IotlbGather gather) {
    if (gather.isEmpty()) {
      return;
    }
    long length = gather.end() - gather.start() + 1;
    if (length == 0) {
      iotlb.invalidateAll();
    } else {
      iotlb.invalidateRange(gather.start(), length);
    }
    for (int i = 0; i < pendingCount; i++) {
      long p = pendingFree[i];
      freeTable(p & ((1L << 56) - 1), (int) (p >>> 56));
    }
    pendingCount = 0;
  }

  // --- attachment (IntelDomain) -----------------------------------------------------------------

  @Override
  public void attach(int device, int pasid) {
    long key = VtdIommu.key(device, pasid);
    VtdRegisters regs = unit.registers;
    if (pasid != IOMMU_NO_PASID) {
      UapiException.check(regs.pasidSupported(), Errno.EOPNOTSUPP, "no PASID support");
      UapiException.check(
          !hasDirtyOps(),
          Errno.EINVAL,
          "dirty tracking domains cannot be attached to a non-zero PASID");
    }
    if (!regs.smSupported()) {
      return; // legacy mode: a context entry, not modelled
    }
    boolean pwsnp = (regs.ecap() & VtdRegisters.ECAP_SMPWC) != 0;
    PasidEntry pe =
        format == VtdFormat.SECOND_STAGE
            ? PasidEntry.secondStage(domainId, levels - 2, root, pwsnp, tracking)
            : PasidEntry.firstStage(domainId, regs.agaw(), root, pwsnp, levels == 5);
    program(key, pe);
  }

  @Override
  public void attachNested(int device, int pasid, long firstStageRoot) {
    long key = VtdIommu.key(device, pasid);
    UapiException.check(config.nestParent(), Errno.EINVAL, "domain is not a nest parent");
    VtdRegisters regs = unit.registers;
    if (pasid != IOMMU_NO_PASID) {
      UapiException.check(regs.pasidSupported(), Errno.EOPNOTSUPP, "no PASID support");
    }
    boolean pwsnp = (regs.ecap() & VtdRegisters.ECAP_SMPWC) != 0;
    synchronized (unit) {
      program(
          key,
          PasidEntry.nested(
              unit.allocateDomainId(), levels - 2, root, firstStageRoot, pwsnp, tracking));
    }
  }

  private void program(long key, PasidEntry pe) {
    synchronized (unit) {
      unit.claim(key, this);
      attachments.put(key, pe);
      flushForPasidEntryChange(); // pasid_flush_caches on setup
    }
  }

  @Override
  public void detach(int device, int pasid) {
    long key = VtdIommu.key(device, pasid);
    synchronized (unit) {
      if (attachments.remove(key) != null) {
        unit.release(key, this);
        flushForPasidEntryChange();
      }
    }
  }

  /** Called by the unit, under its lock, when another domain took {@code key}. */
  void forget(long key) {
    attachments.remove(key);
  }

  @Override
  public Optional<PasidEntry> pasidEntry(int device, int pasid) {
    long key = VtdIommu.key(device, pasid);
    synchronized (unit) {
      return Optional.ofNullable(attachments.get(key));
    }
  }

  @Override
  public long pasidCacheInvalidations() {
    return pasidCacheInvalidations.get();
  }

  @Override
  public long deviceTlbInvalidations() {
    return deviceTlbInvalidations.get();
  }

  @Override
  public String toString() {
    return String.format(
        "VtdDomain[%s, %d levels, did %d, root %#x, %s]",
        format, levels, domainId, root, tracking ? "tracking" : "not tracking");
  }
}
