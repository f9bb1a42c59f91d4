package org.jvfio.core.vfio;

import static org.jvfio.api.vfio.Vfio.VFIO_PRECOPY_INFO_REINIT;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * The kernel side of a migration {@code data_fd}: the stream a {@code
 * VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} SET returns when its last arc starts a data transfer.
 *
 * <p>A saving stream (from RUNNING→PRE_COPY, RUNNING_P2P→PRE_COPY_P2P or STOP→STOP_COPY) is {@link
 * #read}; it lives on through the saving group (PRE_COPY, PRE_COPY_P2P, STOP_COPY). A resuming
 * stream (from STOP→RESUMING) is {@link #write}n. The arc that leaves the session's states (or
 * {@link VfioDevice#reset}, or a failure that puts the device in ERROR) ends the stream: further
 * reads and writes fail with {@code ENODEV}, as mlx5 and hisi_acc do for a disabled migration file.
 * The file descriptor number is the fake kernel's business.
 *
 * <p>Access modes follow the drivers' {@code O_RDONLY} saving and {@code O_WRONLY} resuming files:
 * a write to a saving stream or a read from a resuming one fails with {@code EBADF}, as the VFS
 * does. After {@link #close} every call fails with {@code EBADF}.
 *
 * <p>Thread-safe: every call takes the device's lock, like the driver's state mutex.
 */
public final class MigrationDataStream {
  /** {@code sizeof(struct vfio_precopy_info)}: the minimum {@code argsz}. */
  static final int PRECOPY_INFO_SIZE = 24;

  private final VfioDevice device;
  private final boolean saving;
  private boolean ended;
  private boolean closed;

  MigrationDataStream(VfioDevice device, boolean saving) {
    this.device = device;
    this.saving = saving;
  }

  /**
   * Returns whether this is a saving stream (read) rather than a resuming one (written).
   *
   * @return true for a saving stream, false for a resuming one
   */
  public boolean isSaving() {
    return saving;
  }

  /**
   * Returns whether the session of this stream has ended (see the class comment).
   *
   * @return true once the session has ended
   */
  public boolean isEnded() {
    synchronized (device.lock) {
      return ended;
    }
  }

  /**
   * Reads the next bytes of the saving stream into {@code dst}, as {@code read(2)} on the data fd:
   * copies up to {@code dst.remaining()} bytes, advances its position and returns the count.
   * Returns 0 at the end of the stream in STOP_COPY, and on every read after it ("read() always
   * returning 0"), and when {@code dst} has no room.
   *
   * @param dst the buffer to fill from its position
   * @return the bytes copied; 0 at the end of the stream
   * @throws UapiException {@code ENOMSG} at the temporary end of stream in PRE_COPY and
   *     PRE_COPY_P2P (initial and dirty bytes both 0; more data may come later), {@code ENODEV} if
   *     the session has ended, {@code EBADF} on a resuming or closed stream, or the driver's errno
   */
  public int read(ByteBuffer dst) {
    synchronized (device.lock) {
      checkOpen(true);
      UapiException.check(!ended, Errno.ENODEV, "migration session has ended");
      if (!dst.hasRemaining()) {
        return 0;
      }
      int n = device.driver.save(dst);
      MigrationState state = device.stateLocked();
      if (n == 0 && state != MigrationState.STOP_COPY && device.driver.precopyEndIsEnomsg()) {
        throw new UapiException(Errno.ENOMSG, "temporary end of the pre-copy stream in " + state);
      }
      return n;
    }
  }

  /**
   * Writes the remaining bytes of {@code src} into the resuming stream, as {@code write(2)} on the
   * data fd, and returns how many were consumed (all of them). The stream need not keep the
   * segmentation it was read with. Validation of the whole stream happens at RESUMING→STOP.
   *
   * @param src the bytes to write, from its position to its limit
   * @return the bytes consumed, {@code src.remaining()} on entry
   * @throws UapiException {@code ENODEV} if the session has ended, {@code EBADF} on a saving or
   *     closed stream, or the driver's errno
   */
  public int write(ByteBuffer src) {
    synchronized (device.lock) {
      checkOpen(false);
      UapiException.check(!ended, Errno.ENODEV, "migration session has ended");
      int n = src.remaining();
      if (n > 0) {
        device.driver.resume(src);
      }
      return n;
    }
  }

  /**
   * Returns the pre-copy progress: {@code VFIO_MIG_GET_PRECOPY_INFO}.
   *
   * @return the {@code initial_bytes} and {@code dirty_bytes} the driver reports
   * @throws UapiException {@code EINVAL} if the device is not in PRE_COPY or PRE_COPY_P2P, {@code
   *     ENODEV} if this stream's session has ended (a newer session is in pre-copy), {@code ENOTTY}
   *     on a resuming stream (its file has no ioctl), {@code EBADF} if closed
   */
  public PrecopyInfo precopyInfo() {
    synchronized (device.lock) {
      UapiException.check(!closed, Errno.EBADF, "data stream closed");
      UapiException.check(saving, Errno.ENOTTY, "resuming stream has no ioctls");
      return precopyInfoLocked();
    }
  }

  /**
   * {@code VFIO_MIG_GET_PRECOPY_INFO} at the byte level: {@code arg} holds the 24-byte {@code
   * struct vfio_precopy_info} (little-endian, at its position); on success {@code initial_bytes}
   * and {@code dirty_bytes} are written into it and {@code argsz} is left as the user gave it.
   * {@code flags} is echoed as the user gave it (drivers never assigned it), unless the user opted
   * in to {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2}: then it is an output, {@code
   * VFIO_PRECOPY_INFO_REINIT} or 0 ({@code vfio_check_precopy_ioctl} in {@code
   * include/linux/vfio.h}).
   *
   * @param arg the {@code struct vfio_precopy_info} buffer; its outputs are written back into it
   * @throws UapiException {@code EINVAL} if fewer than 24 bytes remain or {@code argsz < 24}, else
   *     as {@link #precopyInfo()}
   */
  public void precopyInfo(ByteBuffer arg) {
    synchronized (device.lock) {
      UapiException.check(!closed, Errno.EBADF, "data stream closed");
      UapiException.check(saving, Errno.ENOTTY, "resuming stream has no ioctls");
      ByteBuffer le = arg.duplicate().order(ByteOrder.LITTLE_ENDIAN);
      int p = le.position();
      UapiException.check(le.remaining() >= PRECOPY_INFO_SIZE, Errno.EINVAL, "argsz < 24");
      UapiException.check(
          Integer.toUnsignedLong(le.getInt(p)) >= PRECOPY_INFO_SIZE, Errno.EINVAL, "argsz < 24");
      PrecopyInfo info = precopyInfoLocked();
      if (device.precopyInfoV2Locked()) {
        le.putInt(p + 4, info.reinit() ? VFIO_PRECOPY_INFO_REINIT : 0);
      }
      le.putLong(p + 8, info.initialBytes());
      le.putLong(p + 16, info.dirtyBytes());
    }
  }

  private PrecopyInfo precopyInfoLocked() {
    MigrationState state = device.stateLocked();
    UapiException.check(
        state == MigrationState.PRE_COPY || state == MigrationState.PRE_COPY_P2P,
        Errno.EINVAL,
        "VFIO_MIG_GET_PRECOPY_INFO in " + state);
    UapiException.check(!ended, Errno.ENODEV, "migration session has ended");
    boolean v2 = device.precopyInfoV2Locked();
    PrecopyInfo info = device.driver.precopyInfo(v2);
    return v2 || !info.reinit() ? info : new PrecopyInfo(info.initialBytes(), info.dirtyBytes());
  }

  /**
   * Closes this stream, as {@code close(2)} on the data fd; the device and its session are not
   * affected. Idempotent.
   */
  public void close() {
    synchronized (device.lock) {
      closed = true;
    }
  }

  /** Ends the session (called by the device with its lock held). */
  void end() {
    ended = true;
  }

  private void checkOpen(boolean forRead) {
    UapiException.check(!closed, Errno.EBADF, "data stream closed");
    UapiException.check(
        forRead == saving,
        Errno.EBADF,
        saving ? "saving stream is read-only" : "resuming stream is write-only");
  }

  @Override
  public String toString() {
    return "MigrationDataStream[" + (saving ? "saving" : "resuming") + "]";
  }
}
