package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * The payload of {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE}: a migration state and the data fd of
 * the transfer session it opened.
 *
 * <p>Models {@code struct vfio_device_feature_mig_state} of {@code include/uapi/linux/vfio.h}:
 * {@value #SIZE} bytes on LP64 little-endian, with {@code device_state} at 0 and {@code data_fd} at
 * 4.
 *
 * <p>On a failed SET the kernel writes back the <em>requested</em> state with {@code data_fd = -1},
 * not the state the device ended in; a GET tells the real one.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned} and widen a {@code __u32} with {@link Integer#toUnsignedLong}. Nothing is
 * validated: this is the C struct, not a checked request.
 *
 * @param deviceState a value of {@code enum vfio_device_mig_state} ({@code
 *     Vfio.VFIO_DEVICE_STATE_*}): the target on SET, the current state on GET; passed to the driver
 *     unvalidated ({@code __u32 device_state} at offset 0)
 * @param dataFd out: the fd of the data transfer session opened by the final arc, or -1 (always -1
 *     on GET) ({@code __s32 data_fd} at offset 4)
 */
public record VfioDeviceFeatureMigState(int deviceState, int dataFd) {

  /** {@code sizeof(struct vfio_device_feature_mig_state)} on LP64: 8 bytes. */
  public static final int SIZE = 8;

  /**
   * Writes this struct as {@value #SIZE} little-endian bytes at the buffer's position, whatever
   * {@code buf.order()} is, and advances the position by {@value #SIZE}. The buffer's byte order is
   * left unchanged.
   *
   * @param buf the destination
   * @throws BufferOverflowException if fewer than {@value #SIZE} bytes remain (nothing is written)
   * @throws ReadOnlyBufferException if {@code buf} is read-only
   */
  public void encode(ByteBuffer buf) {
    ByteBuffer out = Le.out(buf, SIZE);
    out.putInt(deviceState);
    out.putInt(dataFd);
  }

  /**
   * Reads a {@code struct vfio_device_feature_mig_state} from {@value #SIZE} little-endian bytes at
   * the buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceFeatureMigState decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int deviceState = in.getInt();
    int dataFd = in.getInt();
    return new VfioDeviceFeatureMigState(deviceState, dataFd);
  }
}
