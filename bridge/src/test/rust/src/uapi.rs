// SPDX-License-Identifier: Apache-2.0
// uapi.rs: the VFIO and iommufd uAPI that jvfio models, generated from the
// jvfio-api records by org.jvfio.bridge.UapiRust. Do not edit: regenerate with
// bridge/src/test/c/regenerate-header.sh (UapiHeaderTest fails when it is stale).
#![allow(non_camel_case_types, non_upper_case_globals, dead_code)]

use core::mem::{offset_of, size_of};

// org.jvfio.api.vfio.Vfio
pub const VFIO_TYPE: u32 = 0x3b;
pub const VFIO_BASE: u32 = 0x64;
pub const VFIO_API_VERSION: u32 = 0x0;
pub const VFIO_TYPE1_IOMMU: u32 = 0x1;
pub const VFIO_SPAPR_TCE_IOMMU: u32 = 0x2;
pub const VFIO_TYPE1v2_IOMMU: u32 = 0x3;
pub const VFIO_DMA_CC_IOMMU: u32 = 0x4;
pub const VFIO_EEH: u32 = 0x5;
pub const VFIO_TYPE1_NESTING_IOMMU: u32 = 0x6;
pub const VFIO_SPAPR_TCE_v2_IOMMU: u32 = 0x7;
pub const VFIO_NOIOMMU_IOMMU: u32 = 0x8;
pub const VFIO_UNMAP_ALL: u32 = 0x9;
pub const VFIO_UPDATE_VADDR: u32 = 0xa;
pub const VFIO_GET_API_VERSION: u32 = 0x3b64;
pub const VFIO_CHECK_EXTENSION: u32 = 0x3b65;
pub const VFIO_SET_IOMMU: u32 = 0x3b66;
pub const VFIO_GROUP_GET_STATUS: u32 = 0x3b67;
pub const VFIO_GROUP_SET_CONTAINER: u32 = 0x3b68;
pub const VFIO_GROUP_UNSET_CONTAINER: u32 = 0x3b69;
pub const VFIO_GROUP_GET_DEVICE_FD: u32 = 0x3b6a;
pub const VFIO_IOMMU_GET_INFO: u32 = 0x3b70;
pub const VFIO_IOMMU_MAP_DMA: u32 = 0x3b71;
pub const VFIO_DEVICE_GET_INFO: u32 = 0x3b6b;
pub const VFIO_DEVICE_GET_REGION_INFO: u32 = 0x3b6c;
pub const VFIO_DEVICE_GET_IRQ_INFO: u32 = 0x3b6d;
pub const VFIO_DEVICE_RESET: u32 = 0x3b6f;
pub const VFIO_IOMMU_UNMAP_DMA: u32 = 0x3b72;
pub const VFIO_DEVICE_FEATURE: u32 = 0x3b75;
pub const VFIO_IOMMU_DIRTY_PAGES: u32 = 0x3b75;
pub const VFIO_DEVICE_BIND_IOMMUFD: u32 = 0x3b76;
pub const VFIO_DEVICE_ATTACH_IOMMUFD_PT: u32 = 0x3b77;
pub const VFIO_DEVICE_DETACH_IOMMUFD_PT: u32 = 0x3b78;
pub const VFIO_MIG_GET_PRECOPY_INFO: u32 = 0x3b79;
pub const VFIO_DEVICE_FEATURE_MASK: u32 = 0xffff;
pub const VFIO_DEVICE_FEATURE_GET: u32 = 0x10000;
pub const VFIO_DEVICE_FEATURE_SET: u32 = 0x20000;
pub const VFIO_DEVICE_FEATURE_PROBE: u32 = 0x40000;
pub const VFIO_DEVICE_BIND_FLAG_TOKEN: u32 = 0x1;
pub const VFIO_DEVICE_ATTACH_PASID: u32 = 0x1;
pub const VFIO_DEVICE_DETACH_PASID: u32 = 0x1;
pub const VFIO_DEVICE_FEATURE_PCI_VF_TOKEN: u32 = 0x0;
pub const VFIO_DEVICE_FEATURE_MIGRATION: u32 = 0x1;
pub const VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE: u32 = 0x2;
pub const VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY: u32 = 0x3;
pub const VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP: u32 = 0x4;
pub const VFIO_DEVICE_FEATURE_LOW_POWER_EXIT: u32 = 0x5;
pub const VFIO_DEVICE_FEATURE_DMA_LOGGING_START: u32 = 0x6;
pub const VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP: u32 = 0x7;
pub const VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT: u32 = 0x8;
pub const VFIO_DEVICE_FEATURE_MIG_DATA_SIZE: u32 = 0x9;
pub const VFIO_DEVICE_FEATURE_BUS_MASTER: u32 = 0xa;
pub const VFIO_DEVICE_FEATURE_DMA_BUF: u32 = 0xb;
pub const VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2: u32 = 0xc;
pub const VFIO_MIGRATION_STOP_COPY: u64 = 0x1;
pub const VFIO_MIGRATION_P2P: u64 = 0x2;
pub const VFIO_MIGRATION_PRE_COPY: u64 = 0x4;
pub const VFIO_DEVICE_STATE_ERROR: u32 = 0x0;
pub const VFIO_DEVICE_STATE_STOP: u32 = 0x1;
pub const VFIO_DEVICE_STATE_RUNNING: u32 = 0x2;
pub const VFIO_DEVICE_STATE_STOP_COPY: u32 = 0x3;
pub const VFIO_DEVICE_STATE_RESUMING: u32 = 0x4;
pub const VFIO_DEVICE_STATE_RUNNING_P2P: u32 = 0x5;
pub const VFIO_DEVICE_STATE_PRE_COPY: u32 = 0x6;
pub const VFIO_DEVICE_STATE_PRE_COPY_P2P: u32 = 0x7;
pub const VFIO_DEVICE_STATE_NR: u32 = 0x8;
pub const VFIO_PRECOPY_INFO_REINIT: u32 = 0x1;
pub const LOG_MAX_RANGES: u32 = 0x100;
pub const VFIO_DEVICE_FLAGS_RESET: u32 = 0x1;
pub const VFIO_DEVICE_FLAGS_PCI: u32 = 0x2;
pub const VFIO_DEVICE_FLAGS_PLATFORM: u32 = 0x4;
pub const VFIO_DEVICE_FLAGS_AMBA: u32 = 0x8;
pub const VFIO_DEVICE_FLAGS_CCW: u32 = 0x10;
pub const VFIO_DEVICE_FLAGS_AP: u32 = 0x20;
pub const VFIO_DEVICE_FLAGS_FSL_MC: u32 = 0x40;
pub const VFIO_DEVICE_FLAGS_CAPS: u32 = 0x80;
pub const VFIO_DEVICE_INFO_CAP_ZPCI_BASE: u32 = 0x1;
pub const VFIO_DEVICE_INFO_CAP_ZPCI_GROUP: u32 = 0x2;
pub const VFIO_DEVICE_INFO_CAP_ZPCI_UTIL: u32 = 0x3;
pub const VFIO_DEVICE_INFO_CAP_ZPCI_PFIP: u32 = 0x4;
pub const VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP: u32 = 0x5;
pub const VFIO_PCI_ATOMIC_COMP32: u32 = 0x1;
pub const VFIO_PCI_ATOMIC_COMP64: u32 = 0x2;
pub const VFIO_PCI_ATOMIC_COMP128: u32 = 0x4;
pub const VFIO_REGION_INFO_FLAG_READ: u32 = 0x1;
pub const VFIO_REGION_INFO_FLAG_WRITE: u32 = 0x2;
pub const VFIO_REGION_INFO_FLAG_MMAP: u32 = 0x4;
pub const VFIO_REGION_INFO_FLAG_CAPS: u32 = 0x8;
pub const VFIO_REGION_INFO_CAP_SPARSE_MMAP: u32 = 0x1;
pub const VFIO_REGION_INFO_CAP_TYPE: u32 = 0x2;
pub const VFIO_REGION_INFO_CAP_MSIX_MAPPABLE: u32 = 0x3;
pub const VFIO_REGION_INFO_CAP_NVLINK2_SSATGT: u32 = 0x4;
pub const VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD: u32 = 0x5;
pub const VFIO_REGION_TYPE_PCI_VENDOR_TYPE: u32 = 0x80000000;
pub const VFIO_REGION_TYPE_PCI_VENDOR_MASK: u32 = 0xffff;
pub const VFIO_REGION_TYPE_GFX: u32 = 0x1;
pub const VFIO_REGION_TYPE_CCW: u32 = 0x2;
pub const VFIO_REGION_TYPE_MIGRATION_DEPRECATED: u32 = 0x3;
pub const VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED: u32 = 0x1;
pub const VFIO_PCI_BAR0_REGION_INDEX: u32 = 0x0;
pub const VFIO_PCI_BAR1_REGION_INDEX: u32 = 0x1;
pub const VFIO_PCI_BAR2_REGION_INDEX: u32 = 0x2;
pub const VFIO_PCI_BAR3_REGION_INDEX: u32 = 0x3;
pub const VFIO_PCI_BAR4_REGION_INDEX: u32 = 0x4;
pub const VFIO_PCI_BAR5_REGION_INDEX: u32 = 0x5;
pub const VFIO_PCI_ROM_REGION_INDEX: u32 = 0x6;
pub const VFIO_PCI_CONFIG_REGION_INDEX: u32 = 0x7;
pub const VFIO_PCI_VGA_REGION_INDEX: u32 = 0x8;
pub const VFIO_PCI_NUM_REGIONS: u32 = 0x9;
pub const VFIO_PCI_INTX_IRQ_INDEX: u32 = 0x0;
pub const VFIO_PCI_MSI_IRQ_INDEX: u32 = 0x1;
pub const VFIO_PCI_MSIX_IRQ_INDEX: u32 = 0x2;
pub const VFIO_PCI_ERR_IRQ_INDEX: u32 = 0x3;
pub const VFIO_PCI_REQ_IRQ_INDEX: u32 = 0x4;
pub const VFIO_PCI_NUM_IRQS: u32 = 0x5;
pub const VFIO_IRQ_INFO_EVENTFD: u32 = 0x1;
pub const VFIO_IRQ_INFO_MASKABLE: u32 = 0x2;
pub const VFIO_IRQ_INFO_AUTOMASKED: u32 = 0x4;
pub const VFIO_IRQ_INFO_NORESIZE: u32 = 0x8;
pub const VFIO_PCI_OFFSET_SHIFT: u32 = 0x28;
pub const VFIO_PCI_OFFSET_MASK: u64 = 0xffffffffff;
pub const VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP: u32 = 0x1;
pub const VFIO_DMA_UNMAP_FLAG_ALL: u32 = 0x2;
pub const VFIO_DMA_UNMAP_FLAG_VADDR: u32 = 0x4;
pub const VFIO_IOMMU_DIRTY_PAGES_FLAG_START: u32 = 0x1;
pub const VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP: u32 = 0x2;
pub const VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP: u32 = 0x4;
pub const VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION: u32 = 0x2;
pub const VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: u32 = 0x1;
pub const VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: u32 = 0x3;
pub const VFIO_IOMMU_INFO_PGSIZES: u32 = 0x1;
pub const VFIO_IOMMU_INFO_CAPS: u32 = 0x2;
pub const VFIO_DMA_MAP_FLAG_READ: u32 = 0x1;
pub const VFIO_DMA_MAP_FLAG_WRITE: u32 = 0x2;
pub const VFIO_DMA_MAP_FLAG_VADDR: u32 = 0x4;
pub const VFIO_GROUP_FLAGS_VIABLE: u32 = 0x1;
pub const VFIO_GROUP_FLAGS_CONTAINER_SET: u32 = 0x2;

