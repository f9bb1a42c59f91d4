package org.jvfio.core.iommufd;

/**
 * A page response a device received for one of its page request groups ({@code struct
 * iommu_page_response} of {@code include/linux/iommu.h}, as the IOMMU driver's {@code
 * page_response} gets it): from the user through the fault queue's fd, or {@code
 * IOMMUFD_PAGE_RESP_INVALID} from the kernel for a group nobody can answer any more.
 *
 * @param devId the iommufd id of the device
 * @param pasid the PASID of the group's last fault
 * @param grpid the group index
 * @param code {@code IOMMUFD_PAGE_RESP_SUCCESS} (0) or {@code IOMMUFD_PAGE_RESP_INVALID} (1)
 */
public record IopfResponse(int devId, int pasid, int grpid, int code) {}
