/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jvfio_uapi.h: the VFIO and iommufd uAPI that jvfio models, generated from the
 * jvfio-api records by org.jvfio.bridge.UapiHeader. Do not edit: regenerate with
 * bridge/src/test/c/regenerate-header.sh (UapiHeaderTest fails when it is stale).
 * It replaces <linux/vfio.h> and <linux/iommufd.h>; include one or the other.
 */
#ifndef JVFIO_UAPI_H
#define JVFIO_UAPI_H

#include <linux/types.h>
#include <stddef.h>

/* org.jvfio.api.vfio.Vfio */
#define VFIO_TYPE 0x3bU
#define VFIO_BASE 0x64U
#define VFIO_API_VERSION 0x0U
#define VFIO_TYPE1_IOMMU 0x1U
#define VFIO_SPAPR_TCE_IOMMU 0x2U
#define VFIO_TYPE1v2_IOMMU 0x3U
#define VFIO_DMA_CC_IOMMU 0x4U
#define VFIO_EEH 0x5U
#define VFIO_TYPE1_NESTING_IOMMU 0x6U
#define VFIO_SPAPR_TCE_v2_IOMMU 0x7U
#define VFIO_NOIOMMU_IOMMU 0x8U
#define VFIO_UNMAP_ALL 0x9U
#define VFIO_UPDATE_VADDR 0xaU
#define VFIO_GET_API_VERSION 0x3b64U
#define VFIO_CHECK_EXTENSION 0x3b65U
#define VFIO_SET_IOMMU 0x3b66U
#define VFIO_GROUP_GET_STATUS 0x3b67U
#define VFIO_GROUP_SET_CONTAINER 0x3b68U
#define VFIO_GROUP_UNSET_CONTAINER 0x3b69U
#define VFIO_GROUP_GET_DEVICE_FD 0x3b6aU
#define VFIO_IOMMU_GET_INFO 0x3b70U
#define VFIO_IOMMU_MAP_DMA 0x3b71U
#define VFIO_DEVICE_GET_INFO 0x3b6bU
#define VFIO_DEVICE_GET_REGION_INFO 0x3b6cU
#define VFIO_DEVICE_GET_IRQ_INFO 0x3b6dU
#define VFIO_DEVICE_RESET 0x3b6fU
#define VFIO_IOMMU_UNMAP_DMA 0x3b72U
#define VFIO_DEVICE_FEATURE 0x3b75U
#define VFIO_IOMMU_DIRTY_PAGES 0x3b75U
#define VFIO_DEVICE_BIND_IOMMUFD 0x3b76U
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT 0x3b77U
#define VFIO_DEVICE_DETACH_IOMMUFD_PT 0x3b78U
#define VFIO_MIG_GET_PRECOPY_INFO 0x3b79U
#define VFIO_DEVICE_FEATURE_MASK 0xffffU
#define VFIO_DEVICE_FEATURE_GET 0x10000U
#define VFIO_DEVICE_FEATURE_SET 0x20000U
#define VFIO_DEVICE_FEATURE_PROBE 0x40000U
#define VFIO_DEVICE_BIND_FLAG_TOKEN 0x1U
#define VFIO_DEVICE_ATTACH_PASID 0x1U
#define VFIO_DEVICE_DETACH_PASID 0x1U
#define VFIO_DEVICE_FEATURE_PCI_VF_TOKEN 0x0U
#define VFIO_DEVICE_FEATURE_MIGRATION 0x1U
#define VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE 0x2U
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY 0x3U
#define VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP 0x4U
#define VFIO_DEVICE_FEATURE_LOW_POWER_EXIT 0x5U
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_START 0x6U
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP 0x7U
#define VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT 0x8U
#define VFIO_DEVICE_FEATURE_MIG_DATA_SIZE 0x9U
#define VFIO_DEVICE_FEATURE_BUS_MASTER 0xaU
#define VFIO_DEVICE_FEATURE_DMA_BUF 0xbU
#define VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 0xcU
#define VFIO_MIGRATION_STOP_COPY 0x1ULL
#define VFIO_MIGRATION_P2P 0x2ULL
#define VFIO_MIGRATION_PRE_COPY 0x4ULL
#define VFIO_DEVICE_STATE_ERROR 0x0U
#define VFIO_DEVICE_STATE_STOP 0x1U
#define VFIO_DEVICE_STATE_RUNNING 0x2U
#define VFIO_DEVICE_STATE_STOP_COPY 0x3U
#define VFIO_DEVICE_STATE_RESUMING 0x4U
#define VFIO_DEVICE_STATE_RUNNING_P2P 0x5U
#define VFIO_DEVICE_STATE_PRE_COPY 0x6U
#define VFIO_DEVICE_STATE_PRE_COPY_P2P 0x7U
#define VFIO_DEVICE_STATE_NR 0x8U
#define VFIO_PRECOPY_INFO_REINIT 0x1U
#define LOG_MAX_RANGES 0x100U
#define VFIO_DEVICE_FLAGS_RESET 0x1U
#define VFIO_DEVICE_FLAGS_PCI 0x2U
#define VFIO_DEVICE_FLAGS_PLATFORM 0x4U
#define VFIO_DEVICE_FLAGS_AMBA 0x8U
#define VFIO_DEVICE_FLAGS_CCW 0x10U
#define VFIO_DEVICE_FLAGS_AP 0x20U
#define VFIO_DEVICE_FLAGS_FSL_MC 0x40U
#define VFIO_DEVICE_FLAGS_CAPS 0x80U
#define VFIO_DEVICE_INFO_CAP_ZPCI_BASE 0x1U
#define VFIO_DEVICE_INFO_CAP_ZPCI_GROUP 0x2U
#define VFIO_DEVICE_INFO_CAP_ZPCI_UTIL 0x3U
#define VFIO_DEVICE_INFO_CAP_ZPCI_PFIP 0x4U
#define VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP 0x5U
#define VFIO_PCI_ATOMIC_COMP32 0x1U
#define VFIO_PCI_ATOMIC_COMP64 0x2U
#define VFIO_PCI_ATOMIC_COMP128 0x4U
#define VFIO_REGION_INFO_FLAG_READ 0x1U
#define VFIO_REGION_INFO_FLAG_WRITE 0x2U
#define VFIO_REGION_INFO_FLAG_MMAP 0x4U
#define VFIO_REGION_INFO_FLAG_CAPS 0x8U
#define VFIO_REGION_INFO_CAP_SPARSE_MMAP 0x1U
#define VFIO_REGION_INFO_CAP_TYPE 0x2U
#define VFIO_REGION_INFO_CAP_MSIX_MAPPABLE 0x3U
#define VFIO_REGION_INFO_CAP_NVLINK2_SSATGT 0x4U
#define VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD 0x5U
#define VFIO_REGION_TYPE_PCI_VENDOR_TYPE 0x80000000U
#define VFIO_REGION_TYPE_PCI_VENDOR_MASK 0xffffU
#define VFIO_REGION_TYPE_GFX 0x1U
#define VFIO_REGION_TYPE_CCW 0x2U
#define VFIO_REGION_TYPE_MIGRATION_DEPRECATED 0x3U
#define VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED 0x1U
#define VFIO_PCI_BAR0_REGION_INDEX 0x0U
#define VFIO_PCI_BAR1_REGION_INDEX 0x1U
#define VFIO_PCI_BAR2_REGION_INDEX 0x2U
#define VFIO_PCI_BAR3_REGION_INDEX 0x3U
#define VFIO_PCI_BAR4_REGION_INDEX 0x4U
#define VFIO_PCI_BAR5_REGION_INDEX 0x5U
#define VFIO_PCI_ROM_REGION_INDEX 0x6U
#define VFIO_PCI_CONFIG_REGION_INDEX 0x7U
#define VFIO_PCI_VGA_REGION_INDEX 0x8U
#define VFIO_PCI_NUM_REGIONS 0x9U
#define VFIO_PCI_INTX_IRQ_INDEX 0x0U
#define VFIO_PCI_MSI_IRQ_INDEX 0x1U
#define VFIO_PCI_MSIX_IRQ_INDEX 0x2U
#define VFIO_PCI_ERR_IRQ_INDEX 0x3U
#define VFIO_PCI_REQ_IRQ_INDEX 0x4U
#define VFIO_PCI_NUM_IRQS 0x5U
#define VFIO_IRQ_INFO_EVENTFD 0x1U
#define VFIO_IRQ_INFO_MASKABLE 0x2U
#define VFIO_IRQ_INFO_AUTOMASKED 0x4U
#define VFIO_IRQ_INFO_NORESIZE 0x8U
#define VFIO_PCI_OFFSET_SHIFT 0x28U
#define VFIO_PCI_OFFSET_MASK 0xffffffffffULL
#define VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP 0x1U
#define VFIO_DMA_UNMAP_FLAG_ALL 0x2U
#define VFIO_DMA_UNMAP_FLAG_VADDR 0x4U
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_START 0x1U
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP 0x2U
#define VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP 0x4U
#define VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION 0x2U
#define VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE 0x1U
#define VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL 0x3U
#define VFIO_IOMMU_INFO_PGSIZES 0x1U
#define VFIO_IOMMU_INFO_CAPS 0x2U
#define VFIO_DMA_MAP_FLAG_READ 0x1U
#define VFIO_DMA_MAP_FLAG_WRITE 0x2U
#define VFIO_DMA_MAP_FLAG_VADDR 0x4U
#define VFIO_GROUP_FLAGS_VIABLE 0x1U
#define VFIO_GROUP_FLAGS_CONTAINER_SET 0x2U

