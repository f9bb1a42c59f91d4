package org.jvfio.core.vfio;

/**
 * The input of {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT}: {@code struct
 * vfio_device_feature_dma_logging_report} without its {@code bitmap} user pointer, which the typed
 * door passes as an {@link org.jvfio.core.bitmap.IovaBitmap} (spec {@code uapi.md} §3.1, §3.5).
 *
 * <p>The record accepts any value; the uAPI checks are made by {@link VfioDevice#reportDmaLogging}.
 *
 * @param iova the first IOVA to report; bit 0 of the bitmap stands for the page at this address
 * @param length the length of the reported range in bytes (unsigned)
 * @param pageSize the bytes of IOVA one bitmap bit stands for
 */
public record DmaLoggingReport(long iova, long length, long pageSize) {}
