/*
 * A port of the kernel iommufd selftest's FIXTURE(iommufd_mock_domain) (tools/testing/selftests/
 * iommu/iommufd.c and iommufd_utils.h): its six variants (one and two mock domains, each with and
 * without huge pages, and one domain over a memfd with and without them) x basic, ro_unshare,
 * all_aligns, all_aligns_copy, replace and alloc_hwpt, and one test of ours (prot_read: PROT_READ
 * memory in a WRITEABLE map is EFAULT) and one for the file variants (file_errnos). The file
 * variants map memfds with IOMMU_IOAS_MAP_FILE.
 * Same sizes, steps and expected results; our own harness and code. What is left out, and why, is
 * listed in docs/bridge.md ("The selftest port").
 *
 * Buffers are the program's own memory, as in the selftest: the global buffer is posix_memalign'd
 * and mmap'd over with MAP_SHARED | MAP_FIXED, the test buffers are mmap'd anywhere, and the
 * kernel pins them as pin_user_pages does (EFAULT for a munmap'd page). The huge variants ask for
 * MAP_HUGETLB | MAP_POPULATE; on a host without free hugetlb pages, where the selftest's assert
 * would abort, they get an ordinary mapping of the same size and a note.
 */
#include "selftest_utils.h"

struct mock_fixture {
	int fd;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u32 hwpt_ids[2];
	__u32 stdev_ids[2];
	__u32 idev_ids[2];
	int mmap_flags;
	size_t mmap_buf_size;
};

struct mock_variant {
	const char *name;
	unsigned int mock_domains;
	bool hugepages;
	bool file;
};


static void mock_setup(struct mock_fixture *self, const struct mock_variant *v)
{
	memset(self, 0, sizeof(*self));
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_TRUE(self->fd >= 0);
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas_id));
	for (unsigned int i = 0; i != v->mock_domains; i++)
		ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, &self->stdev_ids[i],
				      &self->hwpt_ids[i], &self->idev_ids[i]));
	self->hwpt_id = self->hwpt_ids[0];
	self->mmap_flags = MAP_SHARED | MAP_ANONYMOUS;
	self->mmap_buf_size = page_size * 8;
	if (v->hugepages) {
		self->mmap_flags |= MAP_HUGETLB | MAP_POPULATE;
		self->mmap_buf_size = hugepage_size * 2;
	}
}

/* The fixture's test buffer: MAP_HUGETLB if the host has the pages, else an ordinary mapping. */
static uint8_t *mock_buf(struct mock_fixture *self)
{
	static bool noted;
	void *buf = mmap(0, self->mmap_buf_size, PROT_READ | PROT_WRITE, self->mmap_flags, -1, 0);
	if (buf == MAP_FAILED && (self->mmap_flags & MAP_HUGETLB)) {
		if (!noted)
			printf("# no free hugetlb pages: the huge variants use ordinary mappings\n");
		noted = true;
		buf = mmap(0, self->mmap_buf_size, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	}
	ASSERT_TRUE(buf != MAP_FAILED);
	return buf;
}

static int ioas_map_flags(int fd, __u32 ioas, void *va, size_t length, __u64 *iova, __u32 flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .flags = flags,
		.user_va = (uintptr_t)va, .length = length,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);
	*iova = cmd.iova;
	return rc;
}

/* check_mock_iova: the kernel checks that the user pages made it to each mock domain. */
static void check_mock_iova(struct mock_fixture *self, void *ptr, __u64 iova, size_t length)
{
	ASSERT_OK(check_map(self->fd, self->hwpt_id, iova, length, ptr));
	if (self->hwpt_ids[1])
		ASSERT_OK(check_map(self->fd, self->hwpt_ids[1], iova, length, ptr));
}

/* check_refs: every page of the range is pinned refs times. */
static void check_refs(struct mock_fixture *self, void *ptr, size_t length, unsigned int refs)
{
	struct iommu_test_cmd cmd = {0};
	cmd.check_refs.length = length;
	cmd.check_refs.uptr = (uintptr_t)ptr;
	cmd.check_refs.refs = refs;
	ASSERT_OK(test_cmd(self->fd, &cmd, IOMMU_TEST_OP_MD_CHECK_REFS, 0));
}