/* org.jvfio.api.iommufd.Iommufd */
#define IOMMUFD_TYPE 0x3bU
#define IOMMUFD_CMD_BASE 0x80U
#define IOMMUFD_CMD_DESTROY 0x80U
#define IOMMUFD_CMD_IOAS_ALLOC 0x81U
#define IOMMUFD_CMD_IOAS_ALLOW_IOVAS 0x82U
#define IOMMUFD_CMD_IOAS_COPY 0x83U
#define IOMMUFD_CMD_IOAS_IOVA_RANGES 0x84U
#define IOMMUFD_CMD_IOAS_MAP 0x85U
#define IOMMUFD_CMD_IOAS_UNMAP 0x86U
#define IOMMUFD_CMD_OPTION 0x87U
#define IOMMUFD_CMD_VFIO_IOAS 0x88U
#define IOMMUFD_CMD_HWPT_ALLOC 0x89U
#define IOMMUFD_CMD_GET_HW_INFO 0x8aU
#define IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING 0x8bU
#define IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP 0x8cU
#define IOMMUFD_CMD_HWPT_INVALIDATE 0x8dU
#define IOMMUFD_CMD_FAULT_QUEUE_ALLOC 0x8eU
#define IOMMUFD_CMD_IOAS_MAP_FILE 0x8fU
#define IOMMUFD_CMD_VIOMMU_ALLOC 0x90U
#define IOMMUFD_CMD_VDEVICE_ALLOC 0x91U
#define IOMMUFD_CMD_IOAS_CHANGE_PROCESS 0x92U
#define IOMMUFD_CMD_VEVENTQ_ALLOC 0x93U
#define IOMMUFD_CMD_HW_QUEUE_ALLOC 0x94U
#define IOMMU_DESTROY 0x3b80U
#define IOMMU_IOAS_ALLOC 0x3b81U
#define IOMMU_IOAS_ALLOW_IOVAS 0x3b82U
#define IOMMU_IOAS_COPY 0x3b83U
#define IOMMU_IOAS_IOVA_RANGES 0x3b84U
#define IOMMU_IOAS_MAP 0x3b85U
#define IOMMU_IOAS_MAP_FILE 0x3b8fU
#define IOMMU_IOAS_UNMAP 0x3b86U
#define IOMMU_OPTION 0x3b87U
#define IOMMU_OPTION_RLIMIT_MODE 0x0U
#define IOMMU_OPTION_HUGE_PAGES 0x1U
#define IOMMU_OPTION_OP_SET 0x0U
#define IOMMU_OPTION_OP_GET 0x1U
#define IOMMU_VFIO_IOAS 0x3b88U
#define IOMMU_VFIO_IOAS_GET 0x0U
#define IOMMU_VFIO_IOAS_SET 0x1U
#define IOMMU_VFIO_IOAS_CLEAR 0x2U
#define IOMMU_HWPT_ALLOC 0x3b89U
#define IOMMU_GET_HW_INFO 0x3b8aU
#define IOMMU_HWPT_SET_DIRTY_TRACKING 0x3b8bU
#define IOMMU_HWPT_GET_DIRTY_BITMAP 0x3b8cU
#define IOMMU_HWPT_INVALIDATE 0x3b8dU
#define IOMMU_FAULT_QUEUE_ALLOC 0x3b8eU
#define IOMMU_VIOMMU_ALLOC 0x3b90U
#define IOMMU_VDEVICE_ALLOC 0x3b91U
#define IOMMU_VEVENTQ_ALLOC 0x3b93U
#define IOMMU_IOAS_MAP_FIXED_IOVA 0x1U
#define IOMMU_IOAS_MAP_WRITEABLE 0x2U
#define IOMMU_IOAS_MAP_READABLE 0x4U
#define IOMMU_HWPT_ALLOC_NEST_PARENT 0x1U
#define IOMMU_HWPT_ALLOC_DIRTY_TRACKING 0x2U
#define IOMMU_HWPT_FAULT_ID_VALID 0x4U
#define IOMMU_HWPT_ALLOC_PASID 0x8U
#define IOMMU_PGFAULT_FLAGS_PASID_VALID 0x1U
#define IOMMU_PGFAULT_FLAGS_LAST_PAGE 0x2U
#define IOMMU_PGFAULT_PERM_READ 0x1U
#define IOMMU_PGFAULT_PERM_WRITE 0x2U
#define IOMMU_PGFAULT_PERM_EXEC 0x4U
#define IOMMU_PGFAULT_PERM_PRIV 0x8U
#define IOMMUFD_PAGE_RESP_SUCCESS 0x0U
#define IOMMUFD_PAGE_RESP_INVALID 0x1U
#define IOMMU_HWPT_DATA_NONE 0x0U
#define IOMMU_HWPT_DATA_VTD_S1 0x1U
#define IOMMU_HWPT_DATA_ARM_SMMUV3 0x2U
#define IOMMU_VTD_S1_SRE 0x1ULL
#define IOMMU_VTD_S1_EAFE 0x2ULL
#define IOMMU_VTD_S1_WPE 0x4ULL
#define IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 0x0U
#define IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 0x1U
#define IOMMU_VTD_INV_FLAGS_LEAF 0x1U
#define IOMMU_VIOMMU_TYPE_DEFAULT 0x0U
#define IOMMU_VIOMMU_TYPE_ARM_SMMUV3 0x1U
#define IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV 0x2U
#define IOMMU_VEVENTQ_TYPE_DEFAULT 0x0U
#define IOMMU_VEVENTQ_FLAG_LOST_EVENTS 0x1U
#define IOMMU_HW_CAP_DIRTY_TRACKING 0x1ULL
#define IOMMU_HW_CAP_PCI_PASID_EXEC 0x2ULL
#define IOMMU_HW_CAP_PCI_PASID_PRIV 0x4ULL
#define IOMMU_HW_INFO_FLAG_INPUT_TYPE 0x1U
#define IOMMU_HWPT_DIRTY_TRACKING_ENABLE 0x1U
#define IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR 0x1U
#define IOMMU_DIRTY_NO_CLEAR 0x1U

