package org.jvfio.iommu.amd;

import java.util.List;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.IommuDomain;

/**
 * One device's DMA for tests: core's {@link DmaEngine} (the write algorithm over the domain's real
 * IOTLB) writing one byte at a time through {@code domain}. By default the DMA lands in a sparse
 * guest memory covering the output addresses below 2 TiB that the tests map.
 */
final class TestDma {
  private static final long DEFAULT_MEMORY = 1L << 41;

  private final IommuDomain domain;
  private final DmaEngine engine;

  TestDma(IommuDomain domain) {
    this(domain, List.of(GuestMemory.create(0, DEFAULT_MEMORY, 1)));
  }

  /** A DMA landing in {@code memories}, which must cover every output address written. */
  TestDma(IommuDomain domain, List<GuestMemory> memories) {
    this.domain = domain;
    this.engine = new DmaEngine(memories, 16);
  }

  /** Writes at {@code iova}; returns false on an IO page fault (unmapped or read-only). */
  boolean write(long iova) {
    return engine.write(0, domain, iova, 1, DmaWriteListener.NONE).faults() == 0;
  }
}
