/**
 * The AMD-Vi v1 host page table (AMD IOMMU specification, "I/O Page Tables for Host Translations"):
 * {@link org.jvfio.iommu.amd.AmdV1Driver} (registered as {@code amd-v1}), {@link
 * org.jvfio.iommu.amd.AmdV1Domain}, the {@link org.jvfio.iommu.amd.Dte} and the entry decoder
 * {@link org.jvfio.iommu.amd.AmdV1Entry}.
 */
package org.jvfio.iommu.amd;
