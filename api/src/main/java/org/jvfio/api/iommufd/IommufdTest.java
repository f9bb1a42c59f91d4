package org.jvfio.api.iommufd;

/**
 * Constants of the iommufd selftest's test ioctl, {@code drivers/iommu/iommufd/iommufd_test.h}: the
 * {@code IOMMU_TEST_CMD} request that a kernel built with {@code CONFIG_IOMMUFD_TEST} answers on
 * {@code /dev/iommu}, its operations, the mock device flags and the layout of {@code struct
 * iommu_test_cmd} (a header of four {@code __u32}, a 48-byte union at offset 16, {@code __u32 last}
 * at 64; 72 bytes on LP64).
 */
public final class IommufdTest {
  private IommufdTest() {}

  /** {@code IOMMU_TEST_CMD} = {@code _IO(';', IOMMUFD_CMD_BASE + 32)} = 0x3BA0. */
  public static final int IOMMU_TEST_CMD =
      (Iommufd.IOMMUFD_TYPE << 8) | (Iommufd.IOMMUFD_CMD_BASE + 32);

  /** {@code sizeof(struct iommu_test_cmd)}: 72 bytes. */
  public static final int IOMMU_TEST_CMD_SIZE = 72;

  /** {@code offsetofend(struct iommu_test_cmd, last)}: the smallest size accepted, 68. */
  public static final int IOMMU_TEST_CMD_MIN_SIZE = 68;

  /** {@code IOMMU_TEST_OP_ADD_RESERVED} = 1. */
  public static final int IOMMU_TEST_OP_ADD_RESERVED = 1;

  /** {@code IOMMU_TEST_OP_MOCK_DOMAIN} = 2: bind a mock device and attach it to {@code id}. */
  public static final int IOMMU_TEST_OP_MOCK_DOMAIN = 2;

  /** {@code IOMMU_TEST_OP_MD_CHECK_MAP} = 3: check the mock domain maps IOVA to the user VA. */
  public static final int IOMMU_TEST_OP_MD_CHECK_MAP = 3;

  /** {@code IOMMU_TEST_OP_MD_CHECK_REFS} = 4: check the pin count of user pages. */
  public static final int IOMMU_TEST_OP_MD_CHECK_REFS = 4;

  /**
   * {@code IOMMU_TEST_OP_CREATE_ACCESS} = 5: create an in-kernel access to the IOAS {@code id};
   * returns a new fd ({@code create_access.out_access_fd}) that is the access's id.
   */
  public static final int IOMMU_TEST_OP_CREATE_ACCESS = 5;

  /** {@code IOMMU_TEST_OP_DESTROY_ACCESS_PAGES} = 6: unpin an {@code ACCESS_PAGES} item. */
  public static final int IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6;

  /** {@code IOMMU_TEST_OP_ACCESS_PAGES} = 7: pin pages through an access. */
  public static final int IOMMU_TEST_OP_ACCESS_PAGES = 7;

  /** {@code IOMMU_TEST_OP_ACCESS_RW} = 8: read or write the IOAS through an access. */
  public static final int IOMMU_TEST_OP_ACCESS_RW = 8;

  /**
   * {@code IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT} = 9: cap the kernel's temporary page-batch memory
   * (the selftest shrinks it to exercise the batch code's fallbacks).
   */
  public static final int IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9;

  /** {@code IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE} = 10: re-attach a mock device. */
  public static final int IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10;

  /** {@code IOMMU_TEST_OP_ACCESS_REPLACE_IOAS} = 11: move an access to another IOAS. */
  public static final int IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11;

  /** {@code IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS} = 12: {@code MOCK_DOMAIN} with device flags. */
  public static final int IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12;

  /** {@code IOMMU_TEST_OP_DIRTY} = 13: mark IOVA dirty in a mock domain's page table. */
  public static final int IOMMU_TEST_OP_DIRTY = 13;

  /**
   * {@code IOMMU_TEST_OP_MD_CHECK_IOTLB} = 14: {@code EINVAL} unless entry {@code check_iotlb.id}
   * of the mock nested domain {@code id} holds {@code check_iotlb.iotlb}.
   */
  public static final int IOMMU_TEST_OP_MD_CHECK_IOTLB = 14;

