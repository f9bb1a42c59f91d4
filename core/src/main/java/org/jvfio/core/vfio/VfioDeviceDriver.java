package org.jvfio.core.vfio;

import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.pci.VfioPciDevice;

/**
 * The variant driver behind a {@link VfioDevice}: its {@code vfio_migration_ops} (the migration
 * arcs, the data stream, the STOP_COPY size) and optionally its {@code vfio_log_ops} (a {@link
 * DmaTracker}), both declared in {@code include/linux/vfio.h}.
 *
 * <p>A driver with an empty {@link #migrationFlags()} has no migration ops: the device answers the
 * migration features with {@code ENOTTY}, as the kernel does when {@code device->mig_ops} is NULL,
 * and never calls the other migration methods. Otherwise the flags must contain {@link
 * MigrationFlag#STOP_COPY}, which the kernel requires of every migration driver.
 *
 * <p>The device owns the FSM: it walks {@link MigrationFsm} and calls {@link #executeArc} once per
 * arc, in order, under its lock; a driver only implements single arcs. The device also owns the
 * data stream objects: it calls {@link #save}, {@link #precopyInfo} and {@link #resume} only while
 * the session that the driver's last starting arc began is open and in the right state. All methods
 * are called with the device's lock held, so implementations need no locking of their own.
 */
public interface VfioDeviceDriver {
  /**
   * Returns the device's {@code migration_flags}: empty for a device without migration support,
   * otherwise a set containing {@link MigrationFlag#STOP_COPY}. Must not change over the driver's
   * life.
   *
   * @return the device's migration flags, or empty
   */
  Set<MigrationFlag> migrationFlags();

  /**
   * Executes one FSM arc. An arc that starts a data transfer ({@link
   * MigrationArc#startsDataTransfer()}) begins a new session; one that ends it ({@link
   * MigrationArc#endsDataTransfer()}) ends the session, and RESUMING→STOP must validate and load
   * what was written.
   *
   * @param arc the arc to execute
   * @throws UapiException with the driver's errno if the arc fails; the device then asks {@link
   *     #stateAfterFailedArc} where the device is
   */
  void executeArc(MigrationArc arc);

  /**
   * Returns the state the device is in after {@code arc} failed with {@code failure}: {@code
   * arc.from()} (the arc did nothing, the default) or {@link MigrationState#ERROR}, which the uAPI
   * allows any failed transition to enter and only a reset leaves.
   *
   * @param arc the arc that failed
   * @param failure the error it failed with
   * @return the state the device is in now
   */
  default MigrationState stateAfterFailedArc(MigrationArc arc, UapiException failure) {
    return arc.from();
  }

  /**
   * Copies the next bytes of the saving stream into {@code dst} (up to {@code dst.remaining()}),
   * advancing its position, and returns how many were copied; 0 when no data is available now: the
   * temporary end of stream in a PRE_COPY state, the end of stream in STOP_COPY.
   *
   * @param dst the buffer to fill from its position
   * @return the bytes copied; 0 when the stream has no more data for now
   * @throws UapiException with the driver's errno if the device fails to produce data
   */
  int save(ByteBuffer dst);

  /**
   * Returns the pre-copy progress of the saving session; called only in PRE_COPY and PRE_COPY_P2P.
   * A driver that claims {@link MigrationFlag#PRE_COPY} must support it.
   *
   * @return the {@code initial_bytes} and {@code dirty_bytes} of the session
   */
  PrecopyInfo precopyInfo();

  /**
   * Returns the pre-copy progress as {@link #precopyInfo()}, with {@code reinitAllowed} telling
   * whether the user opted in to {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2}: only then may the
   * driver report {@link PrecopyInfo#reinit()} (the device ignores it otherwise). The default
   * returns {@link #precopyInfo()}.
   *
   * @param reinitAllowed whether {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2} was set
   * @return the bytes of initial and dirty data not yet read, and REINIT only if allowed
   */
  default PrecopyInfo precopyInfo(boolean reinitAllowed) {
    return precopyInfo();
  }

