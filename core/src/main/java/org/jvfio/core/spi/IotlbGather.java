package org.jvfio.core.spi;

/**
 * The range of a pending IOTLB flush: {@code struct iommu_iotlb_gather} of include/linux/iommu.h
 * ({@code struct iommu_iotlb_gather} in {@code include/linux/iommu.h}). A read-and-clear widens it
 * for every leaf it cleans; the core then syncs it once per ioctl with {@link
 * IommuDomain#iotlbSync}.
 *
 * <p>As in the kernel, {@link #addRange} widens {@code [start, end]} but does not set {@link
 * #pageSize()}; only {@link #addPage} does (this is what makes the SMMUv3 post-harvest sync a no-op
 * on the kernels read; docs/fidelity.md, "Arm SMMUv3"). Not thread-safe: one call fills one gather.
 */
public final class IotlbGather {
  private long start = -1L; // ULONG_MAX when empty, as iommu_iotlb_gather_init
  private long end;
  private long pageSize;

  /** Creates an empty gather ({@code start = ULONG_MAX, end = 0, pgsize = 0}). */
  public IotlbGather() {}

  /**
   * Widens the gather to include {@code [iova, iova + length)} ({@code gather_add_range}).
   *
   * @param iova the first IOVA to invalidate
   * @param length the bytes to invalidate
   */
  public void addRange(long iova, long length) {
    if (length == 0) {
      return;
    }
    long last = iova + length - 1;
    if (Long.compareUnsigned(iova, start) < 0) {
      start = iova;
    }
    if (Long.compareUnsigned(last, end) > 0) {
      end = last;
    }
  }

  /**
   * Widens the gather and records the page size ({@code iommu_iotlb_gather_add_page}).
   *
   * @param iova the first IOVA of the page
   * @param size the page size in bytes
   */
  public void addPage(long iova, long size) {
    addRange(iova, size);
    pageSize = size;
  }

  /**
   * Returns whether nothing was gathered.
   *
   * @return true if no range was added
   */
  public boolean isEmpty() {
    return Long.compareUnsigned(start, end) > 0;
  }

  /**
   * Returns the first gathered IOVA ({@code ULONG_MAX} when empty).
   *
   * @return the first IOVA, or {@code ULONG_MAX} when empty
   */
  public long start() {
    return start;
  }

  /**
   * Returns the last gathered IOVA, inclusive.
   *
   * @return the last IOVA, inclusive
   */
  public long end() {
    return end;
  }

  /**
   * Returns the recorded page size, 0 if only ranges were added.
   *
   * @return the page size in bytes, or 0
   */
  public long pageSize() {
    return pageSize;
  }
}
