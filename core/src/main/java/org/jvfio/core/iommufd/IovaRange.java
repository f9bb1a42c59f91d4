package org.jvfio.core.iommufd;

/**
 * One IOVA range, {@code struct iommu_iova_range} (spec {@code uapi.md} §5.4): {@code last} is
 * inclusive; both are unsigned 64-bit.
 *
 * @param start the first IOVA
 * @param last the last IOVA, inclusive
 */
public record IovaRange(long start, long last) {}
