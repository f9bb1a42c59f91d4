/*
 * The fault queue under the bridge: IOMMU_FAULT_QUEUE_ALLOC, IOMMU_HWPT_ALLOC with
 * IOMMU_HWPT_FAULT_ID_VALID, IOMMU_TEST_OP_TRIGGER_IOPF and the queue fd's read(2) and write(2),
 * as drivers/iommu/iommufd/eventq.c and selftest.c answer them. Our own code and harness:
 *  - paging_iopf: our own test of a fault-capable paging HWPT (the selftest allocates its iopf
 *    HWPTs nested; the kernel also takes FAULT_ID_VALID on a paging HWPT that is not a nest
 *    parent): the allocation errnos, a fault at the RID (PASID 0) read and answered, the read and
 *    write errnos, and the destroy order;
 *  - pasid_attach_iopf: the iopf part of the selftest's TEST_F(iommufd_device_pasid, pasid_attach)
 *    (tools/testing/selftests/iommu/iommufd.c): a nested iopf HWPT allocated with
 *    IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID on a nest parent allocated with
 *    IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID, attached at PASID 2048, triggered with
 *    test_cmd_trigger_iopf_pasid, then replaced by the parent and detached. The device's own
 *    attachment is moved to the parent first: jvfio's auto domains are not PASID-compatible
 *    (docs/fidelity.md, "PASID attach").
 *  - poll_iopf: our own test of poll(2) and ppoll(2) on the queue fd (iommufd_eventq_fops_poll:
 *    POLLOUT always, POLLIN while a fault waits), mixed with a pipe: a timeout, a wake-up by the
 *    pipe, a fault queued before the call and one queued by another thread during the wait.
 * The nested iopf steps of alloc_hwpt_nested are in selftest_nested.c.
 */
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "selftest_utils.h"

#define PGFAULT_SIZE ((long)sizeof(struct iommu_hwpt_pgfault))

static void paging_iopf(struct ioas_fixture *self)
{
	__u32 fault_id, fault_fd, iopf_hwpt_id, out;
	struct iommu_hwpt_pgfault rec[2];
	struct iommu_hwpt_page_response resp = {.code = IOMMUFD_PAGE_RESP_SUCCESS};
	struct iommu_fault_alloc bad = {.size = sizeof(bad), .flags = 1};
	struct iommu_test_cmd trigger = {0};

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_FAULT_QUEUE_ALLOC, &bad));
	ASSERT_OK(fault_alloc(self->fd, &fault_id, &fault_fd));
	ASSERT_TRUE(fault_id != 0 && fault_fd != 0);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, fault_id)); /* its fd holds it */

	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_iopf(self->fd, self->device_id, self->ioas_id, fault_id,
				     IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_NEST_PARENT, 0,
				     NULL, 0, &out));
	ASSERT_ERRNO(ENOENT, hwpt_alloc_iopf(self->fd, self->device_id, self->ioas_id, UINT32_MAX,
					     IOMMU_HWPT_FAULT_ID_VALID, 0, NULL, 0, &out));
	ASSERT_OK(hwpt_alloc_iopf(self->fd, self->device_id, self->ioas_id, fault_id,
				  IOMMU_HWPT_FAULT_ID_VALID, 0, NULL, 0, &iopf_hwpt_id));

	/* A fault of a device not on the iopf HWPT is answered by the kernel, not queued */
	trigger.trigger_iopf.dev_id = self->device_id;
	trigger.trigger_iopf.grpid = 7;
	ASSERT_OK(test_cmd(self->fd, &trigger, IOMMU_TEST_OP_TRIGGER_IOPF, 0));
	ASSERT_EQ(0, read(fault_fd, rec, PGFAULT_SIZE)); /* an empty queue reads 0 at once */
	trigger.trigger_iopf.dev_id = self->ioas_id;
	ASSERT_ERRNO(ENOENT, test_cmd(self->fd, &trigger, IOMMU_TEST_OP_TRIGGER_IOPF, 0));

	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, iopf_hwpt_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, iopf_hwpt_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, fault_id)); /* and so does the HWPT */
	ASSERT_OK(trigger_iopf(self->fd, self->device_id, 0, fault_fd)); /* the RID: PASID 0 */

	/* The record, field by field */
	trigger.trigger_iopf.dev_id = self->device_id;
	ASSERT_OK(test_cmd(self->fd, &trigger, IOMMU_TEST_OP_TRIGGER_IOPF, 0));
	ASSERT_ERRNO(ESPIPE, read(fault_fd, rec, PGFAULT_SIZE - 1));
	ASSERT_ERRNO(ESPIPE, pread(fault_fd, rec, PGFAULT_SIZE, 0));
	void *gone = mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(gone != MAP_FAILED);
	ASSERT_OK(munmap(gone, page_size));
	ASSERT_ERRNO(EFAULT, read(fault_fd, gone, PGFAULT_SIZE)); /* the group stays queued */
	ASSERT_EQ(PGFAULT_SIZE, read(fault_fd, rec, sizeof(rec)));
	ASSERT_EQ(IOMMU_PGFAULT_FLAGS_LAST_PAGE, rec[0].flags);
	ASSERT_EQ(self->device_id, rec[0].dev_id);
	ASSERT_EQ(0, rec[0].pasid);
	ASSERT_EQ(7, rec[0].grpid);
	ASSERT_EQ(0, rec[0].addr);
	ASSERT_EQ(0, rec[0].length);
	ASSERT_EQ(1, rec[0].cookie); /* the first answered freed cookie 1 */

	/* Responses: ESPIPE for a partial one, EINVAL for a bad code or cookie */
	resp.cookie = rec[0].cookie;
	ASSERT_ERRNO(ESPIPE, write(fault_fd, &resp, sizeof(resp) - 1));
	ASSERT_ERRNO(ESPIPE, pwrite(fault_fd, &resp, sizeof(resp), 0));
	resp.code = 2;
	ASSERT_ERRNO(EINVAL, write(fault_fd, &resp, sizeof(resp)));
	resp.code = IOMMUFD_PAGE_RESP_INVALID;
	resp.cookie = rec[0].cookie + 1;
	ASSERT_ERRNO(EINVAL, write(fault_fd, &resp, sizeof(resp)));
	resp.cookie = rec[0].cookie;
	ASSERT_EQ(sizeof(resp), write(fault_fd, &resp, sizeof(resp)));
	ASSERT_ERRNO(EINVAL, write(fault_fd, &resp, sizeof(resp))); /* answered already */

	/* Leaving the HWPT answers what is still queued: nothing is left to read */
	ASSERT_OK(test_cmd(self->fd, &trigger, IOMMU_TEST_OP_TRIGGER_IOPF, 0));
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, self->ioas_id));
	ASSERT_EQ(0, read(fault_fd, rec, PGFAULT_SIZE));

	ASSERT_OK(destroy(self->fd, iopf_hwpt_id));
	ASSERT_OK(close(fault_fd));
	ASSERT_OK(destroy(self->fd, fault_id));
}

