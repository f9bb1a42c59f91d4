package org.jvfio.core.spi;

/**
 * How a domain is allocated: the flags of {@code IOMMU_HWPT_ALLOC} that reach the driver's {@code
 * domain_alloc_paging_flags}.
 *
 * @param dirtyTracking {@code IOMMU_HWPT_ALLOC_DIRTY_TRACKING}: install dirty ops
 * @param nestParent {@code IOMMU_HWPT_ALLOC_NEST_PARENT}: the domain may parent nested domains
 */
public record DomainConfig(boolean dirtyTracking, boolean nestParent) {
  /** A plain paging domain without dirty tracking (what an auto domain gets). */
  public static final DomainConfig PLAIN = new DomainConfig(false, false);

  /** A paging domain with dirty tracking. */
  public static final DomainConfig DIRTY_TRACKING = new DomainConfig(true, false);
}
