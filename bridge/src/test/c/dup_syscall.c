/*
 * dup, dup2, dup3, fcntl(F_DUPFD) and raw syscall(2) on jvfio fds, as the kernel's file table
 * answers them: a duplicate refers to the same open file (the same iommufd objects, the same bound
 * device), closing one copy keeps the file, the last close releases it (a bound device is unbound,
 * an iommufd's pins go), and dup2 onto a jvfio fd closes that file first.
 * Run with a device and the test ioctl: bin/jvfio-run --iommufd-test --device stop-copy -- ./dup_syscall
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "uapi.h"

#define IOVA (1UL << 24)
#define LENGTH (64UL * 4096)

static __u32 ioas_alloc(int fd)
{
	struct iommu_ioas_alloc alloc = {.size = sizeof(alloc)};
	return ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) == 0 ? alloc.out_ioas_id : 0;
}

static int bind(int dev, int iommufd)
{
	struct vfio_device_bind_iommufd bind = {.argsz = sizeof(bind), .iommufd = iommufd};
	return ioctl(dev, VFIO_DEVICE_BIND_IOMMUFD, &bind);
}

static int cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);
	return flags >= 0 && (flags & FD_CLOEXEC);
}

/* IOMMU_TEST_OP_MD_CHECK_REFS on a fresh iommufd: every page of the buffer has `refs` pins. */
static int check_refs(void *buffer, __u32 refs)
{
	int fd = open("/dev/iommu", O_RDWR);
	struct iommu_test_cmd cmd = {.size = sizeof(cmd), .op = IOMMU_TEST_OP_MD_CHECK_REFS};
	cmd.check_refs.length = LENGTH;
	cmd.check_refs.uptr = (uintptr_t)buffer;
	cmd.check_refs.refs = refs;
	int rc = ioctl(fd, IOMMU_TEST_CMD, &cmd);
	close(fd);
	return rc;
}

static void dups(void)
{
	int fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0 && ioas_alloc(fd) == 1);
	int copy = dup(fd);
	CHECK(copy >= 0 && copy != fd && !cloexec(copy));
	CHECK(ioas_alloc(copy) == 2); /* the same iommufd */
	CHECK(close(fd) == 0);
	CHECK(ioas_alloc(copy) == 3); /* closing one copy keeps the file */
	struct iommu_destroy destroy = {.size = sizeof(destroy), .id = 1};
	CHECK(ioctl(copy, IOMMU_DESTROY, &destroy) == 0);

	int high = fcntl(copy, F_DUPFD, 100);
	CHECK(high >= 100 && !cloexec(high) && ioas_alloc(high) == 1); /* the id destroyed */
	int high_ce = fcntl(copy, F_DUPFD_CLOEXEC, 200);
	CHECK(high_ce >= 200 && cloexec(high_ce) && ioas_alloc(high_ce) == 4);

	/* dup2 onto a real fd, dup3 with O_CLOEXEC onto a free number */
	int real = open("/dev/null", O_RDONLY);
	CHECK(dup2(copy, real) == real && ioas_alloc(real) == 5);
	CHECK(dup3(copy, 300, O_CLOEXEC) == 300 && cloexec(300) && ioas_alloc(300) == 6);
	CHECK(dup2(copy, copy) == copy);

	/* libc's and the kernel's refusals */
	CHECK_ERRNO(EINVAL, dup3(copy, copy, 0));
	CHECK_ERRNO(EINVAL, dup3(copy, 301, 0x40));
	CHECK_ERRNO(EINVAL, dup3(999, 999, 0));
	CHECK_ERRNO(EBADF, dup3(999, 301, 0));
	CHECK_ERRNO(EBADF, dup2(copy, -1));
	CHECK_ERRNO(EBADF, dup(999));
	CHECK_ERRNO(EINVAL, fcntl(copy, F_DUPFD, -1));
	CHECK_ERRNO(EBADF, fcntl(301, F_GETFD)); /* nothing was installed at 301 */

	/* dup2 of a real fd onto a jvfio fd: the number is a real file again */
	int pipefd[2];
	CHECK(pipe(pipefd) == 0);
	CHECK(dup2(pipefd[0], real) == real);
	int queued = -1;
	CHECK(ioctl(real, FIONREAD, &queued) == 0 && queued == 0);
	CHECK(ioas_alloc(copy) == 7);
	close(pipefd[0]);
	close(pipefd[1]);
	CHECK(close(real) == 0 && close(high) == 0 && close(high_ce) == 0 && close(300) == 0);
	CHECK(ioas_alloc(copy) == 8);
	CHECK(close(copy) == 0);
	CHECK_ERRNO(EBADF, ioctl(copy, IOMMU_IOAS_ALLOC, &(struct iommu_ioas_alloc){.size = 12}));
}

