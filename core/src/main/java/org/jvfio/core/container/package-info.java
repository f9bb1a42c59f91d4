/**
 * The legacy VFIO container ({@code /dev/vfio/vfio}), IOMMU groups ({@code /dev/vfio/$GROUP}) and
 * the type1 IOMMU backend with its dirty-page tracking, plus iommufd's VFIO compatibility layer
 * ({@code drivers/vfio/container.c}, {@code drivers/vfio/group.c}, {@code
 * drivers/vfio/vfio_iommu_type1.c}, {@code drivers/iommu/iommufd/vfio_compat.c}).
 *
 * <p>{@link org.jvfio.core.container.VfioContainer} is one open container, {@link
 * org.jvfio.core.container.VfioGroup} one IOMMU group (physical, behind an {@link
 * org.jvfio.core.spi.IommuDriver}, or emulated like an mdev parent's), and {@link
 * org.jvfio.core.container.GroupDevice} a device fd obtained through a group: a physical device
 * DMAs through its group's IOMMU domain, an emulated one pins pages and writes through its pins.
 * {@link org.jvfio.core.container.IommufdVfioCompat} answers the same ioctls on an iommufd.
 */
package org.jvfio.core.container;
