/**
 * {@code include/uapi/linux/iommufd.h}: the constants in {@link org.jvfio.api.iommufd.Iommufd} and
 * one record per struct, little-endian and byte-exact.
 */
package org.jvfio.api.iommufd;
