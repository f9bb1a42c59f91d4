package org.jvfio.testkit.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.pt.PageTable;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;

/**
 * The properties every {@link PtFormat} must satisfy, in the spirit of Linux's {@code
 * drivers/iommu/generic_pt/kunit_generic_pt.h}: a format module's test extends it, supplies its
 * format and the page sizes it must offer, and inherits every test.
 *
 * <pre>{@code
 * class AmdV1FormatContractTest extends PtFormatContract {
 *   @Override protected PtFormat format() { return AmdV1Format.FORMAT; }
 *   @Override protected long expectedPageSizes() { return AmdV1Driver.PAGE_SIZES; }
 * }
 * }</pre>
 *
 * <p>The properties: a table pointer round-trips at every level that holds tables; a leaf of every
 * size round-trips its output address at the lowest, highest and a random aligned address, and is
 * classified as a leaf of its level; each protection gives its permissions (and the format's
 * initial dirty state); through the engine, every item of a leaf of every size (each entry of a
 * contiguous run) translates to its own output address, the entry of a {@link
 * PtFormat.Contiguous#PER_ITEM_ADDRESS} run carrying it, and a hardware dirty update of any one
 * item makes the harvest record every item of the leaf while a clearing harvest makes every item
 * clean; hardware dirty updates racing a split or a collapse are never lost (the engine's one race
 * strategy, see {@link PageTable}, tested once per format); the page sizes are the union of the
 * levels' sizes and the expected ones; and {@link PtFormat#bestPageSize} equals a brute-force
 * search. Seeded by {@code -Djvfio.seed}.
 */
public abstract class PtFormatContract {
  private static final int RW = IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE;

  /** Creates the suite; a subclass supplies the format. */
  protected PtFormatContract() {}

  /**
   * A read-and-clear of a {@link PageTable}: the engine's own, or a deliberately broken one that
   * proves the dirty property has teeth.
   */
  @FunctionalInterface
  protected interface Harvester {
    /**
     * Records the dirty leaves of {@code [iova, iova + size)} of {@code table} and, if {@code
     * clear}, makes them write-clean.
     *
     * @param table the table
     * @param iova the first IOVA of the range
     * @param size the bytes of the range
     * @param clear whether dirty leaves are made write-clean
     * @param dirty where dirty leaves are recorded
     */
    void readAndClearDirty(
        PageTable table, long iova, long size, boolean clear, IommuDirtyBitmap dirty);
  }

  /**
   * Returns the read-and-clear the dirty property goes through: {@link
   * PageTable#readAndClearDirty}, unless a broken twin overrides it.
   *
   * @return the read-and-clear under test
   */
  protected Harvester harvester() {
    return PageTable::readAndClearDirty;
  }

  /**
   * Returns the format under test.
   *
   * @return the format
   */
  protected abstract PtFormat format();

  /**
   * Returns the page-size bitmap the format must offer.
   *
   * @return the sizes, one bit per supported leaf size in bytes
   */
  protected abstract long expectedPageSizes();

  /**
   * Returns whether a new writable leaf is already dirty (Arm with HTTU); false by default.
   *
   * @return true if writable leaves are mapped dirty
   */
  protected boolean mapsWritableDirty() {
    return false;
  }

  /**
   * Returns whether a leaf mapped {@code IOMMU_WRITE} alone is readable too; false by default.
   *
   * @return true if write permission implies read
   */
  protected boolean writeImpliesRead() {
    return false;
  }

  private long seed() {
    return Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  }

