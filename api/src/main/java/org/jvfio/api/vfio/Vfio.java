package org.jvfio.api.vfio;

/**
 * Constants of {@code include/uapi/linux/vfio.h} that the VFIO live-migration and dirty-tracking
 * surface uses, under their C names.
 *
 * <p>Ioctl numbers are {@code _IO(VFIO_TYPE, VFIO_BASE + n)} as encoded on x86-64 and arm64: {@code
 * (';' << 8) | (100 + n)}, with no size or direction bits. Feature indices go in the low 16 bits
 * ({@link #VFIO_DEVICE_FEATURE_MASK}) of {@code vfio_device_feature.flags}.
 */
public final class Vfio {
  private Vfio() {}

  /** {@code VFIO_TYPE}: the ioctl type character {@code ';'}. */
  public static final int VFIO_TYPE = ';';

  /** {@code VFIO_BASE}: the first VFIO ioctl number. */
  public static final int VFIO_BASE = 100;

  /**
   * {@code _IO(type, nr)} on x86-64/arm64/generic: {@code (type << 8) | nr}.
   *
   * @param type the ioctl type byte
   * @param nr the command number
   * @return the request number passed to {@code ioctl(2)}
   */
  public static int io(int type, int nr) {
    return (type << 8) | nr;
  }

  // --- API version and extensions (container) -------------------------------------------------

  /** {@code VFIO_API_VERSION} = 0: what {@link #VFIO_GET_API_VERSION} returns. */
  public static final int VFIO_API_VERSION = 0;

  /** {@code VFIO_TYPE1_IOMMU} = 1: the type1 IOMMU driver, version 1 (no unmap bisection rule). */
  public static final int VFIO_TYPE1_IOMMU = 1;

  /** {@code VFIO_SPAPR_TCE_IOMMU} = 2: the POWER sPAPR TCE IOMMU driver. */
  public static final int VFIO_SPAPR_TCE_IOMMU = 2;

  /** {@code VFIO_TYPE1v2_IOMMU} = 3: the type1 IOMMU driver, version 2. */
  public static final int VFIO_TYPE1v2_IOMMU = 3;

  /** {@code VFIO_DMA_CC_IOMMU} = 4: every domain enforces DMA cache coherence. */
  public static final int VFIO_DMA_CC_IOMMU = 4;

  /** {@code VFIO_EEH} = 5: EEH error recovery (POWER). */
  public static final int VFIO_EEH = 5;

  /**
   * {@code VFIO_TYPE1_NESTING_IOMMU} = 6: two-stage type1, renamed {@code
   * __VFIO_RESERVED_TYPE1_NESTING_IOMMU} and unsupported in current kernels.
   */
  public static final int VFIO_TYPE1_NESTING_IOMMU = 6;

  /** {@code VFIO_SPAPR_TCE_v2_IOMMU} = 7. */
  public static final int VFIO_SPAPR_TCE_v2_IOMMU = 7;

  /** {@code VFIO_NOIOMMU_IOMMU} = 8: no translation and no isolation. */
  public static final int VFIO_NOIOMMU_IOMMU = 8;

  /** {@code VFIO_UNMAP_ALL} = 9: {@link #VFIO_DMA_UNMAP_FLAG_ALL} is supported. */
  public static final int VFIO_UNMAP_ALL = 9;

  /**
   * {@code VFIO_UPDATE_VADDR} = 10: {@link #VFIO_DMA_MAP_FLAG_VADDR} and {@link
   * #VFIO_DMA_UNMAP_FLAG_VADDR} are supported (not while an emulated group is attached).
   */
  public static final int VFIO_UPDATE_VADDR = 10;

  // --- ioctl request numbers ------------------------------------------------------------------

  /** {@code VFIO_GET_API_VERSION} = 0x3B64 (container): returns {@link #VFIO_API_VERSION}. */
  public static final int VFIO_GET_API_VERSION = io(VFIO_TYPE, VFIO_BASE);

