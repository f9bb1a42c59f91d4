/**
 * The Arm SMMUv3 model: {@link org.jvfio.iommu.smmuv3.SmmuV3Driver} (registered as {@code
 * "smmuv3"}), the descriptor decoders {@link org.jvfio.iommu.smmuv3.LpaeDescriptor} and {@link
 * org.jvfio.iommu.smmuv3.Stage2Descriptor}, and the {@link
 * org.jvfio.iommu.smmuv3.ContextDescriptor} view.
 */
package org.jvfio.iommu.smmuv3;