static void pasid_attach_iopf(struct ioas_fixture *self)
{
	struct iommu_hwpt_selftest data = {.iotlb = IOMMU_TEST_IOTLB_DEFAULT};
	__u32 stdev, dev, fault_id, fault_fd, iopf_hwpt_id, parent_hwpt_id;
	const __u32 pasid = 2048;

	ASSERT_OK(mock_domain(self->fd, self->ioas_id, MOCK_FLAGS_DEVICE_PASID, &stdev, NULL, &dev));
	ASSERT_OK(hwpt_alloc(self->fd, dev, self->ioas_id,
			     IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID, -1, &parent_hwpt_id));
	ASSERT_OK(fault_alloc(self->fd, &fault_id, &fault_fd));
	/* Without ALLOC_PASID the nested iopf HWPT is not PASID-compatible */
	ASSERT_OK(hwpt_alloc_iopf(self->fd, dev, parent_hwpt_id, fault_id, IOMMU_HWPT_FAULT_ID_VALID,
				  IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &iopf_hwpt_id));
	ASSERT_OK(mock_domain_replace(self->fd, stdev, parent_hwpt_id));
	ASSERT_ERRNO(EINVAL, pasid_op(self->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, pasid, iopf_hwpt_id));
	ASSERT_OK(destroy(self->fd, iopf_hwpt_id));
	ASSERT_OK(hwpt_alloc_iopf(self->fd, dev, parent_hwpt_id, fault_id,
				  IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID,
				  IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data), &iopf_hwpt_id));

	/* Attach an iopf hwpt to pasid 2048, should succeed, domain should be valid */
	ASSERT_OK(pasid_op(self->fd, IOMMU_TEST_OP_PASID_ATTACH, stdev, pasid, iopf_hwpt_id));
	ASSERT_OK(pasid_op(self->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, pasid, iopf_hwpt_id));
	ASSERT_OK(trigger_iopf(self->fd, dev, pasid, fault_fd));
	/* A nested HWPT with a PASID attached cannot be destroyed */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, iopf_hwpt_id));

	/* Replace with parent_hwpt_id for pasid 2048, should succeed, and have valid domain */
	ASSERT_OK(pasid_op(self->fd, IOMMU_TEST_OP_PASID_REPLACE, stdev, pasid, parent_hwpt_id));
	ASSERT_OK(pasid_op(self->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, pasid, parent_hwpt_id));
	ASSERT_OK(pasid_op(self->fd, IOMMU_TEST_OP_PASID_DETACH, stdev, pasid, 0));
	ASSERT_OK(pasid_op(self->fd, IOMMU_TEST_OP_PASID_CHECK_HWPT, stdev, pasid, 0));

	ASSERT_OK(destroy(self->fd, iopf_hwpt_id));
	ASSERT_OK(close(fault_fd));
	ASSERT_OK(destroy(self->fd, fault_id));
	ASSERT_OK(mock_domain_replace(self->fd, stdev, self->ioas_id));
	ASSERT_OK(destroy(self->fd, parent_hwpt_id));
}

