package org.jvfio.core.kernel;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.function.IntSupplier;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/*
 * The fake kernel's fd table (fs/file.c, struct files_struct): the open file each fd number refers
 * to. Several numbers may refer to one file (dup); the file is released (OpenFile.release, the last
 * fput) when no number refers to it any more. New numbers are the lowest free from 3 (0 to 2 are
 * the process's own), or what the builder's unusedFd supplies when the numbers must be another
 * process's (the bridge). RLIMIT_NOFILE is not modelled.
 *
 * Thread-safety: every method holds the table's lock while it changes or reads the map; a file is
 * released outside it.
 */
final class FdTable {
  private static final int FIRST_FD = 3;
  private static final int O_CLOEXEC = 0x80000; // 02000000 in <fcntl.h>

  private final TreeMap<Integer, OpenFile> files = new TreeMap<>(); // guarded by this
  private final IntSupplier unusedFd; // null: the lowest number free in files

  FdTable(IntSupplier unusedFd) {
    this.unusedFd = unusedFd;
  }

  synchronized OpenFile get(int fd) {
    return files.get(fd);
  }

  /** The open files, once each per fd that refers to them. */
  synchronized List<OpenFile> openFiles() {
    return new ArrayList<>(files.values());
  }

  /**
   * Installs {@code file} at a new fd and returns it: the lowest free one, or the one {@code
   * unusedFd} supplies ({@code EMFILE} if it has none).
   */
  int install(OpenFile file) {
    int fd = reserveFd();
    synchronized (this) {
      return put(fd, file);
    }
  }

  /** Removes {@code fd} if it still holds {@code file} and releases the file if no fd holds it. */
  void uninstall(int fd, OpenFile file) {
    boolean last;
    synchronized (this) {
      files.remove(fd, file);
      last = !referenced(file);
    }
    if (last) {
      file.release();
    }
  }

  /** {@code close(fd)}: 0, or {@code -EBADF}. */
  int close(int fd) {
    OpenFile file;
    boolean last;
    synchronized (this) {
      file = files.remove(fd);
      last = file != null && !referenced(file);
    }
    if (file == null) {
      return -Errno.EBADF.code();
    }
    if (last) {
      file.release();
    }
    return 0;
  }

  /** {@code dup(oldfd)}: the new fd, or {@code -EBADF}, {@code -EMFILE}. */
  int dup(int oldfd) {
    if (get(oldfd) == null) {
      return -Errno.EBADF.code();
    }
    try {
      int fd = reserveFd();
      synchronized (this) {
        OpenFile file = files.get(oldfd); // again: another thread may have closed it meanwhile
        UapiException.check(file != null, Errno.EBADF, "fd " + oldfd + " was closed");
        return put(fd, file);
      }
    } catch (UapiException e) {
      return -e.errno().code();
    }
  }

  /** {@code dup2(oldfd, newfd)}: {@code newfd}, or {@code -EBADF}. */
  int dup2(int oldfd, int newfd) {
    if (oldfd == newfd) {
      return get(oldfd) == null ? -Errno.EBADF.code() : newfd;
    }
    return dup3(oldfd, newfd, 0);
  }

  /**
   * {@code dup3(oldfd, newfd, flags)} in {@code ksys_dup3}'s order: {@code -EINVAL}, {@code
   * -EBADF}.
   */
  int dup3(int oldfd, int newfd, int flags) {
    if ((flags & ~O_CLOEXEC) != 0 || oldfd == newfd) {
      return -Errno.EINVAL.code();
    }
    if (newfd < 0) {
      return -Errno.EBADF.code();
    }
    OpenFile replaced;
    synchronized (this) {
      OpenFile file = files.get(oldfd);
      if (file == null) {
        return -Errno.EBADF.code();
      }
      replaced = files.put(newfd, file);
      if (replaced == null || referenced(replaced)) {
        replaced = null;
      }
    }
    if (replaced != null) {
      replaced.release();
    }
    return newfd;
  }

  /** {@code unusedFd}'s number ({@code EMFILE} if it has none), or -1 without one. */
  private int reserveFd() {
    if (unusedFd == null) {
      return -1;
    }
    int fd = unusedFd.getAsInt();
    UapiException.check(fd >= 0, Errno.EMFILE, "no unused fd");
    return fd;
  }

  /**
   * Puts {@code file} at {@code fd}, or at the lowest free number from 3 if {@code fd} is -1, and
   * returns the number. Caller holds the lock.
   */
  private int put(int fd, OpenFile file) {
    if (fd < 0) {
      fd = FIRST_FD;
      for (int used : files.tailMap(FIRST_FD).keySet()) {
        if (used != fd) {
          break;
        }
        fd++;
      }
    }
    Preconditions.checkState(files.putIfAbsent(fd, file) == null, "fd %s is in use", fd);
    return fd;
  }

  /** Whether an fd still refers to {@code file}: its reference count. Caller holds the lock. */
  private boolean referenced(OpenFile file) {
    return files.containsValue(file);
  }
}
