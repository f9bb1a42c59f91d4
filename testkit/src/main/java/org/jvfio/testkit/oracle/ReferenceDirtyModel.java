package org.jvfio.testkit.oracle;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.testkit.oracle.ReferencePageTable.Leaf;

/**
 * What one dirty tracker (an IO page table's dirty bits, or a device's DMA-logging tracker) must
 * report: the IOVA written since its last clearing harvest, in the tracker's units.
 *
 * <p>A model counts in <em>units</em>: the granules of a device tracker ({@link #atGranule}), or
 * the leaves of an IO page table ({@link #ofLeaves}), since a write anywhere in a leaf makes the
 * whole leaf dirty. A write makes the units it touches dirty ({@link #recordWrite}); a clearing
 * harvest cleans every unit it overlaps, whole ({@link #onHarvest}); a harvest that does not clear
 * changes nothing. For a page table the model keeps dirty state per leaf, as the hardware does
 * (docs/fidelity.md, "Split and collapse"): writes are expanded to the leaves as they are when the
 * write happens (a leaf split later stays dirty in all its children, which inherit its dirty
 * state), a merge ({@link ReferencePageTable#merge}, which the model follows) makes the merged leaf
 * dirty whole when any part of it was (a collapse ORs the children into the new leaf, so a later
 * split makes every child of it dirty, not only the ones written), and ranges are expanded again to
 * the leaves as they are when a bitmap is asked for; read-only leaves and holes are never dirtied.
 *
 * <p>Besides what must be reported the model keeps what may be: {@link #recordPossiblyDirty}, for
 * units a format may report without a write (Arm maps writable leaves dirty; docs/fidelity.md, "Arm
 * SMMUv3"). A correct report lies between {@link #expectedBitmap} and {@link #allowedBitmap}.
 *
 * <p>A harvest of a page table visits every leaf overlapping its range and reports each dirty one
 * whole, from the leaf's first IOVA, unless the format says otherwise; {@link
 * #ofLeaves(ReferencePageTable, Set)} predicts the walk the format's capabilities declare:
 *
 * <ul>
 *   <li>{@link IommuCapability#HARVEST_RECORDS_FROM_START} (iommupt, {@code
 *       drivers/iommu/generic_pt/iommu_pt.h}): the leaf holding the harvest's first IOVA is
 *       recorded from that IOVA, for {@code leaf end - start + (start - leaf start) mod item size}
 *       bytes, where the item size is the largest table-level size (4 KiB × 512<sup>k</sup>) not
 *       above the leaf size; later leaves from their first IOVA.
 *   <li>{@link IommuCapability#HARVEST_CARRIES_START_OFFSET} ({@code
 *       drivers/iommu/io-pgtable-arm.c}): the walk keeps a position, starting at the harvest's
 *       first IOVA; it visits the leaf that holds the position, records {@code [position, position
 *       + leaf size)} if the leaf is dirty (and cleans it), and advances the position by the leaf
 *       size, until the position reaches the range's end. A harvest that starts inside a large leaf
 *       therefore shifts every record after it by its offset into that leaf, and can step over the
 *       first small leaves of a later table without visiting them: they are neither reported nor
 *       cleaned by that harvest. A hole under the position aborts such a walk ({@link
 *       IommuCapability#HOLE_ABORTS_HARVEST}); the model refuses to predict it.
 * </ul>
 *
 * <p>Not thread-safe; record writes after they complete (a concurrent oracle is the test's job).
 */
public final class ReferenceDirtyModel {
  private final long granule;
  private final ReferencePageTable table;
  private final Walk walk;

  /** How a harvest walk visits and records leaves (see the class comment). */
  private enum Walk {
    LEAVES,
    FROM_START,
    CARRIED
  }

  private final Intervals must = new Intervals();
  private final Intervals maybe = new Intervals();

  private ReferenceDirtyModel(long granule, ReferencePageTable table, Walk walk) {
    this.granule = granule;
    this.table = table;
    this.walk = walk;
    if (table != null) {
      table.onMerge(this::onMerge);
    }
  }

  /**
   * Makes a merged leaf dirty (or possibly dirty) whole if any part of it was, at the time of the
   * merge: the collapsed leaf's dirty bit is the OR of its children's (docs/fidelity.md, "Split and
   * collapse").
   */
  private void onMerge(Leaf merged) {
    for (Intervals set : List.of(must, maybe)) {
      if (set.intersects(merged.iova(), merged.last())) {
        set.add(merged.iova(), merged.last());
      }
    }
  }

  /**
   * Returns a clean model of a tracker that records writes at {@code granule} (a DMA-logging
   * tracker's chosen page size).
   *
   * @param granule the unit the tracker records, in bytes
   * @return a clean model of a tracker that records writes at {@code granule} (a DMA-logging
   *     tracker's chosen page size)
   * @throws IllegalArgumentException unless {@code granule} is a power of two
   */
  public static ReferenceDirtyModel atGranule(long granule) {
    if (Long.bitCount(granule) != 1) {
      throw new IllegalArgumentException("granule not a power of two: " + granule);
    }
    return new ReferenceDirtyModel(granule, null, Walk.LEAVES);
  }

