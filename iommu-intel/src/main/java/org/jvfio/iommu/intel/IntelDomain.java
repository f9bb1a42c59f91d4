package org.jvfio.iommu.intel;

import java.util.Optional;
import org.jvfio.core.UapiException;
import org.jvfio.core.spi.IommuDomain;

/**
 * A VT-d paging domain: an {@link IommuDomain} plus the attachment to (device, PASID) pairs, which
 * on VT-d is where dirty tracking is switched — the SSADE bit of each scalable-mode PASID-table
 * entry that points at the domain's second-stage table.
 *
 * <p>Every domain the drivers of this module allocate implements this interface. A device is named
 * by its 16-bit source id (bus/devfn); PASIDs are 20-bit, {@link #IOMMU_NO_PASID} standing for the
 * device's requests without PASID (the RID_PASID entry). The PASID table is per IOMMU unit (driver
 * instance): attaching a domain to a (device, PASID) another domain of the same unit held replaces
 * it there. In legacy (non-scalable) mode there is no PASID table: attaching to {@link
 * #IOMMU_NO_PASID} succeeds (a context entry, not modelled) and {@link #pasidEntry} is empty.
 *
 * <p>Attachment calls are serialised per IOMMU unit (the kernel's {@code iommu->lock}).
 */
public interface IntelDomain extends IommuDomain {
  /** {@code IOMMU_NO_PASID}: requests without PASID, translated through the RID_PASID entry. */
  int IOMMU_NO_PASID = 0;

  /**
   * Attaches the domain to {@code device}'s {@code pasid}: {@code attach_dev} for {@link
   * #IOMMU_NO_PASID}, {@code set_dev_pasid} otherwise; programs the PASID entry (second stage: PGTT
   * = 2, SSADE = whether tracking is on now; first stage: PGTT = 1).
   *
   * @param device the requester id of the device
   * @param pasid the PASID, or {@link #IOMMU_NO_PASID}
   * @throws UapiException {@code EOPNOTSUPP} for a non-zero PASID when the unit has no PASID
   *     support (legacy mode or no ECAP.PASID); {@code EINVAL} for a non-zero PASID when the domain
   *     has dirty ops ("dirty tracking domains cannot be attached to a non-zero PASID")
   * @throws IllegalArgumentException if {@code device} is not 16-bit or {@code pasid} not 20-bit
   */
  void attach(int device, int pasid);

  /**
   * Attaches a stage-1 domain nested on this nesting parent to {@code device}'s {@code pasid}: a
   * PASID entry with PGTT = 3 whose second stage is this domain and whose first-stage root is
   * {@code firstStageRoot} (a guest table, not walked by this model). Its SSADE follows this
   * domain's dirty tracking, so dirty tracking of nested translations goes through the parent
   * ({@code intel_iommu_set_dirty_tracking}).
   *
   * @param device the requester id of the device
   * @param pasid the PASID
   * @param firstStageRoot the physical address of the guest's first-stage table (FSPTPTR)
   * @throws UapiException {@code EINVAL} if this domain was not allocated as a nest parent; {@code
   *     EOPNOTSUPP} for a non-zero PASID without PASID support
   * @throws IllegalArgumentException if {@code device} is not 16-bit or {@code pasid} not 20-bit
   */
  void attachNested(int device, int pasid, long firstStageRoot);

  /**
   * Detaches the domain from {@code device}'s {@code pasid} ({@code intel_pasid_tear_down_entry}:
   * the entry is cleared and the PASID cache, the IOTLB and the device TLB are flushed). Does
   * nothing if this domain is not attached there.
   *
   * @param device the requester id of the device
   * @param pasid the PASID, or {@link #IOMMU_NO_PASID}
   */
  void detach(int device, int pasid);

  /**
   * Returns the PASID entry programmed for {@code device}'s {@code pasid} by this domain.
   *
   * @param device the requester id of the device
   * @param pasid the PASID
   * @return the entry, or empty if this domain programmed none there
   */
  Optional<PasidEntry> pasidEntry(int device, int pasid);

  /**
   * Returns the domain id ({@code DID}) tagging this domain's IOTLB entries.
   *
   * @return the DID, 16 bits
   */
  int domainId();

  /**
   * Returns the last IOVA the domain can map ({@code geometry.aperture_end}): {@code 2^min(agaw
   * width, MGAW) - 1} for the second stage, the lower canonical half for the first stage.
   */
  @Override
  long apertureEnd();

  /**
   * Returns how many PASID-cache invalidations (PASID-selective within domain) were issued.
   *
   * @return the number of PASID-cache invalidations since creation
   */
  long pasidCacheInvalidations();

  /**
   * Returns how many device-TLB invalidations were issued (none when CAP.CM is set).
   *
   * @return the number of device-TLB invalidations since creation
   */
  long deviceTlbInvalidations();
}
