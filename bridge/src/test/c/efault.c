/*
 * Bad pointers: every one must come back as EFAULT (never a crash of this process), and the fds
 * the bridge hands out must be real, non-colliding fds of this process. Built with
 * _FORTIFY_SOURCE, its open and read go through __open_2 and __read_chk.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "uapi.h"

int main(int argc, char **argv)
{
	(void)argv;
	/* Flags the compiler cannot see: under _FORTIFY_SOURCE this is __open_2. */
	int fd = open("/dev/iommu", argc > 99 ? O_RDONLY : O_RDWR);
	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFD) >= 0); /* a real fd of ours */
	int null = open("/dev/null", O_RDONLY);
	CHECK(null >= 0 && null != fd);
	CHECK(close(null) == 0);

	CHECK_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOC, NULL));
	CHECK_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOC, (void *)8));
	CHECK_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOC, (void *)-4096L));

	/* A struct that runs off the end of the last mapped page. */
	long page = sysconf(_SC_PAGESIZE);
	char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(two != MAP_FAILED);
	CHECK(munmap(two + page, page) == 0);
	struct iommu_ioas_alloc *edge = (void *)(two + page - 8); /* size and flags fit, out_ioas_id not */
	edge->size = sizeof(*edge);
	edge->flags = 0;
	CHECK_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOC, edge));

	/* A read-only struct: the reply cannot be copied back. */
	struct iommu_ioas_alloc *ro = (void *)two;
	ro->size = sizeof(*ro);
	ro->flags = 0;
	CHECK(mprotect(two, page, PROT_READ) == 0);
	CHECK_ERRNO(EFAULT, ioctl(fd, IOMMU_IOAS_ALLOC, ro));

	/* The ioctl that did work still works, and a bad fd is EBADF as ever. */
	struct iommu_ioas_alloc ok = {.size = sizeof(ok)};
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &ok) == 0);
	CHECK(ok.out_ioas_id != 0);
	CHECK_ERRNO(ENOTTY, ioctl(fd, 0x3bffU, &ok));
	CHECK_ERRNO(EINVAL, read(fd, &ok, sizeof(ok)));
	CHECK_ERRNO(EINVAL, pread(fd, &ok, sizeof(ok), 0));
	CHECK_ERRNO(ENODEV, mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0);
	CHECK(close(fd) == 0);
	CHECK_ERRNO(EBADF, close(fd));
	return report("efault");
}