/* A forked child's dup whose lowest free number is one the parent took for a file after the fork:
 * the server has one fd table, so that number is refused and the next one is used. */
static void fork_collision(void)
{
	int fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0 && ioas_alloc(fd) == 1);
	int go[2];
	CHECK(pipe(go) == 0);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		int own = -1;
		CHECK(read(go[0], &own, sizeof(own)) == sizeof(own)); /* the parent's new fd */
		/* The child's table is its parent's at the fork (its new connection took the number
		 * of the old one), so the lowest free number here is the one the parent just took. */
		int probe = fcntl(0, F_DUPFD, 0);
		close(probe);
		CHECK(probe == own);
		int copy = dup(fd);
		CHECK(copy > own && ioas_alloc(copy) == 2);
		_exit(failures ? 1 : 0);
	}
	int own = open("/dev/iommu", O_RDWR);
	CHECK(own >= 0 && write(go[1], &own, sizeof(own)) == sizeof(own));
	int status = 0;
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(ioas_alloc(own) == 1 && ioas_alloc(fd) == 3);
	close(go[0]);
	close(go[1]);
	CHECK(close(own) == 0 && close(fd) == 0);
}

/* A device file is released (unbound) only when its last fd goes, by close or by dup2 onto it. */
static void device_release(void)
{
	int iommufd = open("/dev/iommu", O_RDWR);
	int dev = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(iommufd >= 0 && dev >= 0 && bind(dev, iommufd) == 0);
	int copy = dup(dev);
	int second = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(close(dev) == 0);
	CHECK(ioctl(copy, VFIO_DEVICE_RESET) == 0); /* still bound through the copy */
	CHECK_ERRNO(EINVAL, bind(second, iommufd));
	CHECK(dup2(iommufd, copy) == copy); /* the device's last fd: released */
	CHECK(bind(second, iommufd) == 0);
	CHECK(ioas_alloc(copy) != 0); /* copy is the iommufd now */

	int real = open("/dev/null", O_RDONLY);
	CHECK(dup2(real, second) == second); /* a real fd onto the bound device: released */
	int third = open("/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(bind(third, iommufd) == 0);
	CHECK(close(third) == 0 && close(second) == 0 && close(real) == 0);
	CHECK(close(copy) == 0 && close(iommufd) == 0);
}

/* An iommufd's objects (and the pins of its mappings) go at its last close. */
static void iommufd_release(void)
{
	size_t guest_size;
	char *buffer = guest_memory(&guest_size);
	int fd = open("/dev/iommu", O_RDWR);
	__u32 ioas = ioas_alloc(fd);
	struct iommu_test_cmd md = {.size = sizeof(md), .op = IOMMU_TEST_OP_MOCK_DOMAIN, .id = ioas};
	CHECK(ioctl(fd, IOMMU_TEST_CMD, &md) == 0);
	struct iommu_ioas_map map = {
		.size = sizeof(map), .ioas_id = ioas,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buffer, .length = LENGTH, .iova = IOVA,
	};
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &map) == 0);
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	CHECK(close(fd) == 0);
	CHECK(check_refs(buffer, 1) == 0);
	CHECK(close(copy) == 0);
	CHECK(check_refs(buffer, 0) == 0);
}

