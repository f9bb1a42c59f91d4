package org.jvfio.core.iommufd;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_FLAGS_LAST_PAGE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_FLAGS_PASID_VALID;

/**
 * A page request a device's IOMMU reports ({@code struct iommu_fault_page_request} of {@code
 * include/linux/iommu.h}, the {@code prm} of a {@code struct iopf_fault}), the input of {@link
 * IommufdFaults#reportDeviceFault}. The flag bits are the uAPI's ({@code
 * IOMMU_PGFAULT_FLAGS_PASID_VALID}, {@code _LAST_PAGE}), which the kernel copies into the record
 * the fault queue's fd returns.
 *
 * @param flags {@code IOMMU_PGFAULT_FLAGS_PASID_VALID} and/or {@code IOMMU_PGFAULT_FLAGS_LAST_PAGE}
 * @param pasid the PASID, meaningful with {@code PASID_VALID}
 * @param grpid the page request group index (the faults of one group share it)
 * @param perm {@code IOMMU_PGFAULT_PERM_*} bits
 * @param addr the faulting address
 */
public record IopfFault(int flags, int pasid, int grpid, int perm, long addr) {
  /**
   * Returns the one-fault group that {@code IOMMU_TEST_OP_TRIGGER_IOPF} reports ({@code
   * iommufd_test_trigger_iopf} of {@code drivers/iommu/iommufd/selftest.c}): {@code LAST_PAGE}, and
   * {@code PASID_VALID} unless {@code pasid} is 0 ({@code IOMMU_NO_PASID}).
   *
   * @param pasid the PASID, 0 for none
   * @param grpid the group index
   * @param perm {@code IOMMU_PGFAULT_PERM_*} bits
   * @param addr the faulting address
   * @return the page request
   */
  public static IopfFault lastPage(int pasid, int grpid, int perm, long addr) {
    int flags = IOMMU_PGFAULT_FLAGS_LAST_PAGE | (pasid != 0 ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0);
    return new IopfFault(flags, pasid, grpid, perm, addr);
  }

  /** Whether the fault names a PASID. */
  boolean pasidValid() {
    return (flags & IOMMU_PGFAULT_FLAGS_PASID_VALID) != 0;
  }

  /** Whether the fault ends its group. */
  boolean lastPage() {
    return (flags & IOMMU_PGFAULT_FLAGS_LAST_PAGE) != 0;
  }
}
