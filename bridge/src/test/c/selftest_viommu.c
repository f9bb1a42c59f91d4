/*
 * A port of the kernel iommufd selftest's FIXTURE(iommufd_viommu) (tools/testing/selftests/iommu/
 * iommufd.c) in our own C: a mock device, a NEST_PARENT mock HWPT and an IOMMU_VIOMMU_TYPE_SELFTEST
 * vIOMMU on it with a nested HWPT (variant mock_viommu) or none of them (variant no_viommu). Ported:
 * viommu_auto_destroy, viommu_negative_tests, viommu_alloc_nested_iopf, vdevice_alloc (with its
 * vEVENTQ), vdevice_cache, vdevice_tombstone; our own: the vEVENTQ's allocation, read and destroy
 * rules (veventq_alloc_rules, veventq_read). Not ported: viommu_alloc_with_data (vIOMMU data and
 * mmap), hw_queue (IOMMU_HW_QUEUE_ALLOC).
 */
#include <poll.h>
#include "selftest_utils.h"

/* drivers/iommu/iommufd/iommufd_test.h, where the headers are the kernel's (not uapi). */
#ifndef JVFIO_UAPI_H
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad
#define MOCK_DEV_CACHE_ID_MAX 3
#define MOCK_DEV_CACHE_NUM 4
#endif

struct viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};

struct viommu_event_selftest {
	__u32 virt_id;
};

/* FIXTURE(iommufd_viommu) */
struct viommu_fixture {
	int fd;
	__u32 ioas_id, stdev_id, hwpt_id, nested_hwpt_id, device_id, viommu_id;
};

static int viommu_alloc(int fd, __u32 dev, __u32 hwpt, __u32 type, __u32 *out)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd), .type = type, .dev_id = dev, .hwpt_id = hwpt,
	};
	int rc = ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);
	if (rc == 0 && out)
		*out = cmd.out_viommu_id;
	return rc;
}

static int vdevice_alloc(int fd, __u32 viommu, __u32 dev, __u64 virt_id, __u32 *out)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd), .viommu_id = viommu, .dev_id = dev, .virt_id = virt_id,
	};
	int rc = ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);
	if (rc == 0 && out)
		*out = cmd.out_vdevice_id;
	return rc;
}

static int veventq_alloc(int fd, __u32 viommu, __u32 type, __u32 depth, __u32 *id, int *qfd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd), .viommu_id = viommu, .type = type, .veventq_depth = depth,
	};
	int rc = ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd);
	if (rc == 0) {
		if (id)
			*id = cmd.out_veventq_id;
		if (qfd)
			*qfd = cmd.out_veventq_fd;
	}
	return rc;
}

/* _test_cmd_viommu_invalidate: entry_num goes in and comes back in *num. */
static int viommu_invalidate(int fd, __u32 viommu, void *reqs, __u32 type, __u32 len, __u32 *num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd), .hwpt_id = viommu, .data_type = type,
		.data_uptr = (uintptr_t)reqs, .entry_len = len, .entry_num = *num,
	};
	int rc = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);
	*num = cmd.entry_num;
	return rc;
}

static int dev_check_cache(int fd, __u32 dev, __u32 cache_id, __u32 expected)
{
	struct iommu_test_cmd cmd = {0};
	cmd.check_dev_cache.id = cache_id;
	cmd.check_dev_cache.cache = expected;
	return test_cmd(fd, &cmd, IOMMU_TEST_OP_DEV_CHECK_CACHE, dev);
}

static void check_cache_all(int fd, __u32 dev, __u32 expected)
{
	for (__u32 c = 0; c < MOCK_DEV_CACHE_NUM; c++)
		ASSERT_OK(dev_check_cache(fd, dev, c, expected));
}

static int trigger_vevents(int fd, __u32 dev, unsigned int n)
{
	struct iommu_test_cmd cmd = {0};
	cmd.trigger_vevent.dev_id = dev;
	while (n--)
		if (test_cmd(fd, &cmd, IOMMU_TEST_OP_TRIGGER_VEVENT, 0))
			return -1;
	return 0;
}

