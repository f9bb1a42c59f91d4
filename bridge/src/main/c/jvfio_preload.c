/*
 * libjvfio-preload.so: runs a program's /dev/iommu and /dev/vfio/... system calls against a jvfio
 * FakeKernel served by jvfio-kernel on the UNIX socket named by $JVFIO_SOCKET (docs/bridge.md).
 *
 * - open/open64/openat/openat64 of /dev/iommu or /dev/vfio/... are sent to the server; close,
 *   ioctl, read, write, pread(64), pwrite(64) and mmap(64) of the fds it produced too, poll and
 *   ppoll of sets that hold one, and the _FORTIFY_SOURCE entry points (__open_2, __read_chk, ...)
 *   that bypass those names. Every other call goes to libc (dlsym(RTLD_NEXT)). Without
 *   $JVFIO_SOCKET nothing is intercepted.
 * - The fd numbers are the process's own: when the server installs a file it asks for an unused fd
 *   (FD_ALLOC) and the library opens /dev/null to reserve one, so a number never collides with a
 *   real fd and the fds that structs carry mean the same on both sides.
 * - dup, dup2, dup3 and fcntl(F_DUPFD, F_DUPFD_CLOEXEC) of one of our fds duplicate its /dev/null
 *   placeholder with libc (which picks the number, sets FD_CLOEXEC and answers EBADF/EINVAL/EMFILE
 *   as the kernel does), then tell the server (DUP) to make the new number refer to the same
 *   kernel file. dup2/dup3 of any fd onto one of ours drops the kernel file there first.
 * - syscall(2) with the numbers of those calls, on our paths or fds, is served like the libc
 *   wrappers; every other syscall goes to libc's syscall with its six arguments.
 * - While a call runs the server reads and writes this process's memory through callbacks
 *   (MEM_READ, MEM_WRITE, MEM_PROBE), served with process_vm_readv/process_vm_writev on our own
 *   pid: a bad pointer is EFAULT, never a crash. An ioctl sends up to PREFETCH_MAX readable bytes
 *   of its struct with the request, which saves the round trips of reading it.
 * - One connection per thread (thread-local), opened on the thread's first call; a forked child
 *   drops the inherited one and connects at once, saying HELLO with its parent's pid so that it
 *   holds its parent's files (the server closes a file when no process holds it any more, and
 *   drops the holds of a process whose connections all ended: it exited).
 * - MEM_PROBE with a2 = 1 asks whether a range could be pinned for writing: readable (as above) and
 *   inside mappings with write permission in /proc/self/maps, as pin_user_pages(FOLL_WRITE) needs;
 *   the bytes are not touched.
 * - A callback whose a3 is another pid (a fork's child or parent, whose pages a map of its own
 *   holds) is served on that process's memory: process_vm_readv/process_vm_writev on the pid and
 *   /proc/PID/maps; a probe of length 0 asks whether it still has an address space. Anything that
 *   fails (the process is gone, or not ours to read) is EFAULT.
 * - FILE_INFO (IOMMU_IOAS_MAP_FILE's fget) answers for one of the process's real fds: whether it is
 *   a shmem or hugetlbfs file (fstatfs), its size (fstat), and where a MAP_SHARED mapping of it
 *   covers the whole range (/proc/self/maps: same device and inode, consecutive lines), or 0.
 * - The guest memories the server announces are mapped at their addresses (anonymous, private), so
 *   buffers there are real memory of the process; IOMMU_IOAS_MAP may also map any other buffer.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
  HELLO = 1, OPEN = 2, CLOSE = 3, IOCTL = 4, READ = 5, WRITE = 6, PREAD = 7, PWRITE = 8, DUP = 9,
  POLL = 10,
  RESULT = 16, MEM_READ = 17, MEM_WRITE = 18, MEM_PROBE = 19, FD_ALLOC = 20, FILE_INFO = 21,
  DATA = 32, STATUS = 33,
};

struct msg {
  uint32_t type;
  uint32_t len;
  uint64_t a[4];
};
_Static_assert(sizeof(struct msg) == 40, "the wire header is 40 bytes");

#define MAX_FD 65536
#define MAX_DATA (16u << 20)
#define PROBE_CHUNK 65536
#define PREFETCH_MAX 512 /* bytes of an ioctl's struct sent along with the request */
#define MAX_DUP_TRIES 64

