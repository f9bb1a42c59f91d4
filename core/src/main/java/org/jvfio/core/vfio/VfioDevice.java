package org.jvfio.core.vfio;

import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MASK;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DATA_SIZE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_PROBE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import com.google.common.collect.Sets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingControl;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingRange;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingReport;
import org.jvfio.api.vfio.VfioDeviceFeatureMigDataSize;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.api.vfio.VfioDeviceFeatureMigration;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.vfio.pci.VfioPciDevice;

/**
 * The kernel side of one VFIO device file: {@code VFIO_DEVICE_FEATURE} with the core's checks,
 * migration protocol v2 and device DMA logging ({@code drivers/vfio/vfio_main.c}), over a pluggable
 * {@link VfioDeviceDriver}.
 *
 * <p>Two doors, one code path: {@link #feature(int, ByteBuffer, UserAccess)} takes the bytes of the
 * ioctl as the fake kernel receives them; the typed methods ({@link #migrationFlags}, {@link
 * #state}, {@link #setState}, {@link #migDataSize}, {@link #startDmaLogging}, {@link
 * #stopDmaLogging}, {@link #reportDmaLogging}) take Java values. Both make the same checks in the
 * same order and run the same code.
 *
 * <p>A driver without migration ops makes the migration features (1, 2, 9) fail with {@code
 * ENOTTY}, a driver without a tracker the DMA-logging features (6, 7, 8), even with PROBE;
 * MIG_PRECOPY_INFOv2 (12) fails with {@code EINVAL} unless the driver supports PRE_COPY. Any other
 * feature index (vfio-pci's own features, which jvfio does not model, and unknown indices) fails
 * with {@code ENOTTY}, as vfio-pci's {@code device_feature} does for an index it does not know.
 *
 * <p>Every refusal leaves the device as it was, with one documented exception: a combined migration
 * transition executes arc by arc and a driver failure part way leaves the device in the state the
 * driver reports (as {@code vfio_ioctl_device_feature_mig_device_state()} leaves it), possibly
 * ERROR, which only {@link #reset} leaves.
 *
 * <p>Thread-safety: the control plane is serialised by one lock (the driver's state mutex), shared
 * with the device's {@link MigrationDataStream}s. {@link #dmaListener()} is lock-free.
 */
public final class VfioDevice {
  /**
   * {@code LOG_MAX_RANGES}: the most ranges one DMA_LOGGING_START takes on a 4 KiB-page kernel,
   * {@code PAGE_SIZE / sizeof(struct vfio_device_feature_dma_logging_range)} = 256.
   */
  public static final int LOG_MAX_RANGES = 256;

  /** {@code sizeof(struct vfio_device_feature_mig_state)} and friends: payload minimum sizes. */
  private static final int MIG_STATE_SIZE = VfioDeviceFeatureMigState.SIZE;

  private static final int MIGRATION_SIZE = VfioDeviceFeatureMigration.SIZE;
  private static final int MIG_DATA_SIZE_SIZE = VfioDeviceFeatureMigDataSize.SIZE;
  private static final int CONTROL_SIZE = VfioDeviceFeatureDmaLoggingControl.SIZE;
  private static final int RANGE_SIZE = VfioDeviceFeatureDmaLoggingRange.SIZE;
  private static final int REPORT_SIZE = VfioDeviceFeatureDmaLoggingReport.SIZE;
  private static final int MIN_REPORT_PAGE_SIZE = 4096;

  private static final int KNOWN_FLAGS =
      VFIO_DEVICE_FEATURE_MASK
          | VFIO_DEVICE_FEATURE_GET
          | VFIO_DEVICE_FEATURE_SET
          | VFIO_DEVICE_FEATURE_PROBE;