  /**
   * {@code IOMMU_TEST_OP_TRIGGER_IOPF} = 15: report a one-fault page request group of a device, as
   * its IOMMU would.
   */
  public static final int IOMMU_TEST_OP_TRIGGER_IOPF = 15;

  /** {@code IOMMU_TEST_OP_PASID_ATTACH} = 18: attach a PASID of a mock device to a HWPT. */
  public static final int IOMMU_TEST_OP_PASID_ATTACH = 18;

  /** {@code IOMMU_TEST_OP_PASID_REPLACE} = 19: move an attached PASID to another HWPT. */
  public static final int IOMMU_TEST_OP_PASID_REPLACE = 19;

  /** {@code IOMMU_TEST_OP_PASID_DETACH} = 20: detach a PASID of a mock device. */
  public static final int IOMMU_TEST_OP_PASID_DETACH = 20;

  /** {@code MOCK_FLAGS_ACCESS_WRITE}: {@code ACCESS_PAGES} pins for writing. */
  public static final int MOCK_FLAGS_ACCESS_WRITE = 1 << 0;

  /** {@code MOCK_FLAGS_ACCESS_SYZ}: the IOVA is syzkaller's area index and offset. */
  public static final int MOCK_FLAGS_ACCESS_SYZ = 1 << 16;

  /** {@code MOCK_ACCESS_RW_WRITE}: {@code ACCESS_RW} writes the IOAS from the user buffer. */
  public static final int MOCK_ACCESS_RW_WRITE = 1 << 0;

  /** {@code MOCK_ACCESS_RW_SLOW_PATH}: {@code ACCESS_RW} pins instead of copying from the mm. */
  public static final int MOCK_ACCESS_RW_SLOW_PATH = 1 << 2;

  /** {@code MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES}: the access may pin pages. */
  public static final int MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0;

  /**
   * {@code IOMMU_TEST_OP_PASID_CHECK_HWPT} = 21: {@code EINVAL} unless the PASID is attached to the
   * HWPT ({@code hwpt_id} 0: unless it is detached).
   */
  public static final int IOMMU_TEST_OP_PASID_CHECK_HWPT = 21;

  /** {@code MOCK_PASID_WIDTH} = 20: the PASID width of a {@code MOCK_FLAGS_DEVICE_PASID} device. */
  public static final int MOCK_PASID_WIDTH = 20;

  /**
   * {@code IOMMU_TEST_OP_DEV_CHECK_CACHE} = 16: {@code EINVAL} unless entry {@code
   * check_dev_cache.id} of the mock device {@code id}'s cache holds {@code check_dev_cache.cache}.
   */
  public static final int IOMMU_TEST_OP_DEV_CHECK_CACHE = 16;

  /**
   * {@code IOMMU_TEST_OP_TRIGGER_VEVENT} = 17: the mock device {@code trigger_vevent.dev_id}
   * reports one {@code IOMMU_VEVENTQ_TYPE_SELFTEST} event, its virtual id, to its vIOMMU.
   */
  public static final int IOMMU_TEST_OP_TRIGGER_VEVENT = 17;

  /** {@code MOCK_DEV_CACHE_ID_MAX} = 3: the last entry of a mock device's cache. */
  public static final int MOCK_DEV_CACHE_ID_MAX = 3;

  /** {@code MOCK_DEV_CACHE_NUM} = 4: the entries of a mock device's cache. */
  public static final int MOCK_DEV_CACHE_NUM = 4;

  /** {@code IOMMU_TEST_DEV_CACHE_DEFAULT} = 0xbaddad: each cache entry of a new mock device. */
  public static final int IOMMU_TEST_DEV_CACHE_DEFAULT = 0xbaddad;

  /** {@code IOMMU_VIOMMU_TYPE_SELFTEST} = 0xdeadbeef: the mock IOMMU's vIOMMU. */
  public static final int IOMMU_VIOMMU_TYPE_SELFTEST = 0xdeadbeef;

  /**
   * {@code IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST} = 0xdeadbeef: {@code struct
   * iommu_viommu_invalidate_selftest}, 12 bytes: {@code __u32 flags, vdev_id, cache_id}.
   */
  public static final int IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;

  /** {@code IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID} = 0xdadbeef: a type no driver knows. */
  public static final int IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID = 0xdadbeef;

