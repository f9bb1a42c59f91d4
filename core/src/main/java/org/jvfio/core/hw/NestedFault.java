package org.jvfio.core.hw;

/**
 * A fault of a nested (two-stage) translation: which stage refused the access and why (VT-d 7.1,
 * "Remapping Hardware - Faults"; SMMUv3 3.12, "Fault model"). Nothing was read or written for the
 * faulting page.
 *
 * @param deviceId the iommufd device id of the device that made the access
 * @param iova the guest IOVA the device emitted (start of the faulting 4 KiB page or access)
 * @param write whether the access was a write
 * @param stage 1 for the guest's stage-1 table, 2 for the host's stage-2 (nest parent) table
 * @param cause why it faulted
 * @param gpa for a stage-2 fault, the guest-physical address stage 2 could not translate or permit;
 *     for a stage-1 fault, the guest-physical address of the entry that refused (or 0)
 * @param tableWalk for a stage-2 fault, whether it hit a read or an accessed/dirty update of a
 *     stage-1 table entry (or context descriptor) rather than the final access
 */
public record NestedFault(
    int deviceId, long iova, boolean write, int stage, Cause cause, long gpa, boolean tableWalk) {
  /** Why a nested translation faulted. */
  public enum Cause {
    /** No valid entry (stage 1 or stage 2), or stage-1 translation is set to abort. */
    NOT_PRESENT,
    /** The entry does not permit the access (a write through a read-only entry at either stage). */
    PERMISSION,
    /** An Arm stage-1 leaf with AF clear: hardware access-flag updates are off when nesting. */
    ACCESS_FLAG,
    /** The IOVA is outside the stage-1 input range (not canonical, or above the Arm T0SZ). */
    ADDRESS_SIZE,
    /** The SMMUv3 context descriptor is not valid or uses a format the model does not walk. */
    BAD_CONTEXT
  }
}
