package org.jvfio.core.vfio;

import static org.jvfio.api.vfio.Vfio.VFIO_PRECOPY_INFO_REINIT;

import org.jvfio.api.vfio.VfioPrecopyInfo;

/**
 * The answer of {@code VFIO_MIG_GET_PRECOPY_INFO} on a saving data stream: the {@code
 * initial_bytes} and {@code dirty_bytes} of {@code struct vfio_precopy_info}.
 *
 * <p>{@code initialBytes} is the initial pre-copy data still to be read; it starts non-zero and
 * decreases as the stream is read. {@code dirtyBytes} is the data of device state changed since it
 * was last read; it starts at zero. When both are zero the stream is at its temporary end and a
 * read fails with {@code ENOMSG} (or returns 0, for a driver that ends pre-copy so).
 *
 * <p>{@code reinit} is the 2026 {@code VFIO_PRECOPY_INFO_REINIT} output: new initial data is
 * present, {@code initialBytes} is reported afresh and {@code dirtyBytes} restarts from zero. The
 * device reports it only after the user opted in with {@code
 * VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2}; without the opt-in the uAPI's {@code flags} field is
 * echoed from the user (see {@link MigrationDataStream#precopyInfo(java.nio.ByteBuffer)}).
 *
 * @param initialBytes bytes of initial data not yet read (unsigned)
 * @param dirtyBytes bytes of changed state not yet read (unsigned)
 * @param reinit whether new initial data is present ({@code VFIO_PRECOPY_INFO_REINIT})
 */
public record PrecopyInfo(long initialBytes, long dirtyBytes, boolean reinit) {
  /**
   * Returns progress without {@code VFIO_PRECOPY_INFO_REINIT}.
   *
   * @param initialBytes bytes of initial data not yet read (unsigned)
   * @param dirtyBytes bytes of changed state not yet read (unsigned)
   */
  public PrecopyInfo(long initialBytes, long dirtyBytes) {
    this(initialBytes, dirtyBytes, false);
  }

  /**
   * Returns the progress that {@code struct vfio_precopy_info} {@code s} reports, reading {@code
   * flags} as a v2 output; {@code argsz} is dropped.
   *
   * @param s the struct the ioctl returned
   * @return its {@code initial_bytes}, {@code dirty_bytes} and the REINIT flag
   */
  public static PrecopyInfo fromStruct(VfioPrecopyInfo s) {
    return new PrecopyInfo(
        s.initialBytes(), s.dirtyBytes(), (s.flags() & VFIO_PRECOPY_INFO_REINIT) != 0);
  }

  /**
   * Returns this progress as {@code struct vfio_precopy_info} with {@code argsz} {@value
   * VfioPrecopyInfo#SIZE} and {@code flags} {@code VFIO_PRECOPY_INFO_REINIT} or 0.
   *
   * @return the struct the ioctl copies to the user
   */
  public VfioPrecopyInfo toStruct() {
    return new VfioPrecopyInfo(
        VfioPrecopyInfo.SIZE, reinit ? VFIO_PRECOPY_INFO_REINIT : 0, initialBytes, dirtyBytes);
  }
}
