package org.jvfio.core.hw;

/**
 * A leaf translation as an IOMMU's page walk produces it and its IOTLB caches it
 * (docs/architecture.md, "DMA"): the leaf's IOVA range and output address, its permissions, its
 * dirty state as walked, and which table entry the walk read, so that the hardware's A/D update can
 * compare-and-swap that very entry.
 *
 * @param iova the first IOVA of the leaf (aligned to {@code size})
 * @param size the leaf size in bytes, a power of two (4 KiB … 512 GiB and beyond, per format)
 * @param physical the output address of {@code iova}
 * @param readable whether DMA reads are permitted
 * @param writable whether DMA writes are permitted (for Arm stage 1 with DBM, writable-clean
 *     counts)
 * @param dirty whether a write needs no hardware dirty update: the entry was already dirty when
 *     walked, or hardware dirty updates were off then (a translation cached while tracking is off
 *     never updates the entry until it is invalidated; docs/fidelity.md, "Stale IOTLB")
 * @param slot the physical address of the entry the walk read (for an AMD replicated run, the
 *     replica walked)
 * @param entry the raw entry value the walk read at {@code slot}
 */
public record Translation(
    long iova,
    long size,
    long physical,
    boolean readable,
    boolean writable,
    boolean dirty,
    long slot,
    long entry) {

  /**
   * Returns the output address of {@code address}, which must lie inside this leaf.
   *
   * @param address an IOVA inside this leaf
   * @return the physical address it translates to
   */
  public long physicalOf(long address) {
    return physical + (address - iova);
  }

  /**
   * Returns whether {@code address} lies inside this leaf.
   *
   * @param address an IOVA
   * @return true if this leaf maps {@code address}
   */
  public boolean covers(long address) {
    return Long.compareUnsigned(address - iova, size) < 0;
  }
}