/* org.jvfio.api.iommufd.IommufdTest */
#define IOMMU_TEST_CMD 0x3ba0U
#define IOMMU_TEST_CMD_SIZE 0x48U
#define IOMMU_TEST_CMD_MIN_SIZE 0x44U
#define IOMMU_TEST_OP_ADD_RESERVED 0x1U
#define IOMMU_TEST_OP_MOCK_DOMAIN 0x2U
#define IOMMU_TEST_OP_MD_CHECK_MAP 0x3U
#define IOMMU_TEST_OP_MD_CHECK_REFS 0x4U
#define IOMMU_TEST_OP_CREATE_ACCESS 0x5U
#define IOMMU_TEST_OP_DESTROY_ACCESS_PAGES 0x6U
#define IOMMU_TEST_OP_ACCESS_PAGES 0x7U
#define IOMMU_TEST_OP_ACCESS_RW 0x8U
#define IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT 0x9U
#define IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE 0xaU
#define IOMMU_TEST_OP_ACCESS_REPLACE_IOAS 0xbU
#define IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS 0xcU
#define IOMMU_TEST_OP_DIRTY 0xdU
#define IOMMU_TEST_OP_MD_CHECK_IOTLB 0xeU
#define IOMMU_TEST_OP_TRIGGER_IOPF 0xfU
#define IOMMU_TEST_OP_PASID_ATTACH 0x12U
#define IOMMU_TEST_OP_PASID_REPLACE 0x13U
#define IOMMU_TEST_OP_PASID_DETACH 0x14U
#define MOCK_FLAGS_ACCESS_WRITE 0x1U
#define MOCK_FLAGS_ACCESS_SYZ 0x10000U
#define MOCK_ACCESS_RW_WRITE 0x1U
#define MOCK_ACCESS_RW_SLOW_PATH 0x4U
#define MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES 0x1U
#define IOMMU_TEST_OP_PASID_CHECK_HWPT 0x15U
#define MOCK_PASID_WIDTH 0x14U
#define IOMMU_TEST_OP_DEV_CHECK_CACHE 0x10U
#define IOMMU_TEST_OP_TRIGGER_VEVENT 0x11U
#define MOCK_DEV_CACHE_ID_MAX 0x3U
#define MOCK_DEV_CACHE_NUM 0x4U
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddadU
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeefU
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeefU
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeefU
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeefU
#define MOCK_FLAGS_DEVICE_NO_DIRTY 0x1U
#define MOCK_FLAGS_DEVICE_HUGE_IOVA 0x2U
#define MOCK_FLAGS_DEVICE_PASID 0x4U
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeefU
#define MOCK_IOMMUPT_DEFAULT 0x0U
#define MOCK_IOMMUPT_HUGE 0x1U
#define MOCK_IOMMUPT_AMDV1 0x2U
#define MOCK_APERTURE_START 0x1000000ULL
#define MOCK_APERTURE_LAST 0x7fffffffULL
#define MOCK_PAGE_SIZE 0x800U
#define MOCK_HUGE_PAGE_SIZE 0x100000U
#define IOMMU_HWPT_DATA_SELFTEST 0xdeadU
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeefU
#define MOCK_NESTED_DOMAIN_IOTLB_NUM 0x4U
#define MOCK_NESTED_DOMAIN_IOTLB_ID_MAX 0x3U
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeefU
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeefU
#define IOMMU_TEST_INVALIDATE_FLAG_ALL 0x1U

struct iommu_destroy {
	__u32 size;
	__u32 id;
};
_Static_assert(sizeof(struct iommu_destroy) == 8, "iommu_destroy");
_Static_assert(offsetof(struct iommu_destroy, size) == 0, "iommu_destroy");
_Static_assert(offsetof(struct iommu_destroy, id) == 4, "iommu_destroy");

struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};
_Static_assert(sizeof(struct iommu_fault_alloc) == 16, "iommu_fault_alloc");
_Static_assert(offsetof(struct iommu_fault_alloc, size) == 0, "iommu_fault_alloc");
_Static_assert(offsetof(struct iommu_fault_alloc, flags) == 4, "iommu_fault_alloc");
_Static_assert(offsetof(struct iommu_fault_alloc, out_fault_id) == 8, "iommu_fault_alloc");
_Static_assert(offsetof(struct iommu_fault_alloc, out_fault_fd) == 12, "iommu_fault_alloc");

struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};
_Static_assert(sizeof(struct iommu_hw_info) == 40, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, size) == 0, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, flags) == 4, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, dev_id) == 8, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, data_len) == 12, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, data_uptr) == 16, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, in_data_type) == 24, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, out_max_pasid_log2) == 28, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, __reserved) == 29, "iommu_hw_info");
_Static_assert(offsetof(struct iommu_hw_info, out_capabilities) == 32, "iommu_hw_info");

struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};
_Static_assert(sizeof(struct iommu_hwpt_alloc) == 48, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, size) == 0, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, flags) == 4, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, dev_id) == 8, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, pt_id) == 12, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, out_hwpt_id) == 16, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, __reserved) == 20, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, data_type) == 24, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, data_len) == 28, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, data_uptr) == 32, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, fault_id) == 40, "iommu_hwpt_alloc");
_Static_assert(offsetof(struct iommu_hwpt_alloc, __reserved2) == 44, "iommu_hwpt_alloc");

