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
   * with HTTU: {@code set_dirty_tracking(false)} changes nothing; docs/fidelity.md, "Arm SMMUv3").
   */
  DIRTY_TRACKING_ALWAYS_ON,
  /**
   * A read-and-clear over a range with an unmapped hole fails with {@code EINVAL} instead of
   * skipping the hole (Arm; docs/fidelity.md, "Arm SMMUv3").
   */
  HOLE_ABORTS_HARVEST,
  /**
   * A read-and-clear that starts inside a leaf carries its offset into that leaf through the rest
   * of the walk (Arm: io-pgtable-arm's walker starts its position at the requested IOVA, records
   * each dirty leaf at the position with the leaf's size, and advances the position by that size;
   * {@code arm_lpae_read_and_clear_dirty()} in {@code drivers/iommu/io-pgtable-arm.c},
   * docs/fidelity.md, "Partial-leaf harvests"). Every later leaf is then recorded shifted by the
   * offset, so the bitmap shows the start of a leaf as dirty when the leaf before it was, and the
   * first small leaves of a later table are stepped over: that harvest neither reports nor clears
   * them (they stay dirty for the next one). A harvest that starts on a leaf boundary is not
   * affected. Without this capability every leaf overlapping the range is visited and recorded
   * whole.
   */
  HARVEST_CARRIES_START_OFFSET,
  /**
   * A read-and-clear that starts inside a leaf records that leaf from the start, with the length of
   * the leaf's remaining table items (iommupt's {@code record_dirty} takes the walk's current IOVA,
   * which is the range start until the walk moves to the next entry, in {@code
   * drivers/iommu/generic_pt/iommu_pt.h}; docs/fidelity.md, "Partial-leaf harvests"): the record
   * runs past the leaf's end by the start's offset into its table item, into the IOVA that follows,
   * where clean pages can then be reported. Later leaves are recorded from their first IOVA.
   * Implied by {@link #HARVEST_CARRIES_START_OFFSET}.
   */
  HARVEST_RECORDS_FROM_START
}
