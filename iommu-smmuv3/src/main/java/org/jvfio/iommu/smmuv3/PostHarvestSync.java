package org.jvfio.iommu.smmuv3;

/**
 * What {@code iotlb_sync} does with the gather a read-and-clear filled.
 *
 * <p>A harvest records its ranges with {@code iommu_iotlb_gather_add_range()}, which never sets the
 * gather's page size, and {@code arm_smmu_iotlb_sync()} returns at once when the page size is 0.
 * Read literally, the upstream driver therefore issues no TLB invalidation after a harvest.
 */
public enum PostHarvestSync {
  /**
   * The architecturally required behaviour (the default): every non-empty gather is invalidated, so
   * a write after the harvest's sync sets the dirty state again.
   */
  ARCHITECTURAL,
  /**
   * The upstream code as read: a gather whose {@link org.jvfio.core.spi.IotlbGather#pageSize()} is
   * 0 — every gather a harvest filled — is not invalidated. <b>Consequence:</b> a translation the
   * SMMU cached as writable before the harvest cleared the entry stays cached, and a later DMA
   * write through it leaves no trace: the page is clean in the table, so the next harvest misses it
   * and a live migration copies stale data. Select this only to reproduce that behaviour.
   */
  UPSTREAM
}
