/**
 * Domain generators for the VFIO and iommufd uAPI: IOVA ranges, page sizes, mapping layouts, DMA
 * workloads, migration flag sets and state requests, DMA-logging START/REPORT requests and {@code
 * IOMMU_HWPT_GET_DIRTY_BITMAP} requests.
 *
 * <p>Request generators come in a valid and an invalid flavour. A valid case passes every check the
 * kernel makes; an invalid case breaks exactly one of them and carries the errno the kernel returns
 * for it in {@code expected()}. All generators are {@link org.jvfio.testkit.Gen}s and shrink.
 */
package org.jvfio.testkit.gen;
