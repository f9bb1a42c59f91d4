/*
 * A port of the kernel iommufd selftest's VFIO compatibility tests (tools/testing/selftests/iommu/
 * iommufd.c): the iommufd fixture's simple_ioctls, unmap_cmd, map_cmd, info_cmd, set_iommu_cmd
 * and vfio_ioas, and FIXTURE vfio_compat_mock_domain with its variants Ver1v2 and Ver1v0 (the
 * compatibility IOAS chosen with IOMMU_VFIO_IOAS_SET, then VFIO_SET_IOMMU TYPE1v2 or TYPE1) ×
 * simple_close, option_huge_pages, get_info, map and huge_map. Same sizes, steps and expected
 * results; our own harness and code. docs/bridge.md ("The selftest port") lists what is ported.
 *
 * Buffers the kernel maps are in the bridge's guest memory ($JVFIO_GUEST_MEMORY), placed with
 * MAP_FIXED: the global buffer at its start, huge_map's two huge pages 256 MiB in. huge_map asks
 * for MAP_HUGETLB | MAP_POPULATE as the selftest does; a host without free hugetlb pages (where
 * the selftest's assert aborts) gets an ordinary mapping and a note, since the model's pinning does
 * not depend on the host's page size.
 */
#include "selftest_utils.h"

/* --- FIXTURE(iommufd): the VFIO compatibility ioctls on a bare iommufd ----------------------- */

static void simple_ioctls(int fd)
{
	ASSERT_EQ(VFIO_API_VERSION, ioctl(fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
}

static void unmap_cmd(int fd)
{
	struct vfio_iommu_type1_dma_unmap cmd = {.iova = MOCK_APERTURE_START, .size = page_size};

	cmd.argsz = 1;
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
	cmd.argsz = sizeof(cmd);
	cmd.flags = 1U << 31;
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
	cmd.flags = 0;
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &cmd));
}

static void map_cmd(int fd)
{
	struct vfio_iommu_type1_dma_map cmd = {
		.iova = MOCK_APERTURE_START, .size = page_size, .vaddr = (uintptr_t)buffer,
	};

	cmd.argsz = 1;
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd));
	cmd.argsz = sizeof(cmd);
	cmd.flags = 1U << 31;
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd));
	/* No compatibility IOAS yet */
	cmd.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_MAP_DMA, &cmd));
}

static void info_cmd(int fd)
{
	struct vfio_iommu_type1_info cmd = {0};

	cmd.argsz = 1;
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_IOMMU_GET_INFO, &cmd));
	cmd.argsz = sizeof(cmd);
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_GET_INFO, &cmd));
}

static void set_iommu_cmd(int fd)
{
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
}

