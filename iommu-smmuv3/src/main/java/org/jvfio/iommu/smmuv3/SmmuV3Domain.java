package org.jvfio.iommu.smmuv3;

import static org.jvfio.iommu.smmuv3.LpaeDescriptor.AF;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.AP_RDONLY;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.AP_UNPRIV;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.ATTRINDX_SHIFT;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.ATTR_MASK;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.DBM;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.MAIR_IDX_CACHE;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.NG;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.SH_IS;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_BLOCK;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_PAGE;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.TYPE_TABLE;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.addressField;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.isLeaf;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.isTable;
import static org.jvfio.iommu.smmuv3.LpaeDescriptor.isWritableDirty;

import java.util.Arrays;
import java.util.Optional;
import java.util.OptionalLong;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DirtyLeafScanner;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

/*
 * One SMMUv3 paging domain: an io-pgtable-arm LPAE table (stage 1, or stage 2 for a nest parent)
 * in the driver's PageTableMemory, its context descriptor and its IOTLB.
 *
 * Entries. Leaves are built as arm_lpae_prot_to_pte + __arm_lpae_init_pte build them for the prot
 * iommufd always passes (IOMMU_CACHE plus R/W): stage 1 = nG | AP[1] | AttrIndx 1 | SH IS | AF |
 * type | address, plus AP[2] for read-only or, in a dirty-tracking domain, DBM for writable
 * leaves (AP[2] stays 0, so a fresh writable leaf is already dirty: trap T8). Stage 2 see
 * Stage2Descriptor.leaf. Tables larger than 4 KiB (16/64 KiB granules, the concatenated stage-2
 * top level) live in contiguous frame runs. Entries are published with volatile writes; the
 * hardware path reads them with volatile reads.
 *
 * Hardware path. translate() walks like the SMMU: a block at a level the granule does not allow,
 * a reserved type, or AF = 0 without HA is a fault (empty). A stage-1 leaf with DBM = 1 is
 * writable when CD.HD is set; its Translation is "dirty" (no update needed) unless it is
 * writable-clean. setDirtyByHardware() is the SMMU's interlocked update: it CASes the walked slot
 * from writable-clean to writable-dirty (AP[2] cleared, AF set) as long as the slot still holds
 * the walked leaf up to AP[2]/AF; otherwise it returns false and the DMA engine re-walks.
 *
 * Harvest. readAndClearDirty() is the newest io-pgtable-arm walker: a single walk position
 * (walk.addr) carried across levels, each leaf recorded at walk.addr with its full block size, the
 * position then advanced by that size; an invalid entry ends the walk with EINVAL after whatever
 * was already recorded and cleaned (trap T8). Cleaning is an atomic OR of AP[2] on a leaf observed
 * writable-dirty. Because the position is carried rather than realigned, a walk starting in the
 * middle of a block records [start, start + blockSize) and then continues at the same offset
 * inside the following entries, exactly as upstream does: a harvest range that does not start on
 * a leaf boundary may skip the first children of a following table (documented, reproduced).
 *
 * Split and collapse (no upstream equivalent; vendor-pagetables §5.2). BBML1/BBML2: the new table
 * (or block) replaces the old entry with one CAS, then the old range is invalidated. BBML0:
 * break-before-make — the old entry is swapped to 0 by CAS, the range invalidated, then the new
 * entry written; DMA to the range faults in between (the architecture forbids the direct swap at
 * BBML0). Split children inherit ATTR_MASK of the block, so AP[2]/DBM — the dirty state — is
 * replicated; the block value used is the one the CAS replaced, so a concurrent hardware update is
 * never lost, and a stale cached translation of the block fails its CAS (the slot now holds a
 * table or 0) and re-walks to the child. Collapse ORs the children's dirtiness into the block,
 * and after the invalidation retires every child by CAS to 0, OR-ing once more (trap T17): a
 * late hardware update through a stale child translation then fails and re-walks to the block.
 *
 * Unmap follows arm_lpae_unmap_pages under iommu_unmap's page-size loop: a piece that matches a
 * table entry clears it and frees the table (with the synchronous walk invalidation Linux issues);
 * a piece smaller than the leaf it meets is refused (0 bytes, as since v6.13) and ends the loop.
 *
 * Threading: control-plane calls are serialised by the caller; translate/setDirtyByHardware run
 * concurrently from DMA threads.
 */