/* What each of our fds is: 0 not ours, 'i' /dev/iommu, 'd' a VFIO cdev, 'x' another kernel file. */
static unsigned char kind[MAX_FD];

static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_close)(int);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pread)(int, void *, size_t, off_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_fcntl)(int, int, ...);
static int (*real_fcntl64)(int, int, ...);
static long (*real_syscall)(long, ...);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);

static __thread int conn = -1;
static __thread pid_t conn_pid;
static __thread unsigned char *scratch;
static __thread size_t scratch_size;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int mapped_guest; /* guest memories mapped in this process */

static void resolve(void) {
  real_open = dlsym(RTLD_NEXT, "open");
  real_openat = dlsym(RTLD_NEXT, "openat");
  real_close = dlsym(RTLD_NEXT, "close");
  real_ioctl = dlsym(RTLD_NEXT, "ioctl");
  real_read = dlsym(RTLD_NEXT, "read");
  real_write = dlsym(RTLD_NEXT, "write");
  real_pread = dlsym(RTLD_NEXT, "pread");
  real_pwrite = dlsym(RTLD_NEXT, "pwrite");
  real_mmap = dlsym(RTLD_NEXT, "mmap");
  real_dup = dlsym(RTLD_NEXT, "dup");
  real_dup2 = dlsym(RTLD_NEXT, "dup2");
  real_dup3 = dlsym(RTLD_NEXT, "dup3");
  real_fcntl = dlsym(RTLD_NEXT, "fcntl");
  real_fcntl64 = dlsym(RTLD_NEXT, "fcntl64"); /* glibc 2.28+ */
  if (!real_fcntl64) real_fcntl64 = real_fcntl;
  real_syscall = dlsym(RTLD_NEXT, "syscall");
  real_poll = dlsym(RTLD_NEXT, "poll");
  real_ppoll = dlsym(RTLD_NEXT, "ppoll");
}

static void init(void) { pthread_once(&once, resolve); }

static int ours(int fd) { return fd >= 0 && fd < MAX_FD && __atomic_load_n(&kind[fd], __ATOMIC_ACQUIRE); }

static const char *socket_path(void) { return getenv("JVFIO_SOCKET"); }

static int intercepted(const char *path) {
  return path && socket_path() &&
         (strcmp(path, "/dev/iommu") == 0 || strncmp(path, "/dev/vfio/", 10) == 0);
}

static void die(const char *what) {
  fprintf(stderr, "libjvfio-preload: %s: %s\n", what, strerror(errno));
  abort();
}

static void send_all(const void *p, size_t n) {
  const char *c = p;
  while (n > 0) {
    ssize_t w = send(conn, c, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) die("lost the jvfio server");
    c += w;
    n -= (size_t)w;
  }
}

static void recv_all(void *p, size_t n) {
  char *c = p;
  while (n > 0) {
    ssize_t r = recv(conn, c, n, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) die("lost the jvfio server");
    c += r;
    n -= (size_t)r;
  }
}

static void send_msg(uint32_t type, int64_t a0, int64_t a1, const void *data, uint32_t len) {
  struct msg m = {type, len, {(uint64_t)a0, (uint64_t)a1, 0, 0}};
  send_all(&m, sizeof m);
  if (len) send_all(data, len);
}

static unsigned char *buffer(size_t n) {
  if (n > scratch_size) {
    free(scratch);
    scratch = malloc(n);
    if (!scratch) die("malloc");
    scratch_size = n;
  }
  return scratch;
}

/* Copies between the memory at addr of process pid (0: this one) and buf; 0, or -EFAULT if any
 * byte is bad or the process cannot be reached (gone, or not ours to read). */
static int64_t vm_copy_pid(pid_t pid, void *buf, uint64_t addr, size_t n, int to_user) {
  struct iovec local = {buf, n}, remote = {(void *)(uintptr_t)addr, n};
  pid_t target = pid ? pid : getpid();
  ssize_t done = to_user ? process_vm_writev(target, &local, 1, &remote, 1, 0)
                         : process_vm_readv(target, &local, 1, &remote, 1, 0);
  return done == (ssize_t)n ? 0 : -EFAULT;
}