/* syscall(2) is served like the libc wrappers on jvfio paths and fds; the rest passes through. */
static void raw_syscalls(void)
{
	long fd = syscall(SYS_openat, AT_FDCWD, "/dev/iommu", O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0 && cloexec((int)fd));
	struct iommu_ioas_alloc alloc = {.size = sizeof(alloc)};
	CHECK(syscall(SYS_ioctl, fd, IOMMU_IOAS_ALLOC, &alloc) == 0 && alloc.out_ioas_id == 1);
	long copy = syscall(SYS_dup, fd);
	CHECK(copy >= 0 && ioas_alloc((int)copy) == 2);
	CHECK(syscall(SYS_dup2, fd, 310) == 310 && ioas_alloc(310) == 3);
	CHECK(syscall(SYS_dup3, fd, 311, O_CLOEXEC) == 311 && cloexec(311) && ioas_alloc(311) == 4);
	CHECK_ERRNO(EINVAL, syscall(SYS_dup3, fd, fd, 0));
	long high = syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 320);
	CHECK(high >= 320 && cloexec((int)high) && ioas_alloc((int)high) == 5);

	/* an iommufd cannot be read, written or mapped (/dev/null, the placeholder, could) */
	char buf[8];
	CHECK_ERRNO(EINVAL, syscall(SYS_read, fd, buf, sizeof(buf)));
	CHECK_ERRNO(EINVAL, syscall(SYS_write, fd, buf, sizeof(buf)));
	errno = 0;
	long rc = pread((int)fd, buf, sizeof(buf), 0);
	int want = errno;
	CHECK(rc == -1 && want != 0);
	CHECK_ERRNO(want, syscall(SYS_pread64, fd, buf, sizeof(buf), 0));
	errno = 0;
	rc = pwrite((int)fd, buf, sizeof(buf), 0);
	want = errno;
	CHECK(rc == -1 && want != 0);
	CHECK_ERRNO(want, syscall(SYS_pwrite64, fd, buf, sizeof(buf), 0));
	CHECK(syscall(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, fd, 0) == (long)MAP_FAILED &&
	      errno == ENODEV);

	long copies[] = {copy, 310, 311, high};
	for (size_t i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
		CHECK(syscall(SYS_close, copies[i]) == 0);
	CHECK(ioas_alloc((int)fd) == 6);
	CHECK(syscall(SYS_close, fd) == 0);
	CHECK_ERRNO(EBADF, syscall(SYS_ioctl, fd, IOMMU_IOAS_ALLOC, &alloc));

	/* a device cdev by SYS_openat too; other numbers and fds pass through */
	long dev = syscall(SYS_openat, AT_FDCWD, "/dev/vfio/devices/vfio0", O_RDWR);
	CHECK(dev >= 0);
	CHECK_ERRNO(EINVAL, syscall(SYS_ioctl, dev, VFIO_DEVICE_RESET)); /* not bound yet */
	CHECK(syscall(SYS_close, dev) == 0);
	CHECK(syscall(SYS_getpid) == getpid());
	int pipefd[2];
	CHECK(pipe(pipefd) == 0 && write(pipefd[1], "abc", 3) == 3);
	int queued = -1;
	CHECK(syscall(SYS_ioctl, pipefd[0], FIONREAD, &queued) == 0 && queued == 3);
	CHECK(syscall(SYS_read, pipefd[0], buf, 3) == 3 && memcmp(buf, "abc", 3) == 0);
	long pdup = syscall(SYS_dup, pipefd[1]);
	CHECK(pdup >= 0 && syscall(SYS_close, pdup) == 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

int main(void)
{
	fork_collision(); /* first: the child's fd table is then predictable */
	dups();
	device_release();
	iommufd_release();
	raw_syscalls();
	return report("dup_syscall");
}
