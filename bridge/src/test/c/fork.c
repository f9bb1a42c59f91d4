/*
 * Files across fork(), as the kernel shares open file descriptions: the child uses the parent's
 * iommufd and closes its copy; the parent's stays open. A file the child opens closes when it
 * exits.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "uapi.h"

static __u32 ioas_alloc(int fd)
{
	struct iommu_ioas_alloc alloc = {.size = sizeof(alloc)};
	return ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) == 0 ? alloc.out_ioas_id : 0;
}

int main(void)
{
	int fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0);
	CHECK(ioas_alloc(fd) == 1);
	fflush(stdout);
	pid_t child = fork();
	if (child == 0) {
		CHECK(ioas_alloc(fd) == 2); /* the same iommufd context */
		CHECK(close(fd) == 0);
		CHECK_ERRNO(EBADF, ioctl(fd, IOMMU_IOAS_ALLOC, &(struct iommu_ioas_alloc){.size = 12}));
		int own = open("/dev/iommu", O_RDWR);
		CHECK(own >= 0 && ioas_alloc(own) == 1);
		_exit(failures ? 1 : 0);
	}
	int status = 0;
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(ioas_alloc(fd) == 3); /* still open here */
	CHECK(close(fd) == 0);
	return report("fork");
}