  /**
   * Returns a clean model of the dirty bits of the IO page table that {@code table} describes; the
   * model reads {@code table} whenever it expands a range, so keep it up to date.
   *
   * @param table the reference page table whose leaves the model follows
   * @return a clean model of the dirty bits of the IO page table that {@code table} describes; the
   *     model reads {@code table} whenever it expands a range, so keep it up to date
   */
  public static ReferenceDirtyModel ofLeaves(ReferencePageTable table) {
    return ofLeaves(table, Set.of());
  }

  /**
   * Returns a clean model like {@link #ofLeaves(ReferencePageTable)} whose harvests walk as those
   * of a format with {@code capabilities} do: {@link IommuCapability#HARVEST_CARRIES_START_OFFSET}
   * or {@link IommuCapability#HARVEST_RECORDS_FROM_START} change where leaves are recorded (see the
   * class comment); other capabilities are ignored.
   *
   * @param table the reference page table whose leaves the model follows
   * @param capabilities the domain's capabilities
   * @return a clean model like {@link #ofLeaves(ReferencePageTable)} whose harvests walk as those
   *     of a format with {@code capabilities} do: {@link
   *     IommuCapability#HARVEST_CARRIES_START_OFFSET} or {@link
   *     IommuCapability#HARVEST_RECORDS_FROM_START} change where leaves are recorded (see the class
   *     comment); other capabilities are ignored
   */
  public static ReferenceDirtyModel ofLeaves(
      ReferencePageTable table, Set<IommuCapability> capabilities) {
    Walk walk =
        capabilities.contains(IommuCapability.HARVEST_CARRIES_START_OFFSET)
            ? Walk.CARRIED
            : capabilities.contains(IommuCapability.HARVEST_RECORDS_FROM_START)
                ? Walk.FROM_START
                : Walk.LEAVES;
    return new ReferenceDirtyModel(0, Objects.requireNonNull(table, "table"), walk);
  }

  /**
   * Records a completed write of {@code [iova, iova + length)} ({@code length > 0}).
   *
   * @param iova the first IO virtual address of the range
   * @param length the length of the range in bytes
   */
  public void recordWrite(long iova, long length) {
    addUnits(must, iova, length);
  }

  /**
   * Records that the units of {@code [iova, iova + length)} may be reported dirty without a write
   * ({@code length > 0}): writable leaves a format maps dirty, or a write whose completion is
   * unknown.
   *
   * @param iova the first IO virtual address of the range
   * @param length the length of the range in bytes
   */
  public void recordPossiblyDirty(long iova, long length) {
    addUnits(maybe, iova, length);
  }

  private void addUnits(Intervals set, long iova, long length) {
    long last = last(iova, length);
    if (table == null) {
      set.add(iova & -granule, last | (granule - 1));
      return;
    }
    for (Leaf l : table.leaves(iova, length)) {
      if (l.writable()) {
        set.add(l.iova(), l.last());
      }
    }
  }

  /**
   * Records a clearing harvest (or report) of {@code [iova, iova + length)}: every unit it visits
   * becomes clean, whole, also the parts outside the range ({@code length > 0}). A harvest visits
   * every unit overlapping its range, except as the class comment says for a walk that carries its
   * start offset.
   *
   * @param iova the first IO virtual address of the range
   * @param length the length of the range in bytes
   * @throws IllegalArgumentException if the model carries the start offset and the walk meets a
   *     hole
   */
  public void onHarvest(long iova, long length) {
    long last = last(iova, length);
    if (table == null) {
      clean(iova & -granule, last | (granule - 1));
      return;
    }
    for (Visit v : visits(iova, length)) {
      clean(v.leaf().iova(), v.leaf().last());
    }
  }

  /** One leaf a harvest walk visits, and the IOVA range it records the leaf at if dirty. */
  private record Visit(Leaf leaf, long recordedAt, long recordedLength) {}

