package org.jvfio.core.hw;

/**
 * An IO page fault the IOMMU recorded for a device's DMA (docs/architecture.md, "DMA"): the access
 * was refused and nothing was read or written for that page.
 *
 * @param deviceId the iommufd device id of the device that made the access
 * @param iova the first faulting IOVA of the access (within one 4 KiB page or leaf)
 * @param write whether the access was a write
 * @param cause why it faulted
 */
public record IoPageFault(int deviceId, long iova, boolean write, Cause cause) {
  /** Why an access faulted. */
  public enum Cause {
    /** No translation: the IOVA is not mapped, or the device is attached to no domain. */
    NOT_PRESENT,
    /** The translation exists but does not permit the access (a write to a read-only page). */
    PERMISSION
  }
}