final class SmmuV3Domain implements IommuDomain {
  private static final int MAIR = 0xF404FF44; // NC 0x44, WBRWA 0xff, DEVICE 0x04, INC-OWBRWA 0xf4

  private final SmmuV3Driver driver;
  private final DomainConfig config;
  private final LpaeGeometry geo;
  private final Granule granule;
  private final boolean stage2;
  private final boolean hd; // CD.HD and CD.HA: stage 1 allocated with dirty tracking
  private final PageTableMemory mem;
  private final Iotlb iotlb = new Iotlb();
  private final long pgd;
  private final Optional<ContextDescriptor> cd;

  /** Test seam: runs inside the BBML1/2 split and collapse race windows, before publishing. */
  Runnable raceWindow = () -> {};

  SmmuV3Domain(SmmuV3Driver driver, DomainConfig config, int asid) {
    this.driver = driver;
    this.config = config;
    this.granule = driver.granule();
    this.stage2 = config.nestParent();
    this.hd = config.dirtyTracking();
    this.geo = new LpaeGeometry(granule, driver.inputBits(), stage2);
    this.mem = driver.memory();
    this.pgd = mem.allocateFrames(geo.tableFrames(geo.startLevel));
    this.cd = stage2 ? Optional.empty() : Optional.of(buildContextDescriptor(asid));
  }

  /** The CD as arm_smmu_make_s1_cd fills it from the io-pgtable TCR/TTBR/MAIR. */
  private ContextDescriptor buildContextDescriptor(int asid) {
    boolean coherent = driver.coherentWalk();
    long rgn = coherent ? 1 : 0; // WBWA or NC
    long sh = coherent ? 3 : 2; // IS or OS
    long d0 =
        (64 - geo.ias)
            | (long) granule.tg0() << ContextDescriptor.TG0_SHIFT
            | rgn << ContextDescriptor.IRGN0_SHIFT
            | rgn << ContextDescriptor.ORGN0_SHIFT
            | sh << ContextDescriptor.SH0_SHIFT
            | ContextDescriptor.EPD1
            | ContextDescriptor.V
            | 5L << ContextDescriptor.IPS_SHIFT // 48-bit output
            | ContextDescriptor.AA64
            | ContextDescriptor.R
            | ContextDescriptor.A
            | ContextDescriptor.ASET
            | (long) asid << ContextDescriptor.ASID_SHIFT;
    if (hd) {
      d0 |= ContextDescriptor.TCR_HA | ContextDescriptor.TCR_HD;
    }
    return new ContextDescriptor(d0, pgd & ContextDescriptor.TTB0_MASK, 0, MAIR & 0xFFFF_FFFFL);
  }

  Optional<ContextDescriptor> contextDescriptor() {
    return cd;
  }

  @Override
  public SmmuV3Driver driver() {
    return driver;
  }

  @Override
  public DomainConfig config() {
    return config;
  }

  @Override
  public long pageSizeBitmap() {
    return granule.pageSizeBitmap();
  }

  @Override
  public Iotlb iotlb() {
    return iotlb;
  }

  @Override
  public PageTableMemory memory() {
    return mem;
  }

  // --- map / unmap ------------------------------------------------------------------------------

  @Override
  public void map(long iova, long physical, long size, int prot) {
    long min = granule.size();
    if (size == 0 || ((iova | physical | size) & (min - 1)) != 0) {
      throw new IllegalArgumentException(
          String.format("map 0x%x->0x%x+0x%x not aligned to 0x%x", iova, physical, size, min));
    }
    if ((prot & (IOMMU_READ | IOMMU_WRITE)) == 0) {
      throw new IllegalArgumentException("prot needs IOMMU_READ or IOMMU_WRITE: " + prot);
    }
    checkInput(iova, size);
    long lastPa = physical + size - 1;
    if (Long.compareUnsigned(lastPa, physical) < 0 || (lastPa >>> driver.outputBits()) != 0) {
      throw new IllegalArgumentException("physical range beyond the output size");
    }
    if (hasLeafIn(pgd, geo.startLevel, iova, iova + size - 1)) {
      throw new IllegalArgumentException(
          String.format("map 0x%x+0x%x overlaps an existing mapping", iova, size));
    }
    long attrs = leafAttributes(prot);
    for (long done = 0; done != size; ) {
      long pgsize = pickPageSize(iova + done, physical + done, size - done);
      mapOne(iova + done, physical + done, geo.levelOf(pgsize), attrs);
      done += pgsize;
    }
  }

