package org.jvfio.iommu.intel;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

/**
 * A test-side stand-in for the core DMA engine (spec §6.3 write algorithm): a cache of {@link
 * Translation}s with their cached-dirty state in front of {@link IommuDomain#translate} and {@link
 * IommuDomain#setDirtyByHardware}. Core's {@link Iotlb} lookup/insert are package-private, so this
 * cache mirrors the domain's IOTLB conservatively: any invalidation the domain issues (seen in
 * {@link Iotlb#rangeInvalidations()} + {@link Iotlb#fullInvalidations()}) drops every cached entry,
 * and a walk that raced with one is not kept. A domain that clears D without invalidating leaves
 * stale dirty entries here and loses writes, as on hardware (trap T10).
 *
 * <p>Not thread-safe: give each DMA thread its own instance.
 */
final class TestDma {
  private final IommuDomain domain;
  private final Map<Long, Cached> cache = new HashMap<>(); // leaf iova -> cached translation
  private long seenInvalidations = -1;
  int faults;
  int rewalks;

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
  }

  private long invalidations() {
    Iotlb tlb = domain.iotlb();
    return tlb.rangeInvalidations() + tlb.fullInvalidations();
  }

  private Cached lookup(long iova) {
    long now = invalidations();
    if (now != seenInvalidations) {
      cache.clear();
      seenInvalidations = now;
    }
    for (long size = 1L << 12; size <= 1L << 30; size <<= 9) {
      Cached c = cache.get(iova & -size);
      if (c != null && c.t.covers(iova)) {
        return c;
      }
    }
    return null;
  }

  /** Performs a DMA write to {@code iova}; returns false on an IO page fault. */
  boolean write(long iova) {
    while (true) {
      Cached c = lookup(iova);
      if (c == null) {
        long before = invalidations();
        Optional<Translation> t = domain.translate(iova);
        if (t.isEmpty()) {
          faults++;
          return false;
        }
        c = new Cached(t.get());
        if (invalidations() == before) {
          cache.put(c.t.iova(), c);
        }
      }
      if (!c.t.writable()) {
        faults++;
        return false;
      }
      if (domain.isDirtyTracking() && !c.dirty) {
        if (!domain.setDirtyByHardware(c.t)) {
          cache.remove(c.t.iova(), c);
          rewalks++;
          continue;
        }
        c.dirty = true;
      }
      return true;
    }
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

  /** Enables tracking as iommufd does: a clearing pass with no bitmap and a sync first (T13). */
  static void enableTracking(IommuDomain domain, long iova, long length) {
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(iova, length, 0, IommuDirtyBitmap.gatherOnly(gather));
    domain.iotlbSync(gather);
    domain.setDirtyTracking(true);
  }
}
