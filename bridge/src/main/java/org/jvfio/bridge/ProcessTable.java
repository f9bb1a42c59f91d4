package org.jvfio.bridge;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.kernel.FakeKernel;

/*
 * Which client process holds which of the kernel's fds: the per-process fd tables that the one
 * FakeKernel fd table stands for. The kernel's open files are shared the way fork() shares open
 * file descriptions:
 *
 *  - a process that says HELLO for the first time with the pid of a live client as its parent is a
 *    forked child and holds every fd its parent holds at that moment;
 *  - a new file (FD_ALLOC during open or an ioctl that installs a data fd) is held by the caller;
 *    a number that another process already holds for another file is refused (the kernel's one fd
 *    table cannot hold both) and the connection asks the client for another;
 *  - close() drops the caller's hold and closes the kernel's file only when no process holds it;
 *    a call on an fd the caller does not hold is EBADF;
 *  - dup (the client has duplicated an fd's placeholder to newfd) makes newfd refer to oldfd's
 *    file (the kernel's dup2), replacing the caller's file there; a number that another process
 *    holds is refused with EBUSY, as the kernel's dup2 refuses a number that is not free to take;
 *  - when the last connection of a process ends (it exited), its holds are dropped as close()
 *    would, as the kernel closes the files of a process that exits.
 *
 * Thread-safe: one lock over the tables; the kernel's close runs outside it.
 */
final class ProcessTable {
  private final FakeKernel kernel;
  private final Map<Long, Set<Integer>> fds = new HashMap<>();
  private final Map<Long, Integer> connections = new HashMap<>();

  ProcessTable(FakeKernel kernel) {
    this.kernel = kernel;
  }

  /** A connection of process {@code pid} (child of {@code ppid}) started. */
  synchronized void hello(long pid, long ppid) {
    connections.merge(pid, 1, Integer::sum);
    if (!fds.containsKey(pid)) {
      fds.put(pid, new HashSet<>(fds.getOrDefault(ppid, Set.of())));
    }
  }

  /**
   * Makes process {@code pid} hold the new file {@code fd}; false (nothing changes) if a process
   * already holds that number for another file.
   */
  synchronized boolean install(long pid, int fd) {
    if (heldByAnyone(fd)) {
      return false;
    }
    fds.computeIfAbsent(pid, p -> new HashSet<>()).add(fd);
    return true;
  }

  /** Whether process {@code pid} still has a connection (it has not exited, as far as we know). */
  synchronized boolean isConnected(long pid) {
    return connections.containsKey(pid);
  }

  /** Whether {@code pid} holds {@code fd}. */
  synchronized boolean holds(long pid, int fd) {
    Set<Integer> mine = fds.get(pid);
    return mine != null && mine.contains(fd);
  }

  /** close(fd) by {@code pid}: 0, or -EBADF if it does not hold {@code fd}. */
  int close(long pid, int fd) {
    synchronized (this) {
      Set<Integer> mine = fds.get(pid);
      if (mine == null || !mine.remove(fd)) {
        return -Errno.EBADF.code();
      }
      if (heldByAnyone(fd)) {
        return 0;
      }
    }
    return kernel.close(fd);
  }

  /**
   * dup2(oldfd, newfd) by {@code pid}: {@code newfd}, or -EBADF if it does not hold {@code oldfd},
   * -EBUSY if another process holds {@code newfd}.
   */
  int dup(long pid, int oldfd, int newfd) {
    boolean held;
    synchronized (this) {
      Set<Integer> mine = fds.get(pid);
      if (mine == null || !mine.contains(oldfd)) {
        return -Errno.EBADF.code();
      }
      for (Map.Entry<Long, Set<Integer>> e : fds.entrySet()) {
        if (e.getKey() != pid && e.getValue().contains(newfd)) {
          return -Errno.EBUSY.code();
        }
      }
      held = !mine.add(newfd);
    }
    int rc = kernel.dup2(oldfd, newfd); // outside the lock, as close: a release takes device locks
    if (rc < 0 && !held) {
      synchronized (this) {
        fds.getOrDefault(pid, new HashSet<>()).remove(newfd);
      }
    }
    return rc;
  }

  /** A connection of {@code pid} ended; the last one closes the files only it held. */
  void disconnected(long pid) {
    List<Integer> toClose = new ArrayList<>();
    synchronized (this) {
      if (connections.merge(pid, -1, Integer::sum) > 0) {
        return;
      }
      connections.remove(pid);
      Set<Integer> mine = fds.remove(pid);
      if (mine != null) {
        for (int fd : mine) {
          if (!heldByAnyone(fd)) {
            toClose.add(fd);
          }
        }
      }
    }
    for (int fd : toClose) {
      kernel.close(fd);
    }
  }

  private boolean heldByAnyone(int fd) {
    for (Set<Integer> s : fds.values()) {
      if (s.contains(fd)) {
        return true;
      }
    }
    return false;
  }
}
