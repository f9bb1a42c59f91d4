package org.jvfio.core.vfio.pci;

/**
 * A part of a region that the user may mmap: {@code struct vfio_region_sparse_mmap_area}, or the
 * whole region when it has {@code VFIO_REGION_INFO_FLAG_MMAP} and no sparse capability.
 *
 * @param offset the offset within the region
 * @param size the size in bytes
 */
public record MmapArea(long offset, long size) {}
