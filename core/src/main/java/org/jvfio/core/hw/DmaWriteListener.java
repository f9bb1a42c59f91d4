package org.jvfio.core.hw;

/**
 * Told of every DMA write a device makes: how a device's own DMA-logging tracker (the {@code
 * vfio_log_ops} side of a variant driver) learns what to report. The DMA engine calls it after the
 * guest memory write, with the IOVA the device used.
 *
 * <p>Implementations must be thread-safe: DMA comes from many threads at once, concurrently with
 * reports that read and clear the log. The call is part of the DMA, which an IOTLB invalidation
 * waits for ({@link Iotlb}): a listener must not invalidate an IOTLB, nor wait for a thread that
 * may be invalidating one.
 */
@FunctionalInterface
public interface DmaWriteListener {
  /** A listener that ignores writes (a device that is not logging). */
  DmaWriteListener NONE = (iova, length) -> {};

  /**
   * Records that the device wrote {@code [iova, iova + length)} ({@code length > 0}).
   *
   * @param iova the first IOVA written
   * @param length the bytes written, positive
   */
  void recordWrite(long iova, long length);
}
