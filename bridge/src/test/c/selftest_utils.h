/*
 * The harness and iommufd_utils.h helpers shared by the ports of the kernel iommufd selftest
 * (tools/testing/selftests/iommu/iommufd.c and iommufd_utils.h): our own versions, one copy for
 * every fixture file. Each port is one translation unit that includes this header once.
 */
#ifndef SELFTEST_UTILS_H
#define SELFTEST_UTILS_H
#include <fcntl.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "uapi.h"

/* drivers/iommu/iommufd/iommufd_test.h, where the headers are the kernel's (not uapi). */
#ifndef JVFIO_UAPI_H
struct iommu_hwpt_selftest {
	__u32 iotlb;
	__u32 pagetable_type;
};
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT 9
#define MOCK_IOMMUPT_DEFAULT 0
#define MOCK_IOMMUPT_HUGE 1
#define MOCK_APERTURE_START (1UL << 24)
#define MOCK_APERTURE_LAST ((1UL << 31) - 1)
#define MOCK_PAGE_SIZE 2048UL
#define MOCK_HUGE_PAGE_SIZE (512 * MOCK_PAGE_SIZE)
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define MOCK_NESTED_DOMAIN_IOTLB_NUM 4
#define MOCK_NESTED_DOMAIN_IOTLB_ID_MAX 3
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef
#define IOMMU_TEST_INVALIDATE_FLAG_ALL (1 << 0)
#endif

/* The harness: the first failure prints its line and ends the program. */
static const char *current = "setup";

#define FAIL(fmt, ...)                                                                    \
	do {                                                                              \
		fprintf(stderr, "%s:%d: %s: " fmt "\n", __FILE__, __LINE__, current,        \
			__VA_ARGS__);                                                     \
		exit(1);                                                                  \
	} while (0)