  final Object lock = new Object();
  final VfioDeviceDriver driver;
  private final int logMaxRanges; // PAGE_SIZE / 16
  private final Set<MigrationFlag> migrationFlags;
  private final Optional<DmaTracker> tracker;
  private final VfioPciDevice pci;
  private MigrationState state = MigrationState.RUNNING;
  private boolean precopyInfoV2; // vfio_device.precopy_info_flags_fix
  private MigrationDataStream session;

  private VfioDevice(VfioDeviceDriver driver, int logMaxRanges) {
    this.driver = driver;
    this.logMaxRanges = logMaxRanges;
    this.migrationFlags = Sets.immutableEnumSet(driver.migrationFlags());
    this.tracker = driver.dmaTracker();
    this.pci = driver.pciDevice();
  }

  /**
   * Returns a device driven by {@code driver}, in RUNNING, not logging.
   *
   * @param driver the variant driver (migration and logging ops)
   * @return a new device on a 4 KiB kernel
   * @throws IllegalArgumentException if the driver's migration flags are non-empty but lack {@link
   *     MigrationFlag#STOP_COPY} (the kernel refuses to register such a driver)
   */
  public static VfioDevice create(VfioDeviceDriver driver) {
    return create(driver, 4096);
  }

  /**
   * Returns a device driven by {@code driver} on a kernel whose {@code PAGE_SIZE} is {@code
   * pageSize} (4, 16 or 64 KiB), in RUNNING, not logging: DMA_LOGGING_START then takes up to {@code
   * PAGE_SIZE / 16} ranges (256, 1024 or 4096).
   *
   * @param driver the variant driver (migration and logging ops)
   * @param pageSize the kernel's {@code PAGE_SIZE}: 4096, 16384 or 65536
   * @return a new device
   * @throws IllegalArgumentException as {@link #create(VfioDeviceDriver)}, or unless {@code
   *     pageSize} is 4, 16 or 64 KiB
   */
  public static VfioDevice create(VfioDeviceDriver driver, long pageSize) {
    Preconditions.checkArgument(
        pageSize == 4096 || pageSize == 16384 || pageSize == 65536,
        "PAGE_SIZE not 4, 16 or 64 KiB: %s",
        pageSize);
    Set<MigrationFlag> flags = driver.migrationFlags();
    Preconditions.checkArgument(
        flags.isEmpty() || flags.contains(MigrationFlag.STOP_COPY),
        "migration flags %s lack STOP_COPY",
        flags);
    return new VfioDevice(driver, (int) (pageSize / VfioDeviceFeatureDmaLoggingRange.SIZE));
  }

  // ---------------------------------------------------------------------------------------------
  // The byte door

  /**
   * {@code VFIO_DEVICE_FEATURE} without user memory: as {@link #feature(int, ByteBuffer,
   * UserAccess)} with {@link UserAccess#NONE}, so DMA_LOGGING_START and REPORT fail with {@code
   * EFAULT} on their user pointers.
   *
   * @param flags {@code vfio_device_feature.flags}: the feature index and GET/SET/PROBE
   * @param payload the bytes after the feature header ({@code data})
   * @return the new migration data stream if a state change returned a {@code data_fd}, else empty
   */
  public Optional<MigrationDataStream> feature(int flags, ByteBuffer payload) {
    return feature(flags, payload, UserAccess.NONE);
  }

