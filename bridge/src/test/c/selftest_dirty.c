/*
 * A port of the kernel iommufd selftest's mock-domain fixtures (tools/testing/selftests/iommu/
 * iommufd.c and iommufd_utils.h, as they stand since the mock uses the generic page table): FIXTURE
 * iommufd_dirty_tracking with its nine buffer sizes (8k to 128M, and the 64M/128M huge-page
 * variants) and the tests that need only the mock, plus iommufd_ioas and iommufd_mock_domain cases.
 * Same fixture sizes, steps and expected results; our own harness and code. What is left out, and
 * why, is listed in docs/bridge.md ("The selftest port").
 *
 * Buffers the kernel maps must be memory the model knows: the port places them in the bridge's
 * guest memory ($JVFIO_GUEST_MEMORY) with MAP_FIXED, where the selftest picks an address with
 * posix_memalign. The huge variants ask for MAP_HUGETLB | MAP_POPULATE as the selftest does; a
 * host without free hugetlb pages (where the selftest's assert aborts) gets an ordinary mapping and
 * a note, since the model's pinning does not depend on the host's page size.
 */
#include "selftest_utils.h"

/* --- FIXTURE(iommufd_dirty_tracking) -------------------------------------------------------- */

struct dirty_variant {
	const char *name;
	unsigned long buffer_size;
	bool hugepages;
};

static const struct dirty_variant dirty_variants[] = {
	{"domain_dirty8k", 8UL << 10, false},   /* half of an u8 index bitmap */
	{"domain_dirty16k", 16UL << 10, false}, /* one u8 index bitmap */
	{"domain_dirty64k", 64UL << 10, false}, /* one u32 index bitmap */
	{"domain_dirty128k", 128UL << 10, false}, /* one u64 index bitmap */
	{"domain_dirty320k", 320UL << 10, false}, /* two u64 index and trailing end bitmap */
	{"domain_dirty64M", 64UL << 20, false},   /* 4K bitmap (64M IOVA range) */
	{"domain_dirty64M_huge", 64UL << 20, true},
	{"domain_dirty128M", 128UL << 20, false}, /* 8K bitmap (128M IOVA range) */
	{"domain_dirty128M_huge", 128UL << 20, true},
};

struct dirty_fixture {
	const struct dirty_variant *v;
	int fd;
	__u32 ioas_id, hwpt_id, stdev_id, idev_id;
	unsigned long bitmap_bits;
	unsigned char *bitmap;
	char *buffer;
};

static void dirty_setup(struct dirty_fixture *self, const struct dirty_variant *v)
{
	self->v = v;
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_TRUE(self->fd >= 0);

	/* A HUGEPAGE_SIZE-aligned place in guest memory, past the global buffer. */
	self->buffer = guest + 256UL * 1024 * 1024;
	ASSERT_EQ(0, (uintptr_t)self->buffer % hugepage_size);
	int flags = MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED;
	void *vrc = MAP_FAILED;
	if (v->hugepages) {
		vrc = mmap(self->buffer, v->buffer_size, PROT_READ | PROT_WRITE,
			   flags | MAP_HUGETLB | MAP_POPULATE, -1, 0);
		if (vrc == MAP_FAILED)
			printf("# %s: no hugetlb pages (errno %d): an ordinary mapping instead\n",
			       v->name, errno);
	}
	if (vrc == MAP_FAILED)
		vrc = mmap(self->buffer, v->buffer_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	ASSERT_TRUE(vrc == self->buffer);

	self->bitmap_bits = v->buffer_size / MOCK_PAGE_SIZE;
	/* An extra PAGE_SIZE for the unaligned cases. */
	size_t size = (self->bitmap_bits + 7) / 8 + page_size;
	ASSERT_OK(posix_memalign((void **)&self->bitmap, page_size, size));

	ASSERT_OK(ioas_alloc(self->fd, &self->ioas_id));
	/* The mock page table must be fed MOCK_PAGE_SIZE pages unless the variant is huge. */
	__u64 off = 0;
	if (!v->hugepages)
		ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id,
				 IOMMU_OPTION_OP_SET, &off));
	ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, &self->stdev_id, &self->hwpt_id,
			      &self->idev_id));
}