#define ASSERT_TRUE(cond)                                                                 \
	do {                                                                              \
		if (!(cond))                                                              \
			FAIL("%s is false (errno %d)", #cond, errno);                     \
	} while (0)
#define ASSERT_EQ(want, got)                                                              \
	do {                                                                              \
		unsigned long long w_ = (unsigned long long)(want);                      \
		unsigned long long g_ = (unsigned long long)(got);                       \
		if (w_ != g_)                                                             \
			FAIL("%s: want %llu, got %llu (errno %d)", #got, w_, g_, errno);   \
	} while (0)
#define ASSERT_OK(call) ASSERT_EQ(0, call)
#define ASSERT_ERRNO(err, call)                                                           \
	do {                                                                              \
		errno = 0;                                                                \
		long rc_ = (long)(call);                                                  \
		if (rc_ != -1 || errno != (err))                                          \
			FAIL("%s: want errno %d, got rc %ld errno %d", #call, err, rc_,     \
			     errno);                                                      \
	} while (0)

static unsigned long page_size, hugepage_size;
static char *guest __attribute__((unused)); /* the bridge's guest memory */
static char *buffer;  /* the selftest's global buffer: 16 pages */
#define BUFFER_SIZE (16 * page_size)

/* --- iommufd_utils.h, our own versions ------------------------------------------------------- */

static inline int test_cmd(int fd, struct iommu_test_cmd *cmd, __u32 op, __u32 id)
{
	cmd->size = sizeof(*cmd);
	cmd->op = op;
	cmd->id = id;
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

static inline int ioas_alloc(int fd, __u32 *id)
{
	struct iommu_ioas_alloc cmd = {.size = sizeof(cmd)};
	int rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
	if (rc == 0)
		*id = cmd.out_ioas_id;
	return rc;
}

static inline int destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = {.size = sizeof(cmd), .id = id};
	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

/* MOCK_DOMAIN_FLAGS; any of the out pointers may be NULL; written only on success. */
static inline int mock_domain(int fd, __u32 pt, __u32 flags, __u32 *stdev, __u32 *hwpt, __u32 *idev)
{
	struct iommu_test_cmd cmd = {0};
	cmd.mock_domain_flags.dev_flags = flags;
	int rc = test_cmd(fd, &cmd, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, pt);
	if (rc)
		return rc;
	if (stdev)
		*stdev = cmd.mock_domain_flags.out_stdev_id;
	if (hwpt)
		*hwpt = cmd.mock_domain_flags.out_hwpt_id;
	if (idev)
		*idev = cmd.mock_domain_flags.out_idev_id;
	return 0;
}

static inline int mock_domain_replace(int fd, __u32 stdev, __u32 pt)
{
	struct iommu_test_cmd cmd = {0};
	cmd.mock_domain_replace.pt_id = pt;
	return test_cmd(fd, &cmd, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, stdev);
}

/*
 * _test_cmd_pasid_attach / _replace / _detach and test_cmd_pasid_check_hwpt, on the device of a
 * selftest id: each op's union member starts with the pasid, then (but for DETACH) a pt or HWPT id.
 * CHECK_HWPT is 0 if pasid is attached to hwpt (hwpt 0: to nothing), else EINVAL.
 */
static inline int pasid_op(int fd, __u32 op, __u32 stdev, __u32 pasid, __u32 pt)
{
	struct iommu_test_cmd cmd = {0};
	cmd.pasid_attach.pasid = pasid;
	cmd.pasid_attach.pt_id = pt;
	return test_cmd(fd, &cmd, op, stdev);
}
#define pasid_attach(fd, stdev, pasid, pt) pasid_op(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, pasid, pt)
#define pasid_replace(fd, stdev, pasid, pt) pasid_op(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev, pasid, pt)
#define pasid_detach(fd, stdev, pasid) pasid_op(fd, IOMMU_TEST_OP_PASID_DETACH, stdev, pasid, 0)
#define pasid_check_hwpt(fd, stdev, pasid, hwpt)                                          \
	pasid_op(fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, pasid, hwpt)

/* HWPT_ALLOC; with iommupt >= 0, IOMMU_HWPT_DATA_SELFTEST of that page-table type. */
static inline int hwpt_alloc(int fd, __u32 dev, __u32 pt, __u32 flags, int iommupt, __u32 *out)
{
	struct iommu_hwpt_selftest data = {.pagetable_type = iommupt};
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = flags, .dev_id = dev, .pt_id = pt,
	};
	if (iommupt >= 0) {
		cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
		cmd.data_len = sizeof(data);
		cmd.data_uptr = (uintptr_t)&data;
	}
	int rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
	if (rc == 0)
		*out = cmd.out_hwpt_id;
	return rc;
}

/* _test_cmd_hwpt_alloc with driver data: a nested HWPT on the parent pt; written only on success. */
static inline int hwpt_alloc_nested(int fd, __u32 dev, __u32 pt, __u32 flags, __u32 data_type,
				    void *data, __u32 data_len, __u32 *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = flags, .dev_id = dev, .pt_id = pt,
		.data_type = data_type, .data_len = data_len, .data_uptr = (uintptr_t)data,
	};
	int rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
	if (rc == 0)
		*out = cmd.out_hwpt_id;
	return rc;
}

/* _test_ioctl_fault_alloc: IOMMU_FAULT_QUEUE_ALLOC; the object's id and its fd. */
static inline int fault_alloc(int fd, __u32 *fault_id, __u32 *fault_fd)
{
	struct iommu_fault_alloc cmd = {.size = sizeof(cmd)};
	int rc = ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &cmd);
	if (rc == 0) {
		*fault_id = cmd.out_fault_id;
		*fault_fd = cmd.out_fault_fd;
	}
	return rc;
}

/* _test_cmd_hwpt_alloc with a fault_id (test_cmd_hwpt_alloc_iopf); written only on success. */
static inline int hwpt_alloc_iopf(int fd, __u32 dev, __u32 pt, __u32 fault_id, __u32 flags,
				  __u32 data_type, void *data, __u32 data_len, __u32 *out)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd), .flags = flags, .dev_id = dev, .pt_id = pt,
		.data_type = data_type, .data_len = data_len, .data_uptr = (uintptr_t)data,
		.fault_id = fault_id,
	};
	int rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
	if (rc == 0)
		*out = cmd.out_hwpt_id;
	return rc;
}

/*
 * _test_cmd_trigger_iopf: IOMMU_TEST_OP_TRIGGER_IOPF of a fault (grpid 2, read and write, at
 * 0xdeadbeaf) on pasid of the device, then one record read from fault_fd and answered SUCCESS with
 * its cookie; -EIO if the read or the write moves nothing.
 */
static inline int trigger_iopf(int fd, __u32 dev, __u32 pasid, int fault_fd)
{
	struct iommu_test_cmd cmd = {0};
	struct iommu_hwpt_pgfault fault = {0};
	struct iommu_hwpt_page_response response = {.code = IOMMUFD_PAGE_RESP_SUCCESS};

	cmd.trigger_iopf.dev_id = dev;
	cmd.trigger_iopf.pasid = pasid;
	cmd.trigger_iopf.grpid = 0x2;
	cmd.trigger_iopf.perm = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE;
	cmd.trigger_iopf.addr = 0xdeadbeaf;
	int rc = test_cmd(fd, &cmd, IOMMU_TEST_OP_TRIGGER_IOPF, 0);
	if (rc)
		return rc;
	if (read(fault_fd, &fault, sizeof(fault)) <= 0)
		return -EIO;
	response.cookie = fault.cookie;
	if (write(fault_fd, &response, sizeof(response)) <= 0)
		return -EIO;
	return 0;
}