  /** {@code VFIO_CHECK_EXTENSION} = 0x3B65 (container): the argument is an extension, by value. */
  public static final int VFIO_CHECK_EXTENSION = io(VFIO_TYPE, VFIO_BASE + 1);

  /** {@code VFIO_SET_IOMMU} = 0x3B66 (container): the argument is an IOMMU type, by value. */
  public static final int VFIO_SET_IOMMU = io(VFIO_TYPE, VFIO_BASE + 2);

  /** {@code VFIO_GROUP_GET_STATUS} = 0x3B67 (group): {@code struct vfio_group_status}. */
  public static final int VFIO_GROUP_GET_STATUS = io(VFIO_TYPE, VFIO_BASE + 3);

  /**
   * {@code VFIO_GROUP_SET_CONTAINER} = 0x3B68 (group): the argument points to an {@code int} fd.
   */
  public static final int VFIO_GROUP_SET_CONTAINER = io(VFIO_TYPE, VFIO_BASE + 4);

  /** {@code VFIO_GROUP_UNSET_CONTAINER} = 0x3B69 (group). */
  public static final int VFIO_GROUP_UNSET_CONTAINER = io(VFIO_TYPE, VFIO_BASE + 5);

  /**
   * {@code VFIO_GROUP_GET_DEVICE_FD} = 0x3B6A (group): the argument points to a NUL-terminated
   * device name; returns a new device fd.
   */
  public static final int VFIO_GROUP_GET_DEVICE_FD = io(VFIO_TYPE, VFIO_BASE + 6);

  /**
   * {@code VFIO_IOMMU_GET_INFO} = 0x3B70 (type1 container): {@code struct vfio_iommu_type1_info}.
   */
  public static final int VFIO_IOMMU_GET_INFO = io(VFIO_TYPE, VFIO_BASE + 12);

  /**
   * {@code VFIO_IOMMU_MAP_DMA} = 0x3B71 (type1 container): {@code struct vfio_iommu_type1_dma_map}.
   */
  public static final int VFIO_IOMMU_MAP_DMA = io(VFIO_TYPE, VFIO_BASE + 13);

  /** {@code VFIO_DEVICE_GET_INFO} = 0x3B6B (device fd): {@link VfioDeviceInfo}. */
  public static final int VFIO_DEVICE_GET_INFO = io(VFIO_TYPE, VFIO_BASE + 7);

  /** {@code VFIO_DEVICE_GET_REGION_INFO} = 0x3B6C (device fd): {@link VfioRegionInfo}. */
  public static final int VFIO_DEVICE_GET_REGION_INFO = io(VFIO_TYPE, VFIO_BASE + 8);

  /** {@code VFIO_DEVICE_GET_IRQ_INFO} = 0x3B6D (device fd): {@link VfioIrqInfo}. */
  public static final int VFIO_DEVICE_GET_IRQ_INFO = io(VFIO_TYPE, VFIO_BASE + 9);

  /**
   * {@code VFIO_DEVICE_RESET} = 0x3B6F (device fd): reset the device; a migration driver returns
   * its state to RUNNING (the only way out of ERROR).
   */
  public static final int VFIO_DEVICE_RESET = io(VFIO_TYPE, VFIO_BASE + 11);

  /** {@code VFIO_IOMMU_UNMAP_DMA} = 0x3B72 (type1 container). */
  public static final int VFIO_IOMMU_UNMAP_DMA = io(VFIO_TYPE, VFIO_BASE + 14);

  /** {@code VFIO_DEVICE_FEATURE} = 0x3B75 (device fd). */
  public static final int VFIO_DEVICE_FEATURE = io(VFIO_TYPE, VFIO_BASE + 17);

  /** {@code VFIO_IOMMU_DIRTY_PAGES} = 0x3B75 (type1 container fd; same number as the feature). */
  public static final int VFIO_IOMMU_DIRTY_PAGES = io(VFIO_TYPE, VFIO_BASE + 17);

