package org.jvfio.core.vfio;

import com.google.common.base.Preconditions;
import java.util.List;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;

/**
 * A device's own DMA-logging tracker: the {@code vfio_log_ops} of a variant driver together with
 * the hardware that records the device's DMA writes.
 *
 * <p>{@link VfioDevice} makes the core's checks (range count, alignment, overflow, overlap, report
 * page size) and then calls {@link #start}, {@link #stop} and {@link #readAndClear}; a tracker
 * makes the driver's checks: a second start while logging, a report while not logging ({@code
 * EINVAL}), its own limits. The DMA engine calls {@link #recordWrite} for every write the device
 * makes; writes outside the tracked ranges, or while not logging, are not recorded.
 *
 * <p>The factories model device-side trackers (docs/fidelity.md, "VFIO device features and DMA
 * logging"): {@link #exact} (a bitmap over exactly the requested ranges), {@link #mlx5Like}
 * (limited ranges merged by smallest gap, an address-space window, a clamped page size) and {@link
 * #pdsLike} (one region over all ranges, reports checked against it). The effective ranges and page
 * size are observable, so a user sees how much a tracker over-reports.
 *
 * <p>Thread-safety: every method is thread-safe. {@link #recordWrite} is lock-free and may run on
 * many threads at once, concurrently with {@link #readAndClear}: a write recorded before a report
 * clears its granule is in that report, any other stays in the log for the next one; no write is
 * lost. The control methods are serialised.
 */
public interface DmaTracker extends DmaWriteListener {
  /**
   * Starts logging ({@code log_start}): chooses the page size the tracker supports nearest {@code
   * requested.pageSize()} and the ranges it really tracks, and clears the log.
   *
   * @param requested the page size hint and the ranges, already validated by the core: sorted by
   *     IOVA, non-empty, aligned to the hint, non-overlapping, not wrapping
   * @return the chosen page size and the effective ranges
   *     <p>The log of jvfio's trackers is sparse: it takes memory for the parts of the ranges that
   *     are written (32 KiB per 2^18 granules ever dirtied), up to 2^35 granules per log in total
   *     (128 TiB of IOVA at 4 KiB); a larger START fails with {@code ENOMEM}, as a driver that
   *     cannot allocate its host bitmaps does (docs/limits.md).
   * @throws org.jvfio.core.UapiException {@code EINVAL} if already logging, {@code EOPNOTSUPP} or
   *     {@code ENOMEM} for the tracker's own limits; nothing changes
   */
  DmaLoggingControl start(DmaLoggingControl requested);

  /** Stops logging ({@code log_stop}) and drops the log; does nothing when not logging. */
  void stop();

  /**
   * Reports the dirty granules of {@code [iova, iova + length)} into {@code dirty} with {@link
   * IovaBitmap#set} and clears them from the log ({@code log_read_and_clear}).
   *
   * @param iova the first IOVA of the report
   * @param length the bytes of IOVA reported
   * @param dirty the user bitmap to OR into
   * @throws org.jvfio.core.UapiException {@code EINVAL} if not logging (or, for some profiles, if
   *     the range is not one the tracker can report), {@code EIO} if the tracker has failed: the
   *     log must then be treated as corrupted
   */
  void readAndClear(long iova, long length, IovaBitmap dirty);

  /**
   * Makes the checks {@link #readAndClear} makes before it reads anything, and nothing else: the
   * driver's answer to a report it refuses ({@code log_read_and_clear} before it walks). {@link
   * VfioDevice} calls it before it checks the user's bitmap, so a report while not logging fails
   * with the driver's errno whatever the bitmap pointer. The default checks nothing.
   *
   * @param iova the first IOVA of the report
   * @param length the bytes of the report
   * @throws org.jvfio.core.UapiException as {@link #readAndClear}
   */
  default void checkReport(long iova, long length) {}

  /**
   * Returns whether the tracker is logging (between a successful start and a stop).
   *
   * @return true between a successful start and a stop
   */
  boolean isLogging();

  /**
   * Returns the page size chosen by the last successful start; 0 when not logging.
   *
   * @return the tracking granule in bytes, or 0
   */
  long pageSize();