/* test_basic_file: a page of the global memfd; a map beyond a file's end, and of a truncated one. */
static void basic_file(struct mock_fixture *self)
{
	size_t buf_size = self->mmap_buf_size;
	__u64 iova;
	int mfd_tmp;

	ASSERT_OK(map_file(self->fd, self->ioas_id, mfd, 0, page_size, &iova, RW));
	check_mock_iova(self, mfd_buffer, iova, page_size);

	uint8_t *buf = memfd_mmap(buf_size, PROT_READ | PROT_WRITE, MAP_SHARED, &mfd_tmp);
	ASSERT_TRUE(buf != MAP_FAILED);
	ASSERT_ERRNO(EINVAL, map_file(self->fd, self->ioas_id, mfd_tmp, 0, buf_size + 1, &iova, RW));
	ASSERT_OK(ftruncate(mfd_tmp, 0));
	ASSERT_ERRNO(EINVAL, map_file(self->fd, self->ioas_id, mfd_tmp, 0, buf_size, &iova, RW));
	close(mfd_tmp);
}

static void basic(struct mock_fixture *self, const struct mock_variant *v)
{
	size_t buf_size = self->mmap_buf_size;
	uint8_t *buf;
	__u64 iova;

	if (v->file) {
		basic_file(self);
		return;
	}

	/* Simple one page map */
	ASSERT_OK(ioas_map(self->fd, self->ioas_id, buffer, page_size, &iova, false));
	check_mock_iova(self, buffer, iova, page_size);

	buf = mock_buf(self);
	/* EFAULT half way through mapping */
	ASSERT_OK(munmap(buf + buf_size / 2, buf_size / 2));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, buf, buf_size, &iova, false));
	/* EFAULT on first page */
	ASSERT_OK(munmap(buf, buf_size / 2));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, buf, buf_size, &iova, false));
}

static void ro_unshare(struct mock_fixture *self, const struct mock_variant *v)
{
	__u64 iova;
	int fd = open("/proc/self/exe", O_RDONLY);
	ASSERT_TRUE(fd != -1);
	uint8_t *buf = mmap(0, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_TRUE(buf != MAP_FAILED);
	close(fd);

	/* A write to the page after it is mapped for reading must not change its PFN. */
	ASSERT_OK(ioas_map_flags(self->fd, self->ioas_id, buf, page_size, &iova,
				 IOMMU_IOAS_MAP_READABLE));
	check_mock_iova(self, buf, iova, page_size);
	memset(buf, 1, page_size);
	check_mock_iova(self, buf, iova, page_size);
	ASSERT_OK(munmap(buf, page_size));
}

/*
 * Ours, not the selftest's: a PROT_READ buffer cannot be pinned for writing (EFAULT for a
 * WRITEABLE map, wholly or from half way) but can be for reading; mprotect'ing it writable later
 * does not change the page the domain maps.
 */
static void prot_read(struct mock_fixture *self, const struct mock_variant *v)
{
	size_t buf_size = self->mmap_buf_size;
	uint8_t *buf = mock_buf(self);
	__u64 iova;

	ASSERT_OK(mprotect(buf + buf_size / 2, buf_size / 2, PROT_READ));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, buf, buf_size, &iova, false));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, buf + buf_size / 2, buf_size / 2,
				      &iova, false));
	check_refs(self, buf, buf_size, 0);
	ASSERT_OK(ioas_map_flags(self->fd, self->ioas_id, buf, buf_size, &iova,
				 IOMMU_IOAS_MAP_READABLE));
	check_refs(self, buf, buf_size, 1);
	ASSERT_OK(mprotect(buf, buf_size, PROT_READ | PROT_WRITE));
	check_mock_iova(self, buf, iova, buf_size);
	ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, iova, buf_size, NULL));
	ASSERT_OK(munmap(buf, buf_size));
}