/* IOMMU_TEST_OP_MD_CHECK_IOTLB: 0 if entry iotlb_id of the mock nested HWPT holds iotlb. */
static inline int check_iotlb(int fd, __u32 hwpt, __u32 iotlb_id, __u32 iotlb)
{
	struct iommu_test_cmd cmd = {0};
	cmd.check_iotlb.id = iotlb_id;
	cmd.check_iotlb.iotlb = iotlb;
	return test_cmd(fd, &cmd, IOMMU_TEST_OP_MD_CHECK_IOTLB, hwpt);
}

/* IOMMU_HWPT_INVALIDATE; *num is entry_num in, and out the entries the kernel handled. */
static inline int hwpt_invalidate(int fd, __u32 hwpt, void *reqs, __u32 data_type, __u32 entry_len,
				  __u32 *num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt, .data_uptr = (uintptr_t)reqs,
		.data_type = data_type, .entry_len = entry_len, .entry_num = *num,
	};
	int rc = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);
	*num = cmd.entry_num;
	return rc;
}

static inline int ioas_map(int fd, __u32 ioas, void *va, size_t length, __u64 *iova, bool fixed)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd), .ioas_id = ioas,
		.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE |
			 (fixed ? IOMMU_IOAS_MAP_FIXED_IOVA : 0),
		.user_va = (uintptr_t)va, .length = length, .iova = fixed ? *iova : 0,
	};
	int rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);
	*iova = cmd.iova;
	return rc;
}

static inline int map_fixed(int fd, __u32 ioas, void *va, size_t length, __u64 iova)
{
	return ioas_map(fd, ioas, va, length, &iova, true);
}

static inline int ioas_unmap(int fd, __u32 ioas, __u64 iova, __u64 length, __u64 *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd), .ioas_id = ioas, .iova = iova, .length = length,
	};
	int rc = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
	if (unmapped)
		*unmapped = cmd.length;
	return rc;
}

static inline int option(int fd, __u32 id, __u32 object, __u16 op, __u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd), .option_id = id, .op = op, .object_id = object, .val64 = *val,
	};
	int rc = ioctl(fd, IOMMU_OPTION, &cmd);
	*val = cmd.val64;
	return rc;
}

static inline int set_dirty_tracking(int fd, __u32 hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt,
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
	};
	return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static inline int get_dirty_bitmap(int fd, __u32 hwpt, __u64 length, __u64 iova, __u64 psize,
			    void *bitmap, __u32 flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd), .hwpt_id = hwpt, .flags = flags, .iova = iova,
		.length = length, .page_size = psize, .data = (uintptr_t)bitmap,
	};
	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

static inline int mark_dirty(int fd, __u32 hwpt, __u64 length, __u64 iova, __u64 psize, void *bitmap,
		      __u64 *nr)
{
	struct iommu_test_cmd cmd = {0};
	cmd.dirty.iova = iova;
	cmd.dirty.length = length;
	cmd.dirty.page_size = psize;
	cmd.dirty.uptr = (uintptr_t)bitmap;
	int rc = test_cmd(fd, &cmd, IOMMU_TEST_OP_DIRTY, hwpt);
	*nr = cmd.dirty.out_nr_dirty;
	return rc;
}

static inline int check_map(int fd, __u32 hwpt, __u64 iova, __u64 length, void *uptr)
{
	struct iommu_test_cmd cmd = {0};
	cmd.check_map.iova = iova;
	cmd.check_map.length = length;
	cmd.check_map.uptr = (uintptr_t)uptr;
	return test_cmd(fd, &cmd, IOMMU_TEST_OP_MD_CHECK_MAP, hwpt);
}

static inline int hw_caps(int fd, __u32 dev, __u64 *caps)
{
	struct iommu_hw_info cmd = {.size = sizeof(cmd), .dev_id = dev};
	int rc = ioctl(fd, IOMMU_GET_HW_INFO, &cmd);
	if (rc == 0 && (cmd.out_data_type != IOMMU_HW_INFO_TYPE_SELFTEST || cmd.data_len != 8))
		FAIL("hw_info type 0x%x len %u", cmd.out_data_type, cmd.data_len);
	*caps = cmd.out_capabilities;
	return rc;
}