struct iommu_hwpt_arm_smmuv3 {
	__aligned_u64 ste0;
	__aligned_u64 ste1;
};
_Static_assert(sizeof(struct iommu_hwpt_arm_smmuv3) == 16, "iommu_hwpt_arm_smmuv3");
_Static_assert(offsetof(struct iommu_hwpt_arm_smmuv3, ste0) == 0, "iommu_hwpt_arm_smmuv3");
_Static_assert(offsetof(struct iommu_hwpt_arm_smmuv3, ste1) == 8, "iommu_hwpt_arm_smmuv3");

struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};
_Static_assert(sizeof(struct iommu_hwpt_get_dirty_bitmap) == 48, "iommu_hwpt_get_dirty_bitmap");
_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, size) == 0, "iommu_hwpt_get_dirty_bitmap");
_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, hwpt_id) == 4, "iommu_hwpt_get_dirty_bitmap");
_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, flags) == 8, "iommu_hwpt_get_dirty_bitmap");
_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, __reserved) == 12, "iommu_hwpt_get_dirty_bitmap");
_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, iova) == 16, "iommu_hwpt_get_dirty_bitmap");
_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, length) == 24, "iommu_hwpt_get_dirty_bitmap");
_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, page_size) == 32, "iommu_hwpt_get_dirty_bitmap");
_Static_assert(offsetof(struct iommu_hwpt_get_dirty_bitmap, data) == 40, "iommu_hwpt_get_dirty_bitmap");

struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};
_Static_assert(sizeof(struct iommu_hwpt_invalidate) == 32, "iommu_hwpt_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, size) == 0, "iommu_hwpt_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, hwpt_id) == 4, "iommu_hwpt_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, data_uptr) == 8, "iommu_hwpt_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, data_type) == 16, "iommu_hwpt_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, entry_len) == 20, "iommu_hwpt_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, entry_num) == 24, "iommu_hwpt_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_invalidate, __reserved) == 28, "iommu_hwpt_invalidate");

struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};
_Static_assert(sizeof(struct iommu_hwpt_invalidate_selftest) == 8, "iommu_hwpt_invalidate_selftest");
_Static_assert(offsetof(struct iommu_hwpt_invalidate_selftest, flags) == 0, "iommu_hwpt_invalidate_selftest");
_Static_assert(offsetof(struct iommu_hwpt_invalidate_selftest, iotlb_id) == 4, "iommu_hwpt_invalidate_selftest");

struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};
_Static_assert(sizeof(struct iommu_hwpt_page_response) == 8, "iommu_hwpt_page_response");
_Static_assert(offsetof(struct iommu_hwpt_page_response, cookie) == 0, "iommu_hwpt_page_response");
_Static_assert(offsetof(struct iommu_hwpt_page_response, code) == 4, "iommu_hwpt_page_response");

struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};
_Static_assert(sizeof(struct iommu_hwpt_pgfault) == 40, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, flags) == 0, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, dev_id) == 4, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, pasid) == 8, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, grpid) == 12, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, perm) == 16, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, __reserved) == 20, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, addr) == 24, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, length) == 32, "iommu_hwpt_pgfault");
_Static_assert(offsetof(struct iommu_hwpt_pgfault, cookie) == 36, "iommu_hwpt_pgfault");

struct iommu_hwpt_selftest {
	__u32 iotlb;
	__u32 pagetable_type;
};
_Static_assert(sizeof(struct iommu_hwpt_selftest) == 8, "iommu_hwpt_selftest");
_Static_assert(offsetof(struct iommu_hwpt_selftest, iotlb) == 0, "iommu_hwpt_selftest");
_Static_assert(offsetof(struct iommu_hwpt_selftest, pagetable_type) == 4, "iommu_hwpt_selftest");

struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};
_Static_assert(sizeof(struct iommu_hwpt_set_dirty_tracking) == 16, "iommu_hwpt_set_dirty_tracking");
_Static_assert(offsetof(struct iommu_hwpt_set_dirty_tracking, size) == 0, "iommu_hwpt_set_dirty_tracking");
_Static_assert(offsetof(struct iommu_hwpt_set_dirty_tracking, flags) == 4, "iommu_hwpt_set_dirty_tracking");
_Static_assert(offsetof(struct iommu_hwpt_set_dirty_tracking, hwpt_id) == 8, "iommu_hwpt_set_dirty_tracking");
_Static_assert(offsetof(struct iommu_hwpt_set_dirty_tracking, __reserved) == 12, "iommu_hwpt_set_dirty_tracking");

struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};
_Static_assert(sizeof(struct iommu_hwpt_vtd_s1) == 24, "iommu_hwpt_vtd_s1");
_Static_assert(offsetof(struct iommu_hwpt_vtd_s1, flags) == 0, "iommu_hwpt_vtd_s1");
_Static_assert(offsetof(struct iommu_hwpt_vtd_s1, pgtbl_addr) == 8, "iommu_hwpt_vtd_s1");
_Static_assert(offsetof(struct iommu_hwpt_vtd_s1, addr_width) == 16, "iommu_hwpt_vtd_s1");
_Static_assert(offsetof(struct iommu_hwpt_vtd_s1, __reserved) == 20, "iommu_hwpt_vtd_s1");

struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};
_Static_assert(sizeof(struct iommu_hwpt_vtd_s1_invalidate) == 24, "iommu_hwpt_vtd_s1_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_vtd_s1_invalidate, addr) == 0, "iommu_hwpt_vtd_s1_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_vtd_s1_invalidate, npages) == 8, "iommu_hwpt_vtd_s1_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_vtd_s1_invalidate, flags) == 16, "iommu_hwpt_vtd_s1_invalidate");
_Static_assert(offsetof(struct iommu_hwpt_vtd_s1_invalidate, __reserved) == 20, "iommu_hwpt_vtd_s1_invalidate");

struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};
_Static_assert(sizeof(struct iommu_ioas_alloc) == 12, "iommu_ioas_alloc");
_Static_assert(offsetof(struct iommu_ioas_alloc, size) == 0, "iommu_ioas_alloc");
_Static_assert(offsetof(struct iommu_ioas_alloc, flags) == 4, "iommu_ioas_alloc");
_Static_assert(offsetof(struct iommu_ioas_alloc, out_ioas_id) == 8, "iommu_ioas_alloc");

struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};
_Static_assert(sizeof(struct iommu_ioas_allow_iovas) == 24, "iommu_ioas_allow_iovas");
_Static_assert(offsetof(struct iommu_ioas_allow_iovas, size) == 0, "iommu_ioas_allow_iovas");
_Static_assert(offsetof(struct iommu_ioas_allow_iovas, ioas_id) == 4, "iommu_ioas_allow_iovas");
_Static_assert(offsetof(struct iommu_ioas_allow_iovas, num_iovas) == 8, "iommu_ioas_allow_iovas");
_Static_assert(offsetof(struct iommu_ioas_allow_iovas, __reserved) == 12, "iommu_ioas_allow_iovas");
_Static_assert(offsetof(struct iommu_ioas_allow_iovas, allowed_iovas) == 16, "iommu_ioas_allow_iovas");

struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};
_Static_assert(sizeof(struct iommu_ioas_copy) == 40, "iommu_ioas_copy");
_Static_assert(offsetof(struct iommu_ioas_copy, size) == 0, "iommu_ioas_copy");
_Static_assert(offsetof(struct iommu_ioas_copy, flags) == 4, "iommu_ioas_copy");
_Static_assert(offsetof(struct iommu_ioas_copy, dst_ioas_id) == 8, "iommu_ioas_copy");
_Static_assert(offsetof(struct iommu_ioas_copy, src_ioas_id) == 12, "iommu_ioas_copy");
_Static_assert(offsetof(struct iommu_ioas_copy, length) == 16, "iommu_ioas_copy");
_Static_assert(offsetof(struct iommu_ioas_copy, dst_iova) == 24, "iommu_ioas_copy");
_Static_assert(offsetof(struct iommu_ioas_copy, src_iova) == 32, "iommu_ioas_copy");

struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};
_Static_assert(sizeof(struct iommu_ioas_iova_ranges) == 32, "iommu_ioas_iova_ranges");
_Static_assert(offsetof(struct iommu_ioas_iova_ranges, size) == 0, "iommu_ioas_iova_ranges");
_Static_assert(offsetof(struct iommu_ioas_iova_ranges, ioas_id) == 4, "iommu_ioas_iova_ranges");
_Static_assert(offsetof(struct iommu_ioas_iova_ranges, num_iovas) == 8, "iommu_ioas_iova_ranges");
_Static_assert(offsetof(struct iommu_ioas_iova_ranges, __reserved) == 12, "iommu_ioas_iova_ranges");
_Static_assert(offsetof(struct iommu_ioas_iova_ranges, allowed_iovas) == 16, "iommu_ioas_iova_ranges");
_Static_assert(offsetof(struct iommu_ioas_iova_ranges, out_iova_alignment) == 24, "iommu_ioas_iova_ranges");

struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};
_Static_assert(sizeof(struct iommu_ioas_map) == 40, "iommu_ioas_map");
_Static_assert(offsetof(struct iommu_ioas_map, size) == 0, "iommu_ioas_map");
_Static_assert(offsetof(struct iommu_ioas_map, flags) == 4, "iommu_ioas_map");
_Static_assert(offsetof(struct iommu_ioas_map, ioas_id) == 8, "iommu_ioas_map");
_Static_assert(offsetof(struct iommu_ioas_map, __reserved) == 12, "iommu_ioas_map");
_Static_assert(offsetof(struct iommu_ioas_map, user_va) == 16, "iommu_ioas_map");
_Static_assert(offsetof(struct iommu_ioas_map, length) == 24, "iommu_ioas_map");
_Static_assert(offsetof(struct iommu_ioas_map, iova) == 32, "iommu_ioas_map");

struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};
_Static_assert(sizeof(struct iommu_ioas_map_file) == 40, "iommu_ioas_map_file");
_Static_assert(offsetof(struct iommu_ioas_map_file, size) == 0, "iommu_ioas_map_file");
_Static_assert(offsetof(struct iommu_ioas_map_file, flags) == 4, "iommu_ioas_map_file");
_Static_assert(offsetof(struct iommu_ioas_map_file, ioas_id) == 8, "iommu_ioas_map_file");
_Static_assert(offsetof(struct iommu_ioas_map_file, fd) == 12, "iommu_ioas_map_file");
_Static_assert(offsetof(struct iommu_ioas_map_file, start) == 16, "iommu_ioas_map_file");
_Static_assert(offsetof(struct iommu_ioas_map_file, length) == 24, "iommu_ioas_map_file");
_Static_assert(offsetof(struct iommu_ioas_map_file, iova) == 32, "iommu_ioas_map_file");

struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};
_Static_assert(sizeof(struct iommu_ioas_unmap) == 24, "iommu_ioas_unmap");
_Static_assert(offsetof(struct iommu_ioas_unmap, size) == 0, "iommu_ioas_unmap");
_Static_assert(offsetof(struct iommu_ioas_unmap, ioas_id) == 4, "iommu_ioas_unmap");
_Static_assert(offsetof(struct iommu_ioas_unmap, iova) == 8, "iommu_ioas_unmap");
_Static_assert(offsetof(struct iommu_ioas_unmap, length) == 16, "iommu_ioas_unmap");

struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};
_Static_assert(sizeof(struct iommu_iova_range) == 16, "iommu_iova_range");
_Static_assert(offsetof(struct iommu_iova_range, start) == 0, "iommu_iova_range");
_Static_assert(offsetof(struct iommu_iova_range, last) == 8, "iommu_iova_range");

struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};
_Static_assert(sizeof(struct iommu_option) == 24, "iommu_option");
_Static_assert(offsetof(struct iommu_option, size) == 0, "iommu_option");
_Static_assert(offsetof(struct iommu_option, option_id) == 4, "iommu_option");
_Static_assert(offsetof(struct iommu_option, op) == 8, "iommu_option");
_Static_assert(offsetof(struct iommu_option, __reserved) == 10, "iommu_option");
_Static_assert(offsetof(struct iommu_option, object_id) == 12, "iommu_option");
_Static_assert(offsetof(struct iommu_option, val64) == 16, "iommu_option");

struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};
_Static_assert(sizeof(struct iommu_vdevice_alloc) == 24, "iommu_vdevice_alloc");
_Static_assert(offsetof(struct iommu_vdevice_alloc, size) == 0, "iommu_vdevice_alloc");
_Static_assert(offsetof(struct iommu_vdevice_alloc, viommu_id) == 4, "iommu_vdevice_alloc");
_Static_assert(offsetof(struct iommu_vdevice_alloc, dev_id) == 8, "iommu_vdevice_alloc");
_Static_assert(offsetof(struct iommu_vdevice_alloc, out_vdevice_id) == 12, "iommu_vdevice_alloc");
_Static_assert(offsetof(struct iommu_vdevice_alloc, virt_id) == 16, "iommu_vdevice_alloc");

struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};
_Static_assert(sizeof(struct iommu_veventq_alloc) == 32, "iommu_veventq_alloc");
_Static_assert(offsetof(struct iommu_veventq_alloc, size) == 0, "iommu_veventq_alloc");
_Static_assert(offsetof(struct iommu_veventq_alloc, flags) == 4, "iommu_veventq_alloc");
_Static_assert(offsetof(struct iommu_veventq_alloc, viommu_id) == 8, "iommu_veventq_alloc");
_Static_assert(offsetof(struct iommu_veventq_alloc, type) == 12, "iommu_veventq_alloc");
_Static_assert(offsetof(struct iommu_veventq_alloc, veventq_depth) == 16, "iommu_veventq_alloc");
_Static_assert(offsetof(struct iommu_veventq_alloc, out_veventq_id) == 20, "iommu_veventq_alloc");
_Static_assert(offsetof(struct iommu_veventq_alloc, out_veventq_fd) == 24, "iommu_veventq_alloc");
_Static_assert(offsetof(struct iommu_veventq_alloc, __reserved) == 28, "iommu_veventq_alloc");

struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};
_Static_assert(sizeof(struct iommu_vfio_ioas) == 12, "iommu_vfio_ioas");
_Static_assert(offsetof(struct iommu_vfio_ioas, size) == 0, "iommu_vfio_ioas");
_Static_assert(offsetof(struct iommu_vfio_ioas, ioas_id) == 4, "iommu_vfio_ioas");
_Static_assert(offsetof(struct iommu_vfio_ioas, op) == 8, "iommu_vfio_ioas");
_Static_assert(offsetof(struct iommu_vfio_ioas, __reserved) == 10, "iommu_vfio_ioas");

struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};
_Static_assert(sizeof(struct iommu_viommu_alloc) == 40, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, size) == 0, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, flags) == 4, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, type) == 8, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, dev_id) == 12, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, hwpt_id) == 16, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, out_viommu_id) == 20, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, data_len) == 24, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, __reserved) == 28, "iommu_viommu_alloc");
_Static_assert(offsetof(struct iommu_viommu_alloc, data_uptr) == 32, "iommu_viommu_alloc");

struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_u64 cmd0;
	__aligned_u64 cmd1;
};
_Static_assert(sizeof(struct iommu_viommu_arm_smmuv3_invalidate) == 16, "iommu_viommu_arm_smmuv3_invalidate");
_Static_assert(offsetof(struct iommu_viommu_arm_smmuv3_invalidate, cmd0) == 0, "iommu_viommu_arm_smmuv3_invalidate");
_Static_assert(offsetof(struct iommu_viommu_arm_smmuv3_invalidate, cmd1) == 8, "iommu_viommu_arm_smmuv3_invalidate");

struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};
_Static_assert(sizeof(struct iommufd_vevent_header) == 8, "iommufd_vevent_header");
_Static_assert(offsetof(struct iommufd_vevent_header, flags) == 0, "iommufd_vevent_header");
_Static_assert(offsetof(struct iommufd_vevent_header, sequence) == 4, "iommufd_vevent_header");

struct vfio_bitmap {
	__aligned_u64 pgsize;
	__aligned_u64 size;
	__aligned_u64 data;
};
_Static_assert(sizeof(struct vfio_bitmap) == 24, "vfio_bitmap");
_Static_assert(offsetof(struct vfio_bitmap, pgsize) == 0, "vfio_bitmap");
_Static_assert(offsetof(struct vfio_bitmap, size) == 8, "vfio_bitmap");
_Static_assert(offsetof(struct vfio_bitmap, data) == 16, "vfio_bitmap");

struct vfio_device_attach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pt_id;
	__u32 pasid;
};
_Static_assert(sizeof(struct vfio_device_attach_iommufd_pt) == 16, "vfio_device_attach_iommufd_pt");
_Static_assert(offsetof(struct vfio_device_attach_iommufd_pt, argsz) == 0, "vfio_device_attach_iommufd_pt");
_Static_assert(offsetof(struct vfio_device_attach_iommufd_pt, flags) == 4, "vfio_device_attach_iommufd_pt");
_Static_assert(offsetof(struct vfio_device_attach_iommufd_pt, pt_id) == 8, "vfio_device_attach_iommufd_pt");
_Static_assert(offsetof(struct vfio_device_attach_iommufd_pt, pasid) == 12, "vfio_device_attach_iommufd_pt");

struct vfio_device_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;
};
_Static_assert(sizeof(struct vfio_device_bind_iommufd) == 24, "vfio_device_bind_iommufd");
_Static_assert(offsetof(struct vfio_device_bind_iommufd, argsz) == 0, "vfio_device_bind_iommufd");
_Static_assert(offsetof(struct vfio_device_bind_iommufd, flags) == 4, "vfio_device_bind_iommufd");
_Static_assert(offsetof(struct vfio_device_bind_iommufd, iommufd) == 8, "vfio_device_bind_iommufd");
_Static_assert(offsetof(struct vfio_device_bind_iommufd, out_devid) == 12, "vfio_device_bind_iommufd");
_Static_assert(offsetof(struct vfio_device_bind_iommufd, token_uuid_ptr) == 16, "vfio_device_bind_iommufd");

struct vfio_device_detach_iommufd_pt {
	__u32 argsz;
	__u32 flags;
	__u32 pasid;
};
_Static_assert(sizeof(struct vfio_device_detach_iommufd_pt) == 12, "vfio_device_detach_iommufd_pt");
_Static_assert(offsetof(struct vfio_device_detach_iommufd_pt, argsz) == 0, "vfio_device_detach_iommufd_pt");
_Static_assert(offsetof(struct vfio_device_detach_iommufd_pt, flags) == 4, "vfio_device_detach_iommufd_pt");
_Static_assert(offsetof(struct vfio_device_detach_iommufd_pt, pasid) == 8, "vfio_device_detach_iommufd_pt");

struct vfio_device_feature {
	__u32 argsz;
	__u32 flags;
	__u8 data[];
};
_Static_assert(sizeof(struct vfio_device_feature) == 8, "vfio_device_feature");
_Static_assert(offsetof(struct vfio_device_feature, argsz) == 0, "vfio_device_feature");
_Static_assert(offsetof(struct vfio_device_feature, flags) == 4, "vfio_device_feature");

struct vfio_device_feature_dma_logging_control {
	__aligned_u64 page_size;
	__u32 num_ranges;
	__u32 __reserved;
	__aligned_u64 ranges;
};
_Static_assert(sizeof(struct vfio_device_feature_dma_logging_control) == 24, "vfio_device_feature_dma_logging_control");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_control, page_size) == 0, "vfio_device_feature_dma_logging_control");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_control, num_ranges) == 8, "vfio_device_feature_dma_logging_control");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_control, __reserved) == 12, "vfio_device_feature_dma_logging_control");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_control, ranges) == 16, "vfio_device_feature_dma_logging_control");

struct vfio_device_feature_dma_logging_range {
	__aligned_u64 iova;
	__aligned_u64 length;
};
_Static_assert(sizeof(struct vfio_device_feature_dma_logging_range) == 16, "vfio_device_feature_dma_logging_range");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_range, iova) == 0, "vfio_device_feature_dma_logging_range");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_range, length) == 8, "vfio_device_feature_dma_logging_range");

struct vfio_device_feature_dma_logging_report {
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 bitmap;
};
_Static_assert(sizeof(struct vfio_device_feature_dma_logging_report) == 32, "vfio_device_feature_dma_logging_report");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_report, iova) == 0, "vfio_device_feature_dma_logging_report");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_report, length) == 8, "vfio_device_feature_dma_logging_report");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_report, page_size) == 16, "vfio_device_feature_dma_logging_report");
_Static_assert(offsetof(struct vfio_device_feature_dma_logging_report, bitmap) == 24, "vfio_device_feature_dma_logging_report");

