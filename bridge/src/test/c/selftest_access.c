/*
 * A port of the kernel iommufd selftest's tests of the in-kernel access (tools/testing/selftests/
 * iommu/iommufd.c and iommufd_utils.h; IOMMU_TEST_OP_CREATE_ACCESS and its siblings of
 * drivers/iommu/iommufd/selftest.c): FIXTURE iommufd_ioas (no_domain, mock_domain,
 * two_mock_domain, mock_domain_limit) x access_domain_destory, access_pin, access_pin_unmap,
 * access_rw, access_rw_unaligned and copy_sweep, and iommufd_mock_domain.user_copy (one and two
 * domains, and the file variant over a memfd mapped with IOMMU_IOAS_MAP_FILE). Same sizes,
 * steps and expected results; our own harness and code. What is left out, and why, is listed in
 * docs/bridge.md ("The selftest port").
 *
 * Buffers the kernel maps are in the bridge's guest memory ($JVFIO_GUEST_MEMORY), placed with
 * MAP_FIXED where the selftest lets mmap choose; MAP_HUGETLB falls back to an ordinary mapping
 * with a note, as in selftest_dirty.c.
 */
#include "selftest_utils.h"

#define PAGE_SIZE page_size
#define HUGEPAGE_SIZE hugepage_size

/* --- iommufd_utils.h: the access helpers, our own versions ---------------------------------- */

static int destroy_access_pages(int fd, __u32 access_id, __u32 item)
{
	struct iommu_test_cmd cmd = {0};
	cmd.destroy_access_pages.access_pages_id = item;
	return test_cmd(fd, &cmd, IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, access_id);
}

static int access_replace_ioas(int fd, __u32 access_id, __u32 ioas)
{
	struct iommu_test_cmd cmd = {0};
	cmd.access_replace_ioas.ioas_id = ioas;
	return test_cmd(fd, &cmd, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, access_id);
}

/* An ACCESS_PAGES command the tests fill and send again and again, as the selftest's access_cmd. */
static int access_pages(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	cmd->op = IOMMU_TEST_OP_ACCESS_PAGES;
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

/* mmap(MAP_HUGETLB | MAP_POPULATE) at a fixed place in guest memory, else an ordinary mapping. */
static void *huge_buffer(size_t size)
{
	char *at = guest + 256UL * 1024 * 1024;
	int flags = MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED;
	void *buf = mmap(at, size, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (buf == MAP_FAILED) {
		printf("# %s: no hugetlb pages (errno %d): an ordinary mapping instead\n", current,
		       errno);
		buf = mmap(at, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	}
	ASSERT_TRUE(buf == at);
	return buf;
}

/* --- FIXTURE(iommufd_ioas): the access tests (setup and variants: selftest_utils.h) -------- */

static void access_domain_destory(struct ioas_fixture *self)
{
	struct iommu_test_cmd access_cmd = {0};
	size_t buf_size = 2 * HUGEPAGE_SIZE;
	access_cmd.access_pages.iova = self->base_iova + PAGE_SIZE;
	access_cmd.access_pages.length = PAGE_SIZE;

	uint8_t *buf = huge_buffer(buf_size);
	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buf, buf_size, self->base_iova));
	ASSERT_OK(create_access(self->fd, self->ioas_id, &access_cmd.id,
				MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES));
	access_cmd.access_pages.uptr = (uintptr_t)buf + PAGE_SIZE;
	ASSERT_OK(access_pages(self->fd, &access_cmd));

	/* Causes a complicated unpin across a huge page boundary */
	if (self->stdev_id)
		ASSERT_OK(destroy(self->fd, self->stdev_id));

	ASSERT_OK(destroy_access_pages(self->fd, access_cmd.id,
				       access_cmd.access_pages.out_access_pages_id));
	ASSERT_OK(destroy_access(access_cmd.id));
	ASSERT_OK(munmap(buf, buf_size));
}

static void access_pin(struct ioas_fixture *self)
{
	struct iommu_test_cmd access_cmd = {0};
	access_cmd.access_pages.iova = MOCK_APERTURE_START;
	access_cmd.access_pages.length = BUFFER_SIZE;
	access_cmd.access_pages.uptr = (uintptr_t)buffer;

	ASSERT_OK(create_access(self->fd, self->ioas_id, &access_cmd.id,
				MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES));
	for (unsigned int npages = 1; npages < BUFFER_SIZE / PAGE_SIZE; npages++) {
		__u32 mock_stdev_id, mock_hwpt_id, access_pages_id;

		access_cmd.access_pages.length = npages * PAGE_SIZE;

		/* Single map/unmap */
		ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, BUFFER_SIZE,
				    MOCK_APERTURE_START));
		ASSERT_OK(access_pages(self->fd, &access_cmd));
		ASSERT_OK(destroy_access_pages(self->fd, access_cmd.id,
					       access_cmd.access_pages.out_access_pages_id));

		/* Double user */
		ASSERT_OK(access_pages(self->fd, &access_cmd));
		access_pages_id = access_cmd.access_pages.out_access_pages_id;
		ASSERT_OK(access_pages(self->fd, &access_cmd));
		ASSERT_OK(destroy_access_pages(self->fd, access_cmd.id,
					       access_cmd.access_pages.out_access_pages_id));
		ASSERT_OK(destroy_access_pages(self->fd, access_cmd.id, access_pages_id));

		/* Add/remove a domain with a user */
		ASSERT_OK(access_pages(self->fd, &access_cmd));
		ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, &mock_stdev_id, &mock_hwpt_id,
				      NULL));
		ASSERT_OK(check_map(self->fd, mock_hwpt_id, MOCK_APERTURE_START, BUFFER_SIZE,
				    buffer));

		ASSERT_OK(destroy(self->fd, mock_stdev_id));
		ASSERT_OK(destroy_access_pages(self->fd, access_cmd.id,
					       access_cmd.access_pages.out_access_pages_id));

		ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, MOCK_APERTURE_START, BUFFER_SIZE,
				     NULL));
	}
	ASSERT_OK(destroy_access(access_cmd.id));
}

