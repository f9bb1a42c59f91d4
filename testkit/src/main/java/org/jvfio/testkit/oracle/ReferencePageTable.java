package org.jvfio.testkit.oracle;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.jvfio.core.spi.IommuDomain;

/**
 * What an IO page table should hold after a sequence of map, unmap, split and merge operations: the
 * leaves, each with its IOVA, size, output address and permissions. The oracle of {@link
 * IommuDomain#map}, {@link IommuDomain#unmap}, {@link IommuDomain#iovaToPhys} and {@link
 * IommuDomain#translate} (docs/architecture.md, "The front doors").
 *
 * <p>{@link #map} splits a request into leaves as {@code iommu_map()} does: at each step the
 * largest size of the page-size bitmap that is no larger than what remains and to which both the
 * IOVA and the physical address are aligned. {@link #unmap} removes the leaves that start inside
 * the range, whole (AMD and VT-d semantics: the bytes returned may exceed the request). {@link
 * #split} models {@link IommuDomain#split}; collapse is format-specific (which tables merge into
 * which leaf), so the oracle does not predict it: {@link #merge} records a merge a domain made,
 * after checking that it was legal.
 *
 * <p>IOVAs are unsigned 64-bit values. Not thread-safe.
 */
public final class ReferencePageTable {
  /**
   * One leaf: {@code [iova, iova + size)} translates to {@code [physical, physical + size)}.
   *
   * @param iova the first IOVA, aligned to {@code size}
   * @param size the leaf size, a power of two from the page-size bitmap
   * @param physical the output address of {@code iova}, aligned to {@code size}
   * @param prot {@link IommuDomain#IOMMU_READ} and/or {@link IommuDomain#IOMMU_WRITE}
   */
  public record Leaf(long iova, long size, long physical, int prot) {
    /**
     * Returns the last IOVA of the leaf, inclusive.
     *
     * @return the last IOVA of the leaf, inclusive
     */
    public long last() {
      return iova + size - 1;
    }

    /**
     * Returns whether DMA may write through the leaf.
     *
     * @return whether DMA may write through the leaf
     */
    public boolean writable() {
      return (prot & IommuDomain.IOMMU_WRITE) != 0;
    }

    /**
     * Returns whether DMA may read through the leaf.
     *
     * @return whether DMA may read through the leaf
     */
    public boolean readable() {
      return (prot & IommuDomain.IOMMU_READ) != 0;
    }

    /**
     * Returns the output address of {@code address}, which must lie inside the leaf.
     *
     * @param address an address inside the leaf
     * @return the output address of {@code address}, which must lie inside the leaf
     */
    public long physicalOf(long address) {
      return physical + (address - iova);
    }

    @Override
    public String toString() {
      return "Leaf[0x"
          + Long.toHexString(iova)
          + "+0x"
          + Long.toHexString(size)
          + " -> 0x"
          + Long.toHexString(physical)
          + ((prot & IommuDomain.IOMMU_READ) != 0 ? " R" : "")
          + ((prot & IommuDomain.IOMMU_WRITE) != 0 ? " W" : "")
          + "]";
    }
  }

  private final long pageSizeBitmap;
  private final long minPageSize;
  private final TreeMap<Long, Leaf> leaves = new TreeMap<>(Long::compareUnsigned);
  private final List<Consumer<Leaf>> mergeListeners = new ArrayList<>();

  private ReferencePageTable(long pageSizeBitmap) {
    this.pageSizeBitmap = pageSizeBitmap;
    this.minPageSize = Long.lowestOneBit(pageSizeBitmap);
  }

  /**
   * Returns an empty table for a format with the given leaf sizes.
   *
   * @param pageSizeBitmap bit {@code n} set: leaves of {@code 2^n} bytes ({@link
   *     IommuDomain#pageSizeBitmap()}); at least 4 KiB
   * @return an empty table for a format with the given leaf sizes
   * @throws IllegalArgumentException if no size of at least 4 KiB is set
   */
  public static ReferencePageTable create(long pageSizeBitmap) {
    long sizes = pageSizeBitmap & (-1L << 12);
    if (sizes == 0) {
      throw new IllegalArgumentException("no page size >= 4 KiB in 0x" + Long.toHexString(sizes));
    }
    return new ReferencePageTable(sizes);
  }

