package org.jvfio.core.spi;

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

/*
 * The mock domain's page table: four levels of 512 entries (9 IOVA bits each, 48-bit IOVA), level
 * 3 at the top, level 0 holding 4 KiB leaves; a level-1 entry with PS is a 2 MiB leaf. Entry bits:
 * P (0) present, R (1), W (2), A (5, never set), D (6) dirty, PS (7) leaf at level 1, bits 12-51
 * the child table's or the output page's address. A table pointer is just P plus an address.
 *
 * Writers: the control plane (map, unmap, harvest, split, collapse) is serialised by the caller;
 * it publishes tables and leaves with volatile stores and compare-and-swap, clears D with an atomic
 * AND on entries it saw dirty (trap T9), and removes leaves with an atomic exchange where their D
 * must not be lost. The hardware path (translate, setDirtyByHardware) only reads, and sets D by CAS
 * against the exact leaf value it walked. Because a collapse leaves the old child table intact but
 * unreachable, a successful CAS is followed by a re-walk that checks the leaf is still reachable;
 * if not, the caller drops its IOTLB entry and walks again, so the write lands on the new leaf
 * (vendor-pagetables §5.2 step 5). Retired table frames are never freed, so a walk in flight can
 * never read a recycled frame (a real driver frees after an RCU grace period).
 */
final class MockDomain implements IommuDomain {
  static final long P = 1L;
  static final long R = 1L << 1;
  static final long W = 1L << 2;
  static final long A = 1L << 5;
  static final long D = 1L << 6;
  static final long PS = 1L << 7;
  static final long ADDR = 0x000F_FFFF_FFFF_F000L;

  private static final int TOP = 3;
  private static final long IOVA_BITS = 48;
  private static final long PAGE = MockIommuDriver.PAGE_4K;
  private static final long HUGE = MockIommuDriver.PAGE_2M;

  private final MockIommuDriver driver;
  private final DomainConfig config;
  private final PageTableMemory memory;
  private final long root;
  private final Iotlb iotlb = new Iotlb();
  private volatile boolean tracking;

  MockDomain(MockIommuDriver driver, DomainConfig config, PageTableMemory memory) {
    this.driver = driver;
    this.config = config;
    this.memory = memory;
    this.root = memory.allocateFrame();
  }

  private interface LeafVisitor {
    void visit(long slot, long entry, long leafIova, long leafSize, int level);
  }

  private static int shift(int level) {
    return 12 + 9 * level;
  }

  private static long slot(long table, long iova, int level) {
    return table + (((iova >>> shift(level)) & 511) << 3);
  }

  private static boolean isLeaf(long entry, int level) {
    return level == 0 || (entry & PS) != 0;
  }

  /** Visits every present leaf overlapping {@code [first, last]} in increasing IOVA order. */
  private void forEachLeaf(long table, int level, long base, long first, long last, LeafVisitor v) {
    int sh = shift(level);
    int i0 = (int) ((first - base) >>> sh);
    int i1 = (int) ((last - base) >>> sh);
    for (int i = i0; i <= i1; i++) {
      long s = table + ((long) i << 3);
      long e = memory.getVolatile(s);
      if ((e & P) == 0) {
        continue;
      }
      long entryIova = base + ((long) i << sh);
      if (isLeaf(e, level)) {
        v.visit(s, e, entryIova, 1L << sh, level);
      } else {
        long entryLast = entryIova + (1L << sh) - 1;
        forEachLeaf(
            e & ADDR,
            level - 1,
            entryIova,
            Math.max(first, entryIova),
            Math.min(last, entryLast),
            v);
      }
    }
  }

  private void forEachLeaf(long iova, long size, LeafVisitor v) {
    forEachLeaf(root, TOP, 0, iova, iova + size - 1, v);
  }

  /** Returns the slot of the leaf translating {@code iova}, or -1 (allocation-free walk). */
  private long leafSlot(long iova) {
    if ((iova >>> IOVA_BITS) != 0) {
      return -1;
    }
    long table = root;
    for (int level = TOP; level >= 0; level--) {
      long s = slot(table, iova, level);
      long e = memory.getVolatile(s);
      if ((e & P) == 0) {
        return -1;
      }
      if (isLeaf(e, level)) {
        return s;
      }
      table = e & ADDR;
    }
    throw new AssertionError();
  }

