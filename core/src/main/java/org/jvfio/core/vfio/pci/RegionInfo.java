package org.jvfio.core.vfio.pci;

import java.util.List;

/**
 * The answer of {@code VFIO_DEVICE_GET_REGION_INFO} for one region, before the uAPI's {@code
 * argsz}/{@code cap_offset} rules: {@code struct vfio_region_info} and its capabilities.
 *
 * @param index the region index
 * @param flags {@code VFIO_REGION_INFO_FLAG_READ/WRITE/MMAP} ({@code CAPS} is added when the reply
 *     carries {@code caps})
 * @param size the region size in bytes (0 for an unimplemented BAR)
 * @param offset the region's offset in the device fd, {@code index << 40}
 * @param caps the capability chain, in order
 */
public record RegionInfo(int index, int flags, long size, long offset, List<InfoCapability> caps) {
  /**
   * Copies the capabilities.
   *
   * @param index the {@code vfio_region_info.index}
   * @param flags the {@code VFIO_REGION_INFO_FLAG_*} flags, without {@code CAPS}
   * @param size the region size in bytes (0 for an unimplemented BAR)
   * @param offset the region's offset in the device fd, {@code index << 40}
   * @param caps the capability chain, in order, copied
   */
  public RegionInfo {
    caps = List.copyOf(caps);
  }
}
