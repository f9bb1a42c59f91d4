package org.jvfio.iommu.smmuv3;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

/**
 * A device's view of one domain for tests: the DMA write algorithm of vendor-pagetables §6.3 with
 * its own translation cache standing in for the IOTLB (whose lookup/insert are package-private in
 * core). The cache is dropped whole whenever the domain's {@link Iotlb} reports any invalidation,
 * so a translation survives exactly as long as no invalidation was issued. One instance per thread.
 */
final class TestDma {
  private final IommuDomain domain;
  private final Map<Long, Cached> cache = new HashMap<>(); // by leaf base IOVA
  private long seenInvalidations;
  long faults;

  private static final class Cached {
    final Translation t;
    boolean dirty;

    Cached(Translation t) {
      this.t = t;
      this.dirty = t.dirty();
    }
  }

  TestDma(IommuDomain domain) {
    this.domain = domain;
    this.seenInvalidations = invalidations();
  }

  private long invalidations() {
    Iotlb tlb = domain.iotlb();
    return tlb.rangeInvalidations() + tlb.fullInvalidations();
  }

  /** Performs a DMA write to {@code iova}; returns false on an IO page fault. */
  boolean write(long iova) {
    for (; ; ) {
      long inv = invalidations();
      if (inv != seenInvalidations) {
        cache.clear();
        seenInvalidations = inv;
      }
      Cached c = lookup(iova);
      if (c == null) {
        Optional<Translation> t = domain.translate(iova);
        if (t.isEmpty()) {
          faults++;
          return false;
        }
        c = new Cached(t.get());
        cache.put(c.t.iova(), c);
      }
      if (!c.t.writable()) {
        faults++;
        return false;
      }
      if (!c.dirty) {
        if (!domain.setDirtyByHardware(c.t)) {
          cache.remove(c.t.iova()); // stale: walk again
          continue;
        }
        c.dirty = true;
      }
      return true;
    }
  }

  private Cached lookup(long iova) {
    for (long size = domain.pageSizeBitmap(); size != 0; size &= size - 1) {
      long s = Long.lowestOneBit(size);
      Cached c = cache.get(iova & -s);
      if (c != null && c.t.covers(iova)) {
        return c;
      }
    }
    return null;
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

  /** The iommufd enable sequence: clear everything with no bitmap, sync, then enable (T13). */
  static void enableTracking(IommuDomain d, long iova, long length) {
    IotlbGather g = new IotlbGather();
    d.readAndClearDirty(iova, length, 0, IommuDirtyBitmap.gatherOnly(g));
    d.iotlbSync(g);
    d.setDirtyTracking(true);
  }
}