static void dirty_teardown(struct dirty_fixture *self)
{
	ASSERT_OK(munmap(self->buffer, self->v->buffer_size));
	free(self->bitmap);
	teardown_iommufd(self->fd);
}

static void enforce_dirty(struct dirty_fixture *self)
{
	__u32 ioas_id, stddev_id, idev_id, hwpt_id, _hwpt_id;

	/* Regular case */
	ASSERT_OK(hwpt_alloc(self->fd, self->idev_id, self->ioas_id,
			     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, -1, &hwpt_id));
	ASSERT_OK(mock_domain(self->fd, hwpt_id, 0, &stddev_id, NULL, NULL));
	ASSERT_ERRNO(EINVAL, mock_domain(self->fd, hwpt_id, MOCK_FLAGS_DEVICE_NO_DIRTY, &stddev_id,
					 NULL, NULL));
	ASSERT_OK(destroy(self->fd, stddev_id));
	ASSERT_OK(destroy(self->fd, hwpt_id));

	/* IOMMU device does not support dirty tracking */
	ASSERT_OK(ioas_alloc(self->fd, &ioas_id));
	ASSERT_OK(mock_domain(self->fd, ioas_id, MOCK_FLAGS_DEVICE_NO_DIRTY, &stddev_id, &_hwpt_id,
			      &idev_id));
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc(self->fd, idev_id, ioas_id,
					    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, -1, &hwpt_id));
	ASSERT_OK(destroy(self->fd, stddev_id));
}

static void set_dirty_tracking_test(struct dirty_fixture *self)
{
	__u32 stddev_id, hwpt_id;

	ASSERT_OK(hwpt_alloc(self->fd, self->idev_id, self->ioas_id,
			     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, -1, &hwpt_id));
	ASSERT_OK(mock_domain(self->fd, hwpt_id, 0, &stddev_id, NULL, NULL));
	ASSERT_OK(set_dirty_tracking(self->fd, hwpt_id, true));
	ASSERT_OK(set_dirty_tracking(self->fd, hwpt_id, false));
	ASSERT_OK(destroy(self->fd, stddev_id));
	ASSERT_OK(destroy(self->fd, hwpt_id));
}

static void device_dirty_capability(struct dirty_fixture *self)
{
	__u32 stddev_id, hwpt_id;
	__u64 caps = 0;

	ASSERT_OK(hwpt_alloc(self->fd, self->idev_id, self->ioas_id, 0, -1, &hwpt_id));
	ASSERT_OK(mock_domain(self->fd, hwpt_id, 0, &stddev_id, NULL, NULL));
	ASSERT_OK(hw_caps(self->fd, self->idev_id, &caps));
	ASSERT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING, caps & IOMMU_HW_CAP_DIRTY_TRACKING);
	ASSERT_OK(destroy(self->fd, stddev_id));
	ASSERT_OK(destroy(self->fd, hwpt_id));
}

/*
 * test_mock_dirty_bitmaps: mark the first page of every other IOPTE (pte_size) dirty through the
 * mock, read the bitmap (each marked IOPTE reports all its pages), read it again (empty, unless
 * NO_CLEAR).
 */