  /**
   * Returns the IOVA ranges the tracker really tracks, sorted; empty when not logging. A write to
   * an IOVA inside them is recorded even if the user did not ask for it (over-reporting).
   *
   * @return the tracked ranges after any merging
   */
  List<DmaLoggingRange> effectiveRanges();

  /**
   * Puts a logging tracker into its error state, as a hardware or firmware error would (mlx5's
   * {@code MLX5_PAGE_TRACK_STATE_ERROR}): every later report fails with {@code EIO} until the
   * tracker is stopped. Does nothing when not logging.
   */
  void fail();

  /**
   * Returns whether the tracker is in its error state.
   *
   * @return true if the tracker failed and reports {@code EIO}
   */
  boolean isFailed();

  /**
   * Records that the device wrote {@code [iova, iova + length)}: sets the granule of every tracked
   * page the write touches. Lock-free; ignored when not logging or outside the tracked ranges.
   */
  @Override
  void recordWrite(long iova, long length);

  /**
   * Returns an exact tracker: a bitmap at its own granule over exactly the requested ranges, any
   * number of them, with any power-of-two page size from 4 KiB up.
   *
   * @return a new exact tracker
   */
  static DmaTracker exact() {
    return exact(-1L << 12);
  }

  /**
   * Returns an exact tracker that supports the page sizes whose bits are set in {@code
   * supportedPageSizes}; it picks the one nearest the hint (in log2 distance; the smaller on a
   * tie).
   *
   * @param supportedPageSizes bit {@code n} set: granules of {@code 2^n} bytes are supported
   * @return a new exact tracker
   * @throws IllegalArgumentException if {@code supportedPageSizes} is 0
   */
  static DmaTracker exact(long supportedPageSizes) {
    return new ExactTracker(supportedPageSizes);
  }

  /**
   * Returns a tracker with the limits of mlx5_vfio_pci's page tracker ({@code
   * drivers/vfio/pci/mlx5/cmd.c}): at most {@code maxRanges} ranges (more are merged, the
   * neighbours with the smallest gap first, as {@code vfio_combine_iova_ranges()}); the page size
   * clamped into {@code [2^logMinPageSize, 2^logMaxPageSize]}; and {@code log2} of the total
   * tracked length, rounded up, within {@code [logMinAddrSpace, logMaxAddrSpace]}, else {@code
   * EOPNOTSUPP}.
   *
   * @param maxRanges the most ranges the device tracks; more are merged
   * @param logMinPageSize log2 of the smallest granule
   * @param logMaxPageSize log2 of the largest granule
   * @param logMinAddrSpace log2 of the smallest trackable address space
   * @param logMaxAddrSpace log2 of the largest trackable address space
   * @return a new mlx5-like tracker
   * @throws IllegalArgumentException if {@code maxRanges < 1} or a minimum exceeds its maximum or a
   *     log2 is outside {@code [0, 63]}
   */
  static DmaTracker mlx5Like(
      int maxRanges,
      int logMinPageSize,
      int logMaxPageSize,
      int logMinAddrSpace,
      int logMaxAddrSpace) {
    Preconditions.checkArgument(maxRanges >= 1, "maxRanges %s < 1", maxRanges);
    checkLogRange(logMinPageSize, logMaxPageSize);
    checkLogRange(logMinAddrSpace, logMaxAddrSpace);
    return new Mlx5LikeTracker(
        maxRanges, logMinPageSize, logMaxPageSize, logMinAddrSpace, logMaxAddrSpace);
  }

  /**
   * Returns a tracker that behaves as pds_vfio_pci's ({@code drivers/vfio/pci/pds/dirty.c}): all
   * ranges combined into one region from the lowest to the highest IOVA, the hinted page size taken
   * as is (at least 4 KiB), and reports checked against the region and its 64-bit bitmap words
   * ({@code EINVAL}).
   *
   * @return a new pds-like tracker
   */
  static DmaTracker pdsLike() {
    return new PdsLikeTracker();
  }

  private static void checkLogRange(int min, int max) {
    Preconditions.checkArgument(
        0 <= min && min <= max && max <= 63, "bad log2 range [%s, %s]", min, max);
  }
}