// org.jvfio.api.iommufd.Iommufd
pub const IOMMUFD_TYPE: u32 = 0x3b;
pub const IOMMUFD_CMD_BASE: u32 = 0x80;
pub const IOMMUFD_CMD_DESTROY: u32 = 0x80;
pub const IOMMUFD_CMD_IOAS_ALLOC: u32 = 0x81;
pub const IOMMUFD_CMD_IOAS_ALLOW_IOVAS: u32 = 0x82;
pub const IOMMUFD_CMD_IOAS_COPY: u32 = 0x83;
pub const IOMMUFD_CMD_IOAS_IOVA_RANGES: u32 = 0x84;
pub const IOMMUFD_CMD_IOAS_MAP: u32 = 0x85;
pub const IOMMUFD_CMD_IOAS_UNMAP: u32 = 0x86;
pub const IOMMUFD_CMD_OPTION: u32 = 0x87;
pub const IOMMUFD_CMD_VFIO_IOAS: u32 = 0x88;
pub const IOMMUFD_CMD_HWPT_ALLOC: u32 = 0x89;
pub const IOMMUFD_CMD_GET_HW_INFO: u32 = 0x8a;
pub const IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING: u32 = 0x8b;
pub const IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP: u32 = 0x8c;
pub const IOMMUFD_CMD_HWPT_INVALIDATE: u32 = 0x8d;
pub const IOMMUFD_CMD_FAULT_QUEUE_ALLOC: u32 = 0x8e;
pub const IOMMUFD_CMD_IOAS_MAP_FILE: u32 = 0x8f;
pub const IOMMUFD_CMD_VIOMMU_ALLOC: u32 = 0x90;
pub const IOMMUFD_CMD_VDEVICE_ALLOC: u32 = 0x91;
pub const IOMMUFD_CMD_IOAS_CHANGE_PROCESS: u32 = 0x92;
pub const IOMMUFD_CMD_VEVENTQ_ALLOC: u32 = 0x93;
pub const IOMMUFD_CMD_HW_QUEUE_ALLOC: u32 = 0x94;
pub const IOMMU_DESTROY: u32 = 0x3b80;
pub const IOMMU_IOAS_ALLOC: u32 = 0x3b81;
pub const IOMMU_IOAS_ALLOW_IOVAS: u32 = 0x3b82;
pub const IOMMU_IOAS_COPY: u32 = 0x3b83;
pub const IOMMU_IOAS_IOVA_RANGES: u32 = 0x3b84;
pub const IOMMU_IOAS_MAP: u32 = 0x3b85;
pub const IOMMU_IOAS_MAP_FILE: u32 = 0x3b8f;
pub const IOMMU_IOAS_UNMAP: u32 = 0x3b86;
pub const IOMMU_OPTION: u32 = 0x3b87;
pub const IOMMU_OPTION_RLIMIT_MODE: u32 = 0x0;
pub const IOMMU_OPTION_HUGE_PAGES: u32 = 0x1;
pub const IOMMU_OPTION_OP_SET: u32 = 0x0;
pub const IOMMU_OPTION_OP_GET: u32 = 0x1;
pub const IOMMU_VFIO_IOAS: u32 = 0x3b88;
pub const IOMMU_VFIO_IOAS_GET: u32 = 0x0;
pub const IOMMU_VFIO_IOAS_SET: u32 = 0x1;
pub const IOMMU_VFIO_IOAS_CLEAR: u32 = 0x2;
pub const IOMMU_HWPT_ALLOC: u32 = 0x3b89;
pub const IOMMU_GET_HW_INFO: u32 = 0x3b8a;
pub const IOMMU_HWPT_SET_DIRTY_TRACKING: u32 = 0x3b8b;
pub const IOMMU_HWPT_GET_DIRTY_BITMAP: u32 = 0x3b8c;
pub const IOMMU_HWPT_INVALIDATE: u32 = 0x3b8d;
pub const IOMMU_FAULT_QUEUE_ALLOC: u32 = 0x3b8e;
pub const IOMMU_VIOMMU_ALLOC: u32 = 0x3b90;
pub const IOMMU_VDEVICE_ALLOC: u32 = 0x3b91;
pub const IOMMU_VEVENTQ_ALLOC: u32 = 0x3b93;
pub const IOMMU_IOAS_MAP_FIXED_IOVA: u32 = 0x1;
pub const IOMMU_IOAS_MAP_WRITEABLE: u32 = 0x2;
pub const IOMMU_IOAS_MAP_READABLE: u32 = 0x4;
pub const IOMMU_HWPT_ALLOC_NEST_PARENT: u32 = 0x1;
pub const IOMMU_HWPT_ALLOC_DIRTY_TRACKING: u32 = 0x2;
pub const IOMMU_HWPT_FAULT_ID_VALID: u32 = 0x4;
pub const IOMMU_HWPT_ALLOC_PASID: u32 = 0x8;
pub const IOMMU_PGFAULT_FLAGS_PASID_VALID: u32 = 0x1;
pub const IOMMU_PGFAULT_FLAGS_LAST_PAGE: u32 = 0x2;
pub const IOMMU_PGFAULT_PERM_READ: u32 = 0x1;
pub const IOMMU_PGFAULT_PERM_WRITE: u32 = 0x2;
pub const IOMMU_PGFAULT_PERM_EXEC: u32 = 0x4;
pub const IOMMU_PGFAULT_PERM_PRIV: u32 = 0x8;
pub const IOMMUFD_PAGE_RESP_SUCCESS: u32 = 0x0;
pub const IOMMUFD_PAGE_RESP_INVALID: u32 = 0x1;
pub const IOMMU_HWPT_DATA_NONE: u32 = 0x0;
pub const IOMMU_HWPT_DATA_VTD_S1: u32 = 0x1;
pub const IOMMU_HWPT_DATA_ARM_SMMUV3: u32 = 0x2;
pub const IOMMU_VTD_S1_SRE: u64 = 0x1;
pub const IOMMU_VTD_S1_EAFE: u64 = 0x2;
pub const IOMMU_VTD_S1_WPE: u64 = 0x4;
pub const IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: u32 = 0x0;
pub const IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: u32 = 0x1;
pub const IOMMU_VTD_INV_FLAGS_LEAF: u32 = 0x1;
pub const IOMMU_VIOMMU_TYPE_DEFAULT: u32 = 0x0;
pub const IOMMU_VIOMMU_TYPE_ARM_SMMUV3: u32 = 0x1;
pub const IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: u32 = 0x2;
pub const IOMMU_VEVENTQ_TYPE_DEFAULT: u32 = 0x0;
pub const IOMMU_VEVENTQ_FLAG_LOST_EVENTS: u32 = 0x1;
pub const IOMMU_HW_CAP_DIRTY_TRACKING: u64 = 0x1;
pub const IOMMU_HW_CAP_PCI_PASID_EXEC: u64 = 0x2;
pub const IOMMU_HW_CAP_PCI_PASID_PRIV: u64 = 0x4;
pub const IOMMU_HW_INFO_FLAG_INPUT_TYPE: u32 = 0x1;
pub const IOMMU_HWPT_DIRTY_TRACKING_ENABLE: u32 = 0x1;
pub const IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: u32 = 0x1;
pub const IOMMU_DIRTY_NO_CLEAR: u32 = 0x1;