static void mock_dirty_bitmaps(struct dirty_fixture *self, __u32 hwpt, unsigned char *bitmap,
			       unsigned long pte_size, __u32 flags)
{
	unsigned long npte = pte_size / MOCK_PAGE_SIZE, pteset = 2 * npte;
	unsigned long nbits = self->bitmap_bits, bytes = (nbits + 7) / 8;
	unsigned long nr = nbits / pteset ? nbits / pteset : 1;
	__u64 length = self->v->buffer_size, out_dirty = 0;

	memset(bitmap, 0, bytes);
	for (unsigned long i = 0; i < nbits; i += pteset)
		bitmap[i / 8] |= 1 << (i % 8);
	ASSERT_OK(mark_dirty(self->fd, hwpt, length, MOCK_APERTURE_START, MOCK_PAGE_SIZE, bitmap,
			     &out_dirty));
	ASSERT_EQ(nr, out_dirty);

	for (int round = 0; round < 2; round++) {
		bool want_set = round == 0 || (flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
		memset(bitmap, 0, bytes);
		ASSERT_OK(get_dirty_bitmap(self->fd, hwpt, length, MOCK_APERTURE_START,
					   MOCK_PAGE_SIZE, bitmap, flags));
		for (unsigned long i = 0; i < nbits; i += pteset)
			for (unsigned long j = 0; j < pteset && i + j < nbits; j++)
				if (bit(bitmap, i + j) != (want_set && j < npte))
					FAIL("round %d: bit %lu is %d", round, i + j,
					     bit(bitmap, i + j));
	}
}

static void dirty_bitmap_test(struct dirty_fixture *self, __u32 flags)
{
	unsigned long pte_size = self->v->hugepages ? MOCK_HUGE_PAGE_SIZE : MOCK_PAGE_SIZE;
	__u32 hwpt_id;

	ASSERT_OK(map_fixed(self->fd, self->ioas_id, self->buffer, self->v->buffer_size,
			    MOCK_APERTURE_START));
	ASSERT_OK(hwpt_alloc(self->fd, self->idev_id, self->ioas_id,
			     IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
			     self->v->hugepages ? MOCK_IOMMUPT_HUGE : MOCK_IOMMUPT_DEFAULT,
			     &hwpt_id));
	ASSERT_OK(set_dirty_tracking(self->fd, hwpt_id, true));

	mock_dirty_bitmaps(self, hwpt_id, self->bitmap, pte_size, flags);
	/* PAGE_SIZE unaligned bitmap */
	mock_dirty_bitmaps(self, hwpt_id, self->bitmap + MOCK_PAGE_SIZE, pte_size, flags);
	/* u64 unaligned bitmap */
	mock_dirty_bitmaps(self, hwpt_id, self->bitmap + 0xff1, pte_size, flags);

	ASSERT_OK(destroy(self->fd, hwpt_id));
}

static void get_dirty_bitmap_test(struct dirty_fixture *self)
{
	dirty_bitmap_test(self, 0);
}

static void get_dirty_bitmap_no_clear(struct dirty_fixture *self)
{
	dirty_bitmap_test(self, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
}

/* --- FIXTURE(iommufd_ioas): the tests that need only the mock ------------------------------ */

static void ioas_destroy(struct ioas_fixture *self)
{
	if (self->stdev_id) /* not while a device has a HWPT using it */
		ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	else
		ASSERT_OK(destroy(self->fd, self->ioas_id));
}

static void hwpt_attach(struct ioas_fixture *self)
{
	if (self->stdev_id) /* a device attached directly to a HWPT */
		ASSERT_OK(mock_domain(self->fd, self->hwpt_id, 0, NULL, NULL, NULL));
	else
		ASSERT_ERRNO(ENOENT, mock_domain(self->fd, self->hwpt_id, 0, NULL, NULL, NULL));
}

static void ioas_area_destroy(struct ioas_fixture *self)
{
	/* Adding an area does not change the ability to destroy */
	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, page_size, self->base_iova));
	if (self->stdev_id)
		ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	else
		ASSERT_OK(destroy(self->fd, self->ioas_id));
}

static void ioas_area_auto_destroy(struct ioas_fixture *self)
{
	for (int i = 0; i != 10; i++)
		ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, page_size,
				    self->base_iova + i * page_size));
}

static void get_hw_info(struct ioas_fixture *self)
{
	__u64 caps;
	if (self->device_id)
		ASSERT_OK(hw_caps(self->fd, self->device_id, &caps));
	else
		ASSERT_ERRNO(ENOENT, hw_caps(self->fd, self->device_id, &caps));
}

