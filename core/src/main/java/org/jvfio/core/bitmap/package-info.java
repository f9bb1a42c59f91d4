/**
 * The user dirty bitmap of drivers/iommu/iommufd/iova_bitmap.c, with its exact IOVA-to-bit mapping.
 */
package org.jvfio.core.bitmap;
