package org.jvfio.testkit.gen;

import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.core.vfio.DmaLoggingReport;

/**
 * A {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT} request, {@code struct
 * vfio_device_feature_dma_logging_report} without its bitmap pointer, and its outcome in the VFIO
 * core.
 *
 * @param iova the first IOVA to report
 * @param length the length of the range to report
 * @param pageSize the reporting page size, one bit per page
 * @param expected the errno the core refuses the request with, or empty if it passes the core's
 *     checks (the driver still refuses it when logging is off)
 */
public record DmaLoggingReportCase(
    long iova, long length, long pageSize, Optional<Errno> expected) {
  /**
   * Returns the request as core's typed record, for {@code VfioDevice.reportDmaLogging}.
   *
   * @return the request as core's typed record, for {@code VfioDevice.reportDmaLogging}
   */
  public DmaLoggingReport report() {
    return new DmaLoggingReport(iova, length, pageSize);
  }

  /**
   * Returns {@code (iova, length)} as a range.
   *
   * @return {@code (iova, length)} as a range
   */
  public IovaRange range() {
    return new IovaRange(iova, length);
  }
}