static void area(struct ioas_fixture *self)
{
	int fd = self->fd;
	__u32 ioas = self->ioas_id;
	__u64 at = self->base_iova + 16 * page_size;

	/* Unmap fails if nothing is mapped */
	for (int i = 0; i != 10; i++)
		ASSERT_ERRNO(ENOENT, ioas_unmap(fd, ioas, i * page_size, page_size, NULL));
	/* Unmap works */
	for (int i = 0; i != 10; i++)
		ASSERT_OK(map_fixed(fd, ioas, buffer, page_size, self->base_iova + i * page_size));
	for (int i = 0; i != 10; i++)
		ASSERT_OK(ioas_unmap(fd, ioas, self->base_iova + i * page_size, page_size, NULL));
	/* Split fails */
	ASSERT_OK(map_fixed(fd, ioas, buffer, page_size * 2, at));
	ASSERT_ERRNO(ENOENT, ioas_unmap(fd, ioas, at, page_size, NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(fd, ioas, at + page_size, page_size, NULL));
	/* Over map fails */
	ASSERT_ERRNO(EEXIST, map_fixed(fd, ioas, buffer, page_size * 2, at));
	ASSERT_ERRNO(EEXIST, map_fixed(fd, ioas, buffer, page_size, at));
	ASSERT_ERRNO(EEXIST, map_fixed(fd, ioas, buffer, page_size, at + page_size));
	ASSERT_ERRNO(EEXIST, map_fixed(fd, ioas, buffer, page_size * 2, at - page_size));
	ASSERT_ERRNO(EEXIST, map_fixed(fd, ioas, buffer, page_size * 3, at - page_size));
	/* Unmap all works, also on an empty IOAS */
	ASSERT_OK(ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL));
	ASSERT_OK(ioas_unmap(fd, ioas, 0, UINT64_MAX, NULL));
}

static void unmap_fully_contained_areas(struct ioas_fixture *self)
{
	int fd = self->fd;
	__u32 ioas = self->ioas_id;
	__u64 base = self->base_iova + 4 * page_size, len;

	for (int i = 0; i != 4; i++)
		ASSERT_OK(map_fixed(fd, ioas, buffer, 8 * page_size, base + i * 16 * page_size));
	/* Unmapping areas not fully contained does not work */
	ASSERT_ERRNO(ENOENT, ioas_unmap(fd, ioas, base - 4 * page_size, 8 * page_size, NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(fd, ioas, base + 3 * 16 * page_size + 4 * page_size,
					8 * page_size, NULL));
	/* Unmapping fully contained areas works */
	ASSERT_OK(ioas_unmap(fd, ioas, base - 4 * page_size,
			     3 * 16 * page_size + 8 * page_size + 4 * page_size, &len));
	ASSERT_EQ(32 * page_size, len);
}

static void copy_area(struct ioas_fixture *self)
{
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy), .flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE,
		.dst_ioas_id = self->ioas_id, .src_ioas_id = self->ioas_id, .length = page_size,
	};
	ASSERT_OK(map_fixed(self->fd, self->ioas_id, buffer, page_size, self->base_iova));
	/* Copy inside a single IOAS */
	copy.src_iova = self->base_iova;
	copy.dst_iova = self->base_iova + page_size;
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_COPY, &copy));
	/* Copy between IOASes */
	copy.dst_iova = 0;
	ASSERT_OK(ioas_alloc(self->fd, &copy.dst_ioas_id));
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_COPY, &copy));
}

static int add_reserved(int fd, __u32 ioas, __u64 start, __u64 length)
{
	struct iommu_test_cmd cmd = {0};
	cmd.add_reserved.start = start;
	cmd.add_reserved.length = length;
	return test_cmd(fd, &cmd, IOMMU_TEST_OP_ADD_RESERVED, ioas);
}

static int allow_iovas(int fd, __u32 ioas, struct iommu_iova_range *ranges, __u32 n)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .num_iovas = n,
		.allowed_iovas = (uintptr_t)ranges,
	};
	return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

/*
 * area_auto_iova. Where the selftest's no-domain variant maps the user address 1UL << 31 (memory
 * the model does not know), the port maps the buffer: without a domain nothing is pinned, so the
 * IOVA the kernel picks does not depend on the user address.
 */
