package org.jvfio.core.iommufd;

import org.jvfio.api.iommufd.IommuIoasCopy;

/**
 * The inputs of {@code IOMMU_IOAS_COPY} ({@code struct iommu_ioas_copy} without {@code size}): maps
 * into {@code dstIoasId} the pages already mapped in {@code srcIoasId} at {@code [srcIova, srcIova
 * + length)}.
 *
 * @param flags as {@link IoasMap#flags()}: {@code FIXED_IOVA}, {@code WRITEABLE}, {@code READABLE}
 * @param dstIoasId {@code dst_ioas_id}
 * @param srcIoasId {@code src_ioas_id}
 * @param length {@code length}
 * @param dstIova {@code dst_iova}: used with {@code FIXED_IOVA}
 * @param srcIova {@code src_iova}
 */
public record IoasCopy(
    int flags, int dstIoasId, int srcIoasId, long length, long dstIova, long srcIova) {
  /**
   * Returns the inputs of {@code s}; its {@code size} is dropped.
   *
   * @param s the decoded struct
   * @return the typed request
   */
  public static IoasCopy fromStruct(IommuIoasCopy s) {
    return new IoasCopy(
        s.flags(), s.dstIoasId(), s.srcIoasId(), s.length(), s.dstIova(), s.srcIova());
  }

  /**
   * Returns this copy as {@code struct iommu_ioas_copy} with {@code size} {@value
   * IommuIoasCopy#SIZE}.
   *
   * @return the struct to encode
   */
  public IommuIoasCopy toStruct() {
    return new IommuIoasCopy(
        IommuIoasCopy.SIZE, flags, dstIoasId, srcIoasId, length, dstIova, srcIova);
  }
}