  /**
   * Returns whether a read at the temporary end of a pre-copy stream fails with {@code ENOMSG}, as
   * {@code vfio.h} asks and mlx5 does (the default), or returns 0, as hisi_acc does.
   *
   * @return true for {@code ENOMSG} at the temporary end, false for a 0-byte read
   */
  default boolean precopyEndIsEnomsg() {
    return true;
  }

  /**
   * Returns the device's regions (BARs, ROM, config space, VGA, device-specific regions), asked
   * once when the device is created. The default is {@link VfioPciDevice#generic()}.
   *
   * @return the device's PCI function model
   */
  default VfioPciDevice pciDevice() {
    return VfioPciDevice.generic();
  }

  /**
   * Returns whether {@code VFIO_DEVICE_RESET} returns the migration state to RUNNING and ends the
   * data transfer session, as the {@code reset_done} handlers of mlx5 and pds do (the default).
   * hisi_acc's {@code hisi_acc_vf_pci_aer_reset_done} returns early unless the migration flags are
   * exactly STOP_COPY, so with PRE_COPY a reset leaves both as they were. Closing the device always
   * resets them.
   *
   * @return true if a reset returns the device to RUNNING and ends the session, false if, as
   *     hisi_acc, it may leave both as they were
   */
  default boolean resetEndsMigration() {
    return true;
  }

  /**
   * The driver's {@code open_device}: the first bind of the device's cdev. The default does
   * nothing.
   */
  default void openDevice() {}

  /**
   * Consumes all remaining bytes of {@code src} into the resuming session; the user need not
   * preserve the segmentation of the saved stream. Validation may wait for RESUMING→STOP.
   *
   * @param src the bytes to consume, from its position to its limit
   * @throws UapiException with the driver's errno if the data cannot be accepted
   */
  void resume(ByteBuffer src);

  /**
   * Returns the estimated number of bytes still needed to complete STOP_COPY ({@code
   * VFIO_DEVICE_FEATURE_MIG_DATA_SIZE}); may be called in any state.
   *
   * @return the estimated STOP_COPY length in bytes
   */
  long stopCopyLength();

  /**
   * Resets the device ({@code VFIO_DEVICE_RESET}): the driver drops any data transfer session; the
   * device state becomes RUNNING.
   */
  void reset();

  /**
   * Returns the device's DMA-logging tracker ({@code vfio_log_ops}), or empty if the device cannot
   * log its DMA; must return the same tracker every time.
   *
   * @return the tracker, or empty
   */
  Optional<DmaTracker> dmaTracker();

  /**
   * Returns a driver without migration support whose device logs its DMA with {@code tracker}, or
   * without DMA logging if {@code tracker} is empty.
   *
   * @param tracker the device's tracker, or empty for a device that cannot log its DMA
   * @return a driver whose migration flags are empty
   */
  static VfioDeviceDriver withoutMigration(Optional<DmaTracker> tracker) {
    return new VfioDeviceDriver() {
      @Override
      public Set<MigrationFlag> migrationFlags() {
        return Set.of();
      }

      @Override
      public void executeArc(MigrationArc arc) {
        throw unsupported();
      }

      @Override
      public int save(ByteBuffer dst) {
        throw unsupported();
      }

      @Override
      public PrecopyInfo precopyInfo() {
        throw unsupported();
      }

      @Override
      public void resume(ByteBuffer src) {
        throw unsupported();
      }

      @Override
      public long stopCopyLength() {
        throw unsupported();
      }

      @Override
      public void reset() {}

      @Override
      public Optional<DmaTracker> dmaTracker() {
        return tracker;
      }

      private UapiException unsupported() {
        return new UapiException(Errno.ENOTTY, "device has no migration ops");
      }
    };
  }
}