  /** A table pointer at every level from 1 to the highest top round-trips its address. */
  @Test
  public void tablePointer_roundTripsAtEveryLevel() {
    PtFormat f = format();
    long align = Math.max(PageTableMemory.FRAME_SIZE, 8L * f.entriesPerTable());
    long highest = f.addressMask() & -align;
    SplittableRandom rnd = new SplittableRandom(seed());
    for (int level = 1; level <= f.maxTop(); level++) {
      for (long pa : new long[] {align, highest, rnd.nextLong(1, highest / align) * align}) {
        long e = f.encodeTable(pa, level);
        String what = f.describe(e, level);
        assertFalse(f.isEmpty(e), what);
        assertTrue(f.isTable(e, level), what);
        assertFalse(f.isLeaf(e, level), what);
        assertEquals(pa, f.tableAddress(e), what);
      }
    }
  }

  /**
   * A leaf of every size round-trips its output address (0, the size itself, the highest aligned
   * address and a random one) and its size, at the level that holds it.
   */
  @Test
  public void leaf_addressAndSizeRoundTripForEverySizeAndBoundary() {
    PtFormat f = format();
    SplittableRandom rnd = new SplittableRandom(seed());
    for (int level = 0; level <= f.maxTop(); level++) {
      for (long m = f.possibleSizes(level); m != 0; m &= m - 1) {
        long size = Long.lowestOneBit(m);
        assertEquals(level, f.levelOfSize(size), "level of 0x" + Long.toHexString(size));
        assertEquals(size >>> f.shift(level), f.entriesOf(size));
        long highest = f.addressMask() & -size;
        long random = highest == 0 ? 0 : rnd.nextLong(0, (highest / size) + 1) * size;
        for (long oa : new long[] {0, size & f.addressMask(), highest, random}) {
          long e = f.encodeLeaf(oa, size, RW);
          String what = "0x" + Long.toHexString(size) + ": " + f.describe(e, level);
          assertFalse(f.isEmpty(e), what);
          assertTrue(f.isLeaf(e, level), what);
          assertFalse(f.isTable(e, level), what);
          assertEquals(size, f.leafSize(e, level), what);
          assertEquals(oa, f.leafAddress(e, level), what);
        }
      }
    }
  }

  /** Each protection gives its permissions and the format's initial dirty state, at every size. */
  @Test
  public void leaf_attributesFollowEveryProtection() {
    PtFormat f = format();
    for (int level = 0; level <= f.maxTop(); level++) {
      for (long m = f.possibleSizes(level); m != 0; m &= m - 1) {
        long size = Long.lowestOneBit(m);
        for (int prot = 1; prot <= RW; prot++) {
          long e = f.encodeLeaf(size, size, prot);
          boolean write = (prot & IommuDomain.IOMMU_WRITE) != 0;
          boolean read = (prot & IommuDomain.IOMMU_READ) != 0 || writeImpliesRead();
          String what = "prot " + prot + ": " + f.describe(e, level);
          assertEquals(write, f.isWritable(e), what);
          assertEquals(read, f.isReadable(e), what);
          assertEquals(mapsWritableDirty() && write, f.isDirty(e), what);
          assertEquals(f.attributes(e), f.attributes(f.encodeLeaf(2 * size, size, prot)), what);
        }
      }
    }
  }

  /**
   * Through the engine, for a leaf of every size: each item translates to its own output address,
   * which a {@link PtFormat.Contiguous#PER_ITEM_ADDRESS} entry carries; a hardware dirty update of
   * any one item (one entry of a run) makes the harvest record every item of the leaf, even in a
   * bitmap of one bit per item; a clearing harvest then leaves every item clean; and freeing the
   * table returns every frame.
   */
  @Test
  public void dirty_anyItemOfALeafMakesItDirtyAndClearingCleansEveryItem() {
    PtFormat f = format();
    for (int level = 0; level <= f.maxTop(); level++) {
      for (long m = f.possibleSizes(level); m != 0; m &= m - 1) {
        long size = Long.lowestOneBit(m);
        long item = 1L << f.shift(level);
        if (Long.compareUnsigned(3 * size - 1, f.reach(f.maxTop())) > 0 || size > 1L << 40) {
          continue;
        }
        checkEveryItemDirty(f, size, item, harvester());
      }
    }
  }

