package org.jvfio.core.iommufd;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;

import org.jvfio.api.iommufd.IommuIoasMap;

/**
 * The inputs of {@code IOMMU_IOAS_MAP} ({@code struct iommu_ioas_map} without {@code size} and
 * {@code ioas_id}).
 *
 * @param flags {@code IOMMU_IOAS_MAP_FIXED_IOVA}, {@code _WRITEABLE}, {@code _READABLE}
 * @param reserved {@code __reserved}: must be 0 ({@code EOPNOTSUPP} otherwise)
 * @param userVa {@code user_va}: the guest memory address to map (jvfio pins by identity)
 * @param length {@code length} in bytes
 * @param iova {@code iova}: where to map with {@code FIXED_IOVA}; ignored without it
 */
public record IoasMap(int flags, int reserved, long userVa, long length, long iova) {
  /**
   * Returns a readable and writeable map at a fixed IOVA.
   *
   * @param userVa {@code user_va}: the process address of the memory to map
   * @param length {@code length} in bytes
   * @param iova {@code iova}: where to map
   * @return a map request with {@code IOMMU_IOAS_MAP_FIXED_IOVA | _READABLE | _WRITEABLE}
   */
  public static IoasMap fixed(long userVa, long length, long iova) {
    return new IoasMap(
        IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
        0,
        userVa,
        length,
        iova);
  }

  /**
   * Returns a map with {@code flags} and {@code __reserved} 0.
   *
   * @param flags {@code flags}: {@code IOMMU_IOAS_MAP_*}
   * @param userVa {@code user_va}
   * @param length {@code length} in bytes
   * @param iova {@code iova}: where to map, if {@code IOMMU_IOAS_MAP_FIXED_IOVA}
   * @return the map request
   */
  public static IoasMap of(int flags, long userVa, long length, long iova) {
    return new IoasMap(flags, 0, userVa, length, iova);
  }

  /**
   * Returns the inputs of {@code s}; its {@code size} and {@code ioas_id} are dropped.
   *
   * @param s the decoded struct
   * @return the typed request
   */
  public static IoasMap fromStruct(IommuIoasMap s) {
    return new IoasMap(s.flags(), s.reserved(), s.userVa(), s.length(), s.iova());
  }

  /**
   * Returns this map as {@code struct iommu_ioas_map} on IOAS {@code ioasId}, with {@code size}
   * {@value IommuIoasMap#SIZE}.
   *
   * @param ioasId {@code ioas_id}
   * @return the struct to encode
   */
  public IommuIoasMap toStruct(int ioasId) {
    return new IommuIoasMap(IommuIoasMap.SIZE, flags, ioasId, reserved, userVa, length, iova);
  }
}
