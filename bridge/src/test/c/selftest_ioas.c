/*
 * A port of the kernel iommufd selftest's FIXTURE iommufd_ioas tests (tools/testing/selftests/
 * iommu/iommufd.c) that selftest_dirty.c leaves out and that need neither access objects nor
 * memory outside the bridge's guest memory: ioas_option_huge_pages, ioas_iova_alloc,
 * ioas_align_change and copy_sweep, on the four variants (no_domain, mock_domain,
 * two_mock_domain, mock_domain_limit). Same sizes, steps and expected results; our own harness and
 * code. copy_sweep copies with FIXED_IOVA | WRITEABLE, as the selftest does since the kernel
 * refuses a copy with neither READABLE nor WRITEABLE (EINVAL). docs/bridge.md ("The selftest port")
 * lists what is ported and what is not.
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

/* IOAS_COPY of MOCK_PAGE_SIZE from every 511th IOVA around the mapping into another IOAS. */
static void copy_sweep(struct ioas_fixture *self)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd), .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE,
		.src_ioas_id = self->ioas_id, .dst_iova = MOCK_APERTURE_START,
		.length = MOCK_PAGE_SIZE,
	};
	__u64 last_iova = MOCK_APERTURE_START + BUFFER_SIZE - (self->mock_domains ? 1 : 2);
	__u32 dst;

	ASSERT_OK(ioas_alloc(self->fd, &dst));
	cmd.dst_ioas_id = dst;
	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, last_iova - MOCK_APERTURE_START + 1,
			    MOCK_APERTURE_START));
	for (__u64 iova = MOCK_APERTURE_START - page_size; iova <= last_iova; iova += 511) {
		cmd.src_iova = iova;
		if (iova < MOCK_APERTURE_START || iova + cmd.length - 1 > last_iova) {
			ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_COPY, &cmd));
		} else {
			ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_COPY, &cmd));
			ASSERT_OK(ioas_unmap(self->fd, dst, cmd.dst_iova, cmd.length, NULL));
		}
	}
	ASSERT_OK(destroy(self->fd, dst));
}

int main(void)
{
	static char name[128];
	int tests = 0;

	setup_sizes();

	static const struct {
		const char *name;
		unsigned int mock_domains, memory_limit;
	} variants[] = {
		{"no_domain", 0, 0}, {"mock_domain", 1, 0}, {"two_mock_domain", 2, 0},
		{"mock_domain_limit", 1, 16},
	};
	static void (*const ioas_tests[])(struct ioas_fixture *) = {
		ioas_option_huge_pages, ioas_iova_alloc, ioas_align_change, copy_sweep,
	};
	static const char *const ioas_names[] = {
		"ioas_option_huge_pages", "ioas_iova_alloc", "ioas_align_change", "copy_sweep",
	};
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		for (size_t t = 0; t < sizeof(ioas_tests) / sizeof(ioas_tests[0]); t++) {
			struct ioas_fixture self;

			snprintf(name, sizeof(name), "iommufd_ioas.%s.%s", variants[v].name,
				 ioas_names[t]);
			current = name;
			ioas_setup(&self, variants[v].mock_domains, variants[v].memory_limit);
			ioas_tests[t](&self);
			teardown_iommufd(self.fd);
			tests++;
		}
	}

	printf("selftest_ioas: %d fixtures run\n", tests);
	printf("selftest_ioas: ok\n");
	return 0;
}