// org.jvfio.api.iommufd.IommufdTest
pub const IOMMU_TEST_CMD: u32 = 0x3ba0;
pub const IOMMU_TEST_CMD_SIZE: u32 = 0x48;
pub const IOMMU_TEST_CMD_MIN_SIZE: u32 = 0x44;
pub const IOMMU_TEST_OP_ADD_RESERVED: u32 = 0x1;
pub const IOMMU_TEST_OP_MOCK_DOMAIN: u32 = 0x2;
pub const IOMMU_TEST_OP_MD_CHECK_MAP: u32 = 0x3;
pub const IOMMU_TEST_OP_MD_CHECK_REFS: u32 = 0x4;
pub const IOMMU_TEST_OP_CREATE_ACCESS: u32 = 0x5;
pub const IOMMU_TEST_OP_DESTROY_ACCESS_PAGES: u32 = 0x6;
pub const IOMMU_TEST_OP_ACCESS_PAGES: u32 = 0x7;
pub const IOMMU_TEST_OP_ACCESS_RW: u32 = 0x8;
pub const IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT: u32 = 0x9;
pub const IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: u32 = 0xa;
pub const IOMMU_TEST_OP_ACCESS_REPLACE_IOAS: u32 = 0xb;
pub const IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS: u32 = 0xc;
pub const IOMMU_TEST_OP_DIRTY: u32 = 0xd;
pub const IOMMU_TEST_OP_MD_CHECK_IOTLB: u32 = 0xe;
pub const IOMMU_TEST_OP_TRIGGER_IOPF: u32 = 0xf;
pub const IOMMU_TEST_OP_PASID_ATTACH: u32 = 0x12;
pub const IOMMU_TEST_OP_PASID_REPLACE: u32 = 0x13;
pub const IOMMU_TEST_OP_PASID_DETACH: u32 = 0x14;
pub const MOCK_FLAGS_ACCESS_WRITE: u32 = 0x1;
pub const MOCK_FLAGS_ACCESS_SYZ: u32 = 0x10000;
pub const MOCK_ACCESS_RW_WRITE: u32 = 0x1;
pub const MOCK_ACCESS_RW_SLOW_PATH: u32 = 0x4;
pub const MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES: u32 = 0x1;
pub const IOMMU_TEST_OP_PASID_CHECK_HWPT: u32 = 0x15;
pub const MOCK_PASID_WIDTH: u32 = 0x14;
pub const IOMMU_TEST_OP_DEV_CHECK_CACHE: u32 = 0x10;
pub const IOMMU_TEST_OP_TRIGGER_VEVENT: u32 = 0x11;
pub const MOCK_DEV_CACHE_ID_MAX: u32 = 0x3;
pub const MOCK_DEV_CACHE_NUM: u32 = 0x4;
pub const IOMMU_TEST_DEV_CACHE_DEFAULT: u32 = 0xbaddad;
pub const IOMMU_VIOMMU_TYPE_SELFTEST: u32 = 0xdeadbeef;
pub const IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST: u32 = 0xdeadbeef;
pub const IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID: u32 = 0xdadbeef;
pub const IOMMU_VEVENTQ_TYPE_SELFTEST: u32 = 0xbeefbeef;
pub const MOCK_FLAGS_DEVICE_NO_DIRTY: u32 = 0x1;
pub const MOCK_FLAGS_DEVICE_HUGE_IOVA: u32 = 0x2;
pub const MOCK_FLAGS_DEVICE_PASID: u32 = 0x4;
pub const IOMMU_HW_INFO_TYPE_SELFTEST: u32 = 0xfeedbeef;
pub const MOCK_IOMMUPT_DEFAULT: u32 = 0x0;
pub const MOCK_IOMMUPT_HUGE: u32 = 0x1;
pub const MOCK_IOMMUPT_AMDV1: u32 = 0x2;
pub const MOCK_APERTURE_START: u64 = 0x1000000;
pub const MOCK_APERTURE_LAST: u64 = 0x7fffffff;
pub const MOCK_PAGE_SIZE: u32 = 0x800;
pub const MOCK_HUGE_PAGE_SIZE: u32 = 0x100000;
pub const IOMMU_HWPT_DATA_SELFTEST: u32 = 0xdead;
pub const IOMMU_TEST_IOTLB_DEFAULT: u32 = 0xbadbeef;
pub const MOCK_NESTED_DOMAIN_IOTLB_NUM: u32 = 0x4;
pub const MOCK_NESTED_DOMAIN_IOTLB_ID_MAX: u32 = 0x3;
pub const IOMMU_HWPT_INVALIDATE_DATA_SELFTEST: u32 = 0xdeadbeef;
pub const IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID: u32 = 0xdadbeef;
pub const IOMMU_TEST_INVALIDATE_FLAG_ALL: u32 = 0x1;

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_destroy {
    pub size: u32,
    pub id: u32,
}
const _: () = assert!(size_of::<iommu_destroy>() == 8);
const _: () = assert!(offset_of!(iommu_destroy, size) == 0);
const _: () = assert!(offset_of!(iommu_destroy, id) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_fault_alloc {
    pub size: u32,
    pub flags: u32,
    pub out_fault_id: u32,
    pub out_fault_fd: u32,
}
const _: () = assert!(size_of::<iommu_fault_alloc>() == 16);
const _: () = assert!(offset_of!(iommu_fault_alloc, size) == 0);
const _: () = assert!(offset_of!(iommu_fault_alloc, flags) == 4);
const _: () = assert!(offset_of!(iommu_fault_alloc, out_fault_id) == 8);
const _: () = assert!(offset_of!(iommu_fault_alloc, out_fault_fd) == 12);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hw_info {
    pub size: u32,
    pub flags: u32,
    pub dev_id: u32,
    pub data_len: u32,
    pub data_uptr: u64,
    pub in_data_type: u32, // union with out_data_type
    pub out_max_pasid_log2: u8,
    pub __reserved: [u8; 3],
    pub out_capabilities: u64,
}
const _: () = assert!(size_of::<iommu_hw_info>() == 40);
const _: () = assert!(offset_of!(iommu_hw_info, size) == 0);
const _: () = assert!(offset_of!(iommu_hw_info, flags) == 4);
const _: () = assert!(offset_of!(iommu_hw_info, dev_id) == 8);
const _: () = assert!(offset_of!(iommu_hw_info, data_len) == 12);
const _: () = assert!(offset_of!(iommu_hw_info, data_uptr) == 16);
const _: () = assert!(offset_of!(iommu_hw_info, in_data_type) == 24);
const _: () = assert!(offset_of!(iommu_hw_info, out_max_pasid_log2) == 28);
const _: () = assert!(offset_of!(iommu_hw_info, __reserved) == 29);
const _: () = assert!(offset_of!(iommu_hw_info, out_capabilities) == 32);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_alloc {
    pub size: u32,
    pub flags: u32,
    pub dev_id: u32,
    pub pt_id: u32,
    pub out_hwpt_id: u32,
    pub __reserved: u32,
    pub data_type: u32,
    pub data_len: u32,
    pub data_uptr: u64,
    pub fault_id: u32,
    pub __reserved2: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_alloc>() == 48);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, size) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, flags) == 4);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, dev_id) == 8);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, pt_id) == 12);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, out_hwpt_id) == 16);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, __reserved) == 20);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, data_type) == 24);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, data_len) == 28);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, data_uptr) == 32);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, fault_id) == 40);