static int64_t vm_copy(void *buf, uint64_t addr, size_t n, int to_user) {
  return vm_copy_pid(0, buf, addr, n, to_user);
}

/* The pid a callback's a3 names: 0 (the caller) for our own. */
static pid_t callback_pid(uint64_t a3) { return a3 == 0 || (pid_t)a3 == getpid() ? 0 : (pid_t)a3; }

/* Opens the maps of process pid (0: ours). */
static int open_maps(pid_t pid) {
  char path[64];
  if (pid == 0) return real_open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
  return real_open(path, O_RDONLY | O_CLOEXEC);
}

/* Whether process pid still has an address space: its maps list a mapping (a zombie's are empty,
 * a reaped process has none). 0, or -EFAULT. */
static int64_t has_mm(pid_t pid) {
  char c;
  int fd = open_maps(pid);
  if (fd < 0) return -EFAULT;
  ssize_t n = real_read(fd, &c, 1);
  real_close(fd);
  return n == 1 ? 0 : -EFAULT;
}

static void map_guest_memory(const unsigned char *list, uint32_t len) {
  char env[1024] = "";
  size_t used = 0;
  for (uint32_t off = 0; off + 16 <= len; off += 16) {
    uint64_t base, size;
    memcpy(&base, list + off, 8);
    memcpy(&size, list + off + 8, 8);
    void *p = real_mmap((void *)(uintptr_t)base, size, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)(uintptr_t)base) die("mapping the guest memory");
    used += (size_t)snprintf(env + used, sizeof env - used, "%s0x%llx:0x%llx", used ? "," : "",
                             (unsigned long long)base, (unsigned long long)size);
  }
  setenv("JVFIO_GUEST_MEMORY", env, 1);
}

/*
 * Calls line(text, state) for each line of the maps of process pid (0: ours), in address order,
 * until it returns nonzero. Returns -1 if the maps cannot be opened, else 0.
 */
static int each_map_line(pid_t pid, int (*line)(const char *, void *), void *state) {
  char buf[4096];
  size_t have = 0;
  int stop = 0;
  int fd = open_maps(pid);
  if (fd < 0) return -1;
  while (!stop) {
    ssize_t n = real_read(fd, buf + have, sizeof buf - 1 - have);
    if (n <= 0) break;
    have += (size_t)n;
    buf[have] = 0;
    char *at = buf, *nl;
    while (!stop && (nl = strchr(at, '\n')) != NULL) {
      *nl = 0;
      stop = line(at, state);
      at = nl + 1;
    }
    have -= (size_t)(at - buf);
    memmove(buf, at, have);
  }
  real_close(fd);
  return 0;
}

struct writable_walk {
  uint64_t cursor, end;
};

/* "start-end perms ...": extends the writable run from cursor; stops at a hole or a read-only one. */
static int writable_line(const char *line, void *state) {
  struct writable_walk *w = state;
  unsigned long long s, e;
  char perms[5];
  if (sscanf(line, "%llx-%llx %4s", &s, &e, perms) != 3 || e <= w->cursor) return 0;
  if (s > w->cursor || perms[1] != 'w') return 1;
  w->cursor = e;
  return w->cursor >= w->end;
}

/* Whether [addr, addr + len) of process pid (0: ours) lies in mappings with write permission: 0,
 * or -EFAULT. */
static int64_t writable(pid_t pid, uint64_t addr, uint64_t len) {
  struct writable_walk w = {addr, addr + len};
  if (each_map_line(pid, writable_line, &w) < 0) return -EFAULT;
  return w.cursor >= w.end ? 0 : -EFAULT;
}

#define TMPFS_MAGIC_ 0x01021994
#define HUGETLBFS_MAGIC_ 0x958458f6

struct shared_walk {
  dev_t dev;
  ino_t ino;
  uint64_t start, len;
  uint64_t va, next_va, reach; /* the run found so far: file offsets up to reach */
};