  private void checkInput(long iova, long size) {
    long last = iova + size - 1;
    if (Long.compareUnsigned(last, iova) < 0 || (last >>> geo.ias) != 0) {
      throw new IllegalArgumentException(
          String.format("0x%x+0x%x beyond the %d-bit input size", iova, size, geo.ias));
    }
  }

  /** The leaf bits other than type and address, as arm_lpae_prot_to_pte with IOMMU_CACHE. */
  private long leafAttributes(int prot) {
    if (stage2) {
      return Stage2Descriptor.leaf(0, 0, prot) & ~LpaeDescriptor.TYPE_MASK;
    }
    long d = NG | AP_UNPRIV | (long) MAIR_IDX_CACHE << ATTRINDX_SHIFT | SH_IS | AF;
    if ((prot & IOMMU_WRITE) == 0) {
      d |= AP_RDONLY;
    } else if (hd) {
      d |= DBM;
    }
    return d;
  }

  /** iommu_pgsize: the largest page size that both addresses are aligned to and fits. */
  private long pickPageSize(long iova, long pa, long remaining) {
    long sizes = pageSizeBitmap();
    long align = Long.lowestOneBit(iova | pa);
    long best = 0;
    for (long s = sizes; s != 0; s &= s - 1) {
      long size = Long.lowestOneBit(s);
      if ((align == 0 || Long.compareUnsigned(size, align) <= 0)
          && Long.compareUnsigned(size, remaining) <= 0) {
        best = size;
      }
    }
    return best;
  }

  private void mapOne(long iova, long pa, int leafLevel, long attrs) {
    long table = pgd;
    for (int level = geo.startLevel; ; level++) {
      long slot = table + 8L * geo.index(iova, level);
      long pte = mem.get(slot);
      if (level == leafLevel) {
        if (isTable(pte, level)) {
          // An emptied table left by earlier unmaps: free it before the block replaces it.
          mem.setVolatile(slot, 0);
          iotlb.invalidateRange(iova & -geo.blockSize(level), geo.blockSize(level));
          freeTable(LpaeDescriptor.outputAddress(pte, granule), level + 1);
        }
        mem.setVolatile(slot, attrs | leafType(level) | addressField(pa));
        return;
      }
      if (!isTable(pte, level)) {
        long child = mem.allocateFrames(geo.tableFrames(level + 1));
        mem.setVolatile(slot, tableDescriptor(child));
        table = child;
      } else {
        table = LpaeDescriptor.outputAddress(pte, granule);
      }
    }
  }

  private static long leafType(int level) {
    return level == 3 ? TYPE_PAGE : TYPE_BLOCK;
  }

  private static long tableDescriptor(long tablePa) {
    return addressField(tablePa) | TYPE_TABLE;
  }

