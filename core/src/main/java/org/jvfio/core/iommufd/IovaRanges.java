package org.jvfio.core.iommufd;

import java.util.List;
import org.jvfio.api.iommufd.IommuIoasIovaRanges;

/**
 * The result of {@code IOMMU_IOAS_IOVA_RANGES}: the usable IOVA ranges (the holes between reserved
 * ranges over the whole 64-bit space, in increasing order) and the alignment that {@code MAP} and
 * {@code COPY} require. The typed layer returns them all; the byte layer copies {@code num_iovas}
 * of them and fails with {@code EMSGSIZE} when they do not fit.
 *
 * @param ranges the usable ranges, in increasing order
 * @param iovaAlignment {@code out_iova_alignment}: 1 for an IOAS without domains, else the largest
 *     of the domains' smallest page sizes
 */
public record IovaRanges(List<IovaRange> ranges, long iovaAlignment) {
  /**
   * Copies {@code ranges}.
   *
   * @param ranges the usable ranges, in increasing order
   * @param iovaAlignment {@code out_iova_alignment} in bytes
   */
  public IovaRanges {
    ranges = List.copyOf(ranges);
  }

  /**
   * Returns the result that {@code s} reports, with {@code ranges} the entries the caller read from
   * its {@code allowed_iovas} array.
   *
   * @param s the struct as the kernel wrote it back
   * @param ranges the {@code iommu_iova_range} entries read from {@code allowed_iovas}
   * @return the typed result
   */
  public static IovaRanges fromStruct(IommuIoasIovaRanges s, List<IovaRange> ranges) {
    return new IovaRanges(ranges, s.outIovaAlignment());
  }

  /**
   * Returns {@code request} as the kernel copies it back: {@code num_iovas} the total number of
   * ranges (more than {@code request.numIovas()} means the array was too short, {@code EMSGSIZE})
   * and {@code out_iova_alignment}; every other field is echoed. The ranges themselves go to the
   * array at {@code allowed_iovas}.
   *
   * @param request the struct the caller passed in
   * @return the struct to write back
   */
  public IommuIoasIovaRanges toStruct(IommuIoasIovaRanges request) {
    return new IommuIoasIovaRanges(
        request.size(),
        request.ioasId(),
        ranges.size(),
        request.reserved(),
        request.allowedIovas(),
        iovaAlignment);
  }
}