/* "start-end perms offset maj:min inode path": follows a run of shared mappings of the file. */
static int shared_line(const char *line, void *state) {
  struct shared_walk *w = state;
  unsigned long long s, e, off, inode;
  unsigned int maj, mnr;
  char perms[5];
  int same = sscanf(line, "%llx-%llx %4s %llx %x:%x %llu", &s, &e, perms, &off, &maj, &mnr,
                    &inode) == 7 &&
             perms[3] == 's' && maj == major(w->dev) && mnr == minor(w->dev) && inode == w->ino;
  uint64_t want = w->start + w->len;
  if (w->va != 0 && w->reach < want && !(same && s == w->next_va && off == w->reach))
    w->va = 0; /* the run broke before covering the range */
  if (w->va == 0 && same && off <= w->start && w->start < off + (e - s))
    w->va = s + (w->start - off);
  if (w->va != 0 && w->reach < want && same) {
    w->next_va = e;
    w->reach = off + (e - s);
  }
  return 0;
}

/*
 * The address of file offset start in MAP_SHARED mappings of the file (dev, ino) that cover
 * [start, start + len) without a gap (consecutive lines of /proc/self/maps), or 0.
 */
static uint64_t shared_mapping(dev_t dev, ino_t ino, uint64_t start, uint64_t len) {
  struct shared_walk w = {.dev = dev, .ino = ino, .start = start, .len = len};
  if (each_map_line(0, shared_line, &w) < 0) return 0;
  return w.va != 0 && w.reach >= start + len ? w.va : 0;
}

/* FILE_INFO: {shmem, size, shared mapping address or 0, st_dev, st_ino}, or -EBADF. */
static void file_info(int fd, uint64_t start, uint64_t len) {
  struct stat st;
  struct statfs sf;
  if (fstat(fd, &st) != 0) {
    send_msg(DATA, -EBADF, 0, NULL, 0);
    return;
  }
  uint64_t out[5] = {
      S_ISREG(st.st_mode) && fstatfs(fd, &sf) == 0 &&
          ((unsigned long)sf.f_type == TMPFS_MAGIC_ || (unsigned long)sf.f_type == HUGETLBFS_MAGIC_),
      (uint64_t)st.st_size, shared_mapping(st.st_dev, st.st_ino, start, len), (uint64_t)st.st_dev,
      (uint64_t)st.st_ino};
  send_msg(DATA, 0, 0, out, sizeof out);
}

/* Serves the server's callbacks until RESULT; returns its value. */
static int64_t finish(void) {
  for (;;) {
    struct msg m;
    recv_all(&m, sizeof m);
    switch (m.type) {
    case RESULT: {
      unsigned char *data = buffer(m.len ? m.len : 1);
      if (m.len) recv_all(data, m.len);
      if (!mapped_guest && m.len) {
        mapped_guest = 1;
        map_guest_memory(data, m.len);
      }
      return (int64_t)m.a[0];
    }
    case MEM_READ: {
      unsigned char *buf = buffer(m.a[1] ? m.a[1] : 1);
      int64_t rc = vm_copy_pid(callback_pid(m.a[3]), buf, m.a[0], m.a[1], 0);
      send_msg(DATA, rc, 0, buf, rc == 0 ? (uint32_t)m.a[1] : 0);
      break;
    }
    case MEM_WRITE: {
      unsigned char *buf = buffer(m.len ? m.len : 1);
      recv_all(buf, m.len);
      send_msg(STATUS, vm_copy_pid(callback_pid(m.a[3]), buf, m.a[0], m.len, 1), 0, NULL, 0);
      break;
    }
    case MEM_PROBE: {
      unsigned char *buf = buffer(PROBE_CHUNK);
      pid_t pid = callback_pid(m.a[3]);
      int64_t rc = pid && m.a[1] == 0 ? has_mm(pid) : 0;
      for (uint64_t off = 0; off < m.a[1] && rc == 0; off += PROBE_CHUNK) {
        uint64_t n = m.a[1] - off < PROBE_CHUNK ? m.a[1] - off : PROBE_CHUNK;
        rc = vm_copy_pid(pid, buf, m.a[0] + off, n, 0);
      }
      if (rc == 0 && m.a[2] == 1) rc = writable(pid, m.a[0], m.a[1]);
      send_msg(STATUS, rc, 0, NULL, 0);
      break;
    }
    case FD_ALLOC: {
      int fd = real_open("/dev/null", O_RDWR | O_CLOEXEC);
      if (fd >= MAX_FD) {
        real_close(fd);
        fd = -1;
        errno = EMFILE;
      }
      if (fd >= 0) __atomic_store_n(&kind[fd], 'x', __ATOMIC_RELEASE);
      send_msg(STATUS, fd >= 0 ? fd : -errno, 0, NULL, 0);
      break;
    }
    case FILE_INFO:
      file_info((int)m.a[0], m.a[1], m.a[2]);
      break;
    default:
      errno = EPROTO;
      die("unexpected message from the jvfio server");
    }
  }
}