static void area_auto_iova(struct ioas_fixture *self)
{
	int fd = self->fd;
	__u32 ioas = self->ioas_id;
	struct iommu_iova_range range = {0};
	__u64 start = page_size * 4, length = page_size * 100, iovas[10];

	/* Simple 4k pages */
	for (int i = 0; i != 10; i++)
		ASSERT_OK(ioas_map(fd, ioas, buffer, page_size, &iovas[i], false));
	for (int i = 0; i != 10; i++)
		ASSERT_OK(ioas_unmap(fd, ioas, iovas[i], page_size, NULL));
	/* Kernel automatically aligns IOVAs properly */
	for (int i = 0; i != 10; i++) {
		size_t len = page_size * (i + 1);
		ASSERT_OK(ioas_map(fd, ioas, buffer, len, &iovas[i], false));
		ASSERT_EQ(0, iovas[i] % (1UL << (__builtin_ffsl(len) - 1)));
	}
	for (int i = 0; i != 10; i++)
		ASSERT_OK(ioas_unmap(fd, ioas, iovas[i], page_size * (i + 1), NULL));
	/* Avoids a reserved region */
	ASSERT_OK(add_reserved(fd, ioas, start, length));
	for (int i = 0; i != 10; i++) {
		size_t len = page_size * (i + 1);
		ASSERT_OK(ioas_map(fd, ioas, buffer, len, &iovas[i], false));
		ASSERT_EQ(0, iovas[i] % (1UL << (__builtin_ffsl(len) - 1)));
		ASSERT_EQ(false, iovas[i] > start && iovas[i] < start + length);
	}
	for (int i = 0; i != 10; i++)
		ASSERT_OK(ioas_unmap(fd, ioas, iovas[i], page_size * (i + 1), NULL));
	/* Allowed region intersects with a reserved region */
	range.start = page_size;
	range.last = page_size * 600;
	ASSERT_ERRNO(EADDRINUSE, allow_iovas(fd, ioas, &range, 1));
	/* Allocate from an allowed region */
	if (self->stdev_id) {
		range.start = MOCK_APERTURE_START + page_size;
		range.last = MOCK_APERTURE_START + page_size * 600 - 1;
	} else {
		range.start = page_size * 200;
		range.last = page_size * 600 - 1;
	}
	ASSERT_OK(allow_iovas(fd, ioas, &range, 1));
	for (int i = 0; i != 10; i++) {
		size_t len = page_size * (i + 1);
		ASSERT_OK(ioas_map(fd, ioas, buffer, len, &iovas[i], false));
		ASSERT_EQ(0, iovas[i] % (1UL << (__builtin_ffsl(len) - 1)));
		ASSERT_EQ(true, iovas[i] >= range.start);
		ASSERT_EQ(true, iovas[i] <= range.last);
		ASSERT_EQ(true, iovas[i] + len > range.start);
		ASSERT_EQ(true, iovas[i] + len <= range.last + 1);
	}
	for (int i = 0; i != 10; i++)
		ASSERT_OK(ioas_unmap(fd, ioas, iovas[i], page_size * (i + 1), NULL));
}

static void area_allowed(struct ioas_fixture *self)
{
	int fd = self->fd;
	__u32 ioas = self->ioas_id;
	struct iommu_iova_range range = {
		.start = self->base_iova, .last = self->base_iova + page_size * 600,
	};
	/* Reserved intersects an allowed */
	ASSERT_OK(allow_iovas(fd, ioas, &range, 1));
	ASSERT_ERRNO(EADDRINUSE, add_reserved(fd, ioas, range.start + page_size, page_size));
	ASSERT_OK(allow_iovas(fd, ioas, &range, 0));
	/* Allowed intersects a reserved */
	ASSERT_OK(add_reserved(fd, ioas, range.start + page_size, page_size));
	ASSERT_ERRNO(EADDRINUSE, allow_iovas(fd, ioas, &range, 1));
}

