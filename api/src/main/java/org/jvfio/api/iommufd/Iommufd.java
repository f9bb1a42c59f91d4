package org.jvfio.api.iommufd;

/**
 * Constants of {@code include/uapi/linux/iommufd.h} under their C names.
 *
 * <p>Each {@code IOMMU_xxx} request is {@code _IO(IOMMUFD_TYPE, IOMMUFD_CMD_xxx)} = {@code 0x3B00 |
 * nr} on x86-64 and arm64.
 */
public final class Iommufd {
  private Iommufd() {}

  /** {@code IOMMUFD_TYPE}: the ioctl type character {@code ';'}. */
  public static final int IOMMUFD_TYPE = ';';

  // --- command numbers ------------------------------------------------------------------------

  /** {@code IOMMUFD_CMD_BASE} = 0x80. */
  public static final int IOMMUFD_CMD_BASE = 0x80;

  /** {@code IOMMUFD_CMD_DESTROY} = 0x80. */
  public static final int IOMMUFD_CMD_DESTROY = 0x80;

  /** {@code IOMMUFD_CMD_IOAS_ALLOC} = 0x81. */
  public static final int IOMMUFD_CMD_IOAS_ALLOC = 0x81;

  /** {@code IOMMUFD_CMD_IOAS_ALLOW_IOVAS} = 0x82. */
  public static final int IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82;

  /** {@code IOMMUFD_CMD_IOAS_COPY} = 0x83. */
  public static final int IOMMUFD_CMD_IOAS_COPY = 0x83;

  /** {@code IOMMUFD_CMD_IOAS_IOVA_RANGES} = 0x84. */
  public static final int IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84;

  /** {@code IOMMUFD_CMD_IOAS_MAP} = 0x85. */
  public static final int IOMMUFD_CMD_IOAS_MAP = 0x85;

  /** {@code IOMMUFD_CMD_IOAS_UNMAP} = 0x86. */
  public static final int IOMMUFD_CMD_IOAS_UNMAP = 0x86;

  /** {@code IOMMUFD_CMD_OPTION} = 0x87. */
  public static final int IOMMUFD_CMD_OPTION = 0x87;

  /** {@code IOMMUFD_CMD_VFIO_IOAS} = 0x88. */
  public static final int IOMMUFD_CMD_VFIO_IOAS = 0x88;

  /** {@code IOMMUFD_CMD_HWPT_ALLOC} = 0x89. */
  public static final int IOMMUFD_CMD_HWPT_ALLOC = 0x89;

  /** {@code IOMMUFD_CMD_GET_HW_INFO} = 0x8a. */
  public static final int IOMMUFD_CMD_GET_HW_INFO = 0x8a;

  /** {@code IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING} = 0x8b. */
  public static final int IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b;

  /** {@code IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP} = 0x8c. */
  public static final int IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c;

  /** {@code IOMMUFD_CMD_HWPT_INVALIDATE} = 0x8d. */
  public static final int IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d;

  /** {@code IOMMUFD_CMD_FAULT_QUEUE_ALLOC} = 0x8e. */
  public static final int IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e;

  /** {@code IOMMUFD_CMD_IOAS_MAP_FILE} = 0x8f. */
  public static final int IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f;

  /** {@code IOMMUFD_CMD_VIOMMU_ALLOC} = 0x90. */
  public static final int IOMMUFD_CMD_VIOMMU_ALLOC = 0x90;

  /** {@code IOMMUFD_CMD_VDEVICE_ALLOC} = 0x91. */
  public static final int IOMMUFD_CMD_VDEVICE_ALLOC = 0x91;

  /** {@code IOMMUFD_CMD_IOAS_CHANGE_PROCESS} = 0x92. */
  public static final int IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92;

  /** {@code IOMMUFD_CMD_VEVENTQ_ALLOC} = 0x93. */
  public static final int IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93;

  /** {@code IOMMUFD_CMD_HW_QUEUE_ALLOC} = 0x94. */
  public static final int IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94;

  private static int io(int nr) {
    return (IOMMUFD_TYPE << 8) | nr;
  }

  // --- ioctl request numbers ------------------------------------------------------------------

  /** {@code IOMMU_DESTROY} = 0x3B80. */
  public static final int IOMMU_DESTROY = io(IOMMUFD_CMD_DESTROY);