  /** {@code VFIO_DEVICE_BIND_IOMMUFD} = 0x3B76 (device cdev). */
  public static final int VFIO_DEVICE_BIND_IOMMUFD = io(VFIO_TYPE, VFIO_BASE + 18);

  /** {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT} = 0x3B77 (device cdev). */
  public static final int VFIO_DEVICE_ATTACH_IOMMUFD_PT = io(VFIO_TYPE, VFIO_BASE + 19);

  /** {@code VFIO_DEVICE_DETACH_IOMMUFD_PT} = 0x3B78 (device cdev). */
  public static final int VFIO_DEVICE_DETACH_IOMMUFD_PT = io(VFIO_TYPE, VFIO_BASE + 20);

  /** {@code VFIO_MIG_GET_PRECOPY_INFO} = 0x3B79 (migration data fd). */
  public static final int VFIO_MIG_GET_PRECOPY_INFO = io(VFIO_TYPE, VFIO_BASE + 21);

  // --- struct vfio_device_feature.flags -------------------------------------------------------

  /** {@code VFIO_DEVICE_FEATURE_MASK}: the 16-bit feature index in {@code flags}. */
  public static final int VFIO_DEVICE_FEATURE_MASK = 0xffff;

  /** {@code VFIO_DEVICE_FEATURE_GET}: get feature into {@code data[]}. */
  public static final int VFIO_DEVICE_FEATURE_GET = 1 << 16;

  /** {@code VFIO_DEVICE_FEATURE_SET}: set feature from {@code data[]}. */
  public static final int VFIO_DEVICE_FEATURE_SET = 1 << 17;

  /** {@code VFIO_DEVICE_FEATURE_PROBE}: probe feature support. */
  public static final int VFIO_DEVICE_FEATURE_PROBE = 1 << 18;

  // --- struct vfio_device_{bind,attach,detach}_iommufd{,_pt}.flags
  // --------------------------------

  /**
   * {@code VFIO_DEVICE_BIND_FLAG_TOKEN}: {@code vfio_device_bind_iommufd.token_uuid_ptr} points to
   * the 16-byte VF token UUID (kernels from 2025 on).
   */
  public static final int VFIO_DEVICE_BIND_FLAG_TOKEN = 1 << 0;

  /**
   * {@code VFIO_DEVICE_ATTACH_PASID}: attach only {@code vfio_device_attach_iommufd_pt.pasid} of
   * the device.
   */
  public static final int VFIO_DEVICE_ATTACH_PASID = 1 << 0;

  /**
   * {@code VFIO_DEVICE_DETACH_PASID}: detach only {@code vfio_device_detach_iommufd_pt.pasid} of
   * the device.
   */
  public static final int VFIO_DEVICE_DETACH_PASID = 1 << 0;

  // --- feature indices ------------------------------------------------------------------------

  /** {@code VFIO_DEVICE_FEATURE_PCI_VF_TOKEN} = 0 (vfio-pci, SET). */
  public static final int VFIO_DEVICE_FEATURE_PCI_VF_TOKEN = 0;

  /** {@code VFIO_DEVICE_FEATURE_MIGRATION} = 1 (GET {@code vfio_device_feature_migration}). */
  public static final int VFIO_DEVICE_FEATURE_MIGRATION = 1;

  /**
   * {@code VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE} = 2 (GET/SET {@code
   * vfio_device_feature_mig_state}).
   */
  public static final int VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE = 2;

  /** {@code VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY} = 3 (vfio-pci). */
  public static final int VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY = 3;

  /** {@code VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP} = 4 (vfio-pci). */
  public static final int VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP = 4;

  /** {@code VFIO_DEVICE_FEATURE_LOW_POWER_EXIT} = 5 (vfio-pci). */
  public static final int VFIO_DEVICE_FEATURE_LOW_POWER_EXIT = 5;

