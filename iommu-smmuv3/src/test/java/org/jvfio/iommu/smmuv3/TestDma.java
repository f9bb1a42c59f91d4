package org.jvfio.iommu.smmuv3;

import java.util.List;
import org.jvfio.api.iommufd.Iommufd;
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

  /** Returns how many IO page faults this device's writes raised. */
  long faults() {
    return engine.faultCount();
  }

  /** Reads and clears (or not) {@code [iova, iova + length)} into a fresh bitmap, then syncs. */
  static IovaBitmap harvest(IommuDomain d, long iova, long length, long pageSize, int flags) {
    IovaBitmap b = IovaBitmap.allocate(iova, length, pageSize);
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(iova, length, flags, IommuDirtyBitmap.of(b, g));
    if ((flags & Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0) {
      d.iotlbSync(g);
    }
    return b;
  }

  /** The iommufd enable sequence: clear everything with no bitmap, sync, then enable. */
  static void enableTracking(IommuDomain d, long iova, long length) {
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(iova, length, 0, IommuDirtyBitmap.gatherOnly(g));
    d.iotlbSync(g);
    d.setDirtyTracking(true);
  }
}