static inline int set_temp_memory_limit(int fd, __u32 limit)
{
	struct iommu_test_cmd cmd = {0};
	cmd.memory_limit.limit = limit;
	return test_cmd(fd, &cmd, IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT, 0);
}

/* --- the in-kernel access (IOMMU_TEST_OP_CREATE_ACCESS, ACCESS_RW) ------------------------- */

/* test_cmd_create_access: the access id is the fd the kernel returns. */
static inline int create_access(int fd, __u32 ioas, __u32 *access_id, __u32 flags)
{
	struct iommu_test_cmd cmd = {0};
	cmd.create_access.flags = flags;
	int rc = test_cmd(fd, &cmd, IOMMU_TEST_OP_CREATE_ACCESS, ioas);
	if (rc == 0)
		*access_id = cmd.create_access.out_access_fd;
	return rc;
}

/* test_cmd_destroy_access */
static inline int destroy_access(__u32 access_id)
{
	return close(access_id);
}

/*
 * check_access_rw: random bytes in the global buffer (mapped at iova), read back through the access
 * at every offset within 50 bytes of a page boundary and every length below 64, written through it
 * and compared, then the whole buffer at once.
 */
static inline void check_access_rw(int fd, __u32 access_id, __u64 iova, __u32 def_flags)
{
	uint16_t tmp[32];
	struct iommu_test_cmd access_cmd = {0};
	uint16_t *buffer16 = (uint16_t *)buffer;

	access_cmd.size = sizeof(access_cmd);
	access_cmd.op = IOMMU_TEST_OP_ACCESS_RW;
	access_cmd.id = access_id;
	access_cmd.access_rw.uptr = (uintptr_t)tmp;

	for (unsigned int i = 0; i != BUFFER_SIZE / sizeof(*buffer16); i++)
		buffer16[i] = rand();

	for (access_cmd.access_rw.iova = iova + page_size - 50;
	     access_cmd.access_rw.iova < iova + page_size + 50; access_cmd.access_rw.iova++) {
		for (access_cmd.access_rw.length = 1; access_cmd.access_rw.length < sizeof(tmp);
		     access_cmd.access_rw.length++) {
			access_cmd.access_rw.flags = def_flags;
			ASSERT_OK(ioctl(fd, IOMMU_TEST_CMD, &access_cmd));
			ASSERT_OK(memcmp(buffer + (access_cmd.access_rw.iova - iova), tmp,
					 access_cmd.access_rw.length));

			for (unsigned int i = 0; i != sizeof(tmp) / sizeof(tmp[0]); i++)
				tmp[i] = rand();
			access_cmd.access_rw.flags = def_flags | MOCK_ACCESS_RW_WRITE;
			ASSERT_OK(ioctl(fd, IOMMU_TEST_CMD, &access_cmd));
			ASSERT_OK(memcmp(buffer + (access_cmd.access_rw.iova - iova), tmp,
					 access_cmd.access_rw.length));
		}
	}

	/* Multi-page test */
	void *tmp2 = malloc(BUFFER_SIZE);
	ASSERT_TRUE(tmp2 != NULL);
	access_cmd.access_rw.iova = iova;
	access_cmd.access_rw.length = BUFFER_SIZE;
	access_cmd.access_rw.flags = def_flags;
	access_cmd.access_rw.uptr = (uintptr_t)tmp2;
	ASSERT_OK(ioctl(fd, IOMMU_TEST_CMD, &access_cmd));
	ASSERT_OK(memcmp(buffer, tmp2, access_cmd.access_rw.length));
	free(tmp2);
}

/* FIXTURE(iommufd_ioas): an IOAS with 0, 1 or 2 mock domains and a temporary memory limit. */
struct ioas_fixture {
	int fd;
	__u32 ioas_id, stdev_id, hwpt_id, device_id;
	__u64 base_iova;
	unsigned int mock_domains;
};

static inline void ioas_setup(struct ioas_fixture *self, unsigned int mock_domains, __u32 limit)
{
	memset(self, 0, sizeof(*self));
	self->mock_domains = mock_domains;
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_TRUE(self->fd >= 0);
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_OK(set_temp_memory_limit(self->fd, limit ? limit : 65536));
	for (unsigned int i = 0; i != mock_domains; i++) {
		ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, &self->stdev_id, &self->hwpt_id,
				      &self->device_id));
		self->base_iova = MOCK_APERTURE_START;
	}
}