  /** {@code IOMMU_IOAS_ALLOC} = 0x3B81. */
  public static final int IOMMU_IOAS_ALLOC = io(IOMMUFD_CMD_IOAS_ALLOC);

  /** {@code IOMMU_IOAS_ALLOW_IOVAS} = 0x3B82. */
  public static final int IOMMU_IOAS_ALLOW_IOVAS = io(IOMMUFD_CMD_IOAS_ALLOW_IOVAS);

  /** {@code IOMMU_IOAS_COPY} = 0x3B83. */
  public static final int IOMMU_IOAS_COPY = io(IOMMUFD_CMD_IOAS_COPY);

  /** {@code IOMMU_IOAS_IOVA_RANGES} = 0x3B84. */
  public static final int IOMMU_IOAS_IOVA_RANGES = io(IOMMUFD_CMD_IOAS_IOVA_RANGES);

  /** {@code IOMMU_IOAS_MAP} = 0x3B85. */
  public static final int IOMMU_IOAS_MAP = io(IOMMUFD_CMD_IOAS_MAP);

  /** {@code IOMMU_IOAS_MAP_FILE} = 0x3B8F. */
  public static final int IOMMU_IOAS_MAP_FILE = io(IOMMUFD_CMD_IOAS_MAP_FILE);

  /** {@code IOMMU_IOAS_UNMAP} = 0x3B86. */
  public static final int IOMMU_IOAS_UNMAP = io(IOMMUFD_CMD_IOAS_UNMAP);

  /** {@code IOMMU_OPTION} = 0x3B87. */
  public static final int IOMMU_OPTION = io(IOMMUFD_CMD_OPTION);

  /**
   * {@code IOMMU_OPTION_RLIMIT_MODE} = 0: how pinned pages are charged (0 per user, 1 per process);
   * an option of the iommufd itself ({@code object_id} 0).
   */
  public static final int IOMMU_OPTION_RLIMIT_MODE = 0;

  /** {@code IOMMU_OPTION_HUGE_PAGES} = 1: whether an IOAS maps with IO pages above PAGE_SIZE. */
  public static final int IOMMU_OPTION_HUGE_PAGES = 1;

  /** {@code IOMMU_OPTION_OP_SET} = 0. */
  public static final int IOMMU_OPTION_OP_SET = 0;

  /** {@code IOMMU_OPTION_OP_GET} = 1. */
  public static final int IOMMU_OPTION_OP_GET = 1;

  /** {@code IOMMU_VFIO_IOAS} = 0x3B88. */
  public static final int IOMMU_VFIO_IOAS = io(IOMMUFD_CMD_VFIO_IOAS);

  /** {@code IOMMU_VFIO_IOAS_GET} = 0: read the compatibility IOAS id. */
  public static final int IOMMU_VFIO_IOAS_GET = 0;

  /** {@code IOMMU_VFIO_IOAS_SET} = 1: make {@code ioas_id} the compatibility IOAS. */
  public static final int IOMMU_VFIO_IOAS_SET = 1;

  /** {@code IOMMU_VFIO_IOAS_CLEAR} = 2: forget the compatibility IOAS (it is not destroyed). */
  public static final int IOMMU_VFIO_IOAS_CLEAR = 2;

  /** {@code IOMMU_HWPT_ALLOC} = 0x3B89. */
  public static final int IOMMU_HWPT_ALLOC = io(IOMMUFD_CMD_HWPT_ALLOC);

  /** {@code IOMMU_GET_HW_INFO} = 0x3B8A. */
  public static final int IOMMU_GET_HW_INFO = io(IOMMUFD_CMD_GET_HW_INFO);

  /** {@code IOMMU_HWPT_SET_DIRTY_TRACKING} = 0x3B8B. */
  public static final int IOMMU_HWPT_SET_DIRTY_TRACKING = io(IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING);

  /** {@code IOMMU_HWPT_GET_DIRTY_BITMAP} = 0x3B8C. */
  public static final int IOMMU_HWPT_GET_DIRTY_BITMAP = io(IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP);