  /** Returns whether a valid leaf intersects [first, last]. */
  private boolean hasLeafIn(long table, int level, long first, long last) {
    long bs = geo.blockSize(level);
    int from = geo.index(first, level);
    int to = geo.index(last, level);
    long base = first & -bs;
    for (int i = from; i <= to; i++, base += bs) {
      long pte = mem.get(table + 8L * i);
      if (isLeaf(pte, level)) {
        return true;
      }
      if (isTable(pte, level)) {
        long lo = Long.compareUnsigned(first, base) > 0 ? first : base;
        long hi = Long.compareUnsigned(last, base + bs - 1) < 0 ? last : base + bs - 1;
        if (hasLeafIn(LpaeDescriptor.outputAddress(pte, granule), level + 1, lo, hi)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: the request is cut into page-size pieces as {@code iommu_unmap} does; each piece
   * must hit an entry of exactly its size — a leaf, or a table which is then freed with everything
   * below it. A piece that meets a larger leaf is refused ({@code "Unmap of a partial large IOPTE
   * is not allowed"}, v6.13 on, trap T15) and a piece that meets an empty entry stops the unmap:
   * the bytes unmapped before are returned, possibly 0.
   */
  @Override
  public long unmap(long iova, long size) {
    return unmapRange(iova, size, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: as {@link #unmap}, each removed leaf taken out by an atomic exchange and recorded at
   * its full size if it was writable-dirty; a removed table is unlinked, invalidated, and then
   * every leaf below it exchanged the same way, so a hardware update that lands through a stale
   * translation before the invalidation is still recorded, and one after it fails its CAS. Holes
   * end the unmap as in {@link #unmap}; they never raise {@code EINVAL} here.
   */
  @Override
  public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
    return unmapRange(iova, size, dirty);
  }

  /**
   * {@inheritDoc} SMMUv3: {@code (1 << ias) - 1}, the aperture {@code arm_smmu_domain_finalise}
   * sets.
   */
  @Override
  public long apertureEnd() {
    return (1L << geo.ias) - 1;
  }

  private long unmapRange(long iova, long size, IommuDirtyBitmap dirty) {
    long min = granule.size();
    if (size == 0 || ((iova | size) & (min - 1)) != 0) {
      throw new IllegalArgumentException(
          String.format("unmap 0x%x+0x%x not aligned to 0x%x", iova, size, min));
    }
    checkInput(iova, size);
    long unmapped = 0;
    while (unmapped != size) {
      long cur = iova + unmapped;
      long pgsize = pickPageSize(cur, cur, size - unmapped);
      if (!unmapOne(cur, pgsize, dirty)) {
        break;
      }
      unmapped += pgsize;
    }
    return unmapped;
  }

  private boolean unmapOne(long iova, long pgsize, IommuDirtyBitmap dirty) {
    long table = pgd;
    for (int level = geo.startLevel; level < LpaeGeometry.MAX_LEVELS; level++) {
      long slot = table + 8L * geo.index(iova, level);
      long pte = mem.getVolatile(slot);
      if (!LpaeDescriptor.isValid(pte)) {
        return false;
      }
      if (geo.blockSize(level) == pgsize) {
        long old = breakEntry(slot);
        if (isTable(old, level)) {
          iotlb.invalidateRange(iova, pgsize); // io_pgtable_tlb_flush_walk before the free
          long child = LpaeDescriptor.outputAddress(old, granule);
          if (dirty != null) {
            takeLeaves(child, level + 1, iova, dirty);
          }
          freeTable(child, level + 1);
        } else if (dirty != null && !stage2 && isWritableDirty(old)) {
          dirty.record(iova, pgsize);
        }
        return true;
      }
      if (!isTable(pte, level)) {
        return false; // partial unmap of a larger leaf: refused
      }
      table = LpaeDescriptor.outputAddress(pte, granule);
    }
    return false;
  }

  /** Exchanges every leaf below an unlinked table for 0, recording the writable-dirty ones. */
  private void takeLeaves(long table, int level, long base, IommuDirtyBitmap dirty) {
    long bs = geo.blockSize(level);
    for (int i = 0, n = geo.entries(level); i < n; i++) {
      long slot = table + 8L * i;
      long pte = mem.getVolatile(slot);
      if (isTable(pte, level)) {
        takeLeaves(LpaeDescriptor.outputAddress(pte, granule), level + 1, base + i * bs, dirty);
      } else if (isLeaf(pte, level) && !stage2 && isWritableDirty(breakEntry(slot))) {
        dirty.record(base + i * bs, bs);
      }
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: frees the whole tree from the PGD into the driver's shared table memory.
   */
  @Override
  public void free() {
    iotlb.invalidateAll();
    freeTable(pgd, geo.startLevel);
  }

  private void freeTable(long table, int level) {
    if (level < 3) {
      for (int i = 0, n = geo.entries(level); i < n; i++) {
        long pte = mem.get(table + 8L * i);
        if (isTable(pte, level)) {
          freeTable(LpaeDescriptor.outputAddress(pte, granule), level + 1);
        }
      }
    }
    mem.freeFrames(table, geo.tableFrames(level));
  }

  @Override
  public OptionalLong iovaToPhys(long iova) {
    if ((iova >>> geo.ias) != 0) {
      return OptionalLong.empty();
    }
    long table = pgd;
    for (int level = geo.startLevel; level < LpaeGeometry.MAX_LEVELS; level++) {
      long pte = mem.getVolatile(table + 8L * geo.index(iova, level));
      if (isLeaf(pte, level)) {
        long mask = geo.blockSize(level) - 1;
        return OptionalLong.of(LpaeDescriptor.outputAddress(pte, granule) | (iova & mask));
      }
      if (!isTable(pte, level)) {
        break;
      }
      table = LpaeDescriptor.outputAddress(pte, granule);
    }
    return OptionalLong.empty();
  }

  // --- dirty tracking ---------------------------------------------------------------------------

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: {@code arm_smmu_set_dirty_tracking} does nothing and succeeds — hardware dirty
   * updates run from domain creation on, whatever is asked here (trap T8).
   */
  @Override
  public void setDirtyTracking(boolean enable) {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
  }

  /** {@inheritDoc} SMMUv3: true for every domain with dirty ops, from creation on (trap T8). */
  @Override
  public boolean isDirtyTracking() {
    return hasDirtyOps();
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3 ({@code arm_lpae_read_and_clear_dirty}): dirty = DBM set and AP[2] clear; cleaning
   * atomically sets AP[2]. Leaves are recorded at the walk position with their full size. An
   * invalid entry inside the range ends the walk with {@code EINVAL}; what was recorded (and
   * cleaned) before it stays recorded, and {@code dirty.gather()} still needs its sync. A range
   * that does not start on a leaf boundary is walked with upstream's carried position (see the
   * class design comment).
   *
   * @throws UapiException {@code EOPNOTSUPP} without dirty ops; {@code EINVAL} if {@code size} is
   *     0, the range ends beyond the input size, or a hole is met
   */
  @Override
  public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
    UapiException.check(size != 0, Errno.EINVAL, "size is 0");
    UapiException.check(
        ((iova + size - 1) >>> geo.ias) == 0, Errno.EINVAL, "range beyond the input size");
    DirtyWalk w =
        new DirtyWalk(
            iova,
            iova + size,
            (flags & Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0,
            PAGES.scanner(mem),
            BLOCKS.scanner(mem));
    if (!walkDirty(pgd, geo.startLevel, w, dirty)) {
      throw new UapiException(
          Errno.EINVAL, String.format("harvest met an invalid entry at 0x%x", w.addr));
    }
  }

  /**
   * Stage-1 pages (level 3) and blocks as the harvest kernel sees them: writable-dirty is DBM set
   * with AP[2] clear, cleaned by setting AP[2]; AF is the other bit the SMMU sets. Invalid entries
   * are not skipped: they stop the kernel, and the walk then ends with EINVAL.
   */
  private static final DirtyLeafScanner.Format PAGES =
      new DirtyLeafScanner.Format(
          LpaeDescriptor.TYPE_MASK, TYPE_PAGE, 0, AP_RDONLY | DBM, DBM, -1L, AP_RDONLY, AF);

  private static final DirtyLeafScanner.Format BLOCKS =
      new DirtyLeafScanner.Format(
          LpaeDescriptor.TYPE_MASK, TYPE_BLOCK, 0, AP_RDONLY | DBM, DBM, -1L, AP_RDONLY, AF);

  /** The position-retaining state of one harvest walk. */
  private static final class DirtyWalk {
    long addr;
    final long end;
    final boolean clear;
    final DirtyLeafScanner pages;
    final DirtyLeafScanner blocks;

    DirtyWalk(long addr, long end, boolean clear, DirtyLeafScanner pages, DirtyLeafScanner blocks) {
      this.addr = addr;
      this.end = end;
      this.clear = clear;
      this.pages = pages;
      this.blocks = blocks;
    }
  }

  /*
   * From each leaf, the leaves that follow it in the table (up to 64, and no further than the
   * range end) go to the scanner at once; each is recorded at the carried position with its full
   * size, exactly as one visit per leaf would. The scanner stops at a table or an invalid entry,
   * which the per-entry code handles.
   */
  private boolean walkDirty(long table, int level, DirtyWalk w, IommuDirtyBitmap dirty) {
    long size = geo.blockSize(level);
    int max = geo.entries(level);
    DirtyLeafScanner scan = level == 3 ? w.pages : w.blocks;
    for (int idx = geo.index(w.addr, level);
        idx < max && Long.compareUnsigned(w.addr, w.end) < 0; ) {
      long slot = table + 8L * idx;
      long pte = mem.getVolatile(slot);
      if (isLeaf(pte, level)) {
        long left = (w.end - w.addr + size - 1) >>> geo.shift(level);
        int n = (int) Math.min(Math.min(64, max - idx), left);
        dirty.recordLeaves(w.addr, size, scan.readAndClear(slot, n, w.clear));
        w.addr += scan.consumed() * size;
        idx += scan.consumed();
      } else if (!isTable(pte, level)
          || !walkDirty(LpaeDescriptor.outputAddress(pte, granule), level + 1, w, dirty)) {
        return false;
      } else {
        idx++;
      }
    }
    return true;
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: with {@link PostHarvestSync#UPSTREAM}, a gather without a page size (every gather a
   * harvest fills) is not invalidated, as {@code arm_smmu_iotlb_sync} returns early (§6.4). An
   * unmap's gather carries a page size (the kernel's unmap path adds its pages with {@code
   * io_pgtable_tlb_add_page}, and the iommufd model records them with {@link IotlbGather#addPage}),
   * so it is always invalidated.
   */
  @Override
  public void iotlbSync(IotlbGather gather) {
    if (gather.isEmpty()
        || (driver.postHarvestSync() == PostHarvestSync.UPSTREAM && gather.pageSize() == 0)) {
      return;
    }
    iotlb.invalidateRange(gather.start(), gather.end() - gather.start() + 1);
  }

  // --- split / collapse -------------------------------------------------------------------------

  @Override
  public void split(long iova, long length, long pageSize) {
    if (Long.bitCount(pageSize) != 1 || (pageSizeBitmap() & pageSize) == 0) {
      throw new IllegalArgumentException("not a page size of this granule: 0x" + pageSize);
    }
    if (length == 0) {
      return;
    }
    checkInput(iova, length);
    splitIn(pgd, geo.startLevel, iova, iova + length - 1, pageSize);
  }

  private void splitIn(long table, int level, long first, long last, long pageSize) {
    long bs = geo.blockSize(level);
    long base = first & -bs;
    for (int i = geo.index(first, level), to = geo.index(last, level); i <= to; i++, base += bs) {
      long slot = table + 8L * i;
      long pte = mem.getVolatile(slot);
      if (isLeaf(pte, level) && bs > pageSize) {
        splitLeaf(slot, level, base);
        pte = mem.getVolatile(slot);
      }
      if (isTable(pte, level) && geo.blockSize(level + 1) > pageSize) {
        long lo = Long.compareUnsigned(first, base) > 0 ? first : base;
        long hi = Long.compareUnsigned(last, base + bs - 1) < 0 ? last : base + bs - 1;
        splitIn(LpaeDescriptor.outputAddress(pte, granule), level + 1, lo, hi, pageSize);
      }
    }
  }

  /** Replaces the leaf at {@code slot} by a table of next-level leaves (§5.2 split). */
  private void splitLeaf(long slot, int level, long base) {
    int cl = level + 1;
    long child = mem.allocateFrames(geo.tableFrames(cl));
    long table = tableDescriptor(child);
    long bs = geo.blockSize(level);
    if (driver.idr3Bbml() == 0) {
      long v = breakEntry(slot);
      iotlb.invalidateRange(base, bs);
      fillChildren(child, cl, v);
      mem.setVolatile(slot, table);
      return;
    }
    long v;
    do {
      v = mem.getVolatile(slot);
      fillChildren(child, cl, v);
      raceWindow.run();
    } while (!mem.compareAndSet(slot, v, table));
    iotlb.invalidateRange(base, bs);
  }

  /** Atomically replaces the entry at {@code slot} by 0 and returns what it held. */
  private long breakEntry(long slot) {
    long v;
    do {
      v = mem.getVolatile(slot);
    } while (!mem.compareAndSet(slot, v, 0));
    return v;
  }

  private void fillChildren(long child, int cl, long block) {
    long attrs = (block & ATTR_MASK) | leafType(cl);
    long oa = LpaeDescriptor.outputAddress(block, granule);
    long cs = geo.blockSize(cl);
    for (int i = 0, n = geo.entries(cl); i < n; i++) {
      mem.set(child + 8L * i, attrs | addressField(oa + i * cs));
    }
  }

  @Override
  public void collapse(long iova, long length) {
    if (length == 0) {
      return;
    }
    checkInput(iova, length);
    collapseIn(pgd, geo.startLevel, iova, iova + length - 1);
  }

  private void collapseIn(long table, int level, long first, long last) {
    long bs = geo.blockSize(level);
    long base = first & -bs;
    for (int i = geo.index(first, level), to = geo.index(last, level); i <= to; i++, base += bs) {
      long slot = table + 8L * i;
      long pte = mem.getVolatile(slot);
      if (!isTable(pte, level)) {
        continue;
      }
      long lo = Long.compareUnsigned(first, base) > 0 ? first : base;
      long hi = Long.compareUnsigned(last, base + bs - 1) < 0 ? last : base + bs - 1;
      if (level + 1 < 3) {
        collapseIn(LpaeDescriptor.outputAddress(pte, granule), level + 1, lo, hi);
      }
      if (geo.leafAllowed(level) && lo == base && hi == base + bs - 1) {
        collapseTable(slot, level, base);
      }
    }
  }

  /** Replaces the table at {@code slot} by one block if its leaves allow it (§5.2 collapse). */
  private void collapseTable(long slot, int level, long base) {
    long child = LpaeDescriptor.outputAddress(mem.getVolatile(slot), granule);
    int cl = level + 1;
    long c0 = mem.getVolatile(child);
    if (!isLeaf(c0, cl)) {
      return;
    }
    long oa = LpaeDescriptor.outputAddress(c0, granule);
    long bs = geo.blockSize(level);
    if ((oa & (bs - 1)) != 0) {
      return;
    }
    boolean tracked = !stage2 && (c0 & DBM) != 0; // AP[2] is dirty state, not permission
    long cmp = ATTR_MASK & ~AF & ~(tracked ? AP_RDONLY : 0);
    long attrs = c0 & cmp;
    long cs = geo.blockSize(cl);
    boolean dirty = false;
    for (int i = 0, n = geo.entries(cl); i < n; i++) {
      long c = mem.getVolatile(child + 8L * i);
      if (!isLeaf(c, cl)
          || (c & cmp) != attrs
          || LpaeDescriptor.outputAddress(c, granule) != oa + i * cs) {
        return;
      }
      dirty |= tracked && isWritableDirty(c);
    }
    long block = (c0 & ATTR_MASK) | AF | TYPE_BLOCK | addressField(oa);
    if (tracked) {
      block = dirty ? block & ~AP_RDONLY : block | AP_RDONLY;
    }
    if (driver.idr3Bbml() == 0) {
      mem.setVolatile(slot, 0);
      iotlb.invalidateRange(base, bs);
      if (retireChildren(child, cl) && tracked) {
        block &= ~AP_RDONLY;
      }
      mem.setVolatile(slot, block);
    } else {
      raceWindow.run();
      mem.setVolatile(slot, block);
      iotlb.invalidateRange(base, bs);
      if (retireChildren(child, cl) && tracked) {
        mem.getAndBitwiseAnd(slot, ~AP_RDONLY); // a child went dirty after the first read
      }
    }
    mem.freeFrames(child, geo.tableFrames(cl));
  }

  /**
   * Swaps every child of an unreachable table to 0 and returns whether any was writable-dirty:
   * catches writes made through stale child translations before the invalidation, and makes any
   * later hardware update through one fail and re-walk (trap T17).
   */
  private boolean retireChildren(long child, int cl) {
    boolean dirty = false;
    for (int i = 0, n = geo.entries(cl); i < n; i++) {
      dirty |= !stage2 && isWritableDirty(breakEntry(child + 8L * i));
    }
    return dirty;
  }

  // --- walk and decode --------------------------------------------------------------------------

  @Override
  public long[] walk(long iova) {
    long[] words = new long[LpaeGeometry.MAX_LEVELS];
    int n = 0;
    long table = pgd;
    for (int level = geo.startLevel; level < LpaeGeometry.MAX_LEVELS; level++) {
      long pte = mem.getVolatile(table + 8L * geo.index(iova, level));
      words[n++] = pte;
      if (!isTable(pte, level)) {
        break;
      }
      table = LpaeDescriptor.outputAddress(pte, granule);
    }
    return Arrays.copyOf(words, n);
  }

  @Override
  public String describeEntry(long entry, int level) {
    return stage2
        ? Stage2Descriptor.describe(entry, level, granule)
        : LpaeDescriptor.describe(entry, level, granule);
  }

  // --- the hardware path ------------------------------------------------------------------------

  @Override
  public Optional<Translation> translate(long iova) {
    if ((iova >>> geo.ias) != 0) {
      return Optional.empty();
    }
    long[] path = new long[2 * LpaeGeometry.MAX_LEVELS]; // (slot, descriptor) per table level
    long table = pgd;
    for (int level = geo.startLevel, n = 0; level < LpaeGeometry.MAX_LEVELS; level++) {
      long slot = table + 8L * geo.index(iova, level);
      long pte = mem.getVolatile(slot);
      if (isTable(pte, level)) {
        path[n++] = slot;
        path[n++] = pte;
        table = LpaeDescriptor.outputAddress(pte, granule);
        continue;
      }
      // A table replaced, retired or freed (its frame maybe reused) while this walk was inside
      // it must not decide the outcome: the hardware's walk would have completed before the
      // invalidation that precedes such a change. Re-check the path and walk again if it moved.
      if (!isLeaf(pte, level) || !geo.leafAllowed(level)) {
        return pathChanged(path, n) ? translate(iova) : Optional.empty(); // translation fault
      }
      if ((pte & AF) == 0) {
        if (!hd) {
          return pathChanged(path, n) ? translate(iova) : Optional.empty(); // access flag fault
        }
        if (!mem.compareAndSet(slot, pte, pte | AF)) {
          return translate(iova); // the entry changed under the walk: walk again
        }
        pte |= AF;
      }
      if (pathChanged(path, n)) {
        return translate(iova);
      }
      long size = geo.blockSize(level);
      return Optional.of(leafTranslation(iova & -size, size, slot, pte));
    }
    return Optional.empty();
  }

  private boolean pathChanged(long[] path, int n) {
    for (int i = 0; i < n; i += 2) {
      if (mem.getVolatile(path[i]) != path[i + 1]) {
        return true;
      }
    }
    return false;
  }

  private Translation leafTranslation(long base, long size, long slot, long pte) {
    long oa = LpaeDescriptor.outputAddress(pte, granule);
    if (stage2) {
      boolean w = (pte & Stage2Descriptor.HAP_WRITE) != 0;
      boolean r = (pte & Stage2Descriptor.HAP_READ) != 0;
      return new Translation(base, size, oa, r, w, true, slot, pte);
    }
    boolean dbm = hd && (pte & DBM) != 0;
    boolean rdonly = (pte & AP_RDONLY) != 0;
    return new Translation(base, size, oa, true, !rdonly || dbm, !(dbm && rdonly), slot, pte);
  }

  @Override
  public boolean setDirtyByHardware(Translation t) {
    long slot = t.slot();
    for (; ; ) {
      long cur = mem.getVolatile(slot);
      if (((cur ^ t.entry()) & ~(AP_RDONLY | AF)) != 0) {
        return false; // unmapped, replaced by a table, collapsed, or another leaf
      }
      if (stage2) {
        return (cur & Stage2Descriptor.HAP_WRITE) != 0 && (cur & AF) != 0;
      }
      if ((cur & AP_RDONLY) == 0) {
        return true; // already dirty (or writable, untracked)
      }
      if (!hd || (cur & DBM) == 0) {
        return false; // read-only: the write faults on the re-walk
      }
      if (mem.compareAndSet(slot, cur, (cur & ~AP_RDONLY) | AF)) {
        return true;
      }
    }
  }

  @Override
  public String toString() {
    return "SmmuV3Domain[" + (stage2 ? "S2 " : "S1 ") + driver + ", dirty=" + hd + "]";
  }
}