/* teardown_iommufd: on a fresh fd, no page of the global buffer is pinned any more. */
static inline void teardown_iommufd(int fd)
{
	ASSERT_OK(close(fd));
	fd = open("/dev/iommu", O_RDWR);
	ASSERT_TRUE(fd >= 0);
	struct iommu_test_cmd cmd = {0};
	cmd.check_refs.length = BUFFER_SIZE;
	cmd.check_refs.uptr = (uintptr_t)buffer;
	ASSERT_OK(test_cmd(fd, &cmd, IOMMU_TEST_OP_MD_CHECK_REFS, 0));
	ASSERT_OK(close(fd));
}

static inline bool bit(const unsigned char *map, unsigned long i)
{
	return map[i / 8] >> (i % 8) & 1;
}

static inline unsigned long hpage_pmd_size(void)
{
	char buf[80];
	int fd = open("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", O_RDONLY);
	if (fd < 0)
		return 2UL << 20;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 2UL << 20;
	buf[n] = 0;
	return strtoul(buf, NULL, 10);
}

/*
 * setup_sizes(): the page sizes, the bridge's guest memory (at least 512 MiB, HUGEPAGE_SIZE
 * aligned: the ports place their buffers in it) and the global buffer at its start, MAP_SHARED.
 */
static inline void setup_sizes(void)
{
	size_t guest_size;

	page_size = sysconf(_SC_PAGESIZE);
	hugepage_size = hpage_pmd_size();
	guest = guest_memory(&guest_size);
	ASSERT_TRUE(guest_size >= 512UL << 20);
	ASSERT_EQ(0, (uintptr_t)guest % hugepage_size);
	buffer = guest;
	ASSERT_TRUE(mmap(buffer, BUFFER_SIZE, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == buffer);
}

/* Runs each test under every FIXTURE_VARIANT of iommufd_ioas, with its setup and teardown. */
static inline int run_ioas_tests(void (*const tests[])(struct ioas_fixture *),
				 const char *const names[], size_t n)
{
	static const struct {
		const char *name;
		unsigned int mock_domains, memory_limit;
	} variants[] = {
		{"no_domain", 0, 0}, {"mock_domain", 1, 0}, {"two_mock_domain", 2, 0},
		{"mock_domain_limit", 1, 16},
	};
	static char name[128];
	int run = 0;
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		for (size_t t = 0; t < n; t++) {
			struct ioas_fixture self;
			snprintf(name, sizeof(name), "iommufd_ioas.%s.%s", variants[v].name, names[t]);
			current = name;
			ioas_setup(&self, variants[v].mock_domains, variants[v].memory_limit);
			tests[t](&self);
			teardown_iommufd(self.fd);
			run++;
		}
	}
	return run;
}

/* --- IOMMU_IOAS_MAP_FILE (the selftest's file variants) --------------------------------------- */

#include <linux/memfd.h>
#include <sys/syscall.h>

#define RW (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

/* The selftest's second global buffer: a memfd of BUFFER_SIZE, mapped shared (setup_memfd). */
static void *mfd_buffer __attribute__((unused));
static int mfd __attribute__((unused));

/* memfd_mmap: a memfd of length bytes (MFD_HUGETLB for MAP_HUGETLB), mapped with prot and flags. */
static inline void *memfd_mmap(size_t length, int prot, int flags, int *fd_out)
{
	int fd = (int)syscall(SYS_memfd_create, "buffer", (flags & MAP_HUGETLB) ? MFD_HUGETLB : 0);
	if (fd <= 0 || ftruncate(fd, length))
		return MAP_FAILED;
	*fd_out = fd;
	return mmap(0, length, prot, flags, fd, 0);
}

/* _test_ioctl_ioas_map_file: IOMMU_IOAS_MAP_FILE of [start, start + length) of the file fd. */
static inline int map_file(int fd, __u32 ioas, int file, size_t start, size_t length, __u64 *iova,
		    __u32 flags)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd), .flags = flags, .ioas_id = ioas, .fd = file,
		.start = start, .length = length,
	};
	if (flags & IOMMU_IOAS_MAP_FIXED_IOVA)
		cmd.iova = *iova;
	int rc = ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);
	*iova = cmd.iova;
	return rc;
}

static inline void setup_memfd(void)
{
	mfd_buffer = memfd_mmap(BUFFER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, &mfd);
	ASSERT_TRUE(mfd_buffer != MAP_FAILED);
}

#endif