static void connect_thread(void) {
  if (conn >= 0 && conn_pid == getpid()) return;
  if (conn >= 0) real_close(conn); /* inherited through fork: the parent's */
  conn = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (conn < 0) die("socket");
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  strncpy(sa.sun_path, socket_path(), sizeof sa.sun_path - 1);
  if (connect(conn, (struct sockaddr *)&sa, sizeof sa) < 0) die(socket_path());
  conn_pid = getpid();
  send_msg(HELLO, conn_pid, getppid(), NULL, 0);
  finish();
}

/* One system call on the server: returns its result, setting errno and returning -1 on failure. */
static int64_t call(uint32_t type, int64_t a0, int64_t a1, int64_t a2, int64_t a3, const void *data,
                    uint32_t len) {
  int saved = errno;
  connect_thread();
  struct msg m = {type, len, {(uint64_t)a0, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3}};
  send_all(&m, sizeof m);
  if (len) send_all(data, len);
  int64_t rc = finish();
  if (rc < 0) {
    errno = (int)-rc;
    return -1;
  }
  errno = saved;
  return rc;
}

static int open_remote(const char *path, int flags) {
  int fd = (int)call(OPEN, 0, 0, 0, 0, path, (uint32_t)strlen(path));
  if (fd >= 0) {
    __atomic_store_n(&kind[fd], strcmp(path, "/dev/iommu") == 0 ? 'i' : 'd', __ATOMIC_RELEASE);
    if (!(flags & O_CLOEXEC)) real_fcntl(fd, F_SETFD, 0);
  }
  return fd;
}

static mode_t mode_arg(int flags, va_list ap) {
  return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, mode_t) : 0;
}

