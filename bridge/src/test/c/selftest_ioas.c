/*
 * A port of the kernel iommufd selftest's FIXTURE iommufd_ioas tests (tools/testing/selftests/
 * iommu/iommufd.c) that selftest_dirty.c and selftest_access.c leave out: ioas_option_huge_pages,
 * ioas_iova_alloc, ioas_align_change, and fork_gone and fork_present (an access reaching the pages
 * a forked child mapped with its own mm), on the four variants (no_domain, mock_domain,
 * two_mock_domain, mock_domain_limit); copy_sweep is in selftest_access.c. Same sizes, steps and
 * expected results; our own harness and code. docs/bridge.md ("The selftest port") lists what is
 * ported and what is not.
 */
#define _GNU_SOURCE /* pipe2 */
#include <sys/eventfd.h>
#include <sys/wait.h>
#include "selftest_utils.h"

static void ioas_option_huge_pages(struct ioas_fixture *self)
{
	__u64 val = 3;

	ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id, IOMMU_OPTION_OP_GET,
			 &val));
	ASSERT_EQ(1, val);
	val = 0;
	ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id, IOMMU_OPTION_OP_SET,
			 &val));
	val = 3;
	ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id, IOMMU_OPTION_OP_GET,
			 &val));
	ASSERT_EQ(0, val);
	val = 2;
	ASSERT_ERRNO(EINVAL, option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id,
				    IOMMU_OPTION_OP_SET, &val));
	val = 1;
	ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id, IOMMU_OPTION_OP_SET,
			 &val));
}

/* Every length below two pages: a domain needs MOCK_PAGE_SIZE multiples, no domain anything. */
static void ioas_iova_alloc(struct ioas_fixture *self)
{
	for (unsigned long length = 1; length != page_size * 2; length++) {
		__u64 iova;

		if (self->mock_domains && length % MOCK_PAGE_SIZE) {
			ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, buffer, length, &iova,
						      false));
		} else {
			ASSERT_OK(ioas_map(self->fd, self->ioas_id, buffer, length, &iova, false));
			ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, iova, length, NULL));
		}
	}
}

static void ioas_align_change(struct ioas_fixture *self)
{
	__u64 val = 0; /* huge pages off: everything aligned to PAGE_SIZE */

	/* The alignment cannot be raised while a domain has a mapping */
	if (self->mock_domains)
		return;

	/* Raised when what is mapped is aligned */
	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, page_size, MOCK_APERTURE_START));
	ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id, IOMMU_OPTION_OP_SET,
			 &val));

	/* A misaligned map is refused */
	ASSERT_ERRNO(EINVAL, map_fixed(self->fd, self->ioas_id, buffer + MOCK_PAGE_SIZE, page_size,
				       MOCK_APERTURE_START + page_size));
	ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id, IOMMU_OPTION_OP_SET,
			 &val));

	/* Lowered again */
	val = 1;
	ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id, IOMMU_OPTION_OP_SET,
			 &val));

	/* Raising it over a misaligned mapping is refused */
	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer + MOCK_PAGE_SIZE, page_size,
			    MOCK_APERTURE_START + page_size));
	val = 0;
	ASSERT_ERRNO(EADDRINUSE, option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id,
					IOMMU_OPTION_OP_SET, &val));

	ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, MOCK_APERTURE_START + page_size, page_size,
			     NULL));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, MOCK_APERTURE_START, page_size, NULL));
}

/*
 * fork_gone: a child maps the global buffer (MAP_SHARED) with its own mm and exits. With a domain
 * the child's map pinned the pages, so a new domain copies them from the first and the access
 * reaches them; without one, nothing can pin them any more: EFAULT.
 */
static void fork_gone(struct ioas_fixture *self)
{
	__u32 access_id;
	pid_t child;
	int status;

	ASSERT_OK(create_access(self->fd, self->ioas_id, &access_id, 0));

	/* A mapping made with another mm */
	fflush(NULL);
	child = fork();
	if (!child) {
		ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, BUFFER_SIZE,
				    MOCK_APERTURE_START));
		exit(0);
	}
	ASSERT_TRUE(child != -1);
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0); /* ours: the child's map worked */

	if (self->stdev_id) {
		/* Pinned within the fork: the new domain is filled from the old one */
		ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, NULL, NULL, NULL));
		check_access_rw(self->fd, access_id, MOCK_APERTURE_START, 0);
	} else {
		/* Pinning needs the child's mm, which has gone */
		ASSERT_ERRNO(EFAULT, mock_domain(self->fd, self->ioas_id, 0, NULL, NULL, NULL));
	}
	ASSERT_OK(destroy_access(access_id));
}

/*
 * fork_present: the child maps the buffer and stays, blocked on a pipe, while the parent adds a
 * domain (pinning, if the child's map did not, through the child's mm) and reads and writes the
 * pages through the access, from the child's memory. Closing the pipe lets the child go.
 */
static void fork_present(struct ioas_fixture *self)
{
	__u32 access_id;
	int pipefds[2];
	uint64_t tmp;
	pid_t child;
	int efd, status;

	ASSERT_OK(create_access(self->fd, self->ioas_id, &access_id, 0));
	ASSERT_OK(pipe2(pipefds, O_CLOEXEC));
	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_TRUE(efd != -1);

	/* A mapping made with another mm */
	fflush(NULL);
	child = fork();
	if (!child) {
		uint64_t one = 1;
		char c;

		close(pipefds[1]);
		ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, BUFFER_SIZE,
				    MOCK_APERTURE_START));
		if (write(efd, &one, sizeof(one)) != sizeof(one))
			exit(100);
		/* ours: exit 0 once the parent closes its end (the selftest exits 100 then) */
		exit(read(pipefds[0], &c, 1) == 0 ? 0 : 100);
	}
	ASSERT_OK(close(pipefds[0]));
	ASSERT_TRUE(child != -1);
	ASSERT_EQ(8, read(efd, &tmp, sizeof(tmp)));

	/* Read pages from the remote process */
	ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, NULL, NULL, NULL));
	check_access_rw(self->fd, access_id, MOCK_APERTURE_START, 0);

	ASSERT_OK(close(pipefds[1]));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_OK(close(efd));
	ASSERT_OK(destroy_access(access_id));
}

int main(void)
{
	static void (*const tests[])(struct ioas_fixture *) = {
		ioas_option_huge_pages, ioas_iova_alloc, ioas_align_change, fork_gone, fork_present,
	};
	static const char *const names[] = {
		"ioas_option_huge_pages", "ioas_iova_alloc", "ioas_align_change", "fork_gone",
		"fork_present",
	};

	setup_sizes();
	int run = run_ioas_tests(tests, names, sizeof(tests) / sizeof(tests[0]));
	printf("selftest_ioas: %d fixtures run\n", run);
	printf("selftest_ioas: ok\n");
	return 0;
}
