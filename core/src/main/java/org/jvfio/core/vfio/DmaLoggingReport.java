package org.jvfio.core.vfio;

import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingReport;

/**
 * The input of {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT}: {@code struct
 * vfio_device_feature_dma_logging_report} without its {@code bitmap} user pointer, which the typed
 * door passes as an {@link org.jvfio.core.bitmap.IovaBitmap}.
 *
 * <p>The record accepts any value; the uAPI checks are made by {@link VfioDevice#reportDmaLogging}.
 *
 * @param iova the first IOVA to report; bit 0 of the bitmap stands for the page at this address
 * @param length the length of the reported range in bytes (unsigned)
 * @param pageSize the bytes of IOVA one bitmap bit stands for
 */
public record DmaLoggingReport(long iova, long length, long pageSize) {
  /**
   * Returns the report that {@code s} asks for; its {@code bitmap} pointer is dropped.
   *
   * @param s the decoded struct
   * @return the typed report
   */
  public static DmaLoggingReport fromStruct(VfioDeviceFeatureDmaLoggingReport s) {
    return new DmaLoggingReport(s.iova(), s.length(), s.pageSize());
  }

  /**
   * Returns this report as {@code struct vfio_device_feature_dma_logging_report} with its {@code
   * bitmap} at user address {@code bitmapAddress}.
   *
   * @param bitmapAddress the user address of the bitmap buffer ({@code bitmap})
   * @return the struct to encode
   */
  public VfioDeviceFeatureDmaLoggingReport toStruct(long bitmapAddress) {
    return new VfioDeviceFeatureDmaLoggingReport(iova, length, pageSize, bitmapAddress);
  }
}