  /**
   * Returns the leaf sizes this table maps.
   *
   * @return the leaf sizes this table maps
   */
  public long pageSizeBitmap() {
    return pageSizeBitmap;
  }

  /**
   * Maps {@code [iova, iova + size)} to {@code [physical, physical + size)} and returns the leaves
   * created, in IOVA order.
   *
   * @param iova the first IO virtual address of the range
   * @param physical the physical address the range maps to
   * @param size the length of the range in bytes
   * @param prot {@link IommuDomain#IOMMU_READ} and/or {@link IommuDomain#IOMMU_WRITE}
   * @return the leaves created, in IOVA order
   * @throws IllegalArgumentException if the range is empty, wraps, is not aligned to the smallest
   *     page size, or overlaps a leaf; nothing changes then
   */
  public List<Leaf> map(long iova, long physical, long size, int prot) {
    checkRange(iova, size);
    if ((physical & (minPageSize - 1)) != 0) {
      throw new IllegalArgumentException("physical 0x" + Long.toHexString(physical) + " unaligned");
    }
    if (!leaves(iova, size).isEmpty()) {
      throw new IllegalArgumentException(
          "0x" + Long.toHexString(iova) + "+0x" + Long.toHexString(size) + " overlaps a mapping");
    }
    List<Leaf> created = new ArrayList<>();
    for (long done = 0; done != size; ) {
      long cur = iova + done;
      long pa = physical + done;
      long leaf = largestLeaf(cur | pa, size - done);
      created.add(new Leaf(cur, leaf, pa, prot));
      done += leaf;
    }
    for (Leaf l : created) {
      leaves.put(l.iova(), l);
    }
    return created;
  }

  /**
   * The largest page size to which {@code addresses} is aligned and not larger than {@code max}.
   */
  private long largestLeaf(long addresses, long max) {
    long fits = pageSizeBitmap & (Long.highestOneBit(max) | (Long.highestOneBit(max) - 1));
    if (addresses != 0) {
      long align = Long.lowestOneBit(addresses);
      fits &= align | (align - 1);
    }
    return Long.highestOneBit(fits);
  }

  /**
   * Removes every leaf that starts inside {@code [iova, iova + size)}, whole, and returns the bytes
   * removed.
   *
   * @param iova the first IO virtual address of the range
   * @param size the length of the range in bytes
   * @return the bytes removed
   * @throws IllegalArgumentException if the range is empty, wraps or is not aligned to the smallest
   *     page size
   */
  public long unmap(long iova, long size) {
    checkRange(iova, size);
    long removed = 0;
    for (Leaf l : leaves(iova, size)) {
      if (Long.compareUnsigned(l.iova(), iova) >= 0) {
        leaves.remove(l.iova());
        removed += l.size();
      }
    }
    return removed;
  }

  /**
   * Returns the leaf containing {@code iova}, if mapped.
   *
   * @param iova the first IO virtual address of the range
   * @return the leaf containing {@code iova}, if mapped
   */
  public Optional<Leaf> leaf(long iova) {
    Map.Entry<Long, Leaf> e = leaves.floorEntry(iova);
    if (e == null || Long.compareUnsigned(iova, e.getValue().last()) > 0) {
      return Optional.empty();
    }
    return Optional.of(e.getValue());
  }

  /**
   * Returns the physical address {@code iova} translates to, if mapped.
   *
   * @param iova the first IO virtual address of the range
   * @return the physical address {@code iova} translates to, if mapped
   */
  public OptionalLong translate(long iova) {
    Optional<Leaf> l = leaf(iova);
    return l.isPresent() ? OptionalLong.of(l.get().physicalOf(iova)) : OptionalLong.empty();
  }

  /**
   * Returns the leaves overlapping {@code [iova, iova + size)} in IOVA order ({@code size > 0}; a
   * range running past the top of the IOVA space is cut there).
   *
   * @param iova the first IO virtual address of the range
   * @param size the length of the range in bytes
   * @return the leaves overlapping {@code [iova, iova + size)} in IOVA order ({@code size > 0}; a
   *     range running past the top of the IOVA space is cut there)
   */
  public List<Leaf> leaves(long iova, long size) {
    long last = iova + size - 1;
    if (Long.compareUnsigned(last, iova) < 0) {
      last = -1L;
    }
    List<Leaf> out = new ArrayList<>();
    Map.Entry<Long, Leaf> below = leaves.lowerEntry(iova);
    if (below != null && Long.compareUnsigned(below.getValue().last(), iova) >= 0) {
      out.add(below.getValue());
    }
    out.addAll(leaves.subMap(iova, true, last, true).values());
    return out;
  }