struct vfio_device_feature_mig_data_size {
	__aligned_u64 stop_copy_length;
};
_Static_assert(sizeof(struct vfio_device_feature_mig_data_size) == 8, "vfio_device_feature_mig_data_size");
_Static_assert(offsetof(struct vfio_device_feature_mig_data_size, stop_copy_length) == 0, "vfio_device_feature_mig_data_size");

struct vfio_device_feature_mig_state {
	__u32 device_state;
	__u32 data_fd;
};
_Static_assert(sizeof(struct vfio_device_feature_mig_state) == 8, "vfio_device_feature_mig_state");
_Static_assert(offsetof(struct vfio_device_feature_mig_state, device_state) == 0, "vfio_device_feature_mig_state");
_Static_assert(offsetof(struct vfio_device_feature_mig_state, data_fd) == 4, "vfio_device_feature_mig_state");

struct vfio_device_feature_migration {
	__aligned_u64 flags;
};
_Static_assert(sizeof(struct vfio_device_feature_migration) == 8, "vfio_device_feature_migration");
_Static_assert(offsetof(struct vfio_device_feature_migration, flags) == 0, "vfio_device_feature_migration");

struct vfio_device_info {
	__u32 argsz;
	__u32 flags;
	__u32 num_regions;
	__u32 num_irqs;
	__u32 cap_offset;
};
_Static_assert(sizeof(struct vfio_device_info) == 20, "vfio_device_info");
_Static_assert(offsetof(struct vfio_device_info, argsz) == 0, "vfio_device_info");
_Static_assert(offsetof(struct vfio_device_info, flags) == 4, "vfio_device_info");
_Static_assert(offsetof(struct vfio_device_info, num_regions) == 8, "vfio_device_info");
_Static_assert(offsetof(struct vfio_device_info, num_irqs) == 12, "vfio_device_info");
_Static_assert(offsetof(struct vfio_device_info, cap_offset) == 16, "vfio_device_info");

struct vfio_group_status {
	__u32 argsz;
	__u32 flags;
};
_Static_assert(sizeof(struct vfio_group_status) == 8, "vfio_group_status");
_Static_assert(offsetof(struct vfio_group_status, argsz) == 0, "vfio_group_status");
_Static_assert(offsetof(struct vfio_group_status, flags) == 4, "vfio_group_status");

struct vfio_info_cap_header {
	__u16 id;
	__u16 version;
	__u32 next;
};
_Static_assert(sizeof(struct vfio_info_cap_header) == 8, "vfio_info_cap_header");
_Static_assert(offsetof(struct vfio_info_cap_header, id) == 0, "vfio_info_cap_header");
_Static_assert(offsetof(struct vfio_info_cap_header, version) == 2, "vfio_info_cap_header");
_Static_assert(offsetof(struct vfio_info_cap_header, next) == 4, "vfio_info_cap_header");

struct vfio_iommu_type1_dirty_bitmap {
	__u32 argsz;
	__u32 flags;
	__u8 data[];
};
_Static_assert(sizeof(struct vfio_iommu_type1_dirty_bitmap) == 8, "vfio_iommu_type1_dirty_bitmap");
_Static_assert(offsetof(struct vfio_iommu_type1_dirty_bitmap, argsz) == 0, "vfio_iommu_type1_dirty_bitmap");
_Static_assert(offsetof(struct vfio_iommu_type1_dirty_bitmap, flags) == 4, "vfio_iommu_type1_dirty_bitmap");

struct vfio_iommu_type1_dma_map {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 vaddr;
	__aligned_u64 iova;
	__aligned_u64 size;
};
_Static_assert(sizeof(struct vfio_iommu_type1_dma_map) == 32, "vfio_iommu_type1_dma_map");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_map, argsz) == 0, "vfio_iommu_type1_dma_map");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_map, flags) == 4, "vfio_iommu_type1_dma_map");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_map, vaddr) == 8, "vfio_iommu_type1_dma_map");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_map, iova) == 16, "vfio_iommu_type1_dma_map");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_map, size) == 24, "vfio_iommu_type1_dma_map");

struct vfio_iommu_type1_dma_unmap {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 iova;
	__aligned_u64 size;
	__u8 data[];
};
_Static_assert(sizeof(struct vfio_iommu_type1_dma_unmap) == 24, "vfio_iommu_type1_dma_unmap");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_unmap, argsz) == 0, "vfio_iommu_type1_dma_unmap");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_unmap, flags) == 4, "vfio_iommu_type1_dma_unmap");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_unmap, iova) == 8, "vfio_iommu_type1_dma_unmap");
_Static_assert(offsetof(struct vfio_iommu_type1_dma_unmap, size) == 16, "vfio_iommu_type1_dma_unmap");

struct vfio_iommu_type1_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 iova_pgsizes;
	__u32 cap_offset;
};
_Static_assert(sizeof(struct vfio_iommu_type1_info) == 24, "vfio_iommu_type1_info");
_Static_assert(offsetof(struct vfio_iommu_type1_info, argsz) == 0, "vfio_iommu_type1_info");
_Static_assert(offsetof(struct vfio_iommu_type1_info, flags) == 4, "vfio_iommu_type1_info");
_Static_assert(offsetof(struct vfio_iommu_type1_info, iova_pgsizes) == 8, "vfio_iommu_type1_info");
_Static_assert(offsetof(struct vfio_iommu_type1_info, cap_offset) == 16, "vfio_iommu_type1_info");

struct vfio_iova_range {
	__aligned_u64 start;
	__aligned_u64 end;
};
_Static_assert(sizeof(struct vfio_iova_range) == 16, "vfio_iova_range");
_Static_assert(offsetof(struct vfio_iova_range, start) == 0, "vfio_iova_range");
_Static_assert(offsetof(struct vfio_iova_range, end) == 8, "vfio_iova_range");

struct vfio_irq_info {
	__u32 argsz;
	__u32 flags;
	__u32 index;
	__u32 count;
};
_Static_assert(sizeof(struct vfio_irq_info) == 16, "vfio_irq_info");
_Static_assert(offsetof(struct vfio_irq_info, argsz) == 0, "vfio_irq_info");
_Static_assert(offsetof(struct vfio_irq_info, flags) == 4, "vfio_irq_info");
_Static_assert(offsetof(struct vfio_irq_info, index) == 8, "vfio_irq_info");
_Static_assert(offsetof(struct vfio_irq_info, count) == 12, "vfio_irq_info");

struct vfio_precopy_info {
	__u32 argsz;
	__u32 flags;
	__aligned_u64 initial_bytes;
	__aligned_u64 dirty_bytes;
};
_Static_assert(sizeof(struct vfio_precopy_info) == 24, "vfio_precopy_info");
_Static_assert(offsetof(struct vfio_precopy_info, argsz) == 0, "vfio_precopy_info");
_Static_assert(offsetof(struct vfio_precopy_info, flags) == 4, "vfio_precopy_info");
_Static_assert(offsetof(struct vfio_precopy_info, initial_bytes) == 8, "vfio_precopy_info");
_Static_assert(offsetof(struct vfio_precopy_info, dirty_bytes) == 16, "vfio_precopy_info");