  /** {@code IOMMU_HWPT_INVALIDATE} = 0x3B8D. */
  public static final int IOMMU_HWPT_INVALIDATE = io(IOMMUFD_CMD_HWPT_INVALIDATE);

  /** {@code IOMMU_FAULT_QUEUE_ALLOC} = 0x3B8E: allocate a fault queue and its fd. */
  public static final int IOMMU_FAULT_QUEUE_ALLOC = io(IOMMUFD_CMD_FAULT_QUEUE_ALLOC);

  /** {@code IOMMU_VIOMMU_ALLOC} = 0x3B90. */
  public static final int IOMMU_VIOMMU_ALLOC = io(IOMMUFD_CMD_VIOMMU_ALLOC);

  /** {@code IOMMU_VDEVICE_ALLOC} = 0x3B91. */
  public static final int IOMMU_VDEVICE_ALLOC = io(IOMMUFD_CMD_VDEVICE_ALLOC);

  /** {@code IOMMU_VEVENTQ_ALLOC} = 0x3B93. */
  public static final int IOMMU_VEVENTQ_ALLOC = io(IOMMUFD_CMD_VEVENTQ_ALLOC);

  // --- enum iommufd_ioas_map_flags ------------------------------------------------------------

  /** {@code IOMMU_IOAS_MAP_FIXED_IOVA}: map at the given {@code iova}. */
  public static final int IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0;

  /** {@code IOMMU_IOAS_MAP_WRITEABLE}: DMA may write. */
  public static final int IOMMU_IOAS_MAP_WRITEABLE = 1 << 1;

  /** {@code IOMMU_IOAS_MAP_READABLE}: DMA may read. */
  public static final int IOMMU_IOAS_MAP_READABLE = 1 << 2;

  // --- enum iommufd_hwpt_alloc_flags ----------------------------------------------------------

  /** {@code IOMMU_HWPT_ALLOC_NEST_PARENT}. */
  public static final int IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0;

  /** {@code IOMMU_HWPT_ALLOC_DIRTY_TRACKING}: install dirty ops; enforced on attach. */
  public static final int IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1;

  /** {@code IOMMU_HWPT_FAULT_ID_VALID}. */
  public static final int IOMMU_HWPT_FAULT_ID_VALID = 1 << 2;

  /** {@code IOMMU_HWPT_ALLOC_PASID}. */
  public static final int IOMMU_HWPT_ALLOC_PASID = 1 << 3;

  // --- the fault queue (struct iommu_hwpt_pgfault, struct iommu_hwpt_page_response) -----------

  /** {@code IOMMU_PGFAULT_FLAGS_PASID_VALID}: the fault's {@code pasid} is valid. */
  public static final int IOMMU_PGFAULT_FLAGS_PASID_VALID = 1 << 0;

  /** {@code IOMMU_PGFAULT_FLAGS_LAST_PAGE}: the last fault of its group. */
  public static final int IOMMU_PGFAULT_FLAGS_LAST_PAGE = 1 << 1;

  /** {@code IOMMU_PGFAULT_PERM_READ}: the request asks for read permission. */
  public static final int IOMMU_PGFAULT_PERM_READ = 1 << 0;

  /** {@code IOMMU_PGFAULT_PERM_WRITE}: the request asks for write permission. */
  public static final int IOMMU_PGFAULT_PERM_WRITE = 1 << 1;

  /** {@code IOMMU_PGFAULT_PERM_EXEC}: the request asks for execute permission. */
  public static final int IOMMU_PGFAULT_PERM_EXEC = 1 << 2;

  /** {@code IOMMU_PGFAULT_PERM_PRIV}: the request asks for privileged permission. */
  public static final int IOMMU_PGFAULT_PERM_PRIV = 1 << 3;

  /** {@code IOMMUFD_PAGE_RESP_SUCCESS} = 0: the fault was handled; the device retries. */
  public static final int IOMMUFD_PAGE_RESP_SUCCESS = 0;

  /** {@code IOMMUFD_PAGE_RESP_INVALID} = 1: the fault cannot be handled; no retry. */
  public static final int IOMMUFD_PAGE_RESP_INVALID = 1;

  // --- enum iommu_hwpt_data_type --------------------------------------------------------------

  /** {@code IOMMU_HWPT_DATA_NONE} = 0. */
  public static final int IOMMU_HWPT_DATA_NONE = 0;