static void access_pin_unmap(struct ioas_fixture *self)
{
	struct iommu_test_cmd access_pages_cmd = {0};
	access_pages_cmd.access_pages.iova = MOCK_APERTURE_START;
	access_pages_cmd.access_pages.length = BUFFER_SIZE;
	access_pages_cmd.access_pages.uptr = (uintptr_t)buffer;

	ASSERT_OK(create_access(self->fd, self->ioas_id, &access_pages_cmd.id,
				MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES));
	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, BUFFER_SIZE, MOCK_APERTURE_START));
	ASSERT_OK(access_pages(self->fd, &access_pages_cmd));

	/* Trigger the unmap op */
	ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, MOCK_APERTURE_START, BUFFER_SIZE, NULL));

	/* kernel removed the item for us */
	ASSERT_ERRNO(ENOENT, destroy_access_pages(self->fd, access_pages_cmd.id,
						  access_pages_cmd.access_pages.out_access_pages_id));
}

static void access_rw(struct ioas_fixture *self)
{
	__u32 access_id;
	__u64 iova;

	ASSERT_OK(create_access(self->fd, self->ioas_id, &access_id, 0));
	ASSERT_OK(ioas_map(self->fd, self->ioas_id, buffer, BUFFER_SIZE, &iova, false));
	check_access_rw(self->fd, access_id, iova, 0);
	check_access_rw(self->fd, access_id, iova, MOCK_ACCESS_RW_SLOW_PATH);
	ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, iova, BUFFER_SIZE, NULL));
	ASSERT_OK(destroy_access(access_id));
}

static void access_rw_unaligned(struct ioas_fixture *self)
{
	__u32 access_id;
	__u64 iova;

	ASSERT_OK(create_access(self->fd, self->ioas_id, &access_id, 0));

	/* Unaligned pages */
	iova = self->base_iova + MOCK_PAGE_SIZE;
	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, BUFFER_SIZE, iova));
	check_access_rw(self->fd, access_id, iova, 0);
	ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, iova, BUFFER_SIZE, NULL));
	ASSERT_OK(destroy_access(access_id));
}

static void copy_sweep(struct ioas_fixture *self)
{
	struct iommu_ioas_copy copy_cmd = {
		.size = sizeof(copy_cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE,
		.src_ioas_id = self->ioas_id,
		.dst_iova = MOCK_APERTURE_START,
		.length = MOCK_PAGE_SIZE,
	};
	__u32 dst_ioas_id;
	uint64_t last_iova, iova;

	ASSERT_OK(ioas_alloc(self->fd, &dst_ioas_id));
	copy_cmd.dst_ioas_id = dst_ioas_id;

	if (self->stdev_id)
		last_iova = MOCK_APERTURE_START + BUFFER_SIZE - 1;
	else
		last_iova = MOCK_APERTURE_START + BUFFER_SIZE - 2;

	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, last_iova - MOCK_APERTURE_START + 1,
			    MOCK_APERTURE_START));

	for (iova = MOCK_APERTURE_START - PAGE_SIZE; iova <= last_iova; iova += 511) {
		copy_cmd.src_iova = iova;
		if (iova < MOCK_APERTURE_START || iova + copy_cmd.length - 1 > last_iova) {
			ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_COPY, &copy_cmd));
		} else {
			ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_COPY, &copy_cmd));
			ASSERT_OK(ioas_unmap(self->fd, dst_ioas_id, copy_cmd.dst_iova,
					     copy_cmd.length, NULL));
		}
	}

	ASSERT_OK(destroy(self->fd, dst_ioas_id));
}

/* --- FIXTURE(iommufd_mock_domain): user_copy -------------------------------------------------- */