const _: () = assert!(offset_of!(iommu_hwpt_alloc, __reserved2) == 44);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_arm_smmuv3 {
    pub ste0: u64,
    pub ste1: u64,
}
const _: () = assert!(size_of::<iommu_hwpt_arm_smmuv3>() == 16);
const _: () = assert!(offset_of!(iommu_hwpt_arm_smmuv3, ste0) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_arm_smmuv3, ste1) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_get_dirty_bitmap {
    pub size: u32,
    pub hwpt_id: u32,
    pub flags: u32,
    pub __reserved: u32,
    pub iova: u64,
    pub length: u64,
    pub page_size: u64,
    pub data: u64,
}
const _: () = assert!(size_of::<iommu_hwpt_get_dirty_bitmap>() == 48);
const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, size) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, hwpt_id) == 4);
const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, flags) == 8);
const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, __reserved) == 12);
const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, iova) == 16);
const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, length) == 24);
const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, page_size) == 32);
const _: () = assert!(offset_of!(iommu_hwpt_get_dirty_bitmap, data) == 40);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_invalidate {
    pub size: u32,
    pub hwpt_id: u32,
    pub data_uptr: u64,
    pub data_type: u32,
    pub entry_len: u32,
    pub entry_num: u32,
    pub __reserved: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_invalidate>() == 32);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate, size) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate, hwpt_id) == 4);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate, data_uptr) == 8);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate, data_type) == 16);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate, entry_len) == 20);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate, entry_num) == 24);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate, __reserved) == 28);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_invalidate_selftest {
    pub flags: u32,
    pub iotlb_id: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_invalidate_selftest>() == 8);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate_selftest, flags) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_invalidate_selftest, iotlb_id) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_page_response {
    pub cookie: u32,
    pub code: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_page_response>() == 8);
