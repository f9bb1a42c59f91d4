package org.jvfio.bridge;

/*
 * The bridge's wire protocol (docs/bridge.md has the full description).
 *
 * Every message, in both directions, is a 40-byte little-endian header
 *   u32 type; u32 len; u64 a0, a1, a2, a3;
 * followed by len bytes of data. A client thread sends one request and then answers the server's
 * callbacks (MEM_READ, MEM_WRITE, MEM_PROBE, FD_ALLOC, FILE_INFO) until the server sends RESULT: the system
 * call is synchronous, as in the kernel, and the callbacks are its copy_from_user, copy_to_user,
 * access_ok and get_unused_fd_flags. One connection serves one client thread (of one process) at a
 * time, so no message carries a tag. HELLO must come first on every connection.
 */
final class Protocol {
  private Protocol() {}

  static final int HEADER = 40;

  /** The most data one message carries: 16 MiB (a larger callback is split). */
  static final int MAX_DATA = 16 << 20;

  // client -> server: requests
  static final int HELLO = 1; // a0 = pid, a1 = ppid; RESULT's data: guest memories (u64 base, size)
  static final int OPEN = 2; // data = the path (no NUL)
  static final int CLOSE = 3; // a0 = fd
  static final int IOCTL = 4; // a0 = fd, a1 = request, a2 = arg; data: bytes at arg (prefetch)
  static final int READ = 5; // a0 = fd, a1 = buf, a2 = count
  static final int WRITE = 6; // a0 = fd, a1 = buf, a2 = count
  static final int PREAD = 7; // a0 = fd, a1 = buf, a2 = count, a3 = offset
  static final int PWRITE = 8; // a0 = fd, a1 = buf, a2 = count, a3 = offset
  static final int DUP = 9; // a0 = oldfd, a1 = newfd (a copy of oldfd's placeholder)
  static final int POLL = 10; // a0 = fd, a1 = events: RESULT a0 = revents (one pollfd, no wait)

  // server -> client
  static final int RESULT = 16; // a0 = the return value (>= 0 or -errno)
  // a3 of the MEM_ callbacks: 0 for the caller's memory, else the pid of another client process
  // (a fork's child or parent), which the caller reaches with process_vm_readv/writev
  static final int MEM_READ = 17; // a0 = addr, a1 = len, a3 = pid: answer DATA
  static final int MEM_WRITE = 18; // a0 = addr, a1 = len, a3 = pid, data: answer STATUS
  static final int MEM_PROBE = 19; // a0 = addr, a1 = len, a2 = 1 for writable, a3 = pid: STATUS
  static final int FD_ALLOC = 20; // answer STATUS with a new fd of the client or -errno
  // a0 = fd, a1 = start, a2 = length: answer DATA a0 = 0 and FILE_INFO_SIZE bytes (u64 shmem,
  // size, the address of start in a MAP_SHARED mapping of the whole range or 0, st_dev, st_ino),
  // or a0 = -EBADF and no data
  static final int FILE_INFO = 21;
  static final int FILE_INFO_SIZE = 40;

  // client -> server: answers to callbacks
  static final int DATA = 32; // a0 = 0 and len bytes, or a0 = -EFAULT and no data
  static final int STATUS = 33; // a0 = 0, a new fd, or -errno
}
