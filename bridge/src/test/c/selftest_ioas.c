/*
 * A port of the kernel iommufd selftest's FIXTURE iommufd_ioas tests (tools/testing/selftests/
 * iommu/iommufd.c) that selftest_dirty.c leaves out and that need neither access objects nor
 * memory outside the bridge's guest memory: ioas_option_huge_pages, ioas_iova_alloc,
 * and ioas_align_change, on the four variants (no_domain, mock_domain, two_mock_domain,
 * mock_domain_limit); copy_sweep is in selftest_access.c. Same sizes, steps and expected results;
 * our own harness and code. docs/bridge.md ("The selftest port") lists what is ported and what is
 * not.
 */
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

int main(void)
{
	static void (*const tests[])(struct ioas_fixture *) = {
		ioas_option_huge_pages, ioas_iova_alloc, ioas_align_change,
	};
	static const char *const names[] = {
		"ioas_option_huge_pages", "ioas_iova_alloc", "ioas_align_change",
	};

	setup_sizes();
	int run = run_ioas_tests(tests, names, sizeof(tests) / sizeof(tests[0]));
	printf("selftest_ioas: %d fixtures run\n", run);
	printf("selftest_ioas: ok\n");
	return 0;
}
