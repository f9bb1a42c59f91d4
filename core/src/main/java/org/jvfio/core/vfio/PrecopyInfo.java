package org.jvfio.core.vfio;

import org.jvfio.api.vfio.VfioPrecopyInfo;

/**
 * The answer of {@code VFIO_MIG_GET_PRECOPY_INFO} on a saving data stream: the {@code
 * initial_bytes} and {@code dirty_bytes} of {@code struct vfio_precopy_info}.
 *
 * <p>{@code initialBytes} is the initial pre-copy data still to be read; it starts non-zero and
 * decreases as the stream is read. {@code dirtyBytes} is the data of device state changed since it
 * was last read; it starts at zero. When both are zero the stream is at its temporary end and a
 * read fails with {@code ENOMSG}. The 2026 {@code VFIO_PRECOPY_INFO_REINIT} flag is not modelled.
 *
 * @param initialBytes bytes of initial data not yet read (unsigned)
 * @param dirtyBytes bytes of changed state not yet read (unsigned)
 */
public record PrecopyInfo(long initialBytes, long dirtyBytes) {
  /**
   * Returns the progress that {@code struct vfio_precopy_info} {@code s} reports; {@code argsz} and
   * {@code flags} are dropped.
   *
   * @param s the decoded struct
   * @return the typed progress
   */
  public static PrecopyInfo fromStruct(VfioPrecopyInfo s) {
    return new PrecopyInfo(s.initialBytes(), s.dirtyBytes());
  }

  /**
   * Returns this progress as {@code struct vfio_precopy_info} with {@code argsz} {@value
   * VfioPrecopyInfo#SIZE} and {@code flags} 0.
   *
   * @return the struct to encode
   */
  public VfioPrecopyInfo toStruct() {
    return new VfioPrecopyInfo(VfioPrecopyInfo.SIZE, 0, initialBytes, dirtyBytes);
  }
}