  /** {@code IOMMU_HWPT_DATA_VTD_S1} = 1. */
  public static final int IOMMU_HWPT_DATA_VTD_S1 = 1;

  /** {@code IOMMU_HWPT_DATA_ARM_SMMUV3} = 2. */
  public static final int IOMMU_HWPT_DATA_ARM_SMMUV3 = 2;

  // --- enum iommu_hwpt_vtd_s1_flags ----------------------------------------------------------

  /** {@code IOMMU_VTD_S1_SRE}: supervisor requests are allowed through the stage-1 table. */
  public static final long IOMMU_VTD_S1_SRE = 1L << 0;

  /** {@code IOMMU_VTD_S1_EAFE}: the extended access flag is enabled. */
  public static final long IOMMU_VTD_S1_EAFE = 1L << 1;

  /** {@code IOMMU_VTD_S1_WPE}: write protect is enabled for supervisor requests. */
  public static final long IOMMU_VTD_S1_WPE = 1L << 2;

  // --- enum iommu_hwpt_invalidate_data_type ---------------------------------------------------

  /** {@code IOMMU_HWPT_INVALIDATE_DATA_VTD_S1} = 0: {@code struct iommu_hwpt_vtd_s1_invalidate}. */
  public static final int IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0;

  /**
   * {@code IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3} = 1: {@code struct
   * iommu_viommu_arm_smmuv3_invalidate}.
   */
  public static final int IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1;

  // --- enum iommu_hwpt_vtd_s1_invalidate_flags ------------------------------------------------

  /** {@code IOMMU_VTD_INV_FLAGS_LEAF}: invalidate only the leaf entries, not the paging caches. */
  public static final int IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0;

  // --- enum iommu_viommu_type -----------------------------------------------------------------

  /** {@code IOMMU_VIOMMU_TYPE_DEFAULT} = 0: refused by {@code IOMMU_VIOMMU_ALLOC}. */
  public static final int IOMMU_VIOMMU_TYPE_DEFAULT = 0;

  /** {@code IOMMU_VIOMMU_TYPE_ARM_SMMUV3} = 1. */
  public static final int IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1;

  /** {@code IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV} = 2. */
  public static final int IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2;

  // --- enum iommu_veventq_type / iommu_veventq_flag -------------------------------------------

  /** {@code IOMMU_VEVENTQ_TYPE_DEFAULT} = 0: refused by {@code IOMMU_VEVENTQ_ALLOC}. */
  public static final int IOMMU_VEVENTQ_TYPE_DEFAULT = 0;

  /**
   * {@code IOMMU_VEVENTQ_FLAG_LOST_EVENTS}: in {@code struct iommufd_vevent_header}'s {@code
   * flags}, events were lost because the queue was full; such a header carries no event data.
   */
  public static final int IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1 << 0;

  // --- enum iommufd_hw_capabilities / iommufd_hw_info_flags -----------------------------------

  /** {@code IOMMU_HW_CAP_DIRTY_TRACKING}: the device's IOMMU can track dirty IOVA. */
  public static final long IOMMU_HW_CAP_DIRTY_TRACKING = 1L << 0;

  /** {@code IOMMU_HW_CAP_PCI_PASID_EXEC}. */
  public static final long IOMMU_HW_CAP_PCI_PASID_EXEC = 1L << 1;

  /** {@code IOMMU_HW_CAP_PCI_PASID_PRIV}. */
  public static final long IOMMU_HW_CAP_PCI_PASID_PRIV = 1L << 2;

  /** {@code IOMMU_HW_INFO_FLAG_INPUT_TYPE}. */
  public static final int IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0;

  // --- dirty tracking -------------------------------------------------------------------------

  /** {@code IOMMU_HWPT_DIRTY_TRACKING_ENABLE} = 1 ({@code iommu_hwpt_set_dirty_tracking.flags}). */
  public static final int IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1;

  /** {@code IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR} = 1: read without clearing or flushing. */
  public static final int IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1;

  /** {@code IOMMU_DIRTY_NO_CLEAR} (include/linux/iommu.h) = 1, the kernel-internal twin. */
  public static final int IOMMU_DIRTY_NO_CLEAR = 1 << 0;
}