  /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_START} = 6 (SET {@code ..._dma_logging_control}). */
  public static final int VFIO_DEVICE_FEATURE_DMA_LOGGING_START = 6;

  /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP} = 7 (SET, no payload). */
  public static final int VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP = 7;

  /** {@code VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT} = 8 (GET {@code ..._dma_logging_report}). */
  public static final int VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT = 8;

  /** {@code VFIO_DEVICE_FEATURE_MIG_DATA_SIZE} = 9 (GET {@code ..._mig_data_size}). */
  public static final int VFIO_DEVICE_FEATURE_MIG_DATA_SIZE = 9;

  /** {@code VFIO_DEVICE_FEATURE_BUS_MASTER} = 10 (vfio-cdx). */
  public static final int VFIO_DEVICE_FEATURE_BUS_MASTER = 10;

  /** {@code VFIO_DEVICE_FEATURE_DMA_BUF} = 11 (vfio-pci, v6.19+). */
  public static final int VFIO_DEVICE_FEATURE_DMA_BUF = 11;

  /**
   * {@code VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2} = 12: opt-in to {@link
   * #VFIO_PRECOPY_INFO_REINIT}. From a February 2026 patch series by Yishai Hadas; its merged form
   * is unverified.
   */
  public static final int VFIO_DEVICE_FEATURE_MIG_PRECOPY_INFOv2 = 12;

  // --- struct vfio_device_feature_migration.flags ---------------------------------------------

  /** {@code VFIO_MIGRATION_STOP_COPY}: STOP, STOP_COPY and RESUMING are supported. */
  public static final long VFIO_MIGRATION_STOP_COPY = 1L << 0;

  /** {@code VFIO_MIGRATION_P2P}: RUNNING_P2P (and with PRE_COPY, PRE_COPY_P2P) is supported. */
  public static final long VFIO_MIGRATION_P2P = 1L << 1;

  /** {@code VFIO_MIGRATION_PRE_COPY}: PRE_COPY (and with P2P, PRE_COPY_P2P) is supported. */
  public static final long VFIO_MIGRATION_PRE_COPY = 1L << 2;

  // --- enum vfio_device_mig_state -------------------------------------------------------------

  /** {@code VFIO_DEVICE_STATE_ERROR} = 0. */
  public static final int VFIO_DEVICE_STATE_ERROR = 0;

  /** {@code VFIO_DEVICE_STATE_STOP} = 1. */
  public static final int VFIO_DEVICE_STATE_STOP = 1;

  /** {@code VFIO_DEVICE_STATE_RUNNING} = 2. */
  public static final int VFIO_DEVICE_STATE_RUNNING = 2;

  /** {@code VFIO_DEVICE_STATE_STOP_COPY} = 3. */
  public static final int VFIO_DEVICE_STATE_STOP_COPY = 3;

  /** {@code VFIO_DEVICE_STATE_RESUMING} = 4. */
  public static final int VFIO_DEVICE_STATE_RESUMING = 4;

  /** {@code VFIO_DEVICE_STATE_RUNNING_P2P} = 5. */
  public static final int VFIO_DEVICE_STATE_RUNNING_P2P = 5;

  /** {@code VFIO_DEVICE_STATE_PRE_COPY} = 6. */
  public static final int VFIO_DEVICE_STATE_PRE_COPY = 6;

  /** {@code VFIO_DEVICE_STATE_PRE_COPY_P2P} = 7. */
  public static final int VFIO_DEVICE_STATE_PRE_COPY_P2P = 7;

  /** {@code VFIO_DEVICE_STATE_NR} = 8: the number of states. */
  public static final int VFIO_DEVICE_STATE_NR = 8;

  // --- struct vfio_precopy_info.flags (2026 extension) ----------------------------------------

  /** {@code VFIO_PRECOPY_INFO_REINIT}: output, new initial data is present. */
  public static final int VFIO_PRECOPY_INFO_REINIT = 1 << 0;

  // --- DMA logging ----------------------------------------------------------------------------

  /**
   * {@code LOG_MAX_RANGES} (vfio_main.c): {@code PAGE_SIZE / sizeof(struct
   * vfio_device_feature_dma_logging_range)} = 4096 / 16 = 256 on 4 KiB-page kernels.
   */
  public static final int LOG_MAX_RANGES = 256;

  // --- device info, regions and IRQs (struct vfio_device_info, vfio_region_info, vfio_irq_info)
  // ---

  /**
   * {@code VFIO_DEVICE_FLAGS_RESET} = 1 &lt;&lt; 0: the device supports {@code VFIO_DEVICE_RESET}.
   */
  public static final int VFIO_DEVICE_FLAGS_RESET = 1 << 0;

  /** {@code VFIO_DEVICE_FLAGS_PCI} = 1 &lt;&lt; 1: a vfio-pci device. */
  public static final int VFIO_DEVICE_FLAGS_PCI = 1 << 1;

  /** {@code VFIO_DEVICE_FLAGS_PLATFORM} = 1 &lt;&lt; 2: a vfio-platform device. */
  public static final int VFIO_DEVICE_FLAGS_PLATFORM = 1 << 2;

  /** {@code VFIO_DEVICE_FLAGS_AMBA} = 1 &lt;&lt; 3: a vfio-amba device. */
  public static final int VFIO_DEVICE_FLAGS_AMBA = 1 << 3;

  /** {@code VFIO_DEVICE_FLAGS_CCW} = 1 &lt;&lt; 4: a vfio-ccw device. */
  public static final int VFIO_DEVICE_FLAGS_CCW = 1 << 4;

  /** {@code VFIO_DEVICE_FLAGS_AP} = 1 &lt;&lt; 5: a vfio-ap device. */
  public static final int VFIO_DEVICE_FLAGS_AP = 1 << 5;

  /** {@code VFIO_DEVICE_FLAGS_FSL_MC} = 1 &lt;&lt; 6: a vfio-fsl-mc device. */
  public static final int VFIO_DEVICE_FLAGS_FSL_MC = 1 << 6;

  /**
   * {@code VFIO_DEVICE_FLAGS_CAPS} = 1 &lt;&lt; 7: the info carries a capability chain at {@code
   * cap_offset}.
   */
  public static final int VFIO_DEVICE_FLAGS_CAPS = 1 << 7;

  /** {@code VFIO_DEVICE_INFO_CAP_ZPCI_BASE} = 1: device info capability id: zPCI base (s390). */
  public static final int VFIO_DEVICE_INFO_CAP_ZPCI_BASE = 1;

  /** {@code VFIO_DEVICE_INFO_CAP_ZPCI_GROUP} = 2: device info capability id: zPCI group (s390). */
  public static final int VFIO_DEVICE_INFO_CAP_ZPCI_GROUP = 2;

  /**
   * {@code VFIO_DEVICE_INFO_CAP_ZPCI_UTIL} = 3: device info capability id: zPCI utility string
   * (s390).
   */
  public static final int VFIO_DEVICE_INFO_CAP_ZPCI_UTIL = 3;

  /**
   * {@code VFIO_DEVICE_INFO_CAP_ZPCI_PFIP} = 4: device info capability id: zPCI function path
   * (s390).
   */
  public static final int VFIO_DEVICE_INFO_CAP_ZPCI_PFIP = 4;

  /**
   * {@code VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP} = 5: device info capability id: PCIe AtomicOp
   * completion ({@link VfioDeviceInfoCapPciAtomicComp}).
   */
  public static final int VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP = 5;

  /** {@code VFIO_PCI_ATOMIC_COMP32} = 1 &lt;&lt; 0: the root port completes 32-bit AtomicOps. */
  public static final int VFIO_PCI_ATOMIC_COMP32 = 1 << 0;

  /** {@code VFIO_PCI_ATOMIC_COMP64} = 1 &lt;&lt; 1: the root port completes 64-bit AtomicOps. */
  public static final int VFIO_PCI_ATOMIC_COMP64 = 1 << 1;

  /**
   * {@code VFIO_PCI_ATOMIC_COMP128} = 1 &lt;&lt; 2: the root port completes 128-bit CAS AtomicOps.
   */
  public static final int VFIO_PCI_ATOMIC_COMP128 = 1 << 2;

  /** {@code VFIO_REGION_INFO_FLAG_READ} = 1 &lt;&lt; 0: the region supports read. */
  public static final int VFIO_REGION_INFO_FLAG_READ = 1 << 0;

  /** {@code VFIO_REGION_INFO_FLAG_WRITE} = 1 &lt;&lt; 1: the region supports write. */
  public static final int VFIO_REGION_INFO_FLAG_WRITE = 1 << 1;

  /** {@code VFIO_REGION_INFO_FLAG_MMAP} = 1 &lt;&lt; 2: the region supports mmap. */
  public static final int VFIO_REGION_INFO_FLAG_MMAP = 1 << 2;

  /**
   * {@code VFIO_REGION_INFO_FLAG_CAPS} = 1 &lt;&lt; 3: the region info carries a capability chain
   * at {@code cap_offset}.
   */
  public static final int VFIO_REGION_INFO_FLAG_CAPS = 1 << 3;

  /**
   * {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP} = 1: region capability id: sparse mmap areas ({@link
   * VfioRegionInfoCapSparseMmap}).
   */
  public static final int VFIO_REGION_INFO_CAP_SPARSE_MMAP = 1;

  /**
   * {@code VFIO_REGION_INFO_CAP_TYPE} = 2: region capability id: region type ({@link
   * VfioRegionInfoCapType}).
   */
  public static final int VFIO_REGION_INFO_CAP_TYPE = 2;

  /**
   * {@code VFIO_REGION_INFO_CAP_MSIX_MAPPABLE} = 3: region capability id: the MSI-X table of this
   * BAR may be mmapped (header only, version 1).
   */
  public static final int VFIO_REGION_INFO_CAP_MSIX_MAPPABLE = 3;

  /**
   * {@code VFIO_REGION_INFO_CAP_NVLINK2_SSATGT} = 4: region capability id: NVLink2 GPU RAM system
   * address (retired).
   */
  public static final int VFIO_REGION_INFO_CAP_NVLINK2_SSATGT = 4;

  /**
   * {@code VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD} = 5: region capability id: NVLink2 link speed
   * (retired).
   */
  public static final int VFIO_REGION_INFO_CAP_NVLINK2_LNKSPD = 5;

  /**
   * {@code VFIO_REGION_TYPE_PCI_VENDOR_TYPE} = 1 &lt;&lt; 31: region type flag: a PCI vendor
   * region, vendor id in the low 16 bits.
   */
  public static final int VFIO_REGION_TYPE_PCI_VENDOR_TYPE = 1 << 31;

  /**
   * {@code VFIO_REGION_TYPE_PCI_VENDOR_MASK} = 0xffff: the vendor id bits of a PCI vendor region
   * type.
   */
  public static final int VFIO_REGION_TYPE_PCI_VENDOR_MASK = 0xffff;

  /** {@code VFIO_REGION_TYPE_GFX} = 1: region type: graphics. */
  public static final int VFIO_REGION_TYPE_GFX = 1;

  /** {@code VFIO_REGION_TYPE_CCW} = 2: region type: s390 channel I/O. */
  public static final int VFIO_REGION_TYPE_CCW = 2;

  /**
   * {@code VFIO_REGION_TYPE_MIGRATION_DEPRECATED} = 3: region type: migration protocol v1
   * (deprecated).
   */
  public static final int VFIO_REGION_TYPE_MIGRATION_DEPRECATED = 3;

  /**
   * {@code VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED} = 1: region subtype of migration protocol v1
   * (deprecated).
   */
  public static final int VFIO_REGION_SUBTYPE_MIGRATION_DEPRECATED = 1;

  /** {@code VFIO_PCI_BAR0_REGION_INDEX} = 0: region index of BAR 0. */
  public static final int VFIO_PCI_BAR0_REGION_INDEX = 0;

  /** {@code VFIO_PCI_BAR1_REGION_INDEX} = 1: region index of BAR 1. */
  public static final int VFIO_PCI_BAR1_REGION_INDEX = 1;

  /** {@code VFIO_PCI_BAR2_REGION_INDEX} = 2: region index of BAR 2. */
  public static final int VFIO_PCI_BAR2_REGION_INDEX = 2;

  /** {@code VFIO_PCI_BAR3_REGION_INDEX} = 3: region index of BAR 3. */
  public static final int VFIO_PCI_BAR3_REGION_INDEX = 3;

  /** {@code VFIO_PCI_BAR4_REGION_INDEX} = 4: region index of BAR 4. */
  public static final int VFIO_PCI_BAR4_REGION_INDEX = 4;

  /** {@code VFIO_PCI_BAR5_REGION_INDEX} = 5: region index of BAR 5. */
  public static final int VFIO_PCI_BAR5_REGION_INDEX = 5;

  /** {@code VFIO_PCI_ROM_REGION_INDEX} = 6: region index of the expansion ROM. */
  public static final int VFIO_PCI_ROM_REGION_INDEX = 6;

  /** {@code VFIO_PCI_CONFIG_REGION_INDEX} = 7: region index of PCI config space. */
  public static final int VFIO_PCI_CONFIG_REGION_INDEX = 7;

  /**
   * {@code VFIO_PCI_VGA_REGION_INDEX} = 8: region index of the legacy VGA ranges (I/O ports
   * 0x3b0–0x3bb, 0x3c0–0x3df, MMIO 0xa0000–0xbffff at identity offsets).
   */
  public static final int VFIO_PCI_VGA_REGION_INDEX = 8;

  /**
   * {@code VFIO_PCI_NUM_REGIONS} = 9: the fixed region indexes; 9 and up are device-specific
   * regions with a type capability.
   */
  public static final int VFIO_PCI_NUM_REGIONS = 9;

  /** {@code VFIO_PCI_INTX_IRQ_INDEX} = 0: IRQ index of INTx. */
  public static final int VFIO_PCI_INTX_IRQ_INDEX = 0;

  /** {@code VFIO_PCI_MSI_IRQ_INDEX} = 1: IRQ index of MSI. */
  public static final int VFIO_PCI_MSI_IRQ_INDEX = 1;

  /** {@code VFIO_PCI_MSIX_IRQ_INDEX} = 2: IRQ index of MSI-X. */
  public static final int VFIO_PCI_MSIX_IRQ_INDEX = 2;

  /** {@code VFIO_PCI_ERR_IRQ_INDEX} = 3: IRQ index of the AER error notification (PCIe only). */
  public static final int VFIO_PCI_ERR_IRQ_INDEX = 3;

  /** {@code VFIO_PCI_REQ_IRQ_INDEX} = 4: IRQ index of the device request notification. */
  public static final int VFIO_PCI_REQ_IRQ_INDEX = 4;

  /** {@code VFIO_PCI_NUM_IRQS} = 5: the number of vfio-pci IRQ indexes. */
  public static final int VFIO_PCI_NUM_IRQS = 5;

  /** {@code VFIO_IRQ_INFO_EVENTFD} = 1 &lt;&lt; 0: the IRQ can signal an eventfd. */
  public static final int VFIO_IRQ_INFO_EVENTFD = 1 << 0;

  /** {@code VFIO_IRQ_INFO_MASKABLE} = 1 &lt;&lt; 1: the IRQ can be masked. */
  public static final int VFIO_IRQ_INFO_MASKABLE = 1 << 1;

  /**
   * {@code VFIO_IRQ_INFO_AUTOMASKED} = 1 &lt;&lt; 2: the IRQ is masked automatically when it fires
   * (INTx).
   */
  public static final int VFIO_IRQ_INFO_AUTOMASKED = 1 << 2;

  /**
   * {@code VFIO_IRQ_INFO_NORESIZE} = 1 &lt;&lt; 3: the vector count cannot change once interrupts
   * are enabled.
   */
  public static final int VFIO_IRQ_INFO_NORESIZE = 1 << 3;

  /**
   * {@code VFIO_PCI_OFFSET_SHIFT} = 40: vfio-pci places region {@code i} at device-fd offset {@code
   * i << 40}. Kernel-internal ({@code include/linux/vfio_pci_core.h}), not uAPI: users must take
   * {@link VfioRegionInfo#offset()}.
   */
  public static final int VFIO_PCI_OFFSET_SHIFT = 40;

  /** {@code VFIO_PCI_OFFSET_MASK}: the offset within a region, {@code (1 << 40) - 1}. */
  public static final long VFIO_PCI_OFFSET_MASK = (1L << VFIO_PCI_OFFSET_SHIFT) - 1;

  /**
   * {@code VFIO_PCI_INDEX_TO_OFFSET(index)}: the device-fd offset of region {@code index}.
   *
   * @param index a region index (unsigned)
   * @return {@code index << 40}
   */
  public static long vfioPciIndexToOffset(int index) {
    return Integer.toUnsignedLong(index) << VFIO_PCI_OFFSET_SHIFT;
  }

  /**
   * {@code VFIO_PCI_OFFSET_TO_INDEX(off)}: the region index of device-fd offset {@code off}.
   *
   * @param offset a device-fd offset (unsigned)
   * @return {@code offset >>> 40}
   */
  public static long vfioPciOffsetToIndex(long offset) {
    return offset >>> VFIO_PCI_OFFSET_SHIFT;
  }

  // --- type1 container dirty API (legacy) -----------------------------------------------------

  /**
   * {@code VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP}: return the dirty bitmap of the unmapped range.
   */
  public static final int VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;

  /** {@code VFIO_DMA_UNMAP_FLAG_ALL}: unmap every mapping. */
  public static final int VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;

  /** {@code VFIO_DMA_UNMAP_FLAG_VADDR}: invalidate the user VA of the mapping. */
  public static final int VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;

  /** {@code VFIO_IOMMU_DIRTY_PAGES_FLAG_START}. */
  public static final int VFIO_IOMMU_DIRTY_PAGES_FLAG_START = 1 << 0;

  /** {@code VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP}. */
  public static final int VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP = 1 << 1;

  /** {@code VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP}. */
  public static final int VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP = 1 << 2;

  /**
   * {@code VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION}: capability id 2 of {@code VFIO_IOMMU_GET_INFO}.
   */
  public static final int VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION = 2;

  /**
   * {@code VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE}: capability id 1 of {@code VFIO_IOMMU_GET_INFO}.
   */
  public static final int VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;

  /** {@code VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL}: capability id 3 of {@code VFIO_IOMMU_GET_INFO}. */
  public static final int VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;

  /** {@code VFIO_IOMMU_INFO_PGSIZES}: {@code iova_pgsizes} is valid. */
  public static final int VFIO_IOMMU_INFO_PGSIZES = 1 << 0;

  /** {@code VFIO_IOMMU_INFO_CAPS}: the info supports a capability chain. */
  public static final int VFIO_IOMMU_INFO_CAPS = 1 << 1;

  /** {@code VFIO_DMA_MAP_FLAG_READ}: the device may read the mapping. */
  public static final int VFIO_DMA_MAP_FLAG_READ = 1 << 0;

  /** {@code VFIO_DMA_MAP_FLAG_WRITE}: the device may write the mapping. */
  public static final int VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;

  /** {@code VFIO_DMA_MAP_FLAG_VADDR}: give an invalidated mapping a new user address. */
  public static final int VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;

  // --- struct vfio_group_status.flags ---------------------------------------------------------

  /** {@code VFIO_GROUP_FLAGS_VIABLE}: no host driver claims DMA ownership of the group. */
  public static final int VFIO_GROUP_FLAGS_VIABLE = 1 << 0;

  /** {@code VFIO_GROUP_FLAGS_CONTAINER_SET}: the group is set to a container or an iommufd. */
  public static final int VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;
}