  private static void checkEveryItemDirty(PtFormat f, long size, long item, Harvester h) {
    PageTableMemory memory = new PageTableMemory();
    PageTable pt = new PageTable(f, memory, new Iotlb(), (root, top) -> {});
    long iova = size * 2;
    long pa = size * 3;
    pt.map(iova, pa, size, RW);
    harvest(h, pt, iova, size, true); // Arm maps writable leaves dirty
    pt.setHardwareUpdates(true, false);
    for (long address = iova; address != iova + size; address += item) {
      Translation t = pt.translate(address).orElseThrow();
      long itemPa = pa + (address - iova);
      String what =
          "0x" + Long.toHexString(size) + " leaf, write at 0x" + Long.toHexString(address);
      assertEquals(size, t.size(), what);
      assertEquals(itemPa, t.physicalOf(address), what);
      assertEquals(itemPa + item - 1, pt.iovaToPhys(address + item - 1).orElseThrow(), what);
      if (f.contiguous() == PtFormat.Contiguous.PER_ITEM_ADDRESS) {
        assertEquals(itemPa, t.entry() & f.addressMask() & -item, what + ": the entry's address");
      }
      assertFalse(t.dirty(), what);
      assertTrue(pt.setDirtyByHardware(t), what);
      assertEquals(size / item, dirtyItems(h, pt, iova, size, item), what + ": items recorded");
      assertTrue(harvest(h, pt, iova, size, false), what + ": NO_CLEAR read");
      assertTrue(harvest(h, pt, iova, size, true), what + ": clearing read");
      assertFalse(harvest(h, pt, iova, size, false), what + ": after the clear");
    }
    pt.free();
    assertEquals(0, memory.framesInUse(), "frames after free");
  }

  /** Returns how many items of the leaf a NO_CLEAR read records (bitmap granule: one item). */
  private static long dirtyItems(Harvester h, PageTable pt, long iova, long size, long item) {
    IovaBitmap bitmap = IovaBitmap.allocate(iova, size, item);
    h.readAndClearDirty(pt, iova, size, false, IommuDirtyBitmap.of(bitmap, new IotlbGather()));
    return bitmap.cardinality();
  }

  private static boolean harvest(Harvester h, PageTable pt, long iova, long size, boolean clear) {
    IovaBitmap bitmap = IovaBitmap.allocate(iova, size, size);
    IotlbGather gather = new IotlbGather();
    h.readAndClearDirty(pt, iova, size, clear, IommuDirtyBitmap.of(bitmap, gather));
    pt.iotlbSync(gather);
    return bitmap.isDirty(iova);
  }

  /**
   * The engine's one strategy for walks racing a table change (see {@link PageTable}), for this
   * format, between its two smallest page sizes: a translation walked before a split is refused by
   * the hardware dirty update afterwards (the slot changed, the DMA walks again); a hardware dirty
   * update landing inside the split's race window (after the state is read, before it is published)
   * is folded into the new leaves; one landing inside a collapse's window on a child is folded into
   * the new leaf. The next harvest reports each of them.
   */
  @Test
  public void raceWindow_hardwareDirtyUpdatesDuringSplitAndCollapse_areNeverLost() {
    PtFormat f = format();
    long sizes = f.pageSizeBitmap();
    long small = Long.lowestOneBit(sizes);
    long big = Long.lowestOneBit(sizes & ~small);
    assumeTrue(big != 0, "one page size: nothing to split");
    PageTableMemory memory = new PageTableMemory();
    PageTable pt = new PageTable(f, memory, new Iotlb(), (root, top) -> {});
    long iova = big * 2;
    long written = iova + big - small; // the last item: not the first entry of a run
    Harvester h = harvester();
    pt.map(iova, big * 3, big, RW);
    harvest(h, pt, iova, big, true);
    pt.setHardwareUpdates(true, false);
    Translation stale = pt.translate(iova).orElseThrow();
    int[] windows = {0};
    pt.setRaceWindow(
        () -> {
          if (windows[0]++ == 0) {
            assertTrue(pt.setDirtyByHardware(pt.translate(written).orElseThrow()), "in split");
          }
        });
    pt.split(iova, big, small);
    assertTrue(windows[0] > 0, "the split opened no race window");
    assertFalse(pt.setDirtyByHardware(stale), "a translation from before the split updated");
    assertEquals(small, pt.translate(written).orElseThrow().size(), "split size");
    assertTrue(harvestAt(h, pt, iova, big, written), "the update inside the split's window");
    harvest(h, pt, iova, big, true);
    Translation child = pt.translate(written).orElseThrow();
    windows[0] = 0;
    pt.setRaceWindow(
        () -> {
          if (windows[0]++ == 0) {
            assertTrue(pt.setDirtyByHardware(child), "in collapse");
          }
        });
    pt.collapse(iova, big);
    assertTrue(windows[0] > 0, "the collapse opened no race window");
    assertEquals(big, pt.translate(written).orElseThrow().size(), "collapsed size");
    assertTrue(harvestAt(h, pt, iova, big, written), "the update inside the collapse's window");
    pt.free();
    assertEquals(0, memory.framesInUse(), "frames after free");
  }

