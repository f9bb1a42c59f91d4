package org.jvfio.core.kernel;

import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.UserAccess;

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

  /** pread(2) into user memory at {@code addr} from file position {@code pos} ({@code >= 0}). */
  long pread(long addr, long count, long pos) {
    throw new UapiException(Errno.EINVAL, "file cannot be read");
  }

  /** pwrite(2) from user memory at {@code addr} to file position {@code pos}. */
  long pwrite(long addr, long count, long pos) {
    throw new UapiException(Errno.EINVAL, "file cannot be written");
  }

  /**
   * The checks {@code vfs_read} and {@code vfs_write} ({@code fs/read_write.c}) make once the file
   * has the operation and the access mode allows it, before the file's own method runs: {@code
   * access_ok} of the user buffer (EFAULT), then {@code rw_verify_area}, where an end beyond a
   * signed 64-bit offset is EINVAL (its check of a negative count cannot fail after {@code
   * access_ok}, which keeps {@code count} below {@code TASK_SIZE_MAX}). Returns {@code count} cut
   * to {@code MAX_RW_COUNT}, {@code INT_MAX & PAGE_MASK}, as {@code vfs_read} does next.
   *
   * @param pos the file position: {@code f_pos}, pread's offset ({@code >= 0}), or 0 for a stream,
   *     whose position the VFS does not pass
   */
  static long vfsCount(long addr, long count, long pos) {
    UapiException.check(UserAccess.accessOk(addr, count), Errno.EFAULT, "buffer beyond user space");
    UapiException.check(pos + count >= 0, Errno.EINVAL, "file position out of range");
    return Long.compareUnsigned(count, MAX_RW_COUNT) > 0 ? MAX_RW_COUNT : count;
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

  /**
   * The file's {@code poll} method, what {@code vfs_poll} answers: the events it is ready for.
   * Without one the VFS answers {@code DEFAULT_POLLMASK} (in, out, rdnorm, wrnorm): the VFIO cdev,
   * /dev/iommu, the container and group fds and the migration data fds have none here.
   */
  int poll() {
    return FakeKernel.POLLIN | FakeKernel.POLLOUT | FakeKernel.POLLRDNORM | FakeKernel.POLLWRNORM;
  }

  /** The last close: releases what the kernel releases. */
  void release() {}
}