int open(const char *path, int flags, ...) {
  init();
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return intercepted(path) ? open_remote(path, flags) : real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
  init();
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return intercepted(path) ? open_remote(path, flags) : real_open(path, flags | O_LARGEFILE, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
  init();
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return intercepted(path) ? open_remote(path, flags) : real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
  init();
  va_list ap;
  va_start(ap, flags);
  mode_t mode = mode_arg(flags, ap);
  va_end(ap);
  return intercepted(path) ? open_remote(path, flags)
                           : real_openat(dirfd, path, flags | O_LARGEFILE, mode);
}

/* _FORTIFY_SOURCE turns open() with flags that are not constant into these. */
int __open_2(const char *path, int flags) { return open(path, flags); }

int __open64_2(const char *path, int flags) { return open64(path, flags); }

int __openat_2(int dirfd, const char *path, int flags) { return openat(dirfd, path, flags); }

int __openat64_2(int dirfd, const char *path, int flags) { return openat64(dirfd, path, flags); }

int close(int fd) {
  init();
  if (!ours(fd)) return real_close(fd);
  int rc = (int)call(CLOSE, fd, 0, 0, 0, NULL, 0);
  int saved = errno;
  __atomic_store_n(&kind[fd], 0, __ATOMIC_RELEASE);
  real_close(fd);
  errno = saved;
  return rc;
}

/* The server's file at our fd `fd` is no longer ours (the number now holds a real file). */
static void forget(int fd) {
  int saved = errno;
  __atomic_store_n(&kind[fd], 0, __ATOMIC_RELEASE);
  call(CLOSE, fd, 0, 0, 0, NULL, 0);
  errno = saved;
}

/* newfd is a libc duplicate of our oldfd's placeholder: makes it refer to oldfd's kernel file,
 * replacing what newfd referred to. Returns newfd, or -1 with errno (newfd is then closed). */
static int install_dup(int oldfd, int newfd) {
  if (newfd >= MAX_FD) {
    real_close(newfd);
    errno = EMFILE;
    return -1;
  }
  if (call(DUP, oldfd, newfd, 0, 0, NULL, 0) < 0) {
    int saved = errno;
    if (ours(newfd)) forget(newfd); /* dup2 onto one of ours: the server still had it */
    real_close(newfd);
    errno = saved;
    return -1;
  }
  __atomic_store_n(&kind[newfd], kind[oldfd], __ATOMIC_RELEASE);
  return newfd;
}

/* dup (cmd -1), F_DUPFD or F_DUPFD_CLOEXEC of our fd. A number another process of the server
 * holds for another file is refused (EBUSY: the server has one fd table); the next one above it
 * is tried. */
static int dup_ours(int fd, int cmd, int from) {
  for (int tries = 0; tries < MAX_DUP_TRIES; tries++) {
    int nfd = cmd < 0 ? real_dup(fd) : real_fcntl(fd, cmd, from);
    if (nfd < 0) return -1;
    int rc = install_dup(fd, nfd);
    if (rc >= 0 || errno != EBUSY) return rc;
    cmd = cmd < 0 ? F_DUPFD : cmd;
    from = nfd + 1;
  }
  errno = EMFILE;
  return -1;
}

/* dup2, or dup3 with flags, onto newfd; libc checks the arguments (for dup3: the flags, then
 * oldfd == newfd, then the fds). */
static int dup_onto(int oldfd, int newfd, int three, int flags) {
  init();
  int replaced = oldfd != newfd && ours(newfd);
  if (ours(oldfd) && newfd >= MAX_FD && (!three || !(flags & ~O_CLOEXEC))) {
    errno = EBADF; /* beyond the numbers the library tracks: as if past RLIMIT_NOFILE */
    return -1;
  }
  int rc = three ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
  if (rc < 0 || oldfd == newfd) return rc;
  if (ours(oldfd)) return install_dup(oldfd, newfd);
  if (replaced) forget(newfd);
  return rc;
}

int dup(int fd) {
  init();
  return ours(fd) ? dup_ours(fd, -1, 0) : real_dup(fd);
}

int dup2(int oldfd, int newfd) { return dup_onto(oldfd, newfd, 0, 0); }

int dup3(int oldfd, int newfd, int flags) { return dup_onto(oldfd, newfd, 1, flags); }

static int is_dupfd(int cmd) { return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC; }

/* fcntl and fcntl64 (what <fcntl.h> names fcntl with _FILE_OFFSET_BITS=64). The third argument
 * is taken as a long whatever the command (an int, a pointer or nothing), as glibc's own fcntl
 * takes it on x86-64. */
#define FCNTL(name, real)                                                                        \
  int name(int fd, int cmd, ...) {                                                               \
    init();                                                                                      \
    va_list ap;                                                                                  \
    va_start(ap, cmd);                                                                           \
    long arg = va_arg(ap, long);                                                                 \
    va_end(ap);                                                                                  \
    return is_dupfd(cmd) && ours(fd) ? dup_ours(fd, cmd, (int)arg) : real(fd, cmd, arg);         \
  }
FCNTL(fcntl, real_fcntl)
FCNTL(fcntl64, real_fcntl64)

int ioctl(int fd, unsigned long request, ...) {
  init();
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  if (!ours(fd)) return real_ioctl(fd, request, arg);
  /* Send the struct's first bytes along (its leading u32 is the size or argsz of every iommufd
   * and VFIO struct): the server reads them from the request instead of asking. Only bytes that
   * are readable now are sent; the rest the server asks for, and gets EFAULT where it should. */
  unsigned char pre[PREFETCH_MAX];
  uint32_t size = 0, len = 0;
  if (vm_copy(&size, (uintptr_t)arg, sizeof size, 0) == 0) {
    uint32_t want = size < sizeof size ? sizeof size : size > PREFETCH_MAX ? PREFETCH_MAX : size;
    len = vm_copy(pre, (uintptr_t)arg, want, 0) == 0 ? want : 0;
  }
  return (int)call(IOCTL, fd, (int64_t)(uint32_t)request, (int64_t)(uintptr_t)arg, 0, pre, len);
}

ssize_t read(int fd, void *buf, size_t count) {
  init();
  if (!ours(fd)) return real_read(fd, buf, count);
  return call(READ, fd, (int64_t)(uintptr_t)buf, (int64_t)count, 0, NULL, 0);
}

ssize_t write(int fd, const void *buf, size_t count) {
  init();
  if (!ours(fd)) return real_write(fd, buf, count);
  return call(WRITE, fd, (int64_t)(uintptr_t)buf, (int64_t)count, 0, NULL, 0);
}

ssize_t pread(int fd, void *buf, size_t count, off_t off) {
  init();
  if (!ours(fd)) return real_pread(fd, buf, count, off);
  return call(PREAD, fd, (int64_t)(uintptr_t)buf, (int64_t)count, off, NULL, 0);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t off) {
  init();
  if (!ours(fd)) return real_pwrite(fd, buf, count, off);
  return call(PWRITE, fd, (int64_t)(uintptr_t)buf, (int64_t)count, off, NULL, 0);
}

ssize_t pread64(int fd, void *buf, size_t count, off_t off) { return pread(fd, buf, count, off); }

ssize_t pwrite64(int fd, const void *buf, size_t count, off_t off) {
  return pwrite(fd, buf, count, off);
}

/* _FORTIFY_SOURCE turns read() into a buffer of known size into these; libc's versions would
 * call its own read directly. */
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen) {
  if (count > buflen) abort(); /* __chk_fail */
  return read(fd, buf, count);
}