struct late_fault {
	int fd;
	struct iommu_test_cmd trigger;
};

/* Another thread (its own connection) queues a fault while the main thread waits in poll. */
static void *trigger_later(void *arg)
{
	struct late_fault *late = arg;
	struct timespec ten_ms = {0, 10 * 1000 * 1000};

	nanosleep(&ten_ms, NULL);
	return (void *)(long)test_cmd(late->fd, &late->trigger, IOMMU_TEST_OP_TRIGGER_IOPF, 0);
}

static void poll_iopf(struct ioas_fixture *self)
{
	__u32 fault_id, fault_fd, iopf_hwpt_id;
	struct iommu_hwpt_pgfault rec;
	struct late_fault late = {.fd = self->fd};
	struct timespec zero = {0, 0};
	sigset_t mask;
	pthread_t thread;
	void *rc;
	int p[2];
	char c;

	ASSERT_OK(fault_alloc(self->fd, &fault_id, &fault_fd));
	ASSERT_OK(hwpt_alloc_iopf(self->fd, self->device_id, self->ioas_id, fault_id,
				  IOMMU_HWPT_FAULT_ID_VALID, 0, NULL, 0, &iopf_hwpt_id));
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, iopf_hwpt_id));
	ASSERT_OK(pipe(p));
	struct pollfd pfd[2] = {{.fd = fault_fd, .events = POLLIN | POLLOUT}, {.fd = p[0], .events = POLLIN}};

	/* Empty: writable only */
	ASSERT_EQ(1, poll(pfd, 2, 0));
	ASSERT_EQ(POLLOUT, pfd[0].revents);
	ASSERT_EQ(0, pfd[1].revents);
	pfd[0].events = POLLIN;
	ASSERT_EQ(0, poll(pfd, 2, 20)); /* times out */
	ASSERT_EQ(0, pfd[0].revents);

	/* The pipe ends the wait */
	ASSERT_EQ(1, write(p[1], "x", 1));
	ASSERT_EQ(1, poll(pfd, 2, -1));
	ASSERT_EQ(0, pfd[0].revents);
	ASSERT_EQ(POLLIN, pfd[1].revents);
	ASSERT_EQ(1, read(p[0], &c, 1));

	/* A fault queued before the call */
	late.trigger.trigger_iopf.dev_id = self->device_id;
	late.trigger.trigger_iopf.grpid = 3;
	ASSERT_OK(test_cmd(self->fd, &late.trigger, IOMMU_TEST_OP_TRIGGER_IOPF, 0));
	ASSERT_EQ(1, poll(pfd, 2, -1));
	ASSERT_EQ(POLLIN, pfd[0].revents);
	ASSERT_EQ(0, pfd[1].revents);
	sigemptyset(&mask);
	ASSERT_EQ(1, ppoll(pfd, 1, &zero, &mask));
	ASSERT_EQ(POLLIN, pfd[0].revents);
	ASSERT_EQ(PGFAULT_SIZE, read(fault_fd, &rec, PGFAULT_SIZE));
	ASSERT_EQ(0, ppoll(pfd, 1, &zero, NULL));

	/* One queued by another thread while this one waits */
	ASSERT_OK(pthread_create(&thread, NULL, trigger_later, &late));
	ASSERT_EQ(1, poll(pfd, 2, 10000));
	ASSERT_EQ(POLLIN, pfd[0].revents);
	ASSERT_OK(pthread_join(thread, &rc));
	ASSERT_EQ(0, (long)rc);
	ASSERT_EQ(PGFAULT_SIZE, read(fault_fd, &rec, PGFAULT_SIZE));
	ASSERT_EQ(3, rec.grpid);

	/* A closed fd is POLLNVAL */
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, self->ioas_id));
	ASSERT_OK(destroy(self->fd, iopf_hwpt_id));
	ASSERT_OK(close(fault_fd));
	ASSERT_EQ(1, poll(pfd, 1, 0));
	ASSERT_EQ(POLLNVAL, pfd[0].revents);
	ASSERT_OK(destroy(self->fd, fault_id));
	ASSERT_OK(close(p[0]));
	ASSERT_OK(close(p[1]));
}

int main(void)
{
	static void (*const tests[])(struct ioas_fixture *) = {paging_iopf, pasid_attach_iopf,
							       poll_iopf};
	static const char *const names[] = {"paging_iopf", "pasid_attach_iopf", "poll_iopf"};

	setup_sizes();
	for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++) {
		struct ioas_fixture self;
		current = names[t];
		ioas_setup(&self, 1, 0);
		tests[t](&self);
		teardown_iommufd(self.fd);
	}
	printf("selftest_fault: ok\n");
	return 0;
}
