package org.jvfio.core.iommufd;

import org.jvfio.api.iommufd.IommuIovaRange;

/**
 * One IOVA range, {@code struct iommu_iova_range}: {@code last} is inclusive; both are unsigned
 * 64-bit.
 *
 * @param start the first IOVA
 * @param last the last IOVA, inclusive
 */
public record IovaRange(long start, long last) {
  /**
   * Returns the range that {@code struct iommu_iova_range} {@code s} holds.
   *
   * @param s the decoded struct
   * @return the typed range
   */
  public static IovaRange fromStruct(IommuIovaRange s) {
    return new IovaRange(s.start(), s.last());
  }

  /**
   * Returns this range as {@code struct iommu_iova_range}.
   *
   * @return the struct to encode
   */
  public IommuIovaRange toStruct() {
    return new IommuIovaRange(start, last);
  }
}