ssize_t __pread_chk(int fd, void *buf, size_t count, off_t off, size_t buflen) {
  if (count > buflen) abort();
  return pread(fd, buf, count, off);
}

ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t off, size_t buflen) {
  return __pread_chk(fd, buf, count, off, buflen);
}

/* poll and ppoll over a set that holds one of our fds: the server answers for ours (POLL: one
 * pollfd, without waiting), the kernel for the others. While nothing is ready the wait is the
 * kernel's, on the others alone (ours set to -1, which poll ignores), in steps of at most
 * POLL_STEP_NS: another fd wakes it at once, an event on one of ours is seen within a step. Only
 * the wait runs under ppoll's signal mask. */
#define POLL_STEP_NS 1000000L

static int any_ours(const struct pollfd *fds, nfds_t n) {
  for (nfds_t i = 0; i < n; i++)
    if (ours(fds[i].fd)) return 1;
  return 0;
}

static int64_t ns_of(struct timespec t) { return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec; }

static int poll_ours(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
                     const sigset_t *mask) {
  if (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000)) {
    errno = EINVAL;
    return -1;
  }
  struct pollfd *others = calloc(n, sizeof *others);
  if (!others) return -1; /* ENOMEM, as the kernel for a set it cannot copy */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int64_t deadline = timeout ? ns_of(now) + ns_of(*timeout) : INT64_MAX;
  int ready;
  for (;;) {
    ready = 0;
    for (nfds_t i = 0; i < n; i++) {
      others[i] = fds[i];
      if (ours(fds[i].fd)) {
        int64_t r = call(POLL, fds[i].fd, (uint16_t)fds[i].events, 0, 0, NULL, 0);
        fds[i].revents = r < 0 ? POLLNVAL : (short)r;
        ready += fds[i].revents != 0;
        others[i].fd = -1;
      }
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t left = deadline - ns_of(now);
    int64_t step = ready || left <= 0 ? 0 : left < POLL_STEP_NS ? left : POLL_STEP_NS;
    struct timespec ts = {step / 1000000000, step % 1000000000};
    if (real_ppoll(others, n, &ts, mask) < 0) {
      ready = -1; /* EINTR from a signal, as the kernel's poll */
      break;
    }
    for (nfds_t i = 0; i < n; i++) {
      if (others[i].fd == -1 && fds[i].fd >= 0) continue; /* ours */
      fds[i].revents = others[i].revents;
      ready += others[i].revents != 0;
    }
    if (ready || left <= POLL_STEP_NS) break;
  }
  free(others);
  return ready;
}

int poll(struct pollfd *fds, nfds_t n, int timeout_ms) {
  init();
  if (!any_ours(fds, n)) return real_poll(fds, n, timeout_ms);
  struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
  return poll_ours(fds, n, timeout_ms < 0 ? NULL : &ts, NULL);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask) {
  init();
  if (!any_ours(fds, n)) return real_ppoll(fds, n, timeout, mask);
  return poll_ours(fds, n, timeout, mask);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout_ms, size_t fdslen) {
  if (fdslen / sizeof *fds < n) abort(); /* __chk_fail */
  return poll(fds, n, timeout_ms);
}

