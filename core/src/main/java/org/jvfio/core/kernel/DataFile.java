package org.jvfio.core.kernel;

import static org.jvfio.api.vfio.Vfio.VFIO_MIG_GET_PRECOPY_INFO;

import java.nio.ByteBuffer;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioPrecopyInfo;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.MigrationDataStream;

/*
 * A migration data_fd (include/uapi/linux/vfio.h, VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE and VFIO_MIG_GET_PRECOPY_INFO) over a MigrationDataStream, which makes every check
 * (access mode EBADF, ENOMSG (or 0) at the pre-copy temporary end, ENODEV once the session ended, the
 * precopy-info argsz and state checks). This class only moves bytes between the stream and user
 * memory: a read or write moves at most MAX_TRANSFER bytes per call (a short count, as drivers
 * return), and a user buffer that is not accessible fails with EFAULT before the stream is touched.
 * The resuming file has no ioctl at all (ENOTTY), as mlx5's and pds's resume files.
 */
final class DataFile extends OpenFile {
  /** The most bytes one read or write moves: 1 MiB. */
  static final int MAX_TRANSFER = 1 << 20;

  private final MigrationDataStream stream;
  private final UserAddressSpace memory;

  DataFile(MigrationDataStream stream, UserAddressSpace memory) {
    this.stream = stream;
    this.memory = memory;
  }

  @Override
  int ioctl(int request, long arg) {
    if (request != VFIO_MIG_GET_PRECOPY_INFO || !stream.isSaving()) {
      return super.ioctl(request, arg);
    }
    ByteBuffer info = memory.read(arg, VfioPrecopyInfo.SIZE);
    stream.precopyInfo(info);
    memory.write(arg, info.rewind());
    return 0;
  }

  @Override
  long read(long addr, long count) {
    int n = transfer(addr, count, true);
    UapiException.check(
        n == 0 || memory.isWritable(addr, n), Errno.EFAULT, "read buffer unwritable");
    ByteBuffer buf = ByteBuffer.allocate(n);
    int got = stream.read(buf);
    if (got > 0) {
      memory.write(addr, buf.flip());
    }
    return got;
  }

  @Override
  long write(long addr, long count) {
    int n = transfer(addr, count, false);
    ByteBuffer buf = ByteBuffer.allocate(n);
    if (n > 0) {
      memory.read(addr, buf);
    }
    return stream.write(buf.flip());
  }

  /** The file is {@code stream_open}ed: no position, so pread and pwrite are ESPIPE. */
  @Override
  boolean seekable() {
    return false;
  }

  /**
   * The VFS's steps before the driver's read or write: the access mode ({@code FMODE_READ} or
   * {@code FMODE_WRITE}, EBADF: the saving file is read-only, the resuming one write-only), then
   * {@link #vfsCount}; returns the count cut to {@link #MAX_TRANSFER}.
   */
  private int transfer(long addr, long count, boolean reading) {
    UapiException.check(
        stream.isSaving() == reading, Errno.EBADF, reading ? "not open for reading" : "read-only");
    long n = vfsCount(addr, count, 0);
    return n < MAX_TRANSFER ? (int) n : MAX_TRANSFER;
  }

  @Override
  void release() {
    stream.close();
  }
}