/*
 * Ours, not the selftest's (file variants only): EBADF for a closed fd; EINVAL for files
 * memfd_pin_folios cannot pin (a regular file, the iommufd itself); a memfd with no mapping, or
 * whose mapping is gone, still maps (the kernel pins the file, not the process's pages).
 */
static void file_errnos(struct mock_fixture *self, const struct mock_variant *v)
{
	__u64 iova;
	int tmp;

	if (!v->file)
		return;
	int exe = open("/proc/self/exe", O_RDONLY);
	ASSERT_TRUE(exe >= 0);
	ASSERT_ERRNO(EINVAL, map_file(self->fd, self->ioas_id, exe, 0, page_size, &iova, RW));
	ASSERT_ERRNO(EINVAL, map_file(self->fd, self->ioas_id, self->fd, 0, page_size, &iova, RW));
	close(exe);
	ASSERT_ERRNO(EBADF, map_file(self->fd, self->ioas_id, exe, 0, page_size, &iova, RW));

	uint8_t *buf = memfd_mmap(4 * page_size, PROT_READ | PROT_WRITE, MAP_SHARED, &tmp);
	ASSERT_TRUE(buf != MAP_FAILED);
	ASSERT_OK(munmap(buf, 4 * page_size));
	ASSERT_OK(map_file(self->fd, self->ioas_id, tmp, page_size, 2 * page_size, &iova, RW));
	ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, iova, 2 * page_size, NULL));
	close(tmp);
}

/* all_aligns and all_aligns_copy: every length and alignment within the buffer. */
static void aligns(struct mock_fixture *self, const struct mock_variant *v, bool copy)
{
	size_t test_step = v->hugepages ? self->mmap_buf_size / 16 : MOCK_PAGE_SIZE;
	size_t buf_size = self->mmap_buf_size;
	int file = -1;
	uint8_t *buf = v->file ? memfd_mmap(buf_size, PROT_READ | PROT_WRITE, MAP_SHARED, &file)
			       : mock_buf(self);

	ASSERT_TRUE(buf != MAP_FAILED);
	if (v->file)
		ASSERT_TRUE(file > 0);
	check_refs(self, buf, buf_size, 0);
	for (size_t start = 0; start < buf_size; start += test_step) {
		size_t end = v->hugepages ? buf_size : start + MOCK_PAGE_SIZE;
		for (; end < buf_size; end += MOCK_PAGE_SIZE) {
			size_t length = end - start;
			__u32 old_id = self->hwpt_ids[1], mock_stdev_id;
			__u64 iova;

			if (v->file)
				ASSERT_OK(map_file(self->fd, self->ioas_id, file, start, length,
						   &iova, RW));
			else
				ASSERT_OK(ioas_map(self->fd, self->ioas_id, buf + start, length,
						   &iova, false));
			if (copy) /* add and destroy a domain while the area exists */
				ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, &mock_stdev_id,
						      &self->hwpt_ids[1], NULL));
			check_mock_iova(self, buf + start, iova, length);
			check_refs(self, buf + start / page_size * page_size,
				   end / page_size * page_size - start / page_size * page_size, 1);
			if (copy) {
				ASSERT_OK(destroy(self->fd, mock_stdev_id));
				self->hwpt_ids[1] = old_id;
			}
			ASSERT_OK(ioas_unmap(self->fd, self->ioas_id, iova, length, NULL));
		}
	}
	check_refs(self, buf, buf_size, 0);
	ASSERT_OK(munmap(buf, buf_size));
	if (v->file)
		close(file);
}

static void all_aligns(struct mock_fixture *self, const struct mock_variant *v)
{
	aligns(self, v, false);
}

static void all_aligns_copy(struct mock_fixture *self, const struct mock_variant *v)
{
	aligns(self, v, true);
}