static void iova_ranges(struct ioas_fixture *self)
{
	struct iommu_iova_range *ranges = (struct iommu_iova_range *)buffer;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd), .ioas_id = self->ioas_id,
		.num_iovas = BUFFER_SIZE / sizeof(*ranges), .allowed_iovas = (uintptr_t)ranges,
	};
	/* Range can be read */
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(1, cmd.num_iovas);
	if (!self->stdev_id) {
		ASSERT_EQ(0, ranges[0].start);
		ASSERT_EQ(SIZE_MAX, ranges[0].last);
		ASSERT_EQ(1, cmd.out_iova_alignment);
	} else {
		ASSERT_EQ(MOCK_APERTURE_START, ranges[0].start);
		ASSERT_EQ(MOCK_APERTURE_LAST, ranges[0].last);
		ASSERT_EQ(MOCK_PAGE_SIZE, cmd.out_iova_alignment);
	}
	/* Buffer too small */
	memset(ranges, 0, BUFFER_SIZE);
	cmd.num_iovas = 0;
	ASSERT_ERRNO(EMSGSIZE, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	ASSERT_EQ(1, cmd.num_iovas);
	ASSERT_EQ(0, ranges[0].start);
	ASSERT_EQ(0, ranges[0].last);
	/* 2 ranges */
	ASSERT_OK(add_reserved(self->fd, self->ioas_id, page_size, page_size));
	cmd.num_iovas = BUFFER_SIZE / sizeof(*ranges);
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	if (!self->stdev_id) {
		ASSERT_EQ(2, cmd.num_iovas);
		ASSERT_EQ(0, ranges[0].start);
		ASSERT_EQ(page_size - 1, ranges[0].last);
		ASSERT_EQ(page_size * 2, ranges[1].start);
		ASSERT_EQ(SIZE_MAX, ranges[1].last);
	} else {
		ASSERT_EQ(1, cmd.num_iovas);
		ASSERT_EQ(MOCK_APERTURE_START, ranges[0].start);
		ASSERT_EQ(MOCK_APERTURE_LAST, ranges[0].last);
	}
	/* Buffer too small */
	memset(ranges, 0, BUFFER_SIZE);
	cmd.num_iovas = 1;
	if (!self->stdev_id) {
		ASSERT_ERRNO(EMSGSIZE, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
		ASSERT_EQ(2, cmd.num_iovas);
		ASSERT_EQ(0, ranges[0].start);
		ASSERT_EQ(page_size - 1, ranges[0].last);
	} else {
		ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
		ASSERT_EQ(1, cmd.num_iovas);
		ASSERT_EQ(MOCK_APERTURE_START, ranges[0].start);
		ASSERT_EQ(MOCK_APERTURE_LAST, ranges[0].last);
	}
	ASSERT_EQ(0, ranges[1].start);
	ASSERT_EQ(0, ranges[1].last);
}

/* --- FIXTURE(iommufd_mock_domain): replace and alloc_hwpt --------------------------------- */

static void mock_domain_tests(unsigned int mock_domains)
{
	int fd = open("/dev/iommu", O_RDWR);
	__u32 ioas_id, ioas2, stdev_ids[2], hwpt_ids[2], idev_ids[2];
	ASSERT_TRUE(fd >= 0);
	ASSERT_OK(ioas_alloc(fd, &ioas_id));
	for (unsigned int i = 0; i != mock_domains; i++)
		ASSERT_OK(mock_domain(fd, ioas_id, 0, &stdev_ids[i], &hwpt_ids[i], &idev_ids[i]));

	/* basic: a simple one page map (the rest maps munmap'd memory: not modelled) */
	current = "iommufd_mock_domain.basic";
	__u64 iova;
	ASSERT_OK(ioas_map(fd, ioas_id, buffer, page_size, &iova, false));
	for (unsigned int i = 0; i != mock_domains; i++) /* check_mock_iova */
		ASSERT_OK(check_map(fd, hwpt_ids[i], iova, page_size, buffer));
	ASSERT_OK(ioas_unmap(fd, ioas_id, iova, page_size, NULL));

	/* replace */
	current = "iommufd_mock_domain.replace";
	ASSERT_OK(ioas_alloc(fd, &ioas2));
	ASSERT_OK(mock_domain_replace(fd, stdev_ids[0], ioas2));
	/* Replacing the IOAS frees the prior auto HWPT */
	if (mock_domains == 1)
		ASSERT_ERRNO(ENOENT, mock_domain_replace(fd, stdev_ids[0], hwpt_ids[0]));
	ASSERT_OK(mock_domain_replace(fd, stdev_ids[0], ioas2));
	if (mock_domains >= 2) {
		ASSERT_OK(mock_domain_replace(fd, stdev_ids[0], hwpt_ids[1]));
		ASSERT_OK(mock_domain_replace(fd, stdev_ids[0], hwpt_ids[1]));
		ASSERT_OK(mock_domain_replace(fd, stdev_ids[0], hwpt_ids[0]));
	}
	ASSERT_OK(mock_domain_replace(fd, stdev_ids[0], ioas_id));
	ASSERT_OK(destroy(fd, ioas2));

	/* alloc_hwpt: a hw_pagetable rotation */
	current = "iommufd_mock_domain.alloc_hwpt";
	for (unsigned int i = 0; i != mock_domains; i++) {
		__u32 hwpt[2], stddev_id;
		ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc(fd, idev_ids[i], ioas_id,
						    ~IOMMU_HWPT_ALLOC_NEST_PARENT, -1, &hwpt[0]));
		ASSERT_OK(hwpt_alloc(fd, idev_ids[i], ioas_id, 0, -1, &hwpt[0]));
		ASSERT_OK(hwpt_alloc(fd, idev_ids[i], ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT, -1,
				     &hwpt[1]));
		ASSERT_OK(mock_domain_replace(fd, stdev_ids[i], hwpt[0]));
		ASSERT_ERRNO(EBUSY, destroy(fd, hwpt[0]));
		ASSERT_OK(mock_domain_replace(fd, stdev_ids[i], hwpt[1]));
		ASSERT_ERRNO(EBUSY, destroy(fd, hwpt[1]));
		ASSERT_OK(mock_domain_replace(fd, stdev_ids[i], ioas_id));
		ASSERT_OK(destroy(fd, hwpt[1]));
		ASSERT_OK(mock_domain(fd, hwpt[0], 0, &stddev_id, NULL, NULL));
		ASSERT_OK(destroy(fd, stddev_id));
		ASSERT_OK(destroy(fd, hwpt[0]));
	}
	teardown_iommufd(fd);
}

