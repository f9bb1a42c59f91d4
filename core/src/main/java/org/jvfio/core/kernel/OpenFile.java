package org.jvfio.core.kernel;

import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/*
 * An open file of the fake kernel: what an fd refers to. Each operation returns what the syscall
 * returns on success and throws UapiException with the errno otherwise; FakeKernel turns that into
 * -errno. The defaults are the VFS's answers for a file without the operation: ENOTTY for an ioctl
 * it does not know, EINVAL for read and write.
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

  /** Whether the file is a stream ({@code stream_open}): pread and pwrite are ESPIPE. */
  boolean isStream() {
    return false;
  }

  /** The last close: releases what the kernel releases. */
  void release() {}
}