static void vfio_ioas(int fd)
{
	struct iommu_vfio_ioas cmd = {.size = sizeof(cmd), .op = IOMMU_VFIO_IOAS_GET};
	__u32 ioas_id;

	ASSERT_ERRNO(ENODEV, ioctl(fd, IOMMU_VFIO_IOAS, &cmd)); /* no compatibility IOAS */
	cmd.op = IOMMU_VFIO_IOAS_SET;
	ASSERT_ERRNO(ENOENT, ioctl(fd, IOMMU_VFIO_IOAS, &cmd)); /* ioas_id 0 */
	ASSERT_OK(ioas_alloc(fd, &ioas_id));
	cmd.ioas_id = ioas_id;
	ASSERT_OK(ioctl(fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.op = IOMMU_VFIO_IOAS_GET;
	cmd.ioas_id = 0;
	ASSERT_OK(ioctl(fd, IOMMU_VFIO_IOAS, &cmd));
	ASSERT_EQ(ioas_id, cmd.ioas_id);
	cmd.op = IOMMU_VFIO_IOAS_CLEAR;
	ASSERT_OK(ioctl(fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.op = IOMMU_VFIO_IOAS_GET;
	ASSERT_ERRNO(ENODEV, ioctl(fd, IOMMU_VFIO_IOAS, &cmd));
}

/* --- FIXTURE(vfio_compat_mock_domain) -------------------------------------------------------- */

struct compat_fixture {
	int fd;
	__u32 ioas_id;
	unsigned int version; /* the variant: VFIO_TYPE1v2_IOMMU (Ver1v2) or VFIO_TYPE1_IOMMU (Ver1v0) */
};

static void compat_setup(struct compat_fixture *self, unsigned int version)
{
	struct iommu_vfio_ioas cmd = {.size = sizeof(cmd), .op = IOMMU_VFIO_IOAS_SET};

	self->version = version;
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_TRUE(self->fd >= 0);
	/* What VFIO would consider a group: an IOAS with a mock device attached */
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, NULL, NULL, NULL));
	cmd.ioas_id = self->ioas_id;
	ASSERT_OK(ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, version));
}

static void simple_close(struct compat_fixture *self)
{
	(void)self;
}

static void option_huge_pages(struct compat_fixture *self)
{
	__u64 val = 3;

	ASSERT_OK(option(self->fd, IOMMU_OPTION_HUGE_PAGES, self->ioas_id, IOMMU_OPTION_OP_GET,
			 &val));
	ASSERT_EQ(self->version == VFIO_TYPE1_IOMMU ? 0 : 1, val);
}

/* ioctl_check_buf: the command at the global buffer; nothing past its argsz may be written. */
static void info_check_buf(int fd)
{
	size_t len = *(__u32 *)buffer;

	memset(buffer + len, 0xAA, BUFFER_SIZE - len);
	ASSERT_OK(ioctl(fd, VFIO_IOMMU_GET_INFO, buffer));
	for (size_t i = len; i < BUFFER_SIZE; i++)
		if ((unsigned char)buffer[i] != 0xAA)
			FAIL("byte %zu past argsz %zu written", i, len);
}

/* check_vfio_info_cap_chain: every capability is one the compat layer makes, and well formed. */
static void check_cap_chain(const struct vfio_iommu_type1_info *info)
{
	const struct vfio_info_cap_header *cap;

	ASSERT_TRUE(info->argsz >= info->cap_offset + sizeof(*cap));
	cap = (const void *)(buffer + info->cap_offset);
	for (;;) {
		const char *end = buffer + (cap->next ? cap->next : info->argsz);
		size_t cap_size = end - (const char *)cap;

		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			const struct vfio_iommu_type1_info_cap_iova_range *data = (const void *)cap;
			const struct vfio_iova_range *ranges = (const void *)(data + 1);

			ASSERT_EQ(1, data->header.version);
			ASSERT_EQ(1, data->nr_iovas);
			ASSERT_EQ(MOCK_APERTURE_START, ranges[0].start);
			ASSERT_EQ(MOCK_APERTURE_LAST, ranges[0].end);
		} else if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			ASSERT_EQ(1, cap->version);
			ASSERT_EQ(sizeof(struct vfio_iommu_type1_info_dma_avail), cap_size);
		} else {
			FAIL("unexpected capability %u", cap->id);
		}
		if (!cap->next)
			break;
		ASSERT_TRUE(info->argsz >= cap->next + sizeof(*cap));
		ASSERT_TRUE(buffer + cap->next >= (const char *)cap);
		cap = (const void *)(buffer + cap->next);
	}
}

static void get_info(struct compat_fixture *self)
{
	struct vfio_iommu_type1_info *info = (void *)buffer;
	const __u32 flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;

	/* The ABI before capabilities: argsz up to cap_offset */
	*info = (struct vfio_iommu_type1_info){.argsz = offsetof(struct vfio_iommu_type1_info,
								  cap_offset)};
	info_check_buf(self->fd);
	ASSERT_TRUE(info->iova_pgsizes != 0);
	ASSERT_EQ(flags, info->flags);

	/* The size of the capability chain */
	*info = (struct vfio_iommu_type1_info){.argsz = sizeof(*info)};
	info_check_buf(self->fd);
	ASSERT_TRUE(info->iova_pgsizes != 0);
	ASSERT_EQ(flags, info->flags);
	ASSERT_EQ(0, info->cap_offset);
	ASSERT_TRUE(sizeof(*info) < info->argsz);

	/* Every argsz up to the whole chain: never a corrupted chain */
	size_t caplen = info->argsz;
	for (size_t i = sizeof(*info); i < caplen; i++) {
		*info = (struct vfio_iommu_type1_info){.argsz = i};
		info_check_buf(self->fd);
		ASSERT_EQ(flags, info->flags);
		if (info->cap_offset)
			check_cap_chain(info);
	}
}

/* A deterministic Fisher-Yates shuffle (the selftest shuffles with rand()). */
static void shuffle(unsigned long *array, size_t n)
{
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1);
		unsigned long tmp = array[i];

		array[i] = array[j];
		array[j] = tmp;
	}
}

