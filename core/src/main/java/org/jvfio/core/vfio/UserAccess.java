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

        @Override
        public boolean isAccessible(long address, long length) {
          return length == 0;
        }
      };

  /**
   * x86-64's {@code TASK_SIZE_MAX} with 4-level paging, {@code (1 << 47) - PAGE_SIZE} ({@code
   * arch/x86/include/asm/page_64_types.h}): the end of user space, the bound {@link #accessOk}
   * checks against.
   */
  long TASK_SIZE_MAX = (1L << 47) - 4096;

  /**
   * {@code access_ok(address, length)} on x86-64 ({@code arch/x86/include/asm/uaccess_64.h}): the
   * range ends at or below {@link #TASK_SIZE_MAX}. It says nothing about what is mapped there; the
   * kernel checks a user buffer with it before it copies (read and write, a dirty bitmap).
   *
   * @param address the first user address
   * @param length unsigned
   * @return true if {@code address + length} does not pass {@link #TASK_SIZE_MAX}
   */
  static boolean accessOk(long address, long length) {
    return Long.compareUnsigned(length, TASK_SIZE_MAX) <= 0
        && Long.compareUnsigned(address, TASK_SIZE_MAX - length) <= 0;
  }

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

  /**
   * Returns whether every byte of {@code [address, address + length)} can be read and written,
   * without copying it: how the kernel checks a user buffer it will fill later, without allocating
   * in proportion to a length it has not validated. The default reads the range 4 KiB at a time (so
   * it stops at the first hole); an implementation that knows its mappings answers directly.
   *
   * @param address the first user address
   * @param length unsigned
   * @return true if the whole range is readable and writable
   */
  default boolean isAccessible(long address, long length) {
    int chunk = 4096;
    try {
      for (long done = 0; Long.compareUnsigned(done, length) < 0; done += chunk) {
        long left = length - done;
        read(address + done, Long.compareUnsigned(left, chunk) < 0 ? (int) left : chunk);
      }
      return true;
    } catch (UapiException e) {
      return false;
    }
  }
}