  /**
   * {@code VFIO_DEVICE_FEATURE}: {@code flags} is {@code vfio_device_feature.flags} and {@code
   * payload} the {@code data[]} after the 8-byte header, from its position to its limit ({@code
   * argsz - 8} bytes, little-endian). GET results are written into the payload. The checks and
   * their errnos are exactly the core's:
   *
   * <ol>
   *   <li>{@code EINVAL} for a flag bit other than the index, GET, SET and PROBE, and for GET with
   *       SET without PROBE;
   *   <li>{@code ENOTTY} for a feature the device lacks (no migration ops, no tracker, an index
   *       jvfio does not model), even with PROBE;
   *   <li>{@code EINVAL} for GET or SET where the feature does not support it (also with PROBE),
   *       for neither without PROBE, and for a payload shorter than the feature's struct;
   *   <li>PROBE then succeeds without reading the payload; otherwise the feature executes.
   * </ol>
   *
   * <p>MIG_DEVICE_STATE SET writes back {@code {device_state = requested, data_fd = -1}} whether it
   * succeeds or fails; when it returns a stream, the caller puts its fd number in {@code data_fd}.
   * DMA_LOGGING_START reads its ranges and REPORT reads and writes its bitmap through {@code user};
   * START writes the chosen page size back into the payload.
   *
   * @param flags {@code vfio_device_feature.flags}: the feature index and GET/SET/PROBE
   * @param payload the bytes after the feature header ({@code data}); GET results are written back
   *     into it
   * @param user the process's memory, for features that carry user pointers
   * @return the new data stream of a MIG_DEVICE_STATE SET whose last arc starts a data transfer;
   *     empty otherwise
   * @throws UapiException with the errno of the first failed check, as listed above and in the
   *     typed methods' documentation; {@code EFAULT} for a bad user pointer
   */
  public Optional<MigrationDataStream> feature(int flags, ByteBuffer payload, UserAccess user) {
    synchronized (lock) {
      UapiException.check(
          (flags & ~KNOWN_FLAGS) == 0,
          Errno.EINVAL,
          "unknown feature flags 0x" + Integer.toHexString(flags & ~KNOWN_FLAGS));
      UapiException.check(
          (flags & VFIO_DEVICE_FEATURE_PROBE) != 0
              || (flags & VFIO_DEVICE_FEATURE_GET) == 0
              || (flags & VFIO_DEVICE_FEATURE_SET) == 0,
          Errno.EINVAL,
          "GET and SET without PROBE");
      ByteBuffer data = payload.slice().order(ByteOrder.LITTLE_ENDIAN);
      int argsz = data.remaining();
      int index = flags & VFIO_DEVICE_FEATURE_MASK;
      switch (index) {
        case VFIO_DEVICE_FEATURE_MIGRATION:
          requireMigration();
          if (checkFeature(flags, argsz, VFIO_DEVICE_FEATURE_GET, MIGRATION_SIZE)) {
            new VfioDeviceFeatureMigration(MigrationFlag.toBits(migrationFlags))
                .encode(data.duplicate());
          }
          break;
        case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
          requireMigration();
          if (!checkFeature(
              flags, argsz, VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET, MIG_STATE_SIZE)) {
            break;
          }
          if ((flags & VFIO_DEVICE_FEATURE_GET) != 0) {
            new VfioDeviceFeatureMigState(state.value(), -1).encode(data.duplicate());
            break;
          }
          int requested = VfioDeviceFeatureMigState.decode(data.duplicate()).deviceState();
          try {
            UapiException.check(
                requested >= 0 && requested < MigrationState.values().length,
                Errno.EINVAL,
                "not a device state: " + Integer.toUnsignedString(requested));
            return setStateLocked(MigrationState.of(requested));
          } finally {
            new VfioDeviceFeatureMigState(requested, -1).encode(data.duplicate());
          }
        case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
          requireMigration();
          if (checkFeature(flags, argsz, VFIO_DEVICE_FEATURE_GET, MIG_DATA_SIZE_SIZE)) {
            new MigDataSize(driver.stopCopyLength()).toStruct().encode(data.duplicate());
          }
          break;
        case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
          DmaTracker startTracker = requireTracker();
          if (checkFeature(flags, argsz, VFIO_DEVICE_FEATURE_SET, CONTROL_SIZE)) {
            VfioDeviceFeatureDmaLoggingControl control =
                VfioDeviceFeatureDmaLoggingControl.decode(data.duplicate());
            DmaLoggingControl effective =
                startLocked(
                    startTracker,
                    control.pageSize(),
                    Integer.toUnsignedLong(control.numRanges()),
                    i -> readRange(user, control.ranges(), i));
            new VfioDeviceFeatureDmaLoggingControl(
                    effective.pageSize(), control.numRanges(), control.reserved(), control.ranges())
                .encode(data.duplicate());
          }
          break;
        case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
          DmaTracker stopTracker = requireTracker();
          if (checkFeature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0)) {
            stopTracker.stop();
          }
          break;
        case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
          DmaTracker reportTracker = requireTracker();
          if (checkFeature(flags, argsz, VFIO_DEVICE_FEATURE_GET, REPORT_SIZE)) {
            VfioDeviceFeatureDmaLoggingReport report =
                VfioDeviceFeatureDmaLoggingReport.decode(data.duplicate());
            reportLocked(reportTracker, DmaLoggingReport.fromStruct(report), report.bitmap(), user);
          }
          break;
        case VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2:
          checkPrecopyInfoV2();
          if (checkFeature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0)) {
            precopyInfoV2 = true;
          }
          break;
        default:
          throw new UapiException(Errno.ENOTTY, "feature " + index + " not supported by device");
      }
      return Optional.empty(); // only a MIG_DEVICE_STATE SET can start a data transfer
    }
  }

  /**
   * {@code vfio_check_feature()}: returns true to execute, false for a successful PROBE.
   *
   * @throws UapiException {@code EINVAL} where {@code vfio_check_feature()} in {@code
   *     drivers/vfio/vfio_main.c} refuses the flags or {@code argsz}
   */
  private static boolean checkFeature(int flags, int argsz, int supportedOps, int minsz) {
    int ops = flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET);
    UapiException.check((ops & ~supportedOps) == 0, Errno.EINVAL, "operation not supported");
    if ((flags & VFIO_DEVICE_FEATURE_PROBE) != 0) {
      return false;
    }
    UapiException.check(ops != 0, Errno.EINVAL, "neither GET nor SET");
    UapiException.check(argsz >= minsz, Errno.EINVAL, "argsz too small for the feature");
    return true;
  }

  private static DmaLoggingRange readRange(UserAccess user, long rangesAddress, int i) {
    return DmaLoggingRange.fromStruct(
        VfioDeviceFeatureDmaLoggingRange.decode(
            user.read(rangesAddress + (long) i * RANGE_SIZE, RANGE_SIZE)));
  }

  // ---------------------------------------------------------------------------------------------
  // Migration

  /**
   * Returns whether the device has migration ops (its driver's flags are non-empty); without them
   * the migration features fail with {@code ENOTTY}.
   *
   * @return true if the device has migration ops
   */
  public boolean supportsMigration() {
    return !migrationFlags.isEmpty();
  }

  /**
   * Returns the device's migration flags: {@code VFIO_DEVICE_FEATURE_MIGRATION} GET.
   *
   * @return the flags of {@code VFIO_DEVICE_FEATURE_MIGRATION}
   * @throws UapiException {@code ENOTTY} if the device has no migration support
   */
  public Set<MigrationFlag> migrationFlags() {
    requireMigration();
    return migrationFlags;
  }

  /**
   * Returns the device's migration state: {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} GET.
   *
   * @return the current migration state
   * @throws UapiException {@code ENOTTY} if the device has no migration support
   */
  public MigrationState state() {
    synchronized (lock) {
      requireMigration();
      return state;
    }
  }

  /** Returns the state with the lock held (for the data streams). */
  MigrationState stateLocked() {
    return state;
  }

  /**
   * Moves the device to {@code target}: {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} SET. Walks
   * {@link MigrationFsm} arc by arc, calling the driver for each and updating the state after each
   * successful arc. An arc that leaves a session's states ends its stream; the last arc, if it
   * starts a data transfer, returns the new stream. A request for the current state does nothing
   * and succeeds (even ERROR→ERROR: the driver's loop never runs).
   *
   * @param target the requested state ({@code device_state})
   * @return the new data stream, if the last arc starts a data transfer
   * @throws UapiException {@code ENOTTY} without migration support; {@code EINVAL} if the FSM
   *     refuses (ERROR as target or current state, a state the flags do not support,
   *     STOP_COPY→PRE_COPY[_P2P]), and then nothing has changed; or the driver's errno from a
   *     failed arc, after which the device is where {@link VfioDeviceDriver#stateAfterFailedArc}
   *     says (the state before that arc, or ERROR, which ends the open session); a driver that
   *     throws anything else leaves the device in ERROR with its session ended, and the throwable
   *     propagates
   */
  public Optional<MigrationDataStream> setState(MigrationState target) {
    synchronized (lock) {
      requireMigration();
      return setStateLocked(target);
    }
  }

  private Optional<MigrationDataStream> setStateLocked(MigrationState target) {
    MigrationDataStream started = null;
    while (state != target) {
      MigrationArc arc =
          new MigrationArc(state, MigrationFsm.nextState(migrationFlags, state, target));
      boolean answered = false;
      try {
        driver.executeArc(arc);
        answered = true;
      } catch (UapiException e) {
        answered = true;
        MigrationState after = driver.stateAfterFailedArc(arc, e);
        if (after == MigrationState.ERROR) {
          endSession();
        }
        state = after;
        throw e;
      } finally {
        if (!answered) {
          // The driver threw something other than an errno (a bug): the device cannot be trusted
          // to be in either state, so it goes to ERROR, which answers with errnos until a reset.
          endSession();
          state = MigrationState.ERROR;
        }
      }
      if (arc.endsDataTransfer()) {
        endSession();
      }
      state = arc.to();
      if (arc.startsDataTransfer()) {
        started = new MigrationDataStream(this, arc.to() != MigrationState.RESUMING);
        session = started;
      }
    }
    return Optional.ofNullable(started);
  }

  private void endSession() {
    if (session != null) {
      session.end();
      session = null;
    }
  }

  /**
   * Opts in to the v2 pre-copy info: {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2} SET (feature
   * 12, {@code vfio_ioctl_device_feature_migration_precopy_info_v2} of the 2026 series in {@code
   * drivers/vfio/vfio_main.c}). From then on {@code VFIO_MIG_GET_PRECOPY_INFO} writes {@code flags}
   * as an output and may report {@code VFIO_PRECOPY_INFO_REINIT}; until the device is closed (the
   * last bound file released), which turns it off again. Idempotent.
   *
   * @throws UapiException {@code EINVAL} if the device does not support PRE_COPY (also without
   *     migration ops: the check is on the flags, before any other)
   */
  public void enablePrecopyInfoV2() {
    synchronized (lock) {
      checkPrecopyInfoV2();
      precopyInfoV2 = true;
    }
  }

  /**
   * Returns whether the user opted in to {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2}.
   *
   * @return true from the {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2} opt-in until {@link
   *     #closeDevice}
   */
  public boolean precopyInfoV2() {
    synchronized (lock) {
      return precopyInfoV2;
    }
  }

  boolean precopyInfoV2Locked() {
    return precopyInfoV2;
  }

  private void checkPrecopyInfoV2() {
    UapiException.check(
        migrationFlags.contains(MigrationFlag.PRE_COPY),
        Errno.EINVAL,
        "PRECOPY_INFOv2 on a device without PRE_COPY");
  }

  /**
   * Returns the device's regions: the driver's {@link VfioDeviceDriver#pciDevice()}, for {@code
   * VFIO_DEVICE_GET_INFO}, {@code GET_REGION_INFO}, {@code GET_IRQ_INFO} and region I/O.
   *
   * @return the PCI function model, fixed at creation
   */
  public VfioPciDevice pciDevice() {
    return pci;
  }

  /** The driver's {@code open_device}, when the device's cdev is first bound. */
  public void openDevice() {
    synchronized (lock) {
      driver.openDevice();
    }
  }

  /**
   * The driver's {@code close_device}, when the last bound file is released: the device is reset
   * (its session ends, its state is RUNNING), the PRECOPY_INFOv2 opt-in is dropped ({@code
   * vfio_pci_core_close_device}) and its DMA logging stops.
   */
  public void closeDevice() {
    synchronized (lock) {
      resetMigrationLocked();
      precopyInfoV2 = false;
      if (tracker.isPresent()) {
        tracker.get().stop();
      }
    }
  }

  /**
   * Returns the estimated bytes still needed to complete STOP_COPY: {@code
   * VFIO_DEVICE_FEATURE_MIG_DATA_SIZE} GET; valid in every state.
   *
   * @return the estimated STOP_COPY length in bytes
   * @throws UapiException {@code ENOTTY} if the device has no migration support
   */
  public MigDataSize migDataSize() {
    synchronized (lock) {
      requireMigration();
      return new MigDataSize(driver.stopCopyLength());
    }
  }

  /**
   * Resets the device: {@code VFIO_DEVICE_RESET}. The migration state becomes RUNNING (the only way
   * out of ERROR) and the open data stream, if any, ends (mlx5 and pds disable their migration
   * files). DMA logging is not affected: mlx5 and pds keep their trackers across a user-requested
   * reset. Unless the driver's {@link VfioDeviceDriver#resetEndsMigration()} is false (hisi_acc):
   * then the migration state and stream are left as they are.
   */
  public void reset() {
    synchronized (lock) {
      if (driver.resetEndsMigration()) {
        resetMigrationLocked();
      }
    }
  }

  private void resetMigrationLocked() {
    endSession();
    driver.reset();
    state = MigrationState.RUNNING;
  }

  private void requireMigration() {
    UapiException.check(!migrationFlags.isEmpty(), Errno.ENOTTY, "device has no migration ops");
  }

  // ---------------------------------------------------------------------------------------------
  // DMA logging

  /**
   * Returns the device's DMA-logging tracker, or empty if the device cannot log its DMA.
   *
   * @return the tracker, or empty
   */
  public Optional<DmaTracker> dmaTracker() {
    return tracker;
  }

  /**
   * Returns what the DMA engine tells of every write this device makes: the tracker, which records
   * the write only while logging and inside its ranges, or {@link DmaWriteListener#NONE}. Lock-free
   * and thread-safe.
   *
   * @return the listener to hand to the DMA engine for this device
   */
  public DmaWriteListener dmaListener() {
    return tracker.isPresent() ? tracker.get() : DmaWriteListener.NONE;
  }

  /**
   * Starts device DMA logging: {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START}. The core checks, in
   * order: at least one range ({@code EINVAL}); at most {@code LOG_MAX_RANGES} = {@code PAGE_SIZE /
   * 16} ({@link #LOG_MAX_RANGES} on a 4 KiB kernel; {@code E2BIG}); a power-of-two page size
   * ({@code EINVAL}; the kernel does not check; a model choice); then for each range in the given
   * order: iova and length aligned to the page size ({@code EINVAL}), a non-zero length ({@code
   * EINVAL}; docs/fidelity.md, "Zero lengths refused"), {@code iova + length} within 64 bits
   * ({@code EOVERFLOW}), no overlap with an earlier range ({@code EINVAL}; adjacent is fine). Then
   * the tracker picks its page size nearest the hint and the ranges it really tracks; a second
   * start while logging fails there with {@code EINVAL}.
   *
   * @param control the ranges and requested page size
   * @return the chosen page size (what the uAPI writes back) and the effective ranges
   * @throws UapiException {@code ENOTTY} without a tracker, the errnos above, or the tracker's
   *     ({@code EOPNOTSUPP}, {@code ENOMEM}); nothing changes
   */
  public DmaLoggingControl startDmaLogging(DmaLoggingControl control) {
    synchronized (lock) {
      DmaTracker t = requireTracker();
      return startLocked(t, control.pageSize(), control.ranges().size(), control.ranges()::get);
    }
  }

  private DmaLoggingControl startLocked(
      DmaTracker t, long pageSize, long numRanges, IntFunction<DmaLoggingRange> ranges) {
    UapiException.check(numRanges != 0, Errno.EINVAL, "num_ranges is 0");
    UapiException.check(
        numRanges <= logMaxRanges,
        Errno.E2BIG,
        "num_ranges " + numRanges + " > LOG_MAX_RANGES " + logMaxRanges);
    UapiException.check(
        pageSize != 0 && (pageSize & (pageSize - 1)) == 0,
        Errno.EINVAL,
        "page_size 0x" + Long.toHexString(pageSize) + " is not a power of two");
    TreeMap<Long, Long> tree = new TreeMap<>(Long::compareUnsigned);
    for (int i = 0; i < numRanges; i++) {
      DmaLoggingRange r = ranges.apply(i);
      UapiException.check(
          ((r.iova() | r.length()) & (pageSize - 1)) == 0,
          Errno.EINVAL,
          "range " + r + " not aligned to page_size");
      UapiException.check(r.length() != 0, Errno.EINVAL, "range " + i + " has length 0");
      UapiException.check(
          Long.compareUnsigned(r.iova() + r.length(), r.iova()) > 0,
          Errno.EOVERFLOW,
          "range " + r + " overflows");
      Map.Entry<Long, Long> below = tree.floorEntry(r.iova());
      Map.Entry<Long, Long> above = tree.ceilingEntry(r.iova());
      UapiException.check(
          (below == null || Long.compareUnsigned(below.getValue(), r.iova()) < 0)
              && (above == null || Long.compareUnsigned(above.getKey(), r.last()) > 0),
          Errno.EINVAL,
          "range " + r + " overlaps another");
      tree.put(r.iova(), r.last());
    }
    ImmutableList.Builder<DmaLoggingRange> sorted = ImmutableList.builder();
    tree.forEach((iova, last) -> sorted.add(new DmaLoggingRange(iova, last - iova + 1)));
    return t.start(new DmaLoggingControl(pageSize, sorted.build()));
  }

  /**
   * Stops device DMA logging: {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP}; succeeds also when not
   * logging.
   *
   * @throws UapiException {@code ENOTTY} if the device has no tracker
   */
  public void stopDmaLogging() {
    synchronized (lock) {
      requireTracker().stop();
    }
  }

  /**
   * Reads and clears the device's DMA log for {@code report}'s range into {@code bitmap}: {@code
   * VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT}. Bits are only ever set in {@code bitmap}, never
   * cleared (OR semantics, as {@code iova_bitmap_set()} in {@code
   * drivers/iommu/iommufd/iova_bitmap.c}); a tracker granule larger than the report page sets every
   * bit it covers, a smaller one the bit that contains it. The core checks, in order: a page size
   * that is a power of two of at least 4 KiB ({@code EINVAL}); {@code iova + length} within 64 bits
   * ({@code EOVERFLOW}); a non-zero length ({@code EINVAL}; docs/fidelity.md, "Zero lengths
   * refused"). Then the tracker: {@code EINVAL} if not logging (or, pds-like, outside its region),
   * {@code EIO} if it has failed, in which case the log must be treated as corrupted.
   *
   * @param report the range and page size of the report
   * @param bitmap the output; its iova, length and page size must be the report's
   * @throws IllegalArgumentException if {@code bitmap} does not match {@code report}
   * @throws UapiException {@code ENOTTY} if the device has no tracker, or the errnos above
   */
  public void reportDmaLogging(DmaLoggingReport report, IovaBitmap bitmap) {
    synchronized (lock) {
      DmaTracker t = requireTracker();
      checkReport(report);
      Preconditions.checkArgument(
          bitmap.iova() == report.iova()
              && bitmap.length() == report.length()
              && bitmap.pageSize() == report.pageSize(),
          "bitmap %s does not match report %s",
          bitmap,
          report);
      t.readAndClear(report.iova(), report.length(), bitmap);
    }
  }

  private static void checkReport(DmaLoggingReport report) {
    long pageSize = report.pageSize();
    UapiException.check(
        Long.compareUnsigned(pageSize, MIN_REPORT_PAGE_SIZE) >= 0 && Long.bitCount(pageSize) == 1,
        Errno.EINVAL,
        "report page_size 0x" + Long.toHexString(pageSize) + " not a power of two >= 4 KiB");
    UapiException.check(
        Long.compareUnsigned(report.iova() + report.length(), report.iova()) >= 0,
        Errno.EOVERFLOW,
        "report iova + length overflows");
    UapiException.check(report.length() != 0, Errno.EINVAL, "report length 0");
  }

  /**
   * REPORT at the byte level, in the kernel's order: the core's checks, then the driver's ({@link
   * DmaTracker#checkReport}: not logging, failed, outside what it tracks), then the user bitmap of
   * {@code ceil(ceil(length / page_size) / 8)} bytes (the bytes the kernel touches) must be
   * accessible ({@code EFAULT}, before anything is cleared: the kernel pins lazily and would
   * silently drop the bits instead). Nothing is sized from {@code length}: a jvfio tracker writes
   * through a {@link UserBitmapWriter} window; any other tracker gets a bitmap of the user buffer's
   * size, which exists.
   */
  private static void reportLocked(
      DmaTracker t, DmaLoggingReport report, long bitmapAddress, UserAccess user) {
    checkReport(report);
    long iova = report.iova();
    long length = report.length();
    t.checkReport(iova, length);
    long bits = UserBitmapWriter.bitCount(length, report.pageSize());
    long bytes = (bits + 7) >>> 3;
    UapiException.check(
        user.isAccessible(bitmapAddress, bytes),
        Errno.EFAULT,
        "report bitmap of "
            + bytes
            + " bytes not accessible at 0x"
            + Long.toHexString(bitmapAddress));
    if (t instanceof AbstractDmaTracker) {
      UserBitmapWriter out =
          new UserBitmapWriter(user, bitmapAddress, iova, length, report.pageSize());
      ((AbstractDmaTracker) t).readAndClear(iova, length, out);
      out.flush();
      return;
    }
    UapiException.check(bytes <= Integer.MAX_VALUE - 16, Errno.ENOMEM, "bitmap too large");
    long[] words = new long[(int) ((bits + 63) >>> 6)];
    ByteBuffer in = user.read(bitmapAddress, (int) bytes).slice().order(ByteOrder.LITTLE_ENDIAN);
    int full = (int) (bytes >>> 3);
    in.asLongBuffer().get(words, 0, full);
    for (int i = full * 8; i < bytes; i++) {
      words[full] |= (in.get(i) & 0xffL) << ((i & 7) * 8);
    }
    t.readAndClear(iova, length, IovaBitmap.wrap(iova, length, report.pageSize(), words));
    ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
    out.asLongBuffer().put(words, 0, full);
    for (int i = full * 8; i < bytes; i++) {
      out.put(i, (byte) (words[full] >>> ((i & 7) * 8)));
    }
    user.write(bitmapAddress, out);
  }

  private DmaTracker requireTracker() {
    UapiException.check(tracker.isPresent(), Errno.ENOTTY, "device has no DMA logging ops");
    return tracker.get();
  }

  @Override
  public String toString() {
    synchronized (lock) {
      return "VfioDevice[flags="
          + (migrationFlags.isEmpty() ? "none" : EnumSet.copyOf(migrationFlags))
          + ", state="
          + state
          + ", tracker="
          + tracker.map(Object::toString).orElse("none")
          + "]";
    }
  }
}