/* --- main ------------------------------------------------------------------------------------ */

int main(void)
{
	static char name[128];
	int tests = 0;

	setup_sizes();

	static void (*const dirty_tests[])(struct dirty_fixture *) = {
		enforce_dirty, set_dirty_tracking_test, device_dirty_capability,
		get_dirty_bitmap_test, get_dirty_bitmap_no_clear,
	};
	static const char *const dirty_names[] = {
		"enforce_dirty", "set_dirty_tracking", "device_dirty_capability",
		"get_dirty_bitmap", "get_dirty_bitmap_no_clear",
	};
	for (size_t v = 0; v < sizeof(dirty_variants) / sizeof(dirty_variants[0]); v++) {
		for (size_t t = 0; t < sizeof(dirty_tests) / sizeof(dirty_tests[0]); t++) {
			struct dirty_fixture self;
			snprintf(name, sizeof(name), "iommufd_dirty_tracking.%s.%s",
				 dirty_variants[v].name, dirty_names[t]);
			current = name;
			dirty_setup(&self, &dirty_variants[v]);
			dirty_tests[t](&self);
			dirty_teardown(&self);
			tests++;
		}
	}

	static const struct {
		const char *name;
		unsigned int mock_domains, memory_limit;
	} ioas_variants[] = {
		{"no_domain", 0, 0}, {"mock_domain", 1, 0}, {"two_mock_domain", 2, 0},
		{"mock_domain_limit", 1, 16},
	};
	static void (*const ioas_tests[])(struct ioas_fixture *) = {
		ioas_destroy, hwpt_attach, ioas_area_destroy, ioas_area_auto_destroy, get_hw_info,
		area, unmap_fully_contained_areas, area_auto_iova, area_allowed, copy_area,
		iova_ranges,
	};
	static const char *const ioas_names[] = {
		"ioas_destroy", "hwpt_attach", "ioas_area_destroy", "ioas_area_auto_destroy",
		"get_hw_info", "area", "unmap_fully_contained_areas", "area_auto_iova",
		"area_allowed", "copy_area", "iova_ranges",
	};
	for (size_t v = 0; v < sizeof(ioas_variants) / sizeof(ioas_variants[0]); v++) {
		for (size_t t = 0; t < sizeof(ioas_tests) / sizeof(ioas_tests[0]); t++) {
			struct ioas_fixture self;
			snprintf(name, sizeof(name), "iommufd_ioas.%s.%s", ioas_variants[v].name,
				 ioas_names[t]);
			current = name;
			ioas_setup(&self, ioas_variants[v].mock_domains,
				   ioas_variants[v].memory_limit);
			ioas_tests[t](&self);
			teardown_iommufd(self.fd);
			tests++;
		}
	}

	for (unsigned int domains = 1; domains <= 2; domains++) {
		mock_domain_tests(domains);
		tests++;
	}

	printf("selftest_dirty: %d fixtures run\n", tests);
	printf("selftest_dirty: ok\n");
	return 0;
}
