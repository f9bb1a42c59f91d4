package org.jvfio.core.kernel;

import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/*
 * An open file of the fake kernel: what an fd refers to. Each operation returns what the syscall
 * returns on success and throws UapiException with the errno otherwise; FakeKernel turns that into
 * -errno. The defaults are the VFS's answers for a file without the operation: ENOTTY for an ioctl
 * it does not know, EINVAL for read and write (also at a position).
 */
abstract class OpenFile {
  /** ioctl(2). */
  int ioctl(int request, long arg) {
    throw new UapiException(Errno.ENOTTY, "unknown ioctl 0x" + Integer.toHexString(request));
  }

  /** read(2) into user memory at {@code addr}; {@code count} is unsigned. */
  long read(long addr, long count) {
    throw new UapiException(Errno.EINVAL, "file cannot be read");
  }

  /** write(2) from user memory at {@code addr}; {@code count} is unsigned. */
  long write(long addr, long count) {
    throw new UapiException(Errno.EINVAL, "file cannot be written");
  }

  /**
   * pread(2) into user memory at {@code addr} from file position {@code pos} ({@code pos >= 0} and
   * {@code pos + count} within 63 bits, checked by the caller).
   */
  long pread(long addr, long count, long pos) {
    throw new UapiException(Errno.EINVAL, "file cannot be read");
  }

  /** pwrite(2) from user memory at {@code addr} to file position {@code pos}. */
  long pwrite(long addr, long count, long pos) {
    throw new UapiException(Errno.EINVAL, "file cannot be written");
  }

  /**
   * {@code rw_verify_area} of {@code fs/read_write.c}: a negative position, or one whose end
   * overflows a signed 64-bit offset, is EINVAL; returns {@code count} (unsigned) cut to {@code
   * MAX_RW_COUNT}, {@code INT_MAX & PAGE_MASK}.
   */
  static long rwVerifyArea(long pos, long count) {
    long n = Long.compareUnsigned(count, MAX_RW_COUNT) > 0 ? MAX_RW_COUNT : count;
    UapiException.check(pos >= 0 && pos + n >= 0, Errno.EINVAL, "file position out of range");
    return n;
  }

  /** {@code MAX_RW_COUNT}: the most bytes one read or write moves. */
  static final long MAX_RW_COUNT = Integer.MAX_VALUE & ~4095L;

  /**
   * Whether pread and pwrite reach the file: false for a stream ({@code stream_open} or {@code
   * nonseekable_open}, which clear {@code FMODE_PREAD} and {@code FMODE_PWRITE}), which {@code
   * ksys_pread64} and {@code ksys_pwrite64} answer with ESPIPE.
   */
  boolean seekable() {
    return true;
  }

  /** The last close: releases what the kernel releases. */
  void release() {}
}