  private static int levelOfSize(long size) {
    return size == HUGE ? 1 : 0;
  }

  private void checkRange(long iova, long size) {
    if (size == 0
        || ((iova | size) & (PAGE - 1)) != 0
        || Long.compareUnsigned(size, 1L << IOVA_BITS) > 0
        || Long.compareUnsigned(iova, (1L << IOVA_BITS) - size) > 0) {
      throw new IllegalArgumentException(
          "bad range 0x" + Long.toHexString(iova) + "+0x" + Long.toHexString(size));
    }
  }

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
    return driver.pageSizeBitmap();
  }

  @Override
  public long apertureEnd() {
    return (1L << IOVA_BITS) - 1;
  }

  @Override
  public boolean hasDirtyOps() {
    return config.dirtyTracking() && driver.canTrackDirty();
  }

  @Override
  public void map(long iova, long physical, long size, int prot) {
    checkRange(iova, size);
    if ((physical & ~ADDR) != 0) {
      throw new IllegalArgumentException("bad physical address 0x" + Long.toHexString(physical));
    }
    forEachLeaf(
        iova,
        size,
        (s, e, leafIova, leafSize, level) -> {
          throw new IllegalArgumentException(
              "overlaps a mapping at 0x" + Long.toHexString(leafIova));
        });
    long perms = ((prot & IOMMU_READ) != 0 ? R : 0) | ((prot & IOMMU_WRITE) != 0 ? W : 0);
    boolean huge = (pageSizeBitmap() & HUGE) != 0;
    for (long done = 0; done < size; ) {
      long cur = iova + done;
      long pa = physical + done;
      long leaf = huge && ((cur | pa) & (HUGE - 1)) == 0 && size - done >= HUGE ? HUGE : PAGE;
      int level = levelOfSize(leaf);
      long s = slot(tableFor(cur, level), cur, level);
      memory.setVolatile(s, pa | P | perms | (level == 1 ? PS : 0));
      done += leaf;
    }
  }

  /** Returns the table at {@code level} covering {@code iova}, allocating missing tables. */
  private long tableFor(long iova, int level) {
    long table = root;
    for (int l = TOP; l > level; l--) {
      long s = slot(table, iova, l);
      long e = memory.get(s);
      if ((e & P) == 0) {
        long frame = memory.allocateFrame();
        memory.setVolatile(s, frame | P);
        table = frame;
      } else {
        table = e & ADDR;
      }
    }
    return table;
  }

  @Override
  public long unmap(long iova, long size) {
    checkRange(iova, size);
    long[] total = {0};
    forEachLeaf(
        iova,
        size,
        (s, e, leafIova, leafSize, level) -> {
          if (Long.compareUnsigned(leafIova, iova) >= 0) {
            memory.setVolatile(s, 0);
            total[0] += leafSize;
          }
        });
    return total[0];
  }

  @Override
  public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
    checkRange(iova, size);
    long[] total = {0};
    forEachLeaf(
        iova,
        size,
        (s, e, leafIova, leafSize, level) -> {
          if (Long.compareUnsigned(leafIova, iova) >= 0) {
            long old = memory.getAndBitwiseAnd(s, 0);
            if ((old & D) != 0) {
              dirty.record(leafIova, leafSize);
            }
            total[0] += leafSize;
          }
        });
    return total[0];
  }

  @Override
  public OptionalLong iovaToPhys(long iova) {
    Optional<Translation> t = translate(iova);
    return t.isPresent() ? OptionalLong.of(t.get().physicalOf(iova)) : OptionalLong.empty();
  }

  private void requireDirtyOps() {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
  }

  @Override
  public void setDirtyTracking(boolean enable) {
    requireDirtyOps();
    if (tracking != enable) {
      tracking = enable;
      iotlb.invalidateAll(); // translations cached with the old setting must not survive
    }
  }

  @Override
  public boolean isDirtyTracking() {
    return tracking;
  }

  /** The kernel's view of 4 KiB leaves (level 0) and 2 MiB leaves (level 1, PS). */
  private static final DirtyLeafScanner.Format LEAF_4K =
      new DirtyLeafScanner.Format(P, P, P, D, D, ~D, 0, 0);

  private static final DirtyLeafScanner.Format LEAF_2M =
      new DirtyLeafScanner.Format(P | PS, P | PS, P, D, D, ~D, 0, 0);

  @Override
  public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
    requireDirtyOps();
    checkRange(iova, size);
    boolean clear = (flags & Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0;
    harvest(
        root,
        TOP,
        0,
        iova,
        iova + size - 1,
        new Harvest(LEAF_4K.scanner(memory), LEAF_2M.scanner(memory), dirty, clear));
  }

  private record Harvest(
      DirtyLeafScanner small, DirtyLeafScanner huge, IommuDirtyBitmap dirty, boolean clear) {}

  /**
   * The harvest walk: recursive over present tables; runs of leaves that start inside the range go
   * to the scanner 64 at a time (at level 1 only from an entry that is a leaf, so tables of table
   * pointers are not rescanned); a leaf the range starts inside is recorded from the range start.
   */
  private void harvest(long table, int level, long base, long first, long last, Harvest h) {
    int sh = shift(level);
    int i1 = (int) ((last - base) >>> sh);
    for (int i = (int) ((first - base) >>> sh); i <= i1; ) {
      long s = table + ((long) i << 3);
      long entryIova = base + ((long) i << sh);
      boolean inside = Long.compareUnsigned(entryIova, first) >= 0;
      if (inside && (level == 0 || (level == 1 && (memory.getVolatile(s) & PS) != 0))) {
        DirtyLeafScanner scan = level == 0 ? h.small : h.huge;
        long mask = scan.readAndClear(s, Math.min(64, i1 - i + 1), h.clear);
        h.dirty.recordLeaves(entryIova, 1L << sh, mask);
        if (scan.consumed() > 0) {
          i += scan.consumed();
          continue;
        }
      }
      long e = memory.getVolatile(s);
      if ((e & P) != 0) {
        long entryLast = entryIova + (1L << sh) - 1;
        if (!isLeaf(e, level)) {
          harvest(
              e & ADDR,
              level - 1,
              entryIova,
              Math.max(first, entryIova),
              Math.min(last, entryLast),
              h);
        } else if ((e & D) != 0 && (!h.clear || (memory.getAndBitwiseAnd(s, ~D) & D) != 0)) {
          long start = Math.max(first, entryIova);
          h.dirty.record(start, entryLast - start + 1);
        }
      }
      i++;
    }
  }

  @Override
  public void split(long iova, long length, long pageSize) {
    if (pageSize != PAGE) {
      throw new IllegalArgumentException("mock splits to 4 KiB only: " + pageSize);
    }
    checkRange(iova, length);
    forEachLeaf(
        iova,
        length,
        (s, e, leafIova, leafSize, level) -> {
          if (level == 1) {
            splitLeaf(s);
            iotlb.invalidateRange(leafIova, HUGE);
          }
        });
  }

  private void splitLeaf(long s) {
    while (true) {
      long v = memory.getVolatile(s);
      long frame = memory.allocateFrame();
      long child = (v & (P | R | W | D)); // every child inherits the leaf's dirty state
      for (int i = 0; i < PageTableMemory.ENTRIES_PER_FRAME; i++) {
        memory.set(frame + ((long) i << 3), ((v & ADDR) + i * PAGE) | child);
      }
      if (memory.compareAndSet(s, v, frame | P)) {
        return;
      }
      memory.freeFrame(frame); // never published; the hardware set D meanwhile: rebuild
    }
  }

  @Override
  public void collapse(long iova, long length) {
    checkRange(iova, length);
    if ((pageSizeBitmap() & HUGE) == 0) {
      return;
    }
    long last = iova + length - 1;
    for (long b = (iova + HUGE - 1) & -HUGE; b + HUGE - 1 <= last; b += HUGE) {
      long s = level1Slot(b);
      if (s >= 0) {
        long e = memory.getVolatile(s);
        if ((e & P) != 0 && (e & PS) == 0) {
          collapseTable(s, b, e);
        }
      }
    }
  }

  private long level1Slot(long iova) {
    long table = root;
    for (int level = TOP; level > 1; level--) {
      long e = memory.getVolatile(slot(table, iova, level));
      if ((e & P) == 0) {
        return -1;
      }
      table = e & ADDR;
    }
    return slot(table, iova, 1);
  }

  private void collapseTable(long s, long blockIova, long tablePointer) {
    long child = tablePointer & ADDR;
    long c0 = memory.getVolatile(child);
    long base = c0 & ADDR;
    long perms = c0 & (R | W);
    if ((c0 & P) == 0 || (base & (HUGE - 1)) != 0) {
      return;
    }
    long dirty = 0;
    for (int i = 0; i < PageTableMemory.ENTRIES_PER_FRAME; i++) {
      long c = memory.getVolatile(child + ((long) i << 3));
      if ((c & P) == 0 || (c & ADDR) != base + i * PAGE || (c & (R | W)) != perms) {
        return;
      }
      dirty |= c & D;
    }
    if (!memory.compareAndSet(s, tablePointer, base | P | perms | PS | dirty)) {
      return;
    }
    iotlb.invalidateRange(blockIova, HUGE);
    // After the invalidation no cached child translation can still dirty a child: re-read them.
    long late = 0;
    for (int i = 0; i < PageTableMemory.ENTRIES_PER_FRAME; i++) {
      late |= memory.getVolatile(child + ((long) i << 3)) & D;
    }
    if (late != 0 && dirty == 0) {
      memory.getAndBitwiseOr(s, D);
    }
  }

  @Override
  public long[] walk(long iova) {
    long[] out = new long[TOP + 1];
    int n = 0;
    long table = root;
    for (int level = TOP; level >= 0 && (iova >>> IOVA_BITS) == 0; level--) {
      long e = memory.getVolatile(slot(table, iova, level));
      out[n++] = e;
      if ((e & P) == 0 || isLeaf(e, level)) {
        break;
      }
      table = e & ADDR;
    }
    return Arrays.copyOf(out, n);
  }

  @Override
  public String describeEntry(long entry, int level) {
    if ((entry & P) == 0) {
      return "L" + level + " not present";
    }
    String addr = "0x" + Long.toHexString(entry & ADDR);
    if (!isLeaf(entry, level)) {
      return "L" + level + " table " + addr;
    }
    return "L"
        + level
        + " leaf "
        + (level == 1 ? "2M " : "4K ")
        + addr
        + ((entry & R) != 0 ? " R" : "")
        + ((entry & W) != 0 ? " W" : "")
        + ((entry & D) != 0 ? " D" : "");
  }

  @Override
  public Iotlb iotlb() {
    return iotlb;
  }

  @Override
  public void iotlbSync(IotlbGather gather) {
    if (!gather.isEmpty()) {
      iotlb.invalidateRange(gather.start(), gather.end() - gather.start() + 1);
    }
  }

  @Override
  public PageTableMemory memory() {
    return memory;
  }

  @Override
  public Optional<Translation> translate(long iova) {
    boolean trackingOn = tracking;
    if ((iova >>> IOVA_BITS) != 0) {
      return Optional.empty();
    }
    long table = root;
    for (int level = TOP; level >= 0; level--) {
      long s = slot(table, iova, level);
      long e = memory.getVolatile(s);
      if ((e & P) == 0) {
        return Optional.empty();
      }
      if (isLeaf(e, level)) {
        long size = 1L << shift(level);
        return Optional.of(
            new Translation(
                iova & -size,
                size,
                e & ADDR,
                (e & R) != 0,
                (e & W) != 0,
                !trackingOn || (e & D) != 0,
                s,
                e));
      }
      table = e & ADDR;
    }
    throw new AssertionError();
  }

  @Override
  public boolean setDirtyByHardware(Translation t) {
    long s = t.slot();
    long expected = t.entry() & ~(D | A);
    while (true) {
      long cur = memory.getVolatile(s);
      if ((cur & ~(D | A)) != expected) {
        return false;
      }
      if ((cur & D) != 0 || memory.compareAndSet(s, cur, cur | D)) {
        break;
      }
    }
    return leafSlot(t.iova()) == s; // an orphaned child of a collapse: walk again
  }
}