const _: () = assert!(offset_of!(iommu_hwpt_page_response, cookie) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_page_response, code) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_pgfault {
    pub flags: u32,
    pub dev_id: u32,
    pub pasid: u32,
    pub grpid: u32,
    pub perm: u32,
    pub __reserved: u32,
    pub addr: u64,
    pub length: u32,
    pub cookie: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_pgfault>() == 40);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, flags) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, dev_id) == 4);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, pasid) == 8);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, grpid) == 12);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, perm) == 16);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, __reserved) == 20);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, addr) == 24);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, length) == 32);
const _: () = assert!(offset_of!(iommu_hwpt_pgfault, cookie) == 36);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_selftest {
    pub iotlb: u32,
    pub pagetable_type: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_selftest>() == 8);
const _: () = assert!(offset_of!(iommu_hwpt_selftest, iotlb) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_selftest, pagetable_type) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_set_dirty_tracking {
    pub size: u32,
    pub flags: u32,
    pub hwpt_id: u32,
    pub __reserved: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_set_dirty_tracking>() == 16);
const _: () = assert!(offset_of!(iommu_hwpt_set_dirty_tracking, size) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_set_dirty_tracking, flags) == 4);
const _: () = assert!(offset_of!(iommu_hwpt_set_dirty_tracking, hwpt_id) == 8);
const _: () = assert!(offset_of!(iommu_hwpt_set_dirty_tracking, __reserved) == 12);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_vtd_s1 {
    pub flags: u64,
    pub pgtbl_addr: u64,
    pub addr_width: u32,
    pub __reserved: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_vtd_s1>() == 24);
