/*
 * The uAPI for the test programs: the kernel's own headers where they have <linux/iommufd.h>
 * (they must have its dirty tracking, Linux 6.7+), else jvfio_uapi.h generated from the jvfio-api
 * records. Define JVFIO_GENERATED_UAPI to use the generated one with older kernel headers.
 */
#ifndef TEST_UAPI_H
#define TEST_UAPI_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

#if __has_include(<linux/iommufd.h>) && !defined(JVFIO_GENERATED_UAPI)
#include <linux/iommufd.h>
#include <linux/vfio.h>
#ifndef IOMMU_HWPT_GET_DIRTY_BITMAP
#error "kernel headers without iommufd dirty tracking (Linux < 6.7): define JVFIO_GENERATED_UAPI"
#endif
#else
#include "jvfio_uapi.h"
#endif

/* drivers/iommu/iommufd/iommufd_test.h is not a uapi header: its struct, as the selftest uses it. */
#ifndef IOMMU_TEST_CMD
#define IOMMU_TEST_CMD 0x3ba0U
#define IOMMU_TEST_OP_ADD_RESERVED 1U
#define IOMMU_TEST_OP_MOCK_DOMAIN 2U
#define IOMMU_TEST_OP_MD_CHECK_MAP 3U
#define IOMMU_TEST_OP_MD_CHECK_REFS 4U
#define IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE 10U
#define IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS 12U
#define IOMMU_TEST_OP_DIRTY 13U
#define IOMMU_TEST_OP_MD_CHECK_IOTLB 14U
#define IOMMU_TEST_OP_TRIGGER_IOPF 15U
#define MOCK_FLAGS_DEVICE_NO_DIRTY 1U
#define IOMMU_TEST_OP_CREATE_ACCESS 5U
#define IOMMU_TEST_OP_DESTROY_ACCESS_PAGES 6U
#define IOMMU_TEST_OP_ACCESS_PAGES 7U
#define IOMMU_TEST_OP_ACCESS_RW 8U
#define IOMMU_TEST_OP_ACCESS_REPLACE_IOAS 11U
#define MOCK_FLAGS_ACCESS_WRITE 1U
#define MOCK_FLAGS_ACCESS_SYZ (1U << 16)
#define MOCK_ACCESS_RW_WRITE 1U
#define MOCK_ACCESS_RW_SLOW_PATH (1U << 2)
#define MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES 1U
#define IOMMU_TEST_OP_PASID_ATTACH 18U
#define IOMMU_TEST_OP_PASID_REPLACE 19U
#define IOMMU_TEST_OP_PASID_DETACH 20U
#define IOMMU_TEST_OP_PASID_CHECK_HWPT 21U
#define MOCK_FLAGS_DEVICE_PASID 4U
#define MOCK_PASID_WIDTH 20U
#define IOMMU_TEST_OP_DEV_CHECK_CACHE 16U
#define IOMMU_TEST_OP_TRIGGER_VEVENT 17U
#endif

struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__aligned_u64 addr;
		} trigger_iopf;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach, pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {
			__u32 dev_id;
		} trigger_vevent;
	};
	__u32 last;
};
_Static_assert(sizeof(struct iommu_test_cmd) == 72, "struct iommu_test_cmd");

static int failures;

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: CHECK failed: %s (errno %d %s)\n",     \
				__FILE__, __LINE__, #cond, errno, strerror(errno));    \
			failures++;                                                    \
		}                                                                      \
	} while (0)

#define CHECK_ERRNO(err, call)                                                         \
	do {                                                                           \
		errno = 0;                                                             \
		long rc_ = (long)(call);                                               \
		if (rc_ != -1 || errno != (err)) {                                     \
			fprintf(stderr, "%s:%d: %s: want errno %d, got rc %ld errno %d\n", \
				__FILE__, __LINE__, #call, err, rc_, errno);           \
			failures++;                                                    \
		}                                                                      \
	} while (0)

/* The first guest memory the bridge mapped into this process ($JVFIO_GUEST_MEMORY). */
static inline void *guest_memory(size_t *size)
{
	const char *env = getenv("JVFIO_GUEST_MEMORY");
	unsigned long long base = 0, len = 0;
	if (!env || sscanf(env, "0x%llx:0x%llx", &base, &len) != 2) {
		fprintf(stderr, "no guest memory: run under bin/jvfio-run\n");
		exit(2);
	}
	*size = len;
	return (void *)(uintptr_t)base;
}

static inline int report(const char *name)
{
	printf("%s: %s\n", name, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
#endif
