/*
 * An iommufd dirty-tracking client in the style of the kernel's iommufd selftest: a mock device
 * (IOMMU_TEST_CMD), a dirty-tracking HWPT, a mapped buffer, dirty marks by IOMMU_TEST_OP_DIRTY,
 * and bitmaps read back with and without NO_CLEAR, at an unaligned address too.
 */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "uapi.h"

#define IOVA (1UL << 24)
#define PAGE 4096UL
#define NPAGES 256UL

static int fd;

static int test_cmd(struct iommu_test_cmd *cmd, __u32 op, __u32 id)
{
	cmd->size = sizeof(*cmd);
	cmd->op = op;
	cmd->id = id;
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

static int get_bitmap(__u32 hwpt, void *data, __u32 flags)
{
	struct iommu_hwpt_get_dirty_bitmap get = {
		.size = sizeof(get), .hwpt_id = hwpt, .flags = flags,
		.iova = IOVA, .length = NPAGES * PAGE, .page_size = PAGE,
		.data = (uintptr_t)data,
	};
	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &get);
}

int main(void)
{
	size_t guest_size;
	char *buffer = guest_memory(&guest_size);

	fd = open("/dev/iommu", O_RDWR);
	CHECK(fd >= 0);

	struct iommu_ioas_alloc alloc = {.size = sizeof(alloc)};
	CHECK(ioctl(fd, IOMMU_IOAS_ALLOC, &alloc) == 0);
	__u32 ioas = alloc.out_ioas_id;

	/*
	 * The mock device's domains are MOCK_IOMMUPT_DEFAULT tables (mock_domain_alloc_paging_flags in
	 * drivers/iommu/iommufd/selftest.c), which map 1 MiB leaves where memory allows: page-sized
	 * marks need page-sized leaves, so turn huge pages off as the selftest's dirty fixture does.
	 */
	struct iommu_option huge = {
		.size = sizeof(huge), .option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_SET, .object_id = ioas, .val64 = 0,
	};
	CHECK(ioctl(fd, IOMMU_OPTION, &huge) == 0);

	struct iommu_test_cmd md = {0};
	CHECK(test_cmd(&md, IOMMU_TEST_OP_MOCK_DOMAIN, ioas) == 0);
	__u32 stdev = md.mock_domain.out_stdev_id, idev = md.mock_domain.out_idev_id;
	CHECK(stdev == ioas + 1 && idev == ioas + 2);

	struct iommu_hwpt_alloc hwpt_alloc = {
		.size = sizeof(hwpt_alloc), .flags = IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		.dev_id = idev, .pt_id = ioas,
	};
	CHECK(ioctl(fd, IOMMU_HWPT_ALLOC, &hwpt_alloc) == 0);
	__u32 hwpt = hwpt_alloc.out_hwpt_id;

	struct iommu_test_cmd replace = {0};
	replace.mock_domain_replace.pt_id = hwpt;
	CHECK(test_cmd(&replace, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev) == 0);

	struct iommu_ioas_map map = {
		.size = sizeof(map), .ioas_id = ioas,
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE,
		.user_va = (uintptr_t)buffer, .length = NPAGES * PAGE, .iova = IOVA,
	};
	CHECK(ioctl(fd, IOMMU_IOAS_MAP, &map) == 0);

	struct iommu_test_cmd check = {0};
	check.check_map.iova = IOVA;
	check.check_map.length = NPAGES * PAGE;
	check.check_map.uptr = (uintptr_t)buffer;
	CHECK(test_cmd(&check, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt) == 0);

	/* Marking needs tracking on. */
	__u64 marks[NPAGES / 64] = {0};
	marks[0] = 0x8000000000000101ULL; /* pages 0, 8, 63 */
	marks[3] = 1ULL << 42;            /* page 234 */
	struct iommu_test_cmd dirty = {0};
	dirty.dirty.iova = IOVA;
	dirty.dirty.length = NPAGES * PAGE;
	dirty.dirty.page_size = PAGE;
	dirty.dirty.uptr = (uintptr_t)marks;
	CHECK_ERRNO(EINVAL, test_cmd(&dirty, IOMMU_TEST_OP_DIRTY, hwpt));

	struct iommu_hwpt_set_dirty_tracking set = {
		.size = sizeof(set), .flags = IOMMU_HWPT_DIRTY_TRACKING_ENABLE, .hwpt_id = hwpt,
	};
	CHECK(ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &set) == 0);
	CHECK(test_cmd(&dirty, IOMMU_TEST_OP_DIRTY, hwpt) == 0);
	CHECK(dirty.dirty.out_nr_dirty == 4);

	/* NO_CLEAR twice, then clear, then nothing: at an unaligned address (+0xff1). */
	static unsigned char area[2 * PAGE];
	unsigned char *bitmap = area + 0xff1;
	for (int round = 0; round < 3; round++) {
		__u32 flags = round < 2 ? IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0;
		memset(area, 0, sizeof(area));
		CHECK(get_bitmap(hwpt, bitmap, flags) == 0);
		CHECK(memcmp(bitmap, marks, sizeof(marks)) == 0);
	}
	memset(area, 0, sizeof(area));
	CHECK(get_bitmap(hwpt, bitmap, 0) == 0);
	for (size_t i = 0; i < sizeof(marks); i++)
		CHECK(bitmap[i] == 0);
	CHECK(area[0xff0] == 0 && area[0xff1 + sizeof(marks)] == 0);

	/* A NO_DIRTY device: refused by a dirty HWPT (EINVAL), cannot allocate one (EOPNOTSUPP). */
	struct iommu_test_cmd nd = {0};
	nd.mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_NO_DIRTY;
	CHECK_ERRNO(EINVAL, test_cmd(&nd, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, hwpt));
	CHECK(test_cmd(&nd, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, ioas) == 0);
	hwpt_alloc.dev_id = nd.mock_domain_flags.out_idev_id;
	CHECK_ERRNO(EOPNOTSUPP, ioctl(fd, IOMMU_HWPT_ALLOC, &hwpt_alloc));

	struct iommu_destroy destroy = {.size = sizeof(destroy), .id = nd.mock_domain_flags.out_stdev_id};
	CHECK(ioctl(fd, IOMMU_DESTROY, &destroy) == 0);
	destroy.id = stdev;
	CHECK(ioctl(fd, IOMMU_DESTROY, &destroy) == 0);
	CHECK(close(fd) == 0);

	/* Teardown as the selftest does it: a fresh fd, no page of the buffer pinned any more. */
	fd = open("/dev/iommu", O_RDWR);
	struct iommu_test_cmd refs = {0};
	refs.check_refs.length = NPAGES * PAGE;
	refs.check_refs.uptr = (uintptr_t)buffer;
	refs.check_refs.refs = 0;
	CHECK(test_cmd(&refs, IOMMU_TEST_OP_MD_CHECK_REFS, 0) == 0);
	CHECK(close(fd) == 0);
	return report("dirty_tracking");
}
