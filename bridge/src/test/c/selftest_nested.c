/*
 * A port of the kernel iommufd selftest's TEST_F(iommufd_ioas, alloc_hwpt_nested)
 * (tools/testing/selftests/iommu/iommufd.c) on the four iommufd_ioas variants (no_domain,
 * mock_domain, two_mock_domain, mock_domain_limit): nested HWPTs of the mock driver allocated with
 * IOMMU_HWPT_DATA_SELFTEST on a nest-parent HWPT, IOMMU_TEST_OP_MD_CHECK_IOTLB,
 * IOMMU_HWPT_INVALIDATE with IOMMU_HWPT_INVALIDATE_DATA_SELFTEST, replacing the mock device's
 * domain with nested HWPTs and the destroy order. Same steps and expected results, our own harness
 * and code; the IOPF steps (a FAULT object, a nested HWPT with IOMMU_HWPT_FAULT_ID_VALID and a
 * triggered fault) are marked where they belong. docs/bridge.md ("The selftest port") lists what is
 * ported and what is not.
 *
 * One departure: a paging HWPT given to IOMMU_HWPT_INVALIDATE is EINVAL, as the kernel answers it
 * since IOMMU_HWPT_INVALIDATE also takes a vIOMMU (iommufd_hwpt_invalidate); older selftests expect
 * ENOENT there.
 */
#include "selftest_utils.h"

static int alloc_paging(struct ioas_fixture *self, __u32 dev, __u32 pt, __u32 flags, __u32 *out)
{
	return hwpt_alloc(self->fd, dev, pt, flags, -1, out);
}

static int alloc_nested(struct ioas_fixture *self, __u32 pt, __u32 flags, __u32 data_type,
			void *data, __u32 data_len, __u32 *out)
{
	return hwpt_alloc_nested(self->fd, self->device_id, pt, flags, data_type, data, data_len,
				 out);
}

