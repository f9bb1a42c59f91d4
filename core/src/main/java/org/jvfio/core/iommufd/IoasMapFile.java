package org.jvfio.core.iommufd;

import org.jvfio.api.iommufd.IommuIoasMapFile;

/**
 * The inputs of {@code IOMMU_IOAS_MAP_FILE} ({@code struct iommu_ioas_map_file} without {@code
 * size} and {@code ioas_id}).
 *
 * @param flags {@code IOMMU_IOAS_MAP_FIXED_IOVA}, {@code _WRITEABLE}, {@code _READABLE}
 * @param fd {@code fd}: the caller's file descriptor of the file (a memfd) to map
 * @param start {@code start}: the byte offset in the file of the first byte mapped
 * @param length {@code length} in bytes
 * @param iova {@code iova}: where to map with {@code FIXED_IOVA}; ignored without it
 */
public record IoasMapFile(int flags, int fd, long start, long length, long iova) {
  /**
   * Returns the inputs of {@code s}; its {@code size} and {@code ioas_id} are dropped.
   *
   * @param s the decoded struct
   * @return the typed request
   */
  public static IoasMapFile fromStruct(IommuIoasMapFile s) {
    return new IoasMapFile(s.flags(), s.fd(), s.start(), s.length(), s.iova());
  }
}
