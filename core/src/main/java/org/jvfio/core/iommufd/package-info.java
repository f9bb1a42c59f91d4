/**
 * The iommufd model: one {@link org.jvfio.core.iommufd.IommufdContext} context with its IOAS,
 * hardware page tables (HWPTs), bound devices and dirty tracking, and the typed records of its
 * ioctls.
 */
package org.jvfio.core.iommufd;