  private static boolean harvestAt(Harvester h, PageTable pt, long iova, long size, long at) {
    IovaBitmap bitmap =
        IovaBitmap.allocate(iova, size, Long.lowestOneBit(pt.format().pageSizeBitmap()));
    IotlbGather gather = new IotlbGather();
    h.readAndClearDirty(pt, iova, size, false, IommuDirtyBitmap.of(bitmap, gather));
    return bitmap.isDirty(at);
  }

  /**
   * The page sizes are the expected ones and the union of the levels' sizes; each level holds sizes
   * from its item size to half a table of items.
   */
  @Test
  public void pageSizes_areTheExpectedUnionOfTheLevels() {
    PtFormat f = format();
    long union = 0;
    for (int level = 0; level <= f.maxTop(); level++) {
      long sizes = f.possibleSizes(level);
      assertEquals(0, union & sizes, "a size at two levels");
      union |= sizes;
      long item = 1L << f.shift(level);
      for (long m = sizes; m != 0; m &= m - 1) {
        long size = Long.lowestOneBit(m);
        String what = "0x" + Long.toHexString(size) + " at level " + level;
        if (f.contiguous() == PtFormat.Contiguous.NONE) {
          assertEquals(item, size, what);
        } else {
          assertTrue(size >= item && size <= item * f.entriesPerTable() / 2, what);
        }
      }
    }
    assertEquals(expectedPageSizes(), union, "page sizes");
    assertEquals(union, f.pageSizeBitmap());
  }

  /** {@link PtFormat#bestPageSize} equals a brute-force search over the page sizes. */
  @Test
  public void bestPageSize_equalsBruteForce() {
    PtFormat f = format();
    long bitmap = f.pageSizeBitmap();
    long min = Long.lowestOneBit(bitmap);
    Gen<long[]> cases =
        src -> {
          int a = src.nextInt(0, 40);
          int b = src.nextInt(0, 40);
          return new long[] {
            (src.nextLong(0, 1 << 20) * min) << a,
            (src.nextLong(0, 1 << 20) * min) << b,
            src.nextLong(1, 1L << 24) * min
          };
        };
    Property.named(getClass().getSimpleName() + ": best page size")
        .forAll(
            cases,
            c -> {
              long best = 0;
              for (long m = bitmap; m != 0; m &= m - 1) {
                long s = Long.lowestOneBit(m);
                if (Long.compareUnsigned(s, c[2]) <= 0 && ((c[0] | c[1]) & (s - 1)) == 0) {
                  best = s;
                }
              }
              assertEquals(best, f.bestPageSize(c[0], c[1], c[2]));
            });
  }
}
