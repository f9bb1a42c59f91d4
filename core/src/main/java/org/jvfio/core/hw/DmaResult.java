package org.jvfio.core.hw;

/**
 * The outcome of one device DMA through its IOMMU: how many bytes were transferred and how many
 * pages faulted (and were skipped). A DMA is not atomic: pages before and after a fault complete.
 *
 * @param bytes bytes read or written
 * @param faults IO page faults recorded (one per faulting 4 KiB page)
 */
public record DmaResult(long bytes, int faults) {}