const _: () = assert!(offset_of!(iommu_hwpt_vtd_s1, flags) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_vtd_s1, pgtbl_addr) == 8);
const _: () = assert!(offset_of!(iommu_hwpt_vtd_s1, addr_width) == 16);
const _: () = assert!(offset_of!(iommu_hwpt_vtd_s1, __reserved) == 20);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_hwpt_vtd_s1_invalidate {
    pub addr: u64,
    pub npages: u64,
    pub flags: u32,
    pub __reserved: u32,
}
const _: () = assert!(size_of::<iommu_hwpt_vtd_s1_invalidate>() == 24);
const _: () = assert!(offset_of!(iommu_hwpt_vtd_s1_invalidate, addr) == 0);
const _: () = assert!(offset_of!(iommu_hwpt_vtd_s1_invalidate, npages) == 8);
const _: () = assert!(offset_of!(iommu_hwpt_vtd_s1_invalidate, flags) == 16);
const _: () = assert!(offset_of!(iommu_hwpt_vtd_s1_invalidate, __reserved) == 20);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_ioas_alloc {
    pub size: u32,
    pub flags: u32,
    pub out_ioas_id: u32,
}
const _: () = assert!(size_of::<iommu_ioas_alloc>() == 12);
const _: () = assert!(offset_of!(iommu_ioas_alloc, size) == 0);
const _: () = assert!(offset_of!(iommu_ioas_alloc, flags) == 4);
const _: () = assert!(offset_of!(iommu_ioas_alloc, out_ioas_id) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_ioas_allow_iovas {
    pub size: u32,
    pub ioas_id: u32,
    pub num_iovas: u32,
    pub __reserved: u32,
    pub allowed_iovas: u64,
}
const _: () = assert!(size_of::<iommu_ioas_allow_iovas>() == 24);
const _: () = assert!(offset_of!(iommu_ioas_allow_iovas, size) == 0);
const _: () = assert!(offset_of!(iommu_ioas_allow_iovas, ioas_id) == 4);
const _: () = assert!(offset_of!(iommu_ioas_allow_iovas, num_iovas) == 8);
const _: () = assert!(offset_of!(iommu_ioas_allow_iovas, __reserved) == 12);
const _: () = assert!(offset_of!(iommu_ioas_allow_iovas, allowed_iovas) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_ioas_copy {
    pub size: u32,
    pub flags: u32,
    pub dst_ioas_id: u32,
    pub src_ioas_id: u32,
    pub length: u64,
    pub dst_iova: u64,
    pub src_iova: u64,
}
const _: () = assert!(size_of::<iommu_ioas_copy>() == 40);
const _: () = assert!(offset_of!(iommu_ioas_copy, size) == 0);
const _: () = assert!(offset_of!(iommu_ioas_copy, flags) == 4);
const _: () = assert!(offset_of!(iommu_ioas_copy, dst_ioas_id) == 8);
const _: () = assert!(offset_of!(iommu_ioas_copy, src_ioas_id) == 12);
const _: () = assert!(offset_of!(iommu_ioas_copy, length) == 16);
const _: () = assert!(offset_of!(iommu_ioas_copy, dst_iova) == 24);
const _: () = assert!(offset_of!(iommu_ioas_copy, src_iova) == 32);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_ioas_iova_ranges {
    pub size: u32,
    pub ioas_id: u32,
    pub num_iovas: u32,
    pub __reserved: u32,
    pub allowed_iovas: u64,
    pub out_iova_alignment: u64,
}
const _: () = assert!(size_of::<iommu_ioas_iova_ranges>() == 32);
const _: () = assert!(offset_of!(iommu_ioas_iova_ranges, size) == 0);
const _: () = assert!(offset_of!(iommu_ioas_iova_ranges, ioas_id) == 4);
const _: () = assert!(offset_of!(iommu_ioas_iova_ranges, num_iovas) == 8);
const _: () = assert!(offset_of!(iommu_ioas_iova_ranges, __reserved) == 12);
const _: () = assert!(offset_of!(iommu_ioas_iova_ranges, allowed_iovas) == 16);
const _: () = assert!(offset_of!(iommu_ioas_iova_ranges, out_iova_alignment) == 24);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_ioas_map {
    pub size: u32,
    pub flags: u32,
    pub ioas_id: u32,
    pub __reserved: u32,
    pub user_va: u64,
    pub length: u64,
    pub iova: u64,
}
const _: () = assert!(size_of::<iommu_ioas_map>() == 40);
const _: () = assert!(offset_of!(iommu_ioas_map, size) == 0);
const _: () = assert!(offset_of!(iommu_ioas_map, flags) == 4);
const _: () = assert!(offset_of!(iommu_ioas_map, ioas_id) == 8);
const _: () = assert!(offset_of!(iommu_ioas_map, __reserved) == 12);
const _: () = assert!(offset_of!(iommu_ioas_map, user_va) == 16);
const _: () = assert!(offset_of!(iommu_ioas_map, length) == 24);
const _: () = assert!(offset_of!(iommu_ioas_map, iova) == 32);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_ioas_map_file {
    pub size: u32,
    pub flags: u32,
    pub ioas_id: u32,
    pub fd: i32,
    pub start: u64,
    pub length: u64,
    pub iova: u64,
}
const _: () = assert!(size_of::<iommu_ioas_map_file>() == 40);
const _: () = assert!(offset_of!(iommu_ioas_map_file, size) == 0);
const _: () = assert!(offset_of!(iommu_ioas_map_file, flags) == 4);
const _: () = assert!(offset_of!(iommu_ioas_map_file, ioas_id) == 8);
const _: () = assert!(offset_of!(iommu_ioas_map_file, fd) == 12);
const _: () = assert!(offset_of!(iommu_ioas_map_file, start) == 16);
const _: () = assert!(offset_of!(iommu_ioas_map_file, length) == 24);
const _: () = assert!(offset_of!(iommu_ioas_map_file, iova) == 32);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_ioas_unmap {
    pub size: u32,
    pub ioas_id: u32,
    pub iova: u64,
    pub length: u64,
}
const _: () = assert!(size_of::<iommu_ioas_unmap>() == 24);
const _: () = assert!(offset_of!(iommu_ioas_unmap, size) == 0);
const _: () = assert!(offset_of!(iommu_ioas_unmap, ioas_id) == 4);
const _: () = assert!(offset_of!(iommu_ioas_unmap, iova) == 8);
const _: () = assert!(offset_of!(iommu_ioas_unmap, length) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_iova_range {
    pub start: u64,
    pub last: u64,
}
const _: () = assert!(size_of::<iommu_iova_range>() == 16);
const _: () = assert!(offset_of!(iommu_iova_range, start) == 0);
const _: () = assert!(offset_of!(iommu_iova_range, last) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_option {
    pub size: u32,
    pub option_id: u32,
    pub op: u16,
    pub __reserved: u16,
    pub object_id: u32,
    pub val64: u64,
}
const _: () = assert!(size_of::<iommu_option>() == 24);
const _: () = assert!(offset_of!(iommu_option, size) == 0);
const _: () = assert!(offset_of!(iommu_option, option_id) == 4);
const _: () = assert!(offset_of!(iommu_option, op) == 8);
const _: () = assert!(offset_of!(iommu_option, __reserved) == 10);
const _: () = assert!(offset_of!(iommu_option, object_id) == 12);
const _: () = assert!(offset_of!(iommu_option, val64) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_vdevice_alloc {
    pub size: u32,
    pub viommu_id: u32,
    pub dev_id: u32,
    pub out_vdevice_id: u32,
    pub virt_id: u64,
}
const _: () = assert!(size_of::<iommu_vdevice_alloc>() == 24);
const _: () = assert!(offset_of!(iommu_vdevice_alloc, size) == 0);
const _: () = assert!(offset_of!(iommu_vdevice_alloc, viommu_id) == 4);
const _: () = assert!(offset_of!(iommu_vdevice_alloc, dev_id) == 8);
const _: () = assert!(offset_of!(iommu_vdevice_alloc, out_vdevice_id) == 12);
const _: () = assert!(offset_of!(iommu_vdevice_alloc, virt_id) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_veventq_alloc {
    pub size: u32,
    pub flags: u32,
    pub viommu_id: u32,
    pub r#type: u32,
    pub veventq_depth: u32,
    pub out_veventq_id: u32,
    pub out_veventq_fd: u32,
    pub __reserved: u32,
}
const _: () = assert!(size_of::<iommu_veventq_alloc>() == 32);
const _: () = assert!(offset_of!(iommu_veventq_alloc, size) == 0);
const _: () = assert!(offset_of!(iommu_veventq_alloc, flags) == 4);
const _: () = assert!(offset_of!(iommu_veventq_alloc, viommu_id) == 8);
const _: () = assert!(offset_of!(iommu_veventq_alloc, r#type) == 12);
const _: () = assert!(offset_of!(iommu_veventq_alloc, veventq_depth) == 16);
const _: () = assert!(offset_of!(iommu_veventq_alloc, out_veventq_id) == 20);
const _: () = assert!(offset_of!(iommu_veventq_alloc, out_veventq_fd) == 24);
const _: () = assert!(offset_of!(iommu_veventq_alloc, __reserved) == 28);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_vfio_ioas {
    pub size: u32,
    pub ioas_id: u32,
    pub op: u16,
    pub __reserved: u16,
}
const _: () = assert!(size_of::<iommu_vfio_ioas>() == 12);
const _: () = assert!(offset_of!(iommu_vfio_ioas, size) == 0);
const _: () = assert!(offset_of!(iommu_vfio_ioas, ioas_id) == 4);
const _: () = assert!(offset_of!(iommu_vfio_ioas, op) == 8);
const _: () = assert!(offset_of!(iommu_vfio_ioas, __reserved) == 10);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_viommu_alloc {
    pub size: u32,
    pub flags: u32,
    pub r#type: u32,
    pub dev_id: u32,
    pub hwpt_id: u32,
    pub out_viommu_id: u32,
    pub data_len: u32,
    pub __reserved: u32,
    pub data_uptr: u64,
}
const _: () = assert!(size_of::<iommu_viommu_alloc>() == 40);
const _: () = assert!(offset_of!(iommu_viommu_alloc, size) == 0);
const _: () = assert!(offset_of!(iommu_viommu_alloc, flags) == 4);
const _: () = assert!(offset_of!(iommu_viommu_alloc, r#type) == 8);
const _: () = assert!(offset_of!(iommu_viommu_alloc, dev_id) == 12);
const _: () = assert!(offset_of!(iommu_viommu_alloc, hwpt_id) == 16);
const _: () = assert!(offset_of!(iommu_viommu_alloc, out_viommu_id) == 20);
const _: () = assert!(offset_of!(iommu_viommu_alloc, data_len) == 24);
const _: () = assert!(offset_of!(iommu_viommu_alloc, __reserved) == 28);
const _: () = assert!(offset_of!(iommu_viommu_alloc, data_uptr) == 32);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommu_viommu_arm_smmuv3_invalidate {
    pub cmd0: u64,
    pub cmd1: u64,
}
const _: () = assert!(size_of::<iommu_viommu_arm_smmuv3_invalidate>() == 16);
const _: () = assert!(offset_of!(iommu_viommu_arm_smmuv3_invalidate, cmd0) == 0);
const _: () = assert!(offset_of!(iommu_viommu_arm_smmuv3_invalidate, cmd1) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct iommufd_vevent_header {
    pub flags: u32,
    pub sequence: u32,
}
const _: () = assert!(size_of::<iommufd_vevent_header>() == 8);
const _: () = assert!(offset_of!(iommufd_vevent_header, flags) == 0);
const _: () = assert!(offset_of!(iommufd_vevent_header, sequence) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_bitmap {
    pub pgsize: u64,
    pub size: u64,
    pub data: u64,
}
const _: () = assert!(size_of::<vfio_bitmap>() == 24);
const _: () = assert!(offset_of!(vfio_bitmap, pgsize) == 0);
const _: () = assert!(offset_of!(vfio_bitmap, size) == 8);
const _: () = assert!(offset_of!(vfio_bitmap, data) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_attach_iommufd_pt {
    pub argsz: u32,
    pub flags: u32,
    pub pt_id: u32,
    pub pasid: u32,
}
const _: () = assert!(size_of::<vfio_device_attach_iommufd_pt>() == 16);
const _: () = assert!(offset_of!(vfio_device_attach_iommufd_pt, argsz) == 0);
const _: () = assert!(offset_of!(vfio_device_attach_iommufd_pt, flags) == 4);
const _: () = assert!(offset_of!(vfio_device_attach_iommufd_pt, pt_id) == 8);
const _: () = assert!(offset_of!(vfio_device_attach_iommufd_pt, pasid) == 12);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_bind_iommufd {
    pub argsz: u32,
    pub flags: u32,
    pub iommufd: i32,
    pub out_devid: u32,
    pub token_uuid_ptr: u64,
}
const _: () = assert!(size_of::<vfio_device_bind_iommufd>() == 24);
const _: () = assert!(offset_of!(vfio_device_bind_iommufd, argsz) == 0);
const _: () = assert!(offset_of!(vfio_device_bind_iommufd, flags) == 4);
const _: () = assert!(offset_of!(vfio_device_bind_iommufd, iommufd) == 8);
const _: () = assert!(offset_of!(vfio_device_bind_iommufd, out_devid) == 12);
const _: () = assert!(offset_of!(vfio_device_bind_iommufd, token_uuid_ptr) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_detach_iommufd_pt {
    pub argsz: u32,
    pub flags: u32,
    pub pasid: u32,
}
const _: () = assert!(size_of::<vfio_device_detach_iommufd_pt>() == 12);
const _: () = assert!(offset_of!(vfio_device_detach_iommufd_pt, argsz) == 0);
const _: () = assert!(offset_of!(vfio_device_detach_iommufd_pt, flags) == 4);
const _: () = assert!(offset_of!(vfio_device_detach_iommufd_pt, pasid) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_feature {
    pub argsz: u32,
    pub flags: u32,
    pub data: [u8; 0],
}
const _: () = assert!(size_of::<vfio_device_feature>() == 8);
const _: () = assert!(offset_of!(vfio_device_feature, argsz) == 0);
const _: () = assert!(offset_of!(vfio_device_feature, flags) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_feature_dma_logging_control {
    pub page_size: u64,
    pub num_ranges: u32,
    pub __reserved: u32,
    pub ranges: u64,
}
const _: () = assert!(size_of::<vfio_device_feature_dma_logging_control>() == 24);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_control, page_size) == 0);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_control, num_ranges) == 8);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_control, __reserved) == 12);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_control, ranges) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_feature_dma_logging_range {
    pub iova: u64,
    pub length: u64,
}
const _: () = assert!(size_of::<vfio_device_feature_dma_logging_range>() == 16);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_range, iova) == 0);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_range, length) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_feature_dma_logging_report {
    pub iova: u64,
    pub length: u64,
    pub page_size: u64,
    pub bitmap: u64,
}
const _: () = assert!(size_of::<vfio_device_feature_dma_logging_report>() == 32);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_report, iova) == 0);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_report, length) == 8);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_report, page_size) == 16);
const _: () = assert!(offset_of!(vfio_device_feature_dma_logging_report, bitmap) == 24);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_feature_mig_data_size {
    pub stop_copy_length: u64,
}
const _: () = assert!(size_of::<vfio_device_feature_mig_data_size>() == 8);
const _: () = assert!(offset_of!(vfio_device_feature_mig_data_size, stop_copy_length) == 0);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_feature_mig_state {
    pub device_state: u32,
    pub data_fd: u32,
}
const _: () = assert!(size_of::<vfio_device_feature_mig_state>() == 8);
const _: () = assert!(offset_of!(vfio_device_feature_mig_state, device_state) == 0);
const _: () = assert!(offset_of!(vfio_device_feature_mig_state, data_fd) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_feature_migration {
    pub flags: u64,
}
const _: () = assert!(size_of::<vfio_device_feature_migration>() == 8);
const _: () = assert!(offset_of!(vfio_device_feature_migration, flags) == 0);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_info {
    pub argsz: u32,
    pub flags: u32,
    pub num_regions: u32,
    pub num_irqs: u32,
    pub cap_offset: u32,
}
const _: () = assert!(size_of::<vfio_device_info>() == 20);
const _: () = assert!(offset_of!(vfio_device_info, argsz) == 0);
const _: () = assert!(offset_of!(vfio_device_info, flags) == 4);
const _: () = assert!(offset_of!(vfio_device_info, num_regions) == 8);
const _: () = assert!(offset_of!(vfio_device_info, num_irqs) == 12);
const _: () = assert!(offset_of!(vfio_device_info, cap_offset) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_group_status {
    pub argsz: u32,
    pub flags: u32,
}
const _: () = assert!(size_of::<vfio_group_status>() == 8);
const _: () = assert!(offset_of!(vfio_group_status, argsz) == 0);
const _: () = assert!(offset_of!(vfio_group_status, flags) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_info_cap_header {
    pub id: u16,
    pub version: u16,
    pub next: u32,
}
const _: () = assert!(size_of::<vfio_info_cap_header>() == 8);
const _: () = assert!(offset_of!(vfio_info_cap_header, id) == 0);
const _: () = assert!(offset_of!(vfio_info_cap_header, version) == 2);
const _: () = assert!(offset_of!(vfio_info_cap_header, next) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iommu_type1_dirty_bitmap {
    pub argsz: u32,
    pub flags: u32,
    pub data: [u8; 0],
}
const _: () = assert!(size_of::<vfio_iommu_type1_dirty_bitmap>() == 8);
const _: () = assert!(offset_of!(vfio_iommu_type1_dirty_bitmap, argsz) == 0);
const _: () = assert!(offset_of!(vfio_iommu_type1_dirty_bitmap, flags) == 4);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iommu_type1_dma_map {
    pub argsz: u32,
    pub flags: u32,
    pub vaddr: u64,
    pub iova: u64,
    pub size: u64,
}
const _: () = assert!(size_of::<vfio_iommu_type1_dma_map>() == 32);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_map, argsz) == 0);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_map, flags) == 4);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_map, vaddr) == 8);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_map, iova) == 16);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_map, size) == 24);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iommu_type1_dma_unmap {
    pub argsz: u32,
    pub flags: u32,
    pub iova: u64,
    pub size: u64,
    pub data: [u8; 0],
}
const _: () = assert!(size_of::<vfio_iommu_type1_dma_unmap>() == 24);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_unmap, argsz) == 0);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_unmap, flags) == 4);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_unmap, iova) == 8);
const _: () = assert!(offset_of!(vfio_iommu_type1_dma_unmap, size) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iommu_type1_info {
    pub argsz: u32,
    pub flags: u32,
    pub iova_pgsizes: u64,
    pub cap_offset: u32,
}
const _: () = assert!(size_of::<vfio_iommu_type1_info>() == 24);
const _: () = assert!(offset_of!(vfio_iommu_type1_info, argsz) == 0);
const _: () = assert!(offset_of!(vfio_iommu_type1_info, flags) == 4);
const _: () = assert!(offset_of!(vfio_iommu_type1_info, iova_pgsizes) == 8);
const _: () = assert!(offset_of!(vfio_iommu_type1_info, cap_offset) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iova_range {
    pub start: u64,
    pub end: u64,
}
const _: () = assert!(size_of::<vfio_iova_range>() == 16);
const _: () = assert!(offset_of!(vfio_iova_range, start) == 0);
const _: () = assert!(offset_of!(vfio_iova_range, end) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_irq_info {
    pub argsz: u32,
    pub flags: u32,
    pub index: u32,
    pub count: u32,
}
const _: () = assert!(size_of::<vfio_irq_info>() == 16);
const _: () = assert!(offset_of!(vfio_irq_info, argsz) == 0);
const _: () = assert!(offset_of!(vfio_irq_info, flags) == 4);
const _: () = assert!(offset_of!(vfio_irq_info, index) == 8);
const _: () = assert!(offset_of!(vfio_irq_info, count) == 12);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_precopy_info {
    pub argsz: u32,
    pub flags: u32,
    pub initial_bytes: u64,
    pub dirty_bytes: u64,
}
const _: () = assert!(size_of::<vfio_precopy_info>() == 24);
const _: () = assert!(offset_of!(vfio_precopy_info, argsz) == 0);
const _: () = assert!(offset_of!(vfio_precopy_info, flags) == 4);
const _: () = assert!(offset_of!(vfio_precopy_info, initial_bytes) == 8);
const _: () = assert!(offset_of!(vfio_precopy_info, dirty_bytes) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_region_info {
    pub argsz: u32,
    pub flags: u32,
    pub index: u32,
    pub cap_offset: u32,
    pub size: u64,
    pub offset: u64,
}
const _: () = assert!(size_of::<vfio_region_info>() == 32);
const _: () = assert!(offset_of!(vfio_region_info, argsz) == 0);
const _: () = assert!(offset_of!(vfio_region_info, flags) == 4);
const _: () = assert!(offset_of!(vfio_region_info, index) == 8);
const _: () = assert!(offset_of!(vfio_region_info, cap_offset) == 12);
const _: () = assert!(offset_of!(vfio_region_info, size) == 16);
const _: () = assert!(offset_of!(vfio_region_info, offset) == 24);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_region_sparse_mmap_area {
    pub offset: u64,
    pub size: u64,
}
const _: () = assert!(size_of::<vfio_region_sparse_mmap_area>() == 16);
const _: () = assert!(offset_of!(vfio_region_sparse_mmap_area, offset) == 0);
const _: () = assert!(offset_of!(vfio_region_sparse_mmap_area, size) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_device_info_cap_pci_atomic_comp {
    pub header: vfio_info_cap_header,
    pub flags: u32,
    pub __reserved: u32,
}
const _: () = assert!(size_of::<vfio_device_info_cap_pci_atomic_comp>() == 16);
const _: () = assert!(offset_of!(vfio_device_info_cap_pci_atomic_comp, header) == 0);
const _: () = assert!(offset_of!(vfio_device_info_cap_pci_atomic_comp, flags) == 8);
const _: () = assert!(offset_of!(vfio_device_info_cap_pci_atomic_comp, __reserved) == 12);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iommu_type1_dirty_bitmap_get {
    pub iova: u64,
    pub size: u64,
    pub bitmap: vfio_bitmap,
}
const _: () = assert!(size_of::<vfio_iommu_type1_dirty_bitmap_get>() == 40);
const _: () = assert!(offset_of!(vfio_iommu_type1_dirty_bitmap_get, iova) == 0);
const _: () = assert!(offset_of!(vfio_iommu_type1_dirty_bitmap_get, size) == 8);
const _: () = assert!(offset_of!(vfio_iommu_type1_dirty_bitmap_get, bitmap) == 16);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iommu_type1_info_cap_iova_range {
    pub header: vfio_info_cap_header,
    pub nr_iovas: u32,
    pub __reserved: u32,
}
const _: () = assert!(size_of::<vfio_iommu_type1_info_cap_iova_range>() == 16);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_cap_iova_range, header) == 0);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_cap_iova_range, nr_iovas) == 8);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_cap_iova_range, __reserved) == 12);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iommu_type1_info_cap_migration {
    pub header: vfio_info_cap_header,
    pub flags: u32,
    pub pgsize_bitmap: u64,
    pub max_dirty_bitmap_size: u64,
}
const _: () = assert!(size_of::<vfio_iommu_type1_info_cap_migration>() == 32);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_cap_migration, header) == 0);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_cap_migration, flags) == 8);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_cap_migration, pgsize_bitmap) == 16);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_cap_migration, max_dirty_bitmap_size) == 24);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_iommu_type1_info_dma_avail {
    pub header: vfio_info_cap_header,
    pub avail: u32,
}
const _: () = assert!(size_of::<vfio_iommu_type1_info_dma_avail>() == 12);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_dma_avail, header) == 0);
const _: () = assert!(offset_of!(vfio_iommu_type1_info_dma_avail, avail) == 8);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_region_info_cap_sparse_mmap {
    pub header: vfio_info_cap_header,
    pub nr_areas: u32,
    pub __reserved: u32,
}
const _: () = assert!(size_of::<vfio_region_info_cap_sparse_mmap>() == 16);
const _: () = assert!(offset_of!(vfio_region_info_cap_sparse_mmap, header) == 0);
const _: () = assert!(offset_of!(vfio_region_info_cap_sparse_mmap, nr_areas) == 8);
const _: () = assert!(offset_of!(vfio_region_info_cap_sparse_mmap, __reserved) == 12);

#[repr(C)]
#[derive(Debug, Default, Clone, Copy)]
pub struct vfio_region_info_cap_type {
    pub header: vfio_info_cap_header,
    pub r#type: u32,
    pub subtype: u32,
}
const _: () = assert!(size_of::<vfio_region_info_cap_type>() == 16);
const _: () = assert!(offset_of!(vfio_region_info_cap_type, header) == 0);
const _: () = assert!(offset_of!(vfio_region_info_cap_type, r#type) == 8);
const _: () = assert!(offset_of!(vfio_region_info_cap_type, subtype) == 12);