static void replace(struct mock_fixture *self, const struct mock_variant *v)
{
	__u32 ioas_id;

	ASSERT_OK(ioas_alloc(self->fd, &ioas_id));
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_ids[0], ioas_id));
	/* Replacing the IOAS frees the prior auto HWPT */
	if (v->mock_domains == 1)
		ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->stdev_ids[0],
							 self->hwpt_ids[0]));
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_ids[0], ioas_id));
	if (v->mock_domains >= 2) {
		ASSERT_OK(mock_domain_replace(self->fd, self->stdev_ids[0], self->hwpt_ids[1]));
		ASSERT_OK(mock_domain_replace(self->fd, self->stdev_ids[0], self->hwpt_ids[1]));
		ASSERT_OK(mock_domain_replace(self->fd, self->stdev_ids[0], self->hwpt_ids[0]));
	}
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_ids[0], self->ioas_id));
	ASSERT_OK(destroy(self->fd, ioas_id));
}

static void alloc_hwpt(struct mock_fixture *self, const struct mock_variant *v)
{
	for (unsigned int i = 0; i != v->mock_domains; i++) {
		__u32 hwpt[2], stddev_id;
		int fd = self->fd;

		ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc(fd, self->idev_ids[i], self->ioas_id,
						    ~IOMMU_HWPT_ALLOC_NEST_PARENT, -1, &hwpt[0]));
		ASSERT_OK(hwpt_alloc(fd, self->idev_ids[i], self->ioas_id, 0, -1, &hwpt[0]));
		ASSERT_OK(hwpt_alloc(fd, self->idev_ids[i], self->ioas_id,
				     IOMMU_HWPT_ALLOC_NEST_PARENT, -1, &hwpt[1]));
		/* A hw_pagetable rotation */
		ASSERT_OK(mock_domain_replace(fd, self->stdev_ids[i], hwpt[0]));
		ASSERT_ERRNO(EBUSY, destroy(fd, hwpt[0]));
		ASSERT_OK(mock_domain_replace(fd, self->stdev_ids[i], hwpt[1]));
		ASSERT_ERRNO(EBUSY, destroy(fd, hwpt[1]));
		ASSERT_OK(mock_domain_replace(fd, self->stdev_ids[i], self->ioas_id));
		ASSERT_OK(destroy(fd, hwpt[1]));
		ASSERT_OK(mock_domain(fd, hwpt[0], 0, &stddev_id, NULL, NULL));
		ASSERT_OK(destroy(fd, stddev_id));
		ASSERT_OK(destroy(fd, hwpt[0]));
	}
}

int main(void)
{
	static char name[128];
	static const struct mock_variant variants[] = {
		{"one_domain", 1, false, false},
		{"two_domains", 2, false, false},
		{"one_domain_hugepage", 1, true, false},
		{"two_domains_hugepage", 2, true, false},
		{"one_domain_file", 1, false, true},
		{"one_domain_file_hugepage", 1, true, true},
	};
	static void (*const tests[])(struct mock_fixture *, const struct mock_variant *) = {
		basic, ro_unshare, all_aligns, all_aligns_copy, replace, alloc_hwpt, prot_read,
		file_errnos,
	};
	static const char *const names[] = {
		"basic", "ro_unshare", "all_aligns", "all_aligns_copy", "replace", "alloc_hwpt",
		"prot_read", "file_errnos",
	};
	void *vrc;
	int tests_run = 0;

	page_size = sysconf(_SC_PAGESIZE);
	hugepage_size = hpage_pmd_size();
	/* setup_sizes(): the global buffer, MAP_SHARED at a HUGEPAGE_SIZE-aligned address. */
	ASSERT_OK(posix_memalign(&vrc, hugepage_size, BUFFER_SIZE));
	buffer = mmap(vrc, BUFFER_SIZE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	ASSERT_TRUE(buffer == vrc);
	setup_memfd();

	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
			struct mock_fixture self;
			snprintf(name, sizeof(name), "iommufd_mock_domain.%s.%s", variants[v].name,
				 names[t]);
			current = name;
			mock_setup(&self, &variants[v]);
			tests[t](&self, &variants[v]);
			teardown_iommufd(self.fd);
			tests_run++;
		}
	}
	printf("selftest_mock_domain: %d tests run\n", tests_run);
	printf("selftest_mock_domain: ok\n");
	return 0;
}