/* With file, the file variants': the global memfd mapped with IOMMU_IOAS_MAP_FILE. */
static void user_copy(unsigned int mock_domains, bool file)
{
	void *buf = file ? mfd_buffer : buffer;
	int fd = open("/dev/iommu", O_RDWR);
	__u32 self_ioas, hwpt_ids[2] = {0}, ioas_id, new_ioas_id;
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(ioas_alloc(fd, &self_ioas));
	for (unsigned int i = 0; i != mock_domains; i++)
		ASSERT_OK(mock_domain(fd, self_ioas, 0, NULL, &hwpt_ids[i], NULL));

	struct iommu_test_cmd access_cmd = {0};
	access_cmd.access_pages.length = BUFFER_SIZE;
	access_cmd.access_pages.uptr = (uintptr_t)buf;
	struct iommu_ioas_copy copy_cmd = {
		.size = sizeof(copy_cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE,
		.dst_ioas_id = self_ioas,
		.dst_iova = MOCK_APERTURE_START,
		.length = BUFFER_SIZE,
	};
	struct iommu_ioas_unmap unmap_cmd = {
		.size = sizeof(unmap_cmd),
		.ioas_id = self_ioas,
		.iova = MOCK_APERTURE_START,
		.length = BUFFER_SIZE,
	};

	/* Pin the pages in an IOAS with no domains then copy to an IOAS with domains */
	ASSERT_OK(ioas_alloc(fd, &ioas_id));
	if (file)
		ASSERT_OK(map_file(fd, ioas_id, mfd, 0, BUFFER_SIZE, &copy_cmd.src_iova, RW));
	else
		ASSERT_OK(ioas_map(fd, ioas_id, buf, BUFFER_SIZE, &copy_cmd.src_iova, false));
	ASSERT_OK(create_access(fd, ioas_id, &access_cmd.id,
				MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES));
	access_cmd.access_pages.iova = copy_cmd.src_iova;
	ASSERT_OK(access_pages(fd, &access_cmd));
	copy_cmd.src_ioas_id = ioas_id;
	ASSERT_OK(ioctl(fd, IOMMU_IOAS_COPY, &copy_cmd));
	for (unsigned int i = 0; i != mock_domains; i++) /* check_mock_iova */
		ASSERT_OK(check_map(fd, hwpt_ids[i], MOCK_APERTURE_START, BUFFER_SIZE, buf));

	/* Now replace the ioas with a new one */
	ASSERT_OK(ioas_alloc(fd, &new_ioas_id));
	if (file)
		ASSERT_OK(map_file(fd, new_ioas_id, mfd, 0, BUFFER_SIZE, &copy_cmd.src_iova, RW));
	else
		ASSERT_OK(ioas_map(fd, new_ioas_id, buf, BUFFER_SIZE, &copy_cmd.src_iova, false));
	ASSERT_OK(access_replace_ioas(fd, access_cmd.id, new_ioas_id));

	/* Destroy the old ioas and cleanup copied mapping */
	ASSERT_OK(ioctl(fd, IOMMU_IOAS_UNMAP, &unmap_cmd));
	ASSERT_OK(destroy(fd, ioas_id));

	/* Then run the same test again with the new ioas */
	access_cmd.access_pages.iova = copy_cmd.src_iova;
	ASSERT_OK(access_pages(fd, &access_cmd));
	copy_cmd.src_ioas_id = new_ioas_id;
	ASSERT_OK(ioctl(fd, IOMMU_IOAS_COPY, &copy_cmd));
	for (unsigned int i = 0; i != mock_domains; i++)
		ASSERT_OK(check_map(fd, hwpt_ids[i], MOCK_APERTURE_START, BUFFER_SIZE, buf));

	ASSERT_OK(destroy_access_pages(fd, access_cmd.id,
				       access_cmd.access_pages.out_access_pages_id));
	ASSERT_OK(destroy_access(access_cmd.id));
	ASSERT_OK(destroy(fd, new_ioas_id));
	teardown_iommufd(fd);
}

/* --- main ------------------------------------------------------------------------------------ */

int main(void)
{
	static char name[128];
	int tests = 0;

	setup_sizes();

	static void (*const ioas_tests[])(struct ioas_fixture *) = {
		access_domain_destory, access_pin, access_pin_unmap, access_rw,
		access_rw_unaligned, copy_sweep,
	};
	static const char *const ioas_names[] = {
		"access_domain_destory", "access_pin", "access_pin_unmap", "access_rw",
		"access_rw_unaligned", "copy_sweep",
	};
	tests += run_ioas_tests(ioas_tests, ioas_names, sizeof(ioas_tests) / sizeof(ioas_tests[0]));

	setup_memfd();
	static const struct {
		const char *name;
		unsigned int domains;
		bool file;
	} variants[] = {
		{"one_domain", 1, false}, {"two_domains", 2, false}, {"one_domain_file", 1, true},
	};
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		snprintf(name, sizeof(name), "iommufd_mock_domain.%s.user_copy", variants[v].name);
		current = name;
		user_copy(variants[v].domains, variants[v].file);
		tests++;
	}

	printf("selftest_access: %d fixtures run\n", tests);
	printf("selftest_access: ok\n");
	return 0;
}