  /** The leaves a harvest of {@code [iova, iova + length)} visits, in order. */
  private List<Visit> visits(long iova, long length) {
    List<Visit> visits = new ArrayList<>();
    if (walk != Walk.CARRIED) {
      for (Leaf l : table.leaves(iova, length)) {
        if (walk == Walk.FROM_START && Long.compareUnsigned(l.iova(), iova) < 0) {
          long offset = iova - l.iova();
          int log2 = 63 - Long.numberOfLeadingZeros(l.size());
          long item = 4096L << (9 * ((log2 - 12) / 9)); // largest 4 KiB * 512^k <= size
          visits.add(new Visit(l, iova, l.size() - offset + offset % item));
        } else {
          visits.add(new Visit(l, l.iova(), l.size()));
        }
      }
      return visits;
    }
    long last = last(iova, length);
    long position = iova;
    while (true) {
      long at = position;
      Optional<Leaf> leaf = table.leaf(at);
      if (leaf.isEmpty()) {
        throw new IllegalArgumentException(
            "hole at 0x" + Long.toHexString(at) + ": the harvest walk aborts there");
      }
      visits.add(new Visit(leaf.get(), at, leaf.get().size()));
      position = at + leaf.get().size();
      if (Long.compareUnsigned(position, at) < 0 || Long.compareUnsigned(position, last) > 0) {
        return visits;
      }
    }
  }

  /** Records a clearing harvest of everything. */
  public void onHarvest() {
    must.clear();
    maybe.clear();
  }

  /**
   * Forgets exactly {@code [iova, iova + length)}, without expanding to units: its dirty state was
   * dropped (the leaves were unmapped; docs/fidelity.md, "Partial unmap") or handed over (an unmap
   * that read the dirty bits).
   *
   * @param iova the first IO virtual address of the range
   * @param length the length of the range in bytes
   */
  public void forget(long iova, long length) {
    clean(iova, last(iova, length));
  }

  private void clean(long first, long last) {
    must.remove(first, last);
    maybe.remove(first, last);
  }

  /**
   * Returns whether nothing must or may be reported.
   *
   * @return whether nothing must or may be reported
   */
  public boolean isClean() {
    return must.isEmpty() && maybe.isEmpty();
  }

  /**
   * Returns the bits a correct harvest of {@code [iova, iova + length)} at {@code pageSize} must
   * set: every page of a dirty unit (for a format that records leaves elsewhere: of every dirty
   * leaf the walk visits, where it records the leaf, see the class comment).
   *
   * @param iova the first IO virtual address of the range
   * @param length the length of the range in bytes
   * @param pageSize the page size in bytes, a power of two
   * @return the bits a correct harvest of {@code [iova, iova + length)} at {@code pageSize} must
   *     set: every page of a dirty unit (for a format that records leaves elsewhere: of every dirty
   *     leaf the walk visits, where it records the leaf, see the class comment)
   */
  public IovaBitmap expectedBitmap(long iova, long length, long pageSize) {
    IovaBitmap bitmap = IovaBitmap.allocate(iova, length, pageSize);
    fill(bitmap, must);
    return bitmap;
  }

  /**
   * Returns the bits a correct harvest of {@code [iova, iova + length)} at {@code pageSize} may
   * set: those of {@link #expectedBitmap} and of the units that may be dirty.
   *
   * @param iova the first IO virtual address of the range
   * @param length the length of the range in bytes
   * @param pageSize the page size in bytes, a power of two
   * @return the bits a correct harvest of {@code [iova, iova + length)} at {@code pageSize} may
   *     set: those of {@link #expectedBitmap} and of the units that may be dirty
   */
  public IovaBitmap allowedBitmap(long iova, long length, long pageSize) {
    IovaBitmap bitmap = expectedBitmap(iova, length, pageSize);
    fill(bitmap, maybe);
    return bitmap;
  }

  private void fill(IovaBitmap bitmap, Intervals set) {
    long lo = bitmap.iova();
    long hi = last(lo, bitmap.length());
    if (walk != Walk.LEAVES) {
      for (Visit v : visits(lo, bitmap.length())) {
        if (set.intersects(v.leaf().iova(), v.leaf().last())) {
          setClipped(bitmap, v.recordedAt(), last(v.recordedAt(), v.recordedLength()), lo, hi);
        }
      }
      return;
    }
    set.forEach(
        (first, last) -> {
          if (table == null) {
            setClipped(bitmap, first, last, lo, hi);
          } else {
            for (Leaf l : table.leaves(first, last - first + 1)) {
              setClipped(bitmap, l.iova(), l.last(), lo, hi);
            }
          }
        });
  }

  private static void setClipped(IovaBitmap bitmap, long first, long last, long lo, long hi) {
    long a = Long.compareUnsigned(first, lo) < 0 ? lo : first;
    long b = Long.compareUnsigned(last, hi) > 0 ? hi : last;
    if (Long.compareUnsigned(a, b) <= 0) {
      bitmap.set(a, b - a + 1);
    }
  }

  private static long last(long iova, long length) {
    if (length == 0) {
      throw new IllegalArgumentException("length 0");
    }
    long last = iova + length - 1;
    return Long.compareUnsigned(last, iova) < 0 ? -1L : last;
  }

  @Override
  public String toString() {
    return "ReferenceDirtyModel["
        + (table == null ? "granule 0x" + Long.toHexString(granule) : "leaves")
        + ", must "
        + must
        + ", may "
        + maybe
        + "]";
  }
}
