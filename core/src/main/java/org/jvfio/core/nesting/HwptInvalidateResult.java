package org.jvfio.core.nesting;

import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * The outcome of {@code IOMMU_HWPT_INVALIDATE}: the {@code entry_num} the kernel writes back (the
 * number of requests handled) and the error, if any. The count is an output also when the call
 * fails ({@code drivers/iommu/iommufd/hw_pagetable.c}, {@code iommufd_hwpt_invalidate}), so the
 * typed call reports a failure here instead of throwing.
 *
 * @param entryNum the requests handled (0 for an error found before the driver ran)
 * @param error the errno of the call, empty on success
 */
public record HwptInvalidateResult(int entryNum, Optional<Errno> error) {
  /**
   * Returns a success that handled {@code entryNum} requests.
   *
   * @param entryNum the {@code entry_num} copied back: requests handled
   * @return a result with no error
   */
  public static HwptInvalidateResult ok(int entryNum) {
    return new HwptInvalidateResult(entryNum, Optional.empty());
  }

  /**
   * Returns a failure after {@code entryNum} handled requests.
   *
   * @param entryNum the {@code entry_num} copied back: requests handled before the failure
   * @param errno the errno the ioctl returns
   * @return a result with {@code errno}
   */
  public static HwptInvalidateResult failed(int entryNum, Errno errno) {
    return new HwptInvalidateResult(entryNum, Optional.of(errno));
  }

  /**
   * Returns {@link #entryNum()} on success.
   *
   * @return the number of requests handled
   * @throws UapiException with {@link #error()} if the call failed
   */
  public int orThrow() {
    if (error.isPresent()) {
      throw new UapiException(error.get(), "IOMMU_HWPT_INVALIDATE failed after " + entryNum);
    }
    return entryNum;
  }
}