int __ppoll_chk(struct pollfd *fds, nfds_t n, const struct timespec *timeout, const sigset_t *mask,
                size_t fdslen) {
  if (fdslen / sizeof *fds < n) abort();
  return ppoll(fds, n, timeout, mask);
}

/* No region of a jvfio file is mmappable yet: a VFIO cdev answers EINVAL (no such region), the
 * iommufd and the migration files have no mmap (ENODEV). */
void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t off) {
  init();
  if (!(flags & MAP_ANONYMOUS) && ours(fd)) {
    errno = kind[fd] == 'd' ? EINVAL : ENODEV;
    return MAP_FAILED;
  }
  return real_mmap(addr, length, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t length, int prot, int flags, int fd, off_t off) {
  return mmap(addr, length, prot, flags, fd, off);
}

/* syscall(2): the calls above, by number, on our paths and fds; x86-64 passes six longs. */
long syscall(long number, ...) {
  init();
  va_list ap;
  va_start(ap, number);
  long a[6];
  for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
  va_end(ap);
  int fd = (int)a[0];
  switch (number) {
#ifdef SYS_open
  case SYS_open:
    if (intercepted((const char *)a[0])) return open_remote((const char *)a[0], (int)a[1]);
    break;
#endif
  case SYS_openat:
    if (intercepted((const char *)a[1])) return open_remote((const char *)a[1], (int)a[2]);
    break;
  case SYS_close:
    if (ours(fd)) return close(fd);
    break;
  case SYS_ioctl:
    if (ours(fd)) return ioctl(fd, (unsigned long)a[1], (void *)a[2]);
    break;
  case SYS_read:
    if (ours(fd)) return read(fd, (void *)a[1], (size_t)a[2]);
    break;
  case SYS_write:
    if (ours(fd)) return write(fd, (const void *)a[1], (size_t)a[2]);
    break;
  case SYS_pread64:
    if (ours(fd)) return pread(fd, (void *)a[1], (size_t)a[2], (off_t)a[3]);
    break;
  case SYS_pwrite64:
    if (ours(fd)) return pwrite(fd, (const void *)a[1], (size_t)a[2], (off_t)a[3]);
    break;
  case SYS_dup:
    if (ours(fd)) return dup(fd);
    break;
#ifdef SYS_dup2
  case SYS_dup2:
    if (ours(fd) || ours((int)a[1])) return dup2(fd, (int)a[1]);
    break;
#endif
  case SYS_dup3:
    if (ours(fd) || ours((int)a[1])) return dup3(fd, (int)a[1], (int)a[2]);
    break;
  case SYS_fcntl:
    if (ours(fd) && is_dupfd((int)a[1])) return dup_ours(fd, (int)a[1], (int)a[2]);
    break;
  case SYS_mmap:
    if (ours((int)a[4]) && !(a[3] & MAP_ANONYMOUS))
      return (long)mmap((void *)a[0], (size_t)a[1], (int)a[2], (int)a[3], (int)a[4], (off_t)a[5]);
    break;
  }
  return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* A forked child holds its parent's files: it says HELLO (with its parent's pid) at once, before
 * the parent can close one of them. */
static void forked_child(void) {
  if (socket_path()) connect_thread();
}

/* At exit (exit(3) or a return from main; after the program's atexit handlers and destructors)
 * the calling thread's connection says goodbye: it shuts down its side and waits until the server
 * has closed it, which the server does only after dropping this process's files if it was its last
 * connection. So, as in the kernel, a process's files are closed, and its memory is known to be
 * gone, before its parent's wait returns. (_exit and a signal skip this: the server then learns of
 * the exit when it reads the end of the connection, a moment later.) */
__attribute__((destructor)) static void stop(void) {
  if (conn < 0 || conn_pid != getpid()) return;
  char c;
  shutdown(conn, SHUT_WR);
  for (;;) {
    ssize_t r = recv(conn, &c, 1, 0);
    if (r == 0 || (r < 0 && errno != EINTR)) break;
  }
}

__attribute__((constructor)) static void start(void) {
  init();
  if (!socket_path()) return;
  pthread_atfork(NULL, NULL, forked_child);
  connect_thread(); /* maps the guest memory and exports its addresses */
}