static void viommu_setup(struct viommu_fixture *self, bool viommu)
{
	memset(self, 0, sizeof(*self));
	self->fd = open("/dev/iommu", O_RDWR);
	ASSERT_TRUE(self->fd >= 0);
	ASSERT_OK(ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_OK(set_temp_memory_limit(self->fd, 65536));
	if (!viommu)
		return;
	ASSERT_OK(mock_domain(self->fd, self->ioas_id, 0, &self->stdev_id, NULL, &self->device_id));
	ASSERT_OK(hwpt_alloc(self->fd, self->device_id, self->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			     -1, &self->hwpt_id));
	ASSERT_OK(viommu_alloc(self->fd, self->device_id, self->hwpt_id, IOMMU_VIOMMU_TYPE_SELFTEST,
			       &self->viommu_id));
	struct iommu_hwpt_selftest data = {.iotlb = IOMMU_TEST_IOTLB_DEFAULT};
	ASSERT_OK(hwpt_alloc_nested(self->fd, self->device_id, self->viommu_id, 0,
				    IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
				    &self->nested_hwpt_id));
}

/* TEST_F(iommufd_viommu, viommu_auto_destroy): teardown frees everything. */
static void viommu_auto_destroy(struct viommu_fixture *self)
{
	(void)self;
}

/* TEST_F(iommufd_viommu, viommu_negative_tests) */
static void viommu_negative_tests(struct viommu_fixture *self)
{
	__u32 hwpt_id;

	if (!self->device_id) {
		ASSERT_ERRNO(ENOENT, viommu_alloc(self->fd, self->device_id, self->hwpt_id,
						  IOMMU_VIOMMU_TYPE_SELFTEST, NULL));
		return;
	}
	/* Invalid hwpt (hwpt_id = 0) */
	ASSERT_ERRNO(ENOENT, viommu_alloc(self->fd, self->device_id, 0, IOMMU_VIOMMU_TYPE_SELFTEST,
					  NULL));
	/* Not a nesting parent */
	ASSERT_OK(hwpt_alloc(self->fd, self->device_id, self->ioas_id, 0, -1, &hwpt_id));
	ASSERT_ERRNO(EINVAL, viommu_alloc(self->fd, self->device_id, hwpt_id,
					  IOMMU_VIOMMU_TYPE_SELFTEST, NULL));
	ASSERT_OK(destroy(self->fd, hwpt_id));
	/* Unsupported vIOMMU type */
	ASSERT_ERRNO(EOPNOTSUPP, viommu_alloc(self->fd, self->device_id, self->hwpt_id, 0xdead, NULL));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
}

/*
 * _test_cmd_read_vevents: reads n events of 12 bytes; EOVERFLOW at a lost-events header or a
 * sequence gap, EINVAL for another virt_id.
 */
static int read_vevents(int qfd, unsigned int n, __u32 virt_id, int *prev_seq)
{
	struct pollfd pfd = {.fd = qfd, .events = POLLIN};
	const size_t size = sizeof(struct iommufd_vevent_header) + sizeof(struct viommu_event_selftest);
	char buf[16 * 12];

	if (poll(&pfd, 1, 1000) < 0)
		return -1;
	if (n * size > sizeof(buf) || read(qfd, buf, n * size) <= 0) {
		errno = EFAULT;
		return -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct iommufd_vevent_header *hdr = (void *)(buf + i * size);
		struct viommu_event_selftest *event = (void *)(hdr + 1);

		if ((hdr->flags & IOMMU_VEVENTQ_FLAG_LOST_EVENTS) ||
		    (int)hdr->sequence - *prev_seq > 1) {
			*prev_seq = hdr->sequence;
			errno = EOVERFLOW;
			return -1;
		}
		*prev_seq = hdr->sequence;
		if (event->virt_id != virt_id) {
			errno = EINVAL;
			return -1;
		}
	}
	return 0;
}

/* TEST_F(iommufd_viommu, vdevice_alloc) */
static void vdevice_alloc_test(struct viommu_fixture *self)
{
	__u32 viommu = self->viommu_id, dev = self->device_id, vdev_id = 0, veventq_id;
	int fd = self->fd, qfd, prev_seq = -1;

	if (!dev) {
		ASSERT_ERRNO(ENOENT, vdevice_alloc(fd, viommu, dev, 0x99, NULL));
		return;
	}
	/* A vDEVICE must come before an attach to a nested HWPT */
	ASSERT_ERRNO(ENOENT, mock_domain_replace(fd, self->stdev_id, self->nested_hwpt_id));
	/* A vEVENTQ of depth 2, once per type */
	ASSERT_OK(veventq_alloc(fd, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &veventq_id, &qfd));
	ASSERT_ERRNO(EEXIST, veventq_alloc(fd, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, NULL, NULL));
	/* virt_id 0x99, then 0x88 */
	ASSERT_OK(vdevice_alloc(fd, viommu, dev, 0x99, &vdev_id));
	ASSERT_OK(mock_domain_replace(fd, self->stdev_id, self->nested_hwpt_id));
	ASSERT_OK(trigger_vevents(fd, dev, 1));
	ASSERT_OK(read_vevents(qfd, 1, 0x99, &prev_seq));
	ASSERT_ERRNO(EEXIST, vdevice_alloc(fd, viommu, dev, 0x99, &vdev_id));
	ASSERT_OK(mock_domain_replace(fd, self->stdev_id, self->ioas_id));
	ASSERT_OK(destroy(fd, vdev_id));

	ASSERT_OK(vdevice_alloc(fd, viommu, dev, 0x88, &vdev_id));
	ASSERT_OK(mock_domain_replace(fd, self->stdev_id, self->nested_hwpt_id));
	/* Three events overflow the queue of two */
	ASSERT_OK(trigger_vevents(fd, dev, 3));
	ASSERT_ERRNO(EOVERFLOW, read_vevents(qfd, 3, 0x88, &prev_seq));
	/* The previous read took the overflow */
	ASSERT_OK(trigger_vevents(fd, dev, 1));
	ASSERT_OK(read_vevents(qfd, 1, 0x88, &prev_seq));
	ASSERT_OK(close(qfd));
	ASSERT_OK(mock_domain_replace(fd, self->stdev_id, self->ioas_id));
	ASSERT_OK(destroy(fd, vdev_id));
	ASSERT_OK(destroy(fd, veventq_id));
}

/* TEST_F(iommufd_viommu, vdevice_cache) */
static void vdevice_cache(struct viommu_fixture *self)
{
	struct viommu_invalidate_selftest inv[2] = {0};
	const __u32 sel = IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, len = sizeof(inv[0]);
	__u32 viommu = self->viommu_id, dev = self->device_id, vdev_id = 0, num;
	int fd = self->fd;

	if (!dev)
		return; /* SKIP for no_viommu, as the kernel's */
	ASSERT_OK(vdevice_alloc(fd, viommu, dev, 0x99, &vdev_id));
	check_cache_all(fd, dev, IOMMU_TEST_DEV_CACHE_DEFAULT);

	/* data_type checked with a zero-length array */
	num = 0;
	ASSERT_OK(viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(0, num);
	/* Invalid data_type */
	num = 1;
	ASSERT_ERRNO(EINVAL, viommu_invalidate(fd, viommu, inv,
					       IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID, len,
					       &num));
	ASSERT_EQ(0, num);
	/* Structure size sanity */
	num = 1;
	ASSERT_ERRNO(EINVAL, viommu_invalidate(fd, viommu, inv, sel, len + 1, &num));
	ASSERT_EQ(0, num);
	num = 1;
	ASSERT_ERRNO(EINVAL, viommu_invalidate(fd, viommu, inv, sel, 1, &num));
	ASSERT_EQ(0, num);
	/* Invalid flag */
	num = 1;
	inv[0].flags = 0xffffffff;
	inv[0].vdev_id = 0x99;
	ASSERT_ERRNO(EOPNOTSUPP, viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(0, num);
	/* Invalid data_uptr with a non-empty array */
	num = 1;
	inv[0].flags = 0;
	ASSERT_ERRNO(EINVAL, viommu_invalidate(fd, viommu, NULL, sel, len, &num));
	ASSERT_EQ(0, num);
	/* Invalid entry_len with a non-empty array */
	num = 1;
	ASSERT_ERRNO(EINVAL, viommu_invalidate(fd, viommu, inv, sel, 0, &num));
	ASSERT_EQ(0, num);
	/* Invalid cache_id */
	num = 1;
	inv[0].cache_id = MOCK_DEV_CACHE_ID_MAX + 1;
	ASSERT_ERRNO(EINVAL, viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(0, num);
	/* Invalid vdev_id */
	num = 1;
	inv[0].vdev_id = 0x9;
	inv[0].cache_id = 0;
	ASSERT_ERRNO(EINVAL, viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(0, num);

	/* The 1st request invalidates entry 0; the 2nd fails on its flags */
	num = 2;
	inv[0] = (struct viommu_invalidate_selftest){.vdev_id = 0x99, .cache_id = 0};
	inv[1] = (struct viommu_invalidate_selftest){.flags = 0xffffffff, .vdev_id = 0x99,
						       .cache_id = 1};
	ASSERT_ERRNO(EOPNOTSUPP, viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(1, num);
	ASSERT_OK(dev_check_cache(fd, dev, 0, 0));
	for (__u32 c = 1; c < MOCK_DEV_CACHE_NUM; c++)
		ASSERT_OK(dev_check_cache(fd, dev, c, IOMMU_TEST_DEV_CACHE_DEFAULT));

	/* The 1st request invalidates entry 0; the 2nd fails on its cache_id */
	num = 2;
	inv[1] = (struct viommu_invalidate_selftest){.vdev_id = 0x99,
						       .cache_id = MOCK_DEV_CACHE_ID_MAX + 1};
	ASSERT_ERRNO(EINVAL, viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(1, num);
	ASSERT_OK(dev_check_cache(fd, dev, 0, 0));
	for (__u32 c = 1; c < MOCK_DEV_CACHE_NUM; c++)
		ASSERT_OK(dev_check_cache(fd, dev, c, IOMMU_TEST_DEV_CACHE_DEFAULT));

	/* Invalidate entry 1 */
	num = 1;
	inv[0] = (struct viommu_invalidate_selftest){.vdev_id = 0x99, .cache_id = 1};
	ASSERT_OK(viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(1, num);
	ASSERT_OK(dev_check_cache(fd, dev, 0, 0));
	ASSERT_OK(dev_check_cache(fd, dev, 1, 0));
	ASSERT_OK(dev_check_cache(fd, dev, 2, IOMMU_TEST_DEV_CACHE_DEFAULT));
	ASSERT_OK(dev_check_cache(fd, dev, 3, IOMMU_TEST_DEV_CACHE_DEFAULT));

	/* Invalidate entries 2 and 3 */
	num = 2;
	inv[0] = (struct viommu_invalidate_selftest){.vdev_id = 0x99, .cache_id = 2};
	inv[1] = (struct viommu_invalidate_selftest){.vdev_id = 0x99, .cache_id = 3};
	ASSERT_OK(viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(2, num);
	check_cache_all(fd, dev, 0);

	/* Invalidate all entries */
	num = 1;
	inv[0] = (struct viommu_invalidate_selftest){.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL,
						       .vdev_id = 0x99};
	ASSERT_OK(viommu_invalidate(fd, viommu, inv, sel, len, &num));
	ASSERT_EQ(1, num);
	check_cache_all(fd, dev, 0);
	ASSERT_OK(destroy(fd, vdev_id));
}

/*
 * TEST_F(iommufd_viommu, viommu_alloc_nested_iopf): a fault-capable nested HWPT on the vIOMMU, which
 * the mock device can use only once it has a vDEVICE there; a fault goes through the queue.
 */
static void viommu_alloc_nested_iopf(struct viommu_fixture *self)
{
	struct iommu_hwpt_selftest data = {.iotlb = IOMMU_TEST_IOTLB_DEFAULT};
	__u32 iopf_hwpt_id, fault_id, fault_fd, vdev_id;

	if (!self->device_id)
		return; /* SKIP for no_viommu */
	ASSERT_OK(fault_alloc(self->fd, &fault_id, &fault_fd));
	ASSERT_ERRNO(ENOENT, hwpt_alloc_iopf(self->fd, self->device_id, self->viommu_id,
					     UINT32_MAX, IOMMU_HWPT_FAULT_ID_VALID,
					     IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
					     &iopf_hwpt_id));
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_iopf(self->fd, self->device_id, self->viommu_id,
						 fault_id, IOMMU_HWPT_FAULT_ID_VALID | (1u << 31),
						 IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
						 &iopf_hwpt_id));
	ASSERT_OK(hwpt_alloc_iopf(self->fd, self->device_id, self->viommu_id, fault_id,
				  IOMMU_HWPT_FAULT_ID_VALID, IOMMU_HWPT_DATA_SELFTEST, &data,
				  sizeof(data), &iopf_hwpt_id));

	/* the vDEVICE comes before the attach to a nested HWPT of the vIOMMU */
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->stdev_id, iopf_hwpt_id));
	ASSERT_OK(vdevice_alloc(self->fd, self->viommu_id, self->device_id, 0x99, &vdev_id));
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, iopf_hwpt_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, iopf_hwpt_id));
	ASSERT_OK(trigger_iopf(self->fd, self->device_id, 0, fault_fd));

	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, self->ioas_id));
	ASSERT_OK(destroy(self->fd, iopf_hwpt_id));
	ASSERT_OK(close(fault_fd));
	ASSERT_OK(destroy(self->fd, fault_id));
}

/* TEST_F(iommufd_viommu, vdevice_tombstone): a vDEVICE goes with its device; its id stays taken. */
static void vdevice_tombstone(struct viommu_fixture *self)
{
	__u32 vdev_id = 0;

	if (!self->device_id)
		return; /* SKIP for no_viommu */
	ASSERT_OK(vdevice_alloc(self->fd, self->viommu_id, self->device_id, 0x99, &vdev_id));
	ASSERT_OK(destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, vdev_id));
}

/* Our own: IOMMU_VEVENTQ_ALLOC's checks in eventq.c's order, and the destroy rules. */
static void veventq_alloc_rules(struct viommu_fixture *self)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd), .viommu_id = self->viommu_id,
		.type = IOMMU_VEVENTQ_TYPE_SELFTEST, .veventq_depth = 2,
	};
	__u32 id;
	int qfd;

	if (!self->viommu_id) {
		ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
		return;
	}
	cmd.flags = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.__reserved = 0;
	cmd.type = IOMMU_VEVENTQ_TYPE_DEFAULT;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.type = IOMMU_VEVENTQ_TYPE_SELFTEST;
	cmd.veventq_depth = 0;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.veventq_depth = (1U << 19) + 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));
	cmd.veventq_depth = 1U << 19;
	cmd.viommu_id = self->hwpt_id; /* not a vIOMMU */
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &cmd));

	ASSERT_OK(veventq_alloc(self->fd, self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 1U << 19,
				&id, &qfd));
	ASSERT_TRUE(qfd > 2);
	ASSERT_ERRNO(EEXIST, veventq_alloc(self->fd, self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
					   NULL, NULL));
	/* Another type is another queue */
	__u32 id2;
	int qfd2;
	ASSERT_OK(veventq_alloc(self->fd, self->viommu_id, 0x1234, 1, &id2, &qfd2));
	/* The queue holds the vIOMMU; its fd holds the queue */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, id));
	ASSERT_OK(close(qfd));
	ASSERT_OK(destroy(self->fd, id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, id));
	ASSERT_OK(close(qfd2));
	ASSERT_OK(destroy(self->fd, id2));
	ASSERT_OK(destroy(self->fd, self->nested_hwpt_id));
	ASSERT_OK(destroy(self->fd, self->viommu_id));
	self->viommu_id = 0;
}

