package org.jvfio.core.vfio;

import java.nio.ByteBuffer;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * The user memory a byte-level {@code VFIO_DEVICE_FEATURE} call may follow pointers into: the
 * {@code copy_from_user}/{@code copy_to_user} of the modelled kernel.
 *
 * <p>Two structs hold user pointers: the DMA_LOGGING_START control ({@code ranges}, an array of
 * 16-byte ranges) and the DMA_LOGGING_REPORT struct ({@code bitmap}, the output bitmap). {@link
 * VfioDevice#feature(int, java.nio.ByteBuffer, UserAccess)} reads and writes them through this
 * interface; the fake kernel's user memory implements it. The typed methods of {@link VfioDevice}
 * take Java values and never use it.
 *
 * <p>A report's bitmap is read before the log is cleared and written back after, so a bad bitmap
 * pointer fails with {@code EFAULT} before anything changes.
 */
public interface UserAccess {
  /** User memory with nothing mapped: every access fails with {@code EFAULT}. */
  UserAccess NONE =
      new UserAccess() {
        @Override
        public ByteBuffer read(long address, int length) {
          throw new UapiException(Errno.EFAULT, "no user memory at 0x" + Long.toHexString(address));
        }

        @Override
        public void write(long address, ByteBuffer source) {
          throw new UapiException(Errno.EFAULT, "no user memory at 0x" + Long.toHexString(address));
        }
      };

  /**
   * Copies {@code length} bytes of user memory starting at {@code address}: {@code copy_from_user}.
   *
   * @param address the user address to read from
   * @param length the bytes to read
   * @return a buffer with exactly {@code length} bytes remaining; its byte order is irrelevant
   * @throws UapiException {@code EFAULT} if any byte of the range is not readable user memory
   */
  ByteBuffer read(long address, int length);

  /**
   * Copies the remaining bytes of {@code source} to user memory at {@code address}: {@code
   * copy_to_user}. Writes nothing if any byte of the range is not writable.
   *
   * @param address the user address to write to
   * @param source the bytes to write, from its position to its limit
   * @throws UapiException {@code EFAULT} if any byte of the range is not writable user memory
   */
  void write(long address, ByteBuffer source);
}