static void map(struct compat_fixture *self)
{
	struct vfio_iommu_type1_dma_map map_cmd = {
		.argsz = sizeof(map_cmd),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buffer, .size = BUFFER_SIZE, .iova = MOCK_APERTURE_START,
	};
	struct vfio_iommu_type1_dma_unmap unmap_cmd = {
		.argsz = sizeof(unmap_cmd), .size = BUFFER_SIZE, .iova = MOCK_APERTURE_START,
	};
	unsigned long pages_iova[16]; /* BUFFER_SIZE / PAGE_SIZE */

	/* Map and unmap the whole buffer */
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map_cmd));
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap_cmd));
	ASSERT_EQ(BUFFER_SIZE, unmap_cmd.size);

	/* UNMAP_FLAG_ALL needs iova and size 0 */
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map_cmd));
	unmap_cmd.flags = VFIO_DMA_UNMAP_FLAG_ALL;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap_cmd));
	unmap_cmd.iova = 0;
	unmap_cmd.size = 0;
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap_cmd));
	ASSERT_EQ(BUFFER_SIZE, unmap_cmd.size);

	/* One page at a time, unmapped in a shuffled order */
	for (unsigned int i = 0; i != 16; i++) {
		map_cmd.iova = pages_iova[i] = MOCK_APERTURE_START + i * page_size;
		map_cmd.vaddr = (uintptr_t)buffer + i * page_size;
		map_cmd.size = page_size;
		ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map_cmd));
	}
	shuffle(pages_iova, 16);
	unmap_cmd.flags = 0;
	unmap_cmd.size = page_size;
	for (unsigned int i = 0; i != 16; i++) {
		unmap_cmd.iova = pages_iova[i];
		ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap_cmd));
	}
}

static void huge_map(struct compat_fixture *self)
{
	size_t buf_size = hugepage_size * 2;
	struct vfio_iommu_type1_dma_map map_cmd = {
		.argsz = sizeof(map_cmd),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.size = buf_size, .iova = MOCK_APERTURE_START,
	};
	struct vfio_iommu_type1_dma_unmap unmap_cmd = {.argsz = sizeof(unmap_cmd)};
	unsigned long pages_iova[16];
	char *buf = guest + 256UL * 1024 * 1024;
	int flags = MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED;
	void *vrc;

	/* Huge pages, then unmaps that would split them */
	vrc = mmap(buf, buf_size, PROT_READ | PROT_WRITE, flags | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (vrc == MAP_FAILED) {
		printf("# %s: no hugetlb pages (errno %d): an ordinary mapping instead\n", current,
		       errno);
		vrc = mmap(buf, buf_size, PROT_READ | PROT_WRITE, flags, -1, 0);
	}
	ASSERT_TRUE(vrc == buf);
	map_cmd.vaddr = (uintptr_t)buf;
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map_cmd));

	unmap_cmd.size = buf_size / 16;
	for (unsigned int i = 0; i != 16; i++)
		pages_iova[i] = MOCK_APERTURE_START + i * unmap_cmd.size;
	shuffle(pages_iova, 16);

	/* TYPE1 cuts the mapping up; TYPE1v2 refuses every piece */
	for (unsigned int i = 0; i != 16; i++) {
		unmap_cmd.iova = pages_iova[i];
		unmap_cmd.size = buf_size / 16;
		if (self->version == VFIO_TYPE1_IOMMU) {
			ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap_cmd));
			ASSERT_EQ(buf_size / 16, unmap_cmd.size);
		} else {
			ASSERT_ERRNO(ENOENT, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap_cmd));
		}
	}
}

/* --- main ------------------------------------------------------------------------------------ */

int main(void)
{
	static char name[128];
	int tests = 0;

	setup_sizes();
	srand(1);

	static void (*const iommufd_tests[])(int) = {
		simple_ioctls, unmap_cmd, map_cmd, info_cmd, set_iommu_cmd, vfio_ioas,
	};
	static const char *const iommufd_names[] = {
		"simple_ioctls", "unmap_cmd", "map_cmd", "info_cmd", "set_iommu_cmd", "vfio_ioas",
	};
	for (size_t t = 0; t < sizeof(iommufd_tests) / sizeof(iommufd_tests[0]); t++) {
		snprintf(name, sizeof(name), "iommufd.%s", iommufd_names[t]);
		current = name;
		int fd = open("/dev/iommu", O_RDWR);
		ASSERT_TRUE(fd >= 0);
		iommufd_tests[t](fd);
		teardown_iommufd(fd);
		tests++;
	}

	static const struct {
		const char *name;
		unsigned int version;
	} variants[] = {{"Ver1v2", VFIO_TYPE1v2_IOMMU}, {"Ver1v0", VFIO_TYPE1_IOMMU}};
	static void (*const compat_tests[])(struct compat_fixture *) = {
		simple_close, option_huge_pages, get_info, map, huge_map,
	};
	static const char *const compat_names[] = {
		"simple_close", "option_huge_pages", "get_info", "map", "huge_map",
	};
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		for (size_t t = 0; t < sizeof(compat_tests) / sizeof(compat_tests[0]); t++) {
			struct compat_fixture self;

			snprintf(name, sizeof(name), "vfio_compat_mock_domain.%s.%s",
				 variants[v].name, compat_names[t]);
			current = name;
			compat_setup(&self, variants[v].version);
			compat_tests[t](&self);
			teardown_iommufd(self.fd);
			tests++;
		}
	}

	printf("selftest_compat: %d fixtures run\n", tests);
	printf("selftest_compat: ok\n");
	return 0;
}