/* Our own: reading an empty vEVENTQ fd, its short reads, no write, no position. */
static void veventq_read(struct viommu_fixture *self)
{
	char buf[64];
	__u32 id;
	int qfd;

	if (!self->viommu_id)
		return;
	ASSERT_OK(veventq_alloc(self->fd, self->viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, &id,
				&qfd));
	ASSERT_EQ(0, read(qfd, buf, sizeof(buf)));
	ASSERT_ERRNO(EINVAL, read(qfd, buf, sizeof(struct iommufd_vevent_header) - 1));
	ASSERT_ERRNO(EINVAL, write(qfd, buf, sizeof(buf)));
	ASSERT_ERRNO(ESPIPE, pread(qfd, buf, sizeof(buf), 0));
	ASSERT_ERRNO(ESPIPE, pwrite(qfd, buf, sizeof(buf), 0));
	/* A device not attached through the vIOMMU reports nothing */
	ASSERT_ERRNO(ENOENT, trigger_vevents(self->fd, self->device_id, 1));
	ASSERT_ERRNO(ENOENT, trigger_vevents(self->fd, 0, 1));

	/* Attached: the events, then the lost-events header, in order; a read takes whole events */
	struct iommufd_vevent_header *hdr = (void *)buf;
	__u32 vdev_id;
	ASSERT_OK(vdevice_alloc(self->fd, self->viommu_id, self->device_id, 0x42, &vdev_id));
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, self->nested_hwpt_id));
	ASSERT_OK(trigger_vevents(self->fd, self->device_id, 3));
	ASSERT_ERRNO(EINVAL, read(qfd, buf, 11));
	ASSERT_EQ(12, read(qfd, buf, 23));
	ASSERT_EQ(0, hdr->flags);
	ASSERT_EQ(0, hdr->sequence);
	ASSERT_EQ(0x42, *(__u32 *)(hdr + 1));
	void *gone = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(gone != MAP_FAILED);
	ASSERT_OK(munmap(gone, page_size));
	ASSERT_ERRNO(EFAULT, read(qfd, gone, sizeof(buf))); /* the event stays queued */
	ASSERT_EQ(20, read(qfd, buf, sizeof(buf)));
	ASSERT_EQ(1, hdr->sequence);
	struct iommufd_vevent_header *lost = (void *)(buf + 12);
	ASSERT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, lost->flags);
	ASSERT_EQ(2, lost->sequence);
	ASSERT_EQ(0, read(qfd, buf, sizeof(buf)));
	/* Without a queue of its type the event is refused */
	ASSERT_OK(close(qfd));
	ASSERT_OK(destroy(self->fd, id));
	ASSERT_ERRNO(EOPNOTSUPP, trigger_vevents(self->fd, self->device_id, 1));
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, self->ioas_id));
	ASSERT_OK(destroy(self->fd, vdev_id));
}

int main(void)
{
	static char name[128];
	static const struct {
		const char *name;
		bool viommu;
	} variants[] = {{"no_viommu", false}, {"mock_viommu", true}};
	static void (*const tests[])(struct viommu_fixture *) = {
		viommu_auto_destroy, viommu_negative_tests, viommu_alloc_nested_iopf, vdevice_alloc_test,
		vdevice_cache,
		vdevice_tombstone, veventq_alloc_rules, veventq_read,
	};
	static const char *const names[] = {
		"viommu_auto_destroy", "viommu_negative_tests", "viommu_alloc_nested_iopf",
		"vdevice_alloc", "vdevice_cache",
		"vdevice_tombstone", "veventq_alloc_rules", "veventq_read",
	};
	int tests_run = 0;

	setup_sizes();
	for (size_t v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
		for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
			struct viommu_fixture self;
			snprintf(name, sizeof(name), "iommufd_viommu.%s.%s", variants[v].name,
				 names[t]);
			current = name;
			viommu_setup(&self, variants[v].viommu);
			tests[t](&self);
			teardown_iommufd(self.fd);
			tests_run++;
		}
	}
	printf("selftest_viommu: %d tests run\n", tests_run);
	printf("selftest_viommu: ok\n");
	return 0;
}
