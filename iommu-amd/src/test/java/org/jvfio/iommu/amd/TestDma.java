package org.jvfio.iommu.amd;

import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.Optional;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.IommuDomain;

/**
 * A test-side DMA engine for one device: the §6.3 write algorithm over {@link
 * IommuDomain#translate} and {@link IommuDomain#setDirtyByHardware}, with its own small cache of
 * translations standing in for the IOTLB. Any invalidation the domain issues (seen through the
 * IOTLB's counters) empties the cache, so cached-dirty translations survive exactly until the next
 * flush, as on hardware (trap T10). One instance per thread.
 */
final class TestDma {
  private static final int CAPACITY = 64;

  private static final class Cached {
    final Translation t;
    boolean dirty;

    Cached(Translation t) {
      this.t = t;
      this.dirty = t.dirty();
    }
  }

  private final IommuDomain domain;
  private final ArrayDeque<Cached> cache = new ArrayDeque<>();
  private long seenInvalidations = -1;

  TestDma(IommuDomain domain) {
    this.domain = domain;
  }

  /** Writes at {@code iova}; returns false on an IO page fault (unmapped or read-only). */
  boolean write(long iova) {
    sync();
    for (; ; ) {
      Cached c = lookup(iova);
      if (c == null) {
        Optional<Translation> t = domain.translate(iova);
        if (t.isEmpty()) {
          return false;
        }
        c = new Cached(t.get());
        cache.addFirst(c);
        if (cache.size() > CAPACITY) {
          cache.removeLast();
        }
      }
      if (!c.t.writable()) {
        return false;
      }
      if (!c.dirty) {
        if (!domain.setDirtyByHardware(c.t)) {
          cache.remove(c); // stale: the slot no longer holds that leaf; walk again
          continue;
        }
        c.dirty = true;
      }
      return true;
    }
  }

  private Cached lookup(long iova) {
    for (Iterator<Cached> it = cache.iterator(); it.hasNext(); ) {
      Cached c = it.next();
      if (c.t.covers(iova)) {
        return c;
      }
    }
    return null;
  }

  private void sync() {
    long n = domain.iotlb().rangeInvalidations() + domain.iotlb().fullInvalidations();
    if (n != seenInvalidations) {
      cache.clear();
      seenInvalidations = n;
    }
  }
}
