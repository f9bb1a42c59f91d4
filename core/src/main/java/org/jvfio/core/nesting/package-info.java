/**
 * The vendor side of nested translation: the nested domains that Intel VT-d ({@code
 * drivers/iommu/intel/nested.c}) and Arm SMMUv3 ({@code
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c}) build from user data, the SMMUv3 vIOMMU
 * with its command-queue invalidation, and the user data they read. The iommufd objects that own
 * them (nested HWPT, vIOMMU, vDEVICE) and the generic checks are in {@code org.jvfio.core.iommufd}
 * ({@link org.jvfio.core.iommufd.IommufdNesting}); the two-stage walk is {@link
 * org.jvfio.core.hw.NestedTranslator}.
 */
package org.jvfio.core.nesting;