struct vfio_region_info {
	__u32 argsz;
	__u32 flags;
	__u32 index;
	__u32 cap_offset;
	__aligned_u64 size;
	__aligned_u64 offset;
};
_Static_assert(sizeof(struct vfio_region_info) == 32, "vfio_region_info");
_Static_assert(offsetof(struct vfio_region_info, argsz) == 0, "vfio_region_info");
_Static_assert(offsetof(struct vfio_region_info, flags) == 4, "vfio_region_info");
_Static_assert(offsetof(struct vfio_region_info, index) == 8, "vfio_region_info");
_Static_assert(offsetof(struct vfio_region_info, cap_offset) == 12, "vfio_region_info");
_Static_assert(offsetof(struct vfio_region_info, size) == 16, "vfio_region_info");
_Static_assert(offsetof(struct vfio_region_info, offset) == 24, "vfio_region_info");

struct vfio_region_sparse_mmap_area {
	__aligned_u64 offset;
	__aligned_u64 size;
};
_Static_assert(sizeof(struct vfio_region_sparse_mmap_area) == 16, "vfio_region_sparse_mmap_area");
_Static_assert(offsetof(struct vfio_region_sparse_mmap_area, offset) == 0, "vfio_region_sparse_mmap_area");
_Static_assert(offsetof(struct vfio_region_sparse_mmap_area, size) == 8, "vfio_region_sparse_mmap_area");

struct vfio_device_info_cap_pci_atomic_comp {
	struct vfio_info_cap_header header;
	__u32 flags;
	__u32 __reserved;
};
_Static_assert(sizeof(struct vfio_device_info_cap_pci_atomic_comp) == 16, "vfio_device_info_cap_pci_atomic_comp");
_Static_assert(offsetof(struct vfio_device_info_cap_pci_atomic_comp, header) == 0, "vfio_device_info_cap_pci_atomic_comp");
_Static_assert(offsetof(struct vfio_device_info_cap_pci_atomic_comp, flags) == 8, "vfio_device_info_cap_pci_atomic_comp");
_Static_assert(offsetof(struct vfio_device_info_cap_pci_atomic_comp, __reserved) == 12, "vfio_device_info_cap_pci_atomic_comp");

struct vfio_iommu_type1_dirty_bitmap_get {
	__aligned_u64 iova;
	__aligned_u64 size;
	struct vfio_bitmap bitmap;
};
_Static_assert(sizeof(struct vfio_iommu_type1_dirty_bitmap_get) == 40, "vfio_iommu_type1_dirty_bitmap_get");
_Static_assert(offsetof(struct vfio_iommu_type1_dirty_bitmap_get, iova) == 0, "vfio_iommu_type1_dirty_bitmap_get");
_Static_assert(offsetof(struct vfio_iommu_type1_dirty_bitmap_get, size) == 8, "vfio_iommu_type1_dirty_bitmap_get");
_Static_assert(offsetof(struct vfio_iommu_type1_dirty_bitmap_get, bitmap) == 16, "vfio_iommu_type1_dirty_bitmap_get");

struct vfio_iommu_type1_info_cap_iova_range {
	struct vfio_info_cap_header header;
	__u32 nr_iovas;
	__u32 __reserved;
};
_Static_assert(sizeof(struct vfio_iommu_type1_info_cap_iova_range) == 16, "vfio_iommu_type1_info_cap_iova_range");
_Static_assert(offsetof(struct vfio_iommu_type1_info_cap_iova_range, header) == 0, "vfio_iommu_type1_info_cap_iova_range");
_Static_assert(offsetof(struct vfio_iommu_type1_info_cap_iova_range, nr_iovas) == 8, "vfio_iommu_type1_info_cap_iova_range");
_Static_assert(offsetof(struct vfio_iommu_type1_info_cap_iova_range, __reserved) == 12, "vfio_iommu_type1_info_cap_iova_range");

struct vfio_iommu_type1_info_cap_migration {
	struct vfio_info_cap_header header;
	__u32 flags;
	__aligned_u64 pgsize_bitmap;
	__aligned_u64 max_dirty_bitmap_size;
};
_Static_assert(sizeof(struct vfio_iommu_type1_info_cap_migration) == 32, "vfio_iommu_type1_info_cap_migration");
_Static_assert(offsetof(struct vfio_iommu_type1_info_cap_migration, header) == 0, "vfio_iommu_type1_info_cap_migration");
_Static_assert(offsetof(struct vfio_iommu_type1_info_cap_migration, flags) == 8, "vfio_iommu_type1_info_cap_migration");
_Static_assert(offsetof(struct vfio_iommu_type1_info_cap_migration, pgsize_bitmap) == 16, "vfio_iommu_type1_info_cap_migration");
_Static_assert(offsetof(struct vfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size) == 24, "vfio_iommu_type1_info_cap_migration");

struct vfio_iommu_type1_info_dma_avail {
	struct vfio_info_cap_header header;
	__u32 avail;
};
_Static_assert(sizeof(struct vfio_iommu_type1_info_dma_avail) == 12, "vfio_iommu_type1_info_dma_avail");
_Static_assert(offsetof(struct vfio_iommu_type1_info_dma_avail, header) == 0, "vfio_iommu_type1_info_dma_avail");
_Static_assert(offsetof(struct vfio_iommu_type1_info_dma_avail, avail) == 8, "vfio_iommu_type1_info_dma_avail");

struct vfio_region_info_cap_sparse_mmap {
	struct vfio_info_cap_header header;
	__u32 nr_areas;
	__u32 __reserved;
};
_Static_assert(sizeof(struct vfio_region_info_cap_sparse_mmap) == 16, "vfio_region_info_cap_sparse_mmap");
_Static_assert(offsetof(struct vfio_region_info_cap_sparse_mmap, header) == 0, "vfio_region_info_cap_sparse_mmap");
_Static_assert(offsetof(struct vfio_region_info_cap_sparse_mmap, nr_areas) == 8, "vfio_region_info_cap_sparse_mmap");
_Static_assert(offsetof(struct vfio_region_info_cap_sparse_mmap, __reserved) == 12, "vfio_region_info_cap_sparse_mmap");

struct vfio_region_info_cap_type {
	struct vfio_info_cap_header header;
	__u32 type;
	__u32 subtype;
};
_Static_assert(sizeof(struct vfio_region_info_cap_type) == 16, "vfio_region_info_cap_type");
_Static_assert(offsetof(struct vfio_region_info_cap_type, header) == 0, "vfio_region_info_cap_type");
_Static_assert(offsetof(struct vfio_region_info_cap_type, type) == 8, "vfio_region_info_cap_type");
_Static_assert(offsetof(struct vfio_region_info_cap_type, subtype) == 12, "vfio_region_info_cap_type");

#endif /* JVFIO_UAPI_H */