  /**
   * {@code IOMMU_VEVENTQ_TYPE_SELFTEST} = 0xbeefbeef: events of {@code struct
   * iommu_viommu_event_selftest}, a {@code __u32 virt_id}.
   */
  public static final int IOMMU_VEVENTQ_TYPE_SELFTEST = 0xbeefbeef;

  /** {@code MOCK_FLAGS_DEVICE_NO_DIRTY}: the mock device's IOMMU cannot track dirty IOVA. */
  public static final int MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0;

  /**
   * {@code MOCK_FLAGS_DEVICE_HUGE_IOVA}: in kernels before the mock's generic page table; since
   * then a page-table type of {@link IommuHwptSelftest} chooses huge pages.
   */
  public static final int MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1;

  /** {@code MOCK_FLAGS_DEVICE_PASID}. */
  public static final int MOCK_FLAGS_DEVICE_PASID = 1 << 2;

  /** {@code IOMMU_HW_INFO_TYPE_SELFTEST} = 0xfeedbeef. */
  public static final int IOMMU_HW_INFO_TYPE_SELFTEST = 0xfeedbeef;

  /** {@code MOCK_IOMMUPT_DEFAULT} = 0: the mock's page table with {@link #MOCK_PAGE_SIZE} pages. */
  public static final int MOCK_IOMMUPT_DEFAULT = 0;

  /** {@code MOCK_IOMMUPT_HUGE} = 1: the mock's page table mapping {@link #MOCK_HUGE_PAGE_SIZE}. */
  public static final int MOCK_IOMMUPT_HUGE = 1;

  /** {@code MOCK_IOMMUPT_AMDV1} = 2: the AMD v1 format with 4 KiB pages. */
  public static final int MOCK_IOMMUPT_AMDV1 = 2;

  /**
   * {@code MOCK_APERTURE_START} = {@code 1 << 24}: the first IOVA of a {@code MOCK_IOMMUPT_DEFAULT}
   * domain.
   */
  public static final long MOCK_APERTURE_START = 1L << 24;

  /** {@code MOCK_APERTURE_LAST} = {@code (1 << 31) - 1}: its last IOVA. */
  public static final long MOCK_APERTURE_LAST = (1L << 31) - 1;

  /** {@code MOCK_PAGE_SIZE} = 2048: the mock's smallest IO page. */
  public static final int MOCK_PAGE_SIZE = 2048;

  /** {@code MOCK_HUGE_PAGE_SIZE} = 512 * {@code MOCK_PAGE_SIZE}: the mock's huge IO page, 1 MiB. */
  public static final int MOCK_HUGE_PAGE_SIZE = 512 * MOCK_PAGE_SIZE;

  /** {@code IOMMU_HWPT_DATA_SELFTEST} = 0xdead. */
  public static final int IOMMU_HWPT_DATA_SELFTEST = 0xdead;

  /** {@code IOMMU_TEST_IOTLB_DEFAULT} = 0xbadbeef: the selftest's default mock IOTLB value. */
  public static final int IOMMU_TEST_IOTLB_DEFAULT = 0xbadbeef;

  /** {@code MOCK_NESTED_DOMAIN_IOTLB_NUM} = 4: the IOTLB entries of a mock nested domain. */
  public static final int MOCK_NESTED_DOMAIN_IOTLB_NUM = 4;

  /** {@code MOCK_NESTED_DOMAIN_IOTLB_ID_MAX} = 3: the largest mock IOTLB entry index. */
  public static final int MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = MOCK_NESTED_DOMAIN_IOTLB_NUM - 1;

  /**
   * {@code IOMMU_HWPT_INVALIDATE_DATA_SELFTEST} = 0xdeadbeef: the {@code data_type} of {@code
   * IOMMU_HWPT_INVALIDATE} for a mock nested domain, entries {@link IommuHwptInvalidateSelftest}.
   */
  public static final int IOMMU_HWPT_INVALIDATE_DATA_SELFTEST = 0xdeadbeef;

  /**
   * {@code IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID} = 0xdadbeef: a {@code data_type} the mock
   * refuses, for the selftest's negative test.
   */
  public static final int IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID = 0xdadbeef;

  /**
   * {@code IOMMU_TEST_INVALIDATE_FLAG_ALL}: an {@link IommuHwptInvalidateSelftest} entry that
   * clears every mock IOTLB entry, whatever its {@code iotlb_id}.
   */
  public static final int IOMMU_TEST_INVALIDATE_FLAG_ALL = 1 << 0;
}