  /**
   * Returns every leaf, in IOVA order.
   *
   * @return every leaf, in IOVA order
   */
  public List<Leaf> leaves() {
    return List.copyOf(leaves.values());
  }

  /**
   * Replaces every leaf larger than {@code pageSize} that overlaps {@code [iova, iova + length)} by
   * leaves of {@code pageSize} with the same permissions and contiguous output addresses, as {@link
   * IommuDomain#split} must.
   *
   * @param iova the first IO virtual address of the range
   * @param length the length of the range in bytes
   * @param pageSize the page size in bytes, a power of two
   * @throws IllegalArgumentException if {@code pageSize} is not in the page-size bitmap
   */
  public void split(long iova, long length, long pageSize) {
    if (Long.bitCount(pageSize) != 1 || (pageSizeBitmap & pageSize) == 0) {
      throw new IllegalArgumentException("page size 0x" + Long.toHexString(pageSize));
    }
    for (Leaf l : leaves(iova, length)) {
      if (Long.compareUnsigned(l.size(), pageSize) > 0) {
        leaves.remove(l.iova());
        for (long off = 0; off != l.size(); off += pageSize) {
          leaves.put(
              l.iova() + off, new Leaf(l.iova() + off, pageSize, l.physical() + off, l.prot()));
        }
      }
    }
  }

  /**
   * Records that a domain replaced the leaves of {@code [iova, iova + size)} by one leaf (a
   * collapse), after checking that this is a legal merge: {@code size} is in the page-size bitmap,
   * the range is covered by leaves without a hole, starting and ending on leaf boundaries, whose
   * output addresses are contiguous and aligned to {@code size}, all with the same permissions.
   *
   * @param iova the first IO virtual address of the range
   * @param size the length of the range in bytes
   * @return the merged leaf
   * @throws IllegalArgumentException saying why if the merge is not legal; nothing changes then
   */
  public Leaf merge(long iova, long size) {
    if (Long.bitCount(size) != 1 || (pageSizeBitmap & size) == 0 || (iova & (size - 1)) != 0) {
      throw new IllegalArgumentException(
          "no leaf of 0x" + Long.toHexString(size) + " at 0x" + Long.toHexString(iova));
    }
    List<Leaf> parts = leaves(iova, size);
    if (parts.isEmpty() || parts.get(0).iova() != iova) {
      throw new IllegalArgumentException("merge at 0x" + Long.toHexString(iova) + ": " + parts);
    }
    Leaf first = parts.get(0);
    long expected = iova;
    for (Leaf p : parts) {
      if (p.iova() != expected
          || p.physical() != first.physical() + (p.iova() - iova)
          || p.prot() != first.prot()) {
        throw new IllegalArgumentException("leaves not mergeable: " + parts);
      }
      expected = p.iova() + p.size();
    }
    if (expected != iova + size || (first.physical() & (size - 1)) != 0) {
      throw new IllegalArgumentException(
          "leaves not mergeable into 0x" + Long.toHexString(size) + ": " + parts);
    }
    for (Leaf p : parts) {
      leaves.remove(p.iova());
    }
    Leaf merged = new Leaf(iova, size, first.physical(), first.prot());
    leaves.put(iova, merged);
    for (Consumer<Leaf> listener : mergeListeners) {
      listener.accept(merged);
    }
    return merged;
  }

  /** Registers {@code listener} to be told of every leaf a later {@link #merge} makes. */
  void onMerge(Consumer<Leaf> listener) {
    mergeListeners.add(listener);
  }

  private void checkRange(long iova, long size) {
    if (size == 0
        || ((iova | size) & (minPageSize - 1)) != 0
        || Long.compareUnsigned(iova + size - 1, iova) < 0) {
      throw new IllegalArgumentException(
          "bad range 0x" + Long.toHexString(iova) + "+0x" + Long.toHexString(size));
    }
  }

  @Override
  public String toString() {
    return "ReferencePageTable" + leaves.values();
  }
}
