package org.jvfio.bridge;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.UserFile;
import org.jvfio.core.iommufd.UserFiles;
import org.jvfio.core.kernel.UserAddressSpace;

/*
 * The calling client process as the FakeKernel sees it: its memory (UserAddressSpace) and its fd
 * numbers (the kernel's unusedFd supplier), both reached through the connection whose call the
 * current thread runs. A range longer than MAX_PROBE is reported inaccessible without asking, since
 * the probe reads it all: an IOMMU_IOAS_MAP of more than 1 GiB outside the guest memories fails
 * with EFAULT. isWritable (pin_user_pages with FOLL_WRITE) asks the client to check the write
 * permission of the mappings as well, without writing. currentProcess() names the caller's
 * process (ProcessMemory), which a map keeps as its pages' source_mm. Its files (UserFiles) are
 * the client's fds, for IOMMU_IOAS_MAP_FILE.
 */
final class RemoteProcess implements UserAddressSpace, UserFiles {
  private static final long MAX_PROBE = 1L << 30;

  // the files (st_dev, st_ino) mapped by file without a shared mapping: their UserFile serials
  private final Map<List<Long>, Integer> unmapped = new ConcurrentHashMap<>();

  @Override
  public void read(long addr, ByteBuffer dst) {
    if (dst.hasRemaining() && !Connection.current().readMemory(addr, dst)) {
      throw fault(addr);
    }
  }

  @Override
  public void write(long addr, ByteBuffer src) {
    if (src.hasRemaining() && !Connection.current().writeMemory(addr, src)) {
      throw fault(addr);
    }
  }

  @Override
  public boolean isAccessible(long addr, long length) {
    return probe(addr, length, false);
  }

  /** Readable, and inside mappings with write permission (the client's /proc/self/maps). */
  @Override
  public boolean isWritable(long addr, long length) {
    return probe(addr, length, true);
  }

  private static boolean probe(long addr, long length, boolean write) {
    return probeable(addr, length) && Connection.current().probeMemory(addr, length, write);
  }

  /** Whether a probe of the range is asked at all: not longer than MAX_PROBE, not wrapping. */
  static boolean probeable(long addr, long length) {
    return length >= 0 && length <= MAX_PROBE && Long.compareUnsigned(addr + length, addr) >= 0;
  }

  /** The caller's memory as a handle on its process: current->mm. */
  @Override
  public UserAddressSpace currentProcess() {
    return Connection.current().process();
  }

  /**
   * {@code fget} of the client's fd for IOMMU_IOAS_MAP_FILE: the client's fstat, fstatfs (shmem or
   * hugetlbfs) and /proc/self/maps (where it maps the range shared). A range it does not map gets
   * the address of its file among such files (by st_dev and st_ino).
   */
  @Override
  public UserFile lookup(int fd, long start, long length) {
    long[] info = Connection.current().fileInfo(fd, start, length);
    if (info == null) {
      return null;
    }
    long va = info[2];
    if (va == 0) {
      int serial = unmapped.computeIfAbsent(List.of(info[3], info[4]), k -> unmapped.size() % 2048);
      va = UserFile.unmappedAddress(serial, Math.floorMod(start, UserFile.UNMAPPED_SPAN));
    }
    return new UserFile(info[0] != 0, info[1], va);
  }

  /** {@code get_unused_fd_flags} in the client's own fd table. */
  int unusedFd() {
    return Connection.current().allocateFd();
  }

  private static UapiException fault(long addr) {
    return new UapiException(Errno.EFAULT, "client address 0x" + Long.toHexString(addr));
  }
}
