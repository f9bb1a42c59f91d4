package org.jvfio.core.spi;

/**
 * What an {@link IommuDriver} instance can do; contract suites and iommufd gate on these.
 *
 * <p>{@link #DIRTY_TRACKING} is the kernel's {@code IOMMU_CAP_DIRTY_TRACKING}, reported to user
 * space as {@code IOMMU_HW_CAP_DIRTY_TRACKING} by {@code IOMMU_GET_HW_INFO}; the others are model
 * features that have no uAPI bit.
 */
public enum IommuCapability {
  /** {@code IOMMU_CAP_DIRTY_TRACKING}: domains allocated with dirty tracking get dirty ops. */
  DIRTY_TRACKING,
  /** {@link IommuDomain#split} and {@link IommuDomain#collapse} are implemented. */
  SPLIT_COLLAPSE,
  /**
   * Hardware dirty updates cannot be switched off once the domain has dirty tracking (Arm SMMUv3
   * with HTTU: {@code set_dirty_tracking(false)} changes nothing, trap T8).
   */
  DIRTY_TRACKING_ALWAYS_ON,
  /**
   * A read-and-clear over a range with an unmapped hole fails with {@code EINVAL} instead of
   * skipping the hole (Arm, trap T8).
   */
  HOLE_ABORTS_HARVEST
}
