/**
 * {@code include/uapi/linux/vfio.h}: the constants in {@link org.jvfio.api.vfio.Vfio} and one
 * record per struct, little-endian and byte-exact.
 */
package org.jvfio.api.vfio;
