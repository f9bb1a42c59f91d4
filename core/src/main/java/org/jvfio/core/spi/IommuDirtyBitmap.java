package org.jvfio.core.spi;

import java.util.Objects;
import java.util.Optional;
import org.jvfio.core.bitmap.IovaBitmap;

/**
 * Where a read-and-clear records dirty leaves: {@code struct iommu_dirty_bitmap} of
 * include/linux/iommu.h, an optional {@link IovaBitmap} plus the {@link IotlbGather} of the flush
 * to issue afterwards ({@code struct iommu_dirty_bitmap} and {@code iommu_dirty_bitmap_record()} in
 * {@code include/linux/iommu.h}).
 *
 * <p>Enabling dirty tracking reads-and-clears with no bitmap (only the gather is filled) to start
 * from a clean snapshot (docs/fidelity.md, "Enabling clears first").
 */
public final class IommuDirtyBitmap {
  private final Optional<IovaBitmap> bitmap;
  private final IotlbGather gather;

  private IommuDirtyBitmap(Optional<IovaBitmap> bitmap, IotlbGather gather) {
    this.bitmap = bitmap;
    this.gather = Objects.requireNonNull(gather, "gather");
  }

  /**
   * Records into {@code bitmap} and {@code gather}.
   *
   * @param bitmap the user bitmap
   * @param gather the IOTLB gather to widen
   * @return a recorder into both
   */
  public static IommuDirtyBitmap of(IovaBitmap bitmap, IotlbGather gather) {
    return new IommuDirtyBitmap(Optional.of(bitmap), gather);
  }

  /**
   * Records only into {@code gather}: a clearing pass whose result nobody reads.
   *
   * @param gather the IOTLB gather to widen
   * @return a recorder without a bitmap
   */
  public static IommuDirtyBitmap gatherOnly(IotlbGather gather) {
    return new IommuDirtyBitmap(Optional.empty(), gather);
  }

  /**
   * Records a dirty range: {@code iommu_dirty_bitmap_record()}, which sets the bitmap's bits and
   * widens the gather.
   *
   * @param iova the first dirty IOVA
   * @param length the dirty bytes
   */
  public void record(long iova, long length) {
    if (bitmap.isPresent()) {
      bitmap.get().set(iova, length);
    }
    gather.addRange(iova, length);
  }

  /**
   * Records up to 64 consecutive dirty leaves at once, as {@link #record} of {@code [iova + k *
   * leafSize, + leafSize)} for every bit {@code k} set in {@code mask} (see {@link
   * IovaBitmap#setLeaves}): the gather is widened once, from the first to the last leaf recorded.
   *
   * @param iova the IOVA of the leaf that bit 0 of {@code mask} stands for
   * @param leafSize a power of two
   * @param mask bit {@code k} set: the leaf at {@code iova + k * leafSize} is dirty
   */
  public void recordLeaves(long iova, long leafSize, long mask) {
    if (mask == 0) {
      return;
    }
    if (bitmap.isPresent()) {
      bitmap.get().setLeaves(iova, leafSize, mask);
    }
    int lo = Long.numberOfTrailingZeros(mask);
    int hi = 63 - Long.numberOfLeadingZeros(mask);
    gather.addRange(iova + lo * leafSize, (hi - lo + 1) * leafSize);
  }

  /**
   * Returns the bitmap, if any.
   *
   * @return the bitmap, or empty for a clearing pass
   */
  public Optional<IovaBitmap> bitmap() {
    return bitmap;
  }

  /**
   * Returns the gather.
   *
   * @return the IOTLB gather the records widen
   */
  public IotlbGather gather() {
    return gather;
  }
}