/* test_cmd_hwpt_check_iotlb_all */
static void check_iotlb_all(struct ioas_fixture *self, __u32 hwpt, __u32 value)
{
	for (__u32 i = 0; i != MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		ASSERT_OK(check_iotlb(self->fd, hwpt, i, value));
}

/* Four entries: entry i must hold want[i]. */
static void check_iotlb_each(struct ioas_fixture *self, __u32 hwpt, const __u32 want[4])
{
	for (__u32 i = 0; i != MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		ASSERT_OK(check_iotlb(self->fd, hwpt, i, want[i]));
}

/* _test_cmd_hwpt_invalidate expecting errno err (0: success) and num entries handled after. */
static void invalidate_expect(struct ioas_fixture *self, int err, __u32 hwpt, void *reqs,
			      __u32 data_type, __u32 entry_len, __u32 num_in, __u32 num_out)
{
	__u32 num = num_in;

	if (err)
		ASSERT_ERRNO(err, hwpt_invalidate(self->fd, hwpt, reqs, data_type, entry_len, &num));
	else
		ASSERT_OK(hwpt_invalidate(self->fd, hwpt, reqs, data_type, entry_len, &num));
	ASSERT_EQ(num_out, num);
}

static void alloc_hwpt_nested(struct ioas_fixture *self)
{
	const __u32 min_data_len = sizeof(__u32); /* offsetofend(iommu_hwpt_selftest, iotlb) */
	const __u32 D = IOMMU_TEST_IOTLB_DEFAULT;
	const __u32 SEL = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	struct iommu_hwpt_selftest data = {.iotlb = IOMMU_TEST_IOTLB_DEFAULT};
	struct iommu_hwpt_invalidate_selftest inv_reqs[2] = {0};
	const __u32 len = sizeof(*inv_reqs);
	__u32 nested_hwpt_id[2] = {0};
	__u32 parent_hwpt_id = 0, parent_hwpt_id_not_work = 0, test_hwpt_id = 0;
	__u32 iopf_hwpt_id = 0;

	if (!self->device_id) {
		ASSERT_ERRNO(ENOENT, alloc_paging(self, self->device_id, self->ioas_id, 0,
						  &parent_hwpt_id));
		for (int i = 0; i != 2; i++) {
			ASSERT_ERRNO(ENOENT, alloc_nested(self, parent_hwpt_id, 0,
							  IOMMU_HWPT_DATA_SELFTEST, &data,
							  sizeof(data), &nested_hwpt_id[i]));
			ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->stdev_id,
								 nested_hwpt_id[i]));
		}
		return;
	}

	/* Negative tests */
	ASSERT_ERRNO(ENOENT, alloc_paging(self, self->ioas_id, self->device_id, 0, &test_hwpt_id));
	ASSERT_ERRNO(EINVAL, alloc_paging(self, self->device_id, self->device_id, 0,
					  &test_hwpt_id));
	ASSERT_ERRNO(EOPNOTSUPP, alloc_paging(self, self->device_id, self->ioas_id,
					      IOMMU_HWPT_ALLOC_NEST_PARENT |
						      IOMMU_HWPT_FAULT_ID_VALID,
					      &test_hwpt_id));

	ASSERT_OK(alloc_paging(self, self->device_id, self->ioas_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
			       &parent_hwpt_id));
	ASSERT_OK(alloc_paging(self, self->device_id, self->ioas_id, 0, &parent_hwpt_id_not_work));

	/* Negative nested tests */
	ASSERT_ERRNO(EINVAL, alloc_nested(self, parent_hwpt_id, 0, IOMMU_HWPT_DATA_NONE, &data,
					  sizeof(data), &nested_hwpt_id[0]));
	ASSERT_ERRNO(EOPNOTSUPP, alloc_nested(self, parent_hwpt_id, 0, IOMMU_HWPT_DATA_SELFTEST + 1,
					      &data, sizeof(data), &nested_hwpt_id[0]));
	ASSERT_ERRNO(EINVAL, alloc_nested(self, parent_hwpt_id, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
					  min_data_len - 1, &nested_hwpt_id[0]));
	ASSERT_ERRNO(EFAULT, alloc_nested(self, parent_hwpt_id, 0, IOMMU_HWPT_DATA_SELFTEST, NULL,
					  sizeof(data), &nested_hwpt_id[0]));
	ASSERT_ERRNO(EOPNOTSUPP, alloc_nested(self, parent_hwpt_id, IOMMU_HWPT_ALLOC_NEST_PARENT,
					      IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
					      &nested_hwpt_id[0]));
	ASSERT_ERRNO(EINVAL, alloc_nested(self, parent_hwpt_id_not_work, 0,
					  IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
					  &nested_hwpt_id[0]));

	/* Allocate two nested hwpts sharing one common parent hwpt */
	/* IOPF (the fault helper's): test_ioctl_fault_alloc(&fault_id, &fault_fd) goes here. */
	for (int i = 0; i != 2; i++)
		ASSERT_OK(alloc_nested(self, parent_hwpt_id, 0, IOMMU_HWPT_DATA_SELFTEST, &data,
				       sizeof(data), &nested_hwpt_id[i]));
	/* A FAULT object that does not exist: ENOENT once the domain is built */
	{
		struct iommu_hwpt_alloc cmd = {
			.size = sizeof(cmd), .flags = IOMMU_HWPT_FAULT_ID_VALID,
			.dev_id = self->device_id, .pt_id = parent_hwpt_id,
			.data_type = IOMMU_HWPT_DATA_SELFTEST, .data_len = sizeof(data),
			.data_uptr = (uintptr_t)&data, .fault_id = UINT32_MAX,
		};
		ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	}
	/*
	 * IOPF (the fault helper's): test_cmd_hwpt_alloc_iopf(device_id, parent_hwpt_id, fault_id,
	 * IOMMU_HWPT_FAULT_ID_VALID, &iopf_hwpt_id, IOMMU_HWPT_DATA_SELFTEST, &data) goes here.
	 */
	check_iotlb_all(self, nested_hwpt_id[0], D);
	check_iotlb_all(self, nested_hwpt_id[1], D);

	/* Negative test: a nested hwpt on top of a nested hwpt */
	ASSERT_ERRNO(EINVAL, alloc_nested(self, nested_hwpt_id[0], 0, IOMMU_HWPT_DATA_SELFTEST,
					  &data, sizeof(data), &test_hwpt_id));
	/* Negative test: parent hwpt now cannot be freed */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, parent_hwpt_id));

	/* hwpt_invalidate does not support a parent hwpt */
	invalidate_expect(self, EINVAL, parent_hwpt_id, inv_reqs, SEL, len, 1, 0);

	/* Check data_type by passing zero-length array */
	invalidate_expect(self, 0, nested_hwpt_id[0], inv_reqs, SEL, len, 0, 0);

	/* Negative test: Invalid data_type */
	invalidate_expect(self, EINVAL, nested_hwpt_id[0], inv_reqs,
			  IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID, len, 1, 0);

	/* Negative test: structure size sanity */
	invalidate_expect(self, EINVAL, nested_hwpt_id[0], inv_reqs, SEL, len + 1, 1, 0);
	invalidate_expect(self, EINVAL, nested_hwpt_id[0], inv_reqs, SEL, 1, 1, 0);

	/* Negative test: invalid flag is passed */
	inv_reqs[0].flags = 0xffffffff;
	invalidate_expect(self, EOPNOTSUPP, nested_hwpt_id[0], inv_reqs, SEL, len, 1, 0);

	/* Negative test: invalid data_uptr when array is not empty */
	inv_reqs[0].flags = 0;
	invalidate_expect(self, EINVAL, nested_hwpt_id[0], NULL, SEL, len, 1, 0);

	/* Negative test: invalid entry_len when array is not empty */
	invalidate_expect(self, EINVAL, nested_hwpt_id[0], inv_reqs, SEL, 0, 1, 0);

	/* Negative test: invalid iotlb_id */
	inv_reqs[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	invalidate_expect(self, EINVAL, nested_hwpt_id[0], inv_reqs, SEL, len, 1, 0);

	/* Invalidate the 1st entry but fail the 2nd request on its flags */
	inv_reqs[0] = (struct iommu_hwpt_invalidate_selftest){.flags = 0, .iotlb_id = 0};
	inv_reqs[1] = (struct iommu_hwpt_invalidate_selftest){.flags = 0xffffffff, .iotlb_id = 1};
	invalidate_expect(self, EOPNOTSUPP, nested_hwpt_id[0], inv_reqs, SEL, len, 2, 1);
	check_iotlb_each(self, nested_hwpt_id[0], (const __u32[4]){0, D, D, D});

	/* Invalidate the 1st entry but fail the 2nd request on its iotlb_id */
	inv_reqs[1] = (struct iommu_hwpt_invalidate_selftest){
		.flags = 0, .iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1};
	invalidate_expect(self, EINVAL, nested_hwpt_id[0], inv_reqs, SEL, len, 2, 1);
	check_iotlb_each(self, nested_hwpt_id[0], (const __u32[4]){0, D, D, D});

	/* Invalidate the 2nd entry and verify */
	inv_reqs[0] = (struct iommu_hwpt_invalidate_selftest){.flags = 0, .iotlb_id = 1};
	invalidate_expect(self, 0, nested_hwpt_id[0], inv_reqs, SEL, len, 1, 1);
	check_iotlb_each(self, nested_hwpt_id[0], (const __u32[4]){0, 0, D, D});

	/* Invalidate the 3rd and 4th entries and verify */
	inv_reqs[0] = (struct iommu_hwpt_invalidate_selftest){.flags = 0, .iotlb_id = 2};
	inv_reqs[1] = (struct iommu_hwpt_invalidate_selftest){.flags = 0, .iotlb_id = 3};
	invalidate_expect(self, 0, nested_hwpt_id[0], inv_reqs, SEL, len, 2, 2);
	check_iotlb_all(self, nested_hwpt_id[0], 0);

	/* Invalidate all entries of nested_hwpt_id[1] and verify */
	inv_reqs[0] = (struct iommu_hwpt_invalidate_selftest){
		.flags = IOMMU_TEST_INVALIDATE_FLAG_ALL};
	invalidate_expect(self, 0, nested_hwpt_id[1], inv_reqs, SEL, len, 1, 1);
	check_iotlb_all(self, nested_hwpt_id[1], 0);

	/* Attach device to nested_hwpt_id[0] that then will be busy */
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, nested_hwpt_id[0]));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, nested_hwpt_id[0]));

	/* Switch from nested_hwpt_id[0] to nested_hwpt_id[1] */
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, nested_hwpt_id[1]));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, nested_hwpt_id[1]));
	ASSERT_OK(destroy(self->fd, nested_hwpt_id[0]));

	/*
	 * IOPF (the fault helper's): replace with iopf_hwpt_id, EBUSY on destroying it, then
	 * test_cmd_trigger_iopf(device_id, fault_fd) go here.
	 */
	(void)iopf_hwpt_id;

	/* Detach from nested_hwpt_id[1] and destroy it */
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, parent_hwpt_id));
	ASSERT_OK(destroy(self->fd, nested_hwpt_id[1]));
	/* IOPF (the fault helper's): test_ioctl_destroy(iopf_hwpt_id) goes here. */

	/* Detach from the parent hw_pagetable and destroy it */
	ASSERT_OK(mock_domain_replace(self->fd, self->stdev_id, self->ioas_id));
	ASSERT_OK(destroy(self->fd, parent_hwpt_id));
	ASSERT_OK(destroy(self->fd, parent_hwpt_id_not_work));
	/* IOPF (the fault helper's): close(fault_fd), test_ioctl_destroy(fault_id) go here. */
}

int main(void)
{
	static void (*const tests[])(struct ioas_fixture *) = {alloc_hwpt_nested};
	static const char *const names[] = {"alloc_hwpt_nested"};

	setup_sizes();
	int run = run_ioas_tests(tests, names, sizeof(tests) / sizeof(tests[0]));
	printf("selftest_nested: %d fixtures run\n", run);
	printf("selftest_nested: ok\n");
	return 0;
}
