package org.jvfio.iommu.intel;

import java.util.List;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

/**
 * One device's DMA for tests: core's {@link DmaEngine} (the write algorithm over the domain's real
 * IOTLB) writing one byte at a time through {@code domain} into a sparse guest memory covering the
 * output addresses below 2 TiB that the tests map; plus the harvest and enable sequences.
 */
final class TestDma {
  private static final long MEMORY_SIZE = 1L << 41;

  private final IommuDomain domain;
  private final DmaEngine engine =
      new DmaEngine(List.of(GuestMemory.create(0, MEMORY_SIZE, 1)), 16);

  TestDma(IommuDomain domain) {
    this.domain = domain;
  }

  /** Performs a DMA write to {@code iova}; returns false on an IO page fault. */
  boolean write(long iova) {
    return engine.write(0, domain, iova, 1, DmaWriteListener.NONE).faults() == 0;
  }

  /** Harvests [iova, iova + length) at 4 KiB into a fresh bitmap, syncing unless NO_CLEAR. */
  static IovaBitmap harvest(IommuDomain domain, long iova, long length, int flags) {
    IovaBitmap bitmap = IovaBitmap.allocate(iova, length, 4096);
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(iova, length, flags, IommuDirtyBitmap.of(bitmap, gather));
    if (flags == 0) {
      domain.iotlbSync(gather);
    }
    return bitmap;
  }

  /** Enables tracking as iommufd does: a clearing pass with no bitmap and a sync first. */
  static void enableTracking(IommuDomain domain, long iova, long length) {
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(iova, length, 0, IommuDirtyBitmap.gatherOnly(gather));
    domain.iotlbSync(gather);
    domain.setDirtyTracking(true);
  }
}
