package org.jvfio.core.kernel;

import com.google.common.base.Preconditions;
import java.util.HashMap;
import java.util.Map;
import org.jvfio.core.iommufd.UserFile;
import org.jvfio.core.iommufd.UserFiles;

/**
 * The files of an in-process caller that {@code IOMMU_IOAS_MAP_FILE} can name: memfds ({@code
 * memfd_create} and {@code ftruncate}), each with at most one {@code MAP_SHARED} mapping in a
 * {@link UserMemory}, and files of other filesystems, which the kernel finds but cannot pin.
 *
 * <p>A memfd's mapping is a {@link UserMemory} allocation of the file's size: its bytes are the
 * file's, and its address is the identity of the file's pages ({@link UserFiles}), so an {@code
 * IOMMU_IOAS_MAP} of the mapping and a file map of the same bytes reach the same pages. A file with
 * no mapping (or whose mapping the caller has freed) gets an address above the user half ({@link
 * UserFile#unmappedAddress}). Its size is read when the kernel looks the file up.
 *
 * <p>File descriptors are numbered from {@value #FIRST_FD}, apart from the kernel's own fds (the
 * real fd table is shared; this model keeps them apart so that neither chooses the other's
 * numbers). Thread-safe (synchronised).
 */
public final class MemFds implements UserFiles {
  /** The first fd number handed out. */
  public static final int FIRST_FD = 1000;

  // each file has its own UserFile.unmappedAddress space, and there are 2048 of those
  private static final int MAX_FILES = 2048;

  private static final class File {
    final boolean shmem;
    final int serial;
    long size;
    long mapping; // the user address of its MAP_SHARED mapping, or 0

    File(boolean shmem, int serial, long size) {
      this.shmem = shmem;
      this.serial = serial;
      this.size = size;
    }
  }

  private final UserMemory memory;
  private final Map<Integer, File> files = new HashMap<>();
  private int nextFd = FIRST_FD;
  private int nextSerial;

  /**
   * Creates an empty fd table whose mappings live in {@code memory}.
   *
   * @param memory the caller's address space
   */
  public MemFds(UserMemory memory) {
    this.memory = memory;
  }

  /**
   * {@code memfd_create} followed by {@code ftruncate(fd, size)}: a new shmem file of {@code size}
   * zero bytes.
   *
   * @param size the file's size in bytes, not negative
   * @return its file descriptor
   * @throws IllegalArgumentException if {@code size} is negative
   * @throws IllegalStateException if the table has created 2048 files already (each has its own
   *     {@link UserFile#unmappedAddress} space)
   */
  public synchronized int memfdCreate(long size) {
    return add(true, size);
  }

  /**
   * Opens a file of {@code size} bytes on a filesystem that is neither shmem nor hugetlbfs (an ext4
   * file, say): {@code IOMMU_IOAS_MAP_FILE} accepts its fd, and pinning its pages fails with {@code
   * EINVAL}.
   *
   * @param size the file's size in bytes, not negative
   * @return its file descriptor
   * @throws IllegalArgumentException if {@code size} is negative
   * @throws IllegalStateException if the table has created 2048 files already (each has its own
   *     {@link UserFile#unmappedAddress} space)
   */
  public synchronized int openRegular(long size) {
    return add(false, size);
  }

  private int add(boolean shmem, long size) {
    Preconditions.checkArgument(size >= 0, "negative size");
    Preconditions.checkState(nextSerial < MAX_FILES, "more than %s files", MAX_FILES);
    files.put(nextFd, new File(shmem, nextSerial++, size));
    return nextFd++;
  }

  /**
   * {@code mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)} of a memfd: allocates its
   * mapping, page-aligned, in the user memory and returns its address.
   *
   * @param fd a memfd of this table with a positive size and no mapping yet
   * @return the mapping's user address
   * @throws IllegalArgumentException if {@code fd} is not such a memfd (this model keeps one
   *     mapping per file)
   */
  public synchronized long mmap(int fd) {
    File f = file(fd);
    Preconditions.checkArgument(f.shmem && f.size > 0 && f.mapping == 0, "fd %s: no mmap", fd);
    f.mapping = memory.allocate(f.size);
    return f.mapping;
  }

  /**
   * {@code ftruncate(fd, size)}: changes the size the kernel sees; the mapping keeps its bytes.
   *
   * @param fd an open fd of this table
   * @param size the new size in bytes, not negative
   * @throws IllegalArgumentException if {@code fd} is not open or {@code size} is negative
   */
  public synchronized void ftruncate(int fd, long size) {
    Preconditions.checkArgument(size >= 0, "negative size");
    file(fd).size = size;
  }

  /**
   * {@code close(fd)}: the fd is no longer open ({@code EBADF} from then on); pages the kernel has
   * pinned stay pinned, as a pin holds the file.
   *
   * @param fd an open fd of this table
   * @throws IllegalArgumentException if {@code fd} is not open
   */
  public synchronized void close(int fd) {
    file(fd);
    files.remove(fd);
  }

  private File file(int fd) {
    File f = files.get(fd);
    Preconditions.checkArgument(f != null, "fd %s not open", fd);
    return f;
  }

  /** The file's facts; its mapping's address if it maps the whole range, else one above it all. */
  @Override
  public synchronized UserFile lookup(int fd, long start, long length) {
    File f = files.get(fd);
    if (f == null) {
      return null;
    }
    boolean mapped =
        f.mapping != 0
            && Long.compareUnsigned(start + length, f.size) <= 0
            && memory.isAccessible(f.mapping + start, length);
    long va =
        mapped
            ? f.mapping + start
            : UserFile.unmappedAddress(f.serial, Math.floorMod(start, UserFile.UNMAPPED_SPAN));
    return new UserFile(f.shmem, f.size, va);
  }
}
