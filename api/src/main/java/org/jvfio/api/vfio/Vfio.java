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

  // --- ioctl request numbers ------------------------------------------------------------------

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
}
