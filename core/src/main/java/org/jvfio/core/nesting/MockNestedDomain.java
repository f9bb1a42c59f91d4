package org.jvfio.core.nesting;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_INVALIDATE_FLAG_ALL;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_NESTED_DOMAIN_IOTLB_ID_MAX;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_NESTED_DOMAIN_IOTLB_NUM;

import com.google.common.base.Preconditions;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptInvalidateSelftest;
import org.jvfio.api.iommufd.IommuHwptSelftest;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.NestedFault;
import org.jvfio.core.hw.NestedTranslator;
import org.jvfio.core.hw.Stage1Format;
import org.jvfio.core.spi.IommuDomain;

/**
 * The iommufd selftest's mock nested domain ({@code drivers/iommu/iommufd/selftest.c}, {@code
 * struct mock_iommu_domain_nested}): a nested domain on a mock nest parent whose only state is a
 * mock IOTLB of {@code MOCK_NESTED_DOMAIN_IOTLB_NUM} (4) 32-bit entries. Allocation sets every
 * entry to the {@code iotlb} of {@code struct iommu_hwpt_selftest}; {@code IOMMU_HWPT_INVALIDATE}
 * with {@code IOMMU_HWPT_INVALIDATE_DATA_SELFTEST} clears one entry or all of them ({@code
 * mock_domain_cache_invalidate_user}); {@code IOMMU_TEST_OP_MD_CHECK_IOTLB} reads one ({@link
 * #iotlb(int)}).
 *
 * <p>The kernel's mock nested domain has no page table and translates nothing. Here a device
 * attached to it translates as the parent (stage 1 is the identity, {@link Stage1Format#bypass}),
 * so its DMA is still tracked dirty by the parent; the mock IOTLB entries are counters of the
 * selftest, not a cache of that translation.
 *
 * <p>Thread-safety: the entries are read and written under this object's monitor.
 */
public final class MockNestedDomain extends NestedDomain {
  private static final int MIN_DATA_LEN = Integer.BYTES; // offsetofend(iommu_hwpt_selftest, iotlb)

  private final int[] iotlb = new int[MOCK_NESTED_DOMAIN_IOTLB_NUM];

  private MockNestedDomain(NestedTranslator translator, int value) {
    super(translator);
    Arrays.fill(iotlb, value);
  }

  /**
   * {@code mock_domain_alloc_nested}: builds the domain from {@code struct iommu_hwpt_selftest}
   * ({@code iommu_copy_struct_from_user} up to {@code iotlb}, so {@code data_len} 4 to 8, a shorter
   * struct zero-extended).
   *
   * @param parent the mock nest-parent domain (stage 2)
   * @param flags the allocation flags without {@code IOMMU_HWPT_FAULT_ID_VALID}
   * @param user the driver data: {@code struct iommu_hwpt_selftest}
   * @param tables the guest tables (no stage-1 table is read: stage 1 is the identity)
   * @param memories the guest memories stage 2 translates into
   * @param faults told of every translation fault of an attached device
   * @return the domain, every mock IOTLB entry set to {@code iotlb}
   * @throws UapiException in the driver's order: {@code EOPNOTSUPP} for a flag other than {@code
   *     IOMMU_HWPT_ALLOC_PASID} or a {@code data_type} other than {@code IOMMU_HWPT_DATA_SELFTEST};
   *     {@code EINVAL} for a {@code data_len} outside [4, 8]; {@code EFAULT} if the data cannot be
   *     read
   */
  public static MockNestedDomain alloc(
      IommuDomain parent,
      int flags,
      UserData user,
      GuestTables tables,
      List<GuestMemory> memories,
      Consumer<NestedFault> faults) {
    UapiException.check(
        (flags & ~IOMMU_HWPT_ALLOC_PASID) == 0, Errno.EOPNOTSUPP, "mock nested domain flags");
    UapiException.check(
        user.type() == IOMMU_HWPT_DATA_SELFTEST, Errno.EOPNOTSUPP, "not IOMMU_HWPT_DATA_SELFTEST");
    IommuHwptSelftest cfg =
        IommuHwptSelftest.decode(
            UserCopies.structFromUser(
                user, IOMMU_HWPT_DATA_SELFTEST, IommuHwptSelftest.SIZE, MIN_DATA_LEN));
    return new MockNestedDomain(
        new NestedTranslator(parent, Stage1Format.bypass(), tables, memories, faults), cfg.iotlb());
  }

  /**
   * Returns one entry of the mock IOTLB, as {@code iommufd_test_md_check_iotlb} reads it.
   *
   * @param id the entry, 0 to {@code MOCK_NESTED_DOMAIN_IOTLB_ID_MAX} (3)
   * @return the entry's value: the allocation's {@code iotlb}, or 0 once invalidated
   * @throws IndexOutOfBoundsException if {@code id} is outside [0, 3]
   */
  public synchronized int iotlb(int id) {
    Preconditions.checkElementIndex(id, MOCK_NESTED_DOMAIN_IOTLB_NUM);
    return iotlb[id];
  }

  /**
   * {@code mock_domain_cache_invalidate_user}: runs each {@code struct
   * iommu_hwpt_invalidate_selftest} in turn and stops at the first bad one; the entries before it
   * were executed.
   *
   * <p>Per entry: {@code entry_len} other than 8 is {@code EINVAL} ({@code
   * iommu_copy_struct_from_user_array} up to {@code iotlb_id}), an unreadable entry {@code EFAULT};
   * a flag other than {@code IOMMU_TEST_INVALIDATE_FLAG_ALL} {@code EOPNOTSUPP}; an {@code
   * iotlb_id} above {@code MOCK_NESTED_DOMAIN_IOTLB_ID_MAX} {@code EINVAL}, even with {@code
   * FLAG_ALL}. {@code FLAG_ALL} clears every entry, else entry {@code iotlb_id} is cleared.
   *
   * @return the entries handled; {@code EINVAL} with 0 for a data type other than {@code
   *     IOMMU_HWPT_INVALIDATE_DATA_SELFTEST}, even with no entries
   */
  @Override
  public synchronized HwptInvalidateResult invalidateUser(UserDataArray array) {
    if (array.type() != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
      return HwptInvalidateResult.failed(0, Errno.EINVAL);
    }
    int n = array.entryNum();
    for (int i = 0; Integer.compareUnsigned(i, n) < 0; i++) {
      IommuHwptInvalidateSelftest inv;
      try {
        inv =
            IommuHwptInvalidateSelftest.decode(
                UserCopies.entryFromUser(
                    array,
                    IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
                    i,
                    IommuHwptInvalidateSelftest.SIZE,
                    IommuHwptInvalidateSelftest.SIZE));
      } catch (UapiException e) {
        return HwptInvalidateResult.failed(i, e.errno());
      }
      if ((inv.flags() & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
        return HwptInvalidateResult.failed(i, Errno.EOPNOTSUPP);
      }
      if (Integer.compareUnsigned(inv.iotlbId(), MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) > 0) {
        return HwptInvalidateResult.failed(i, Errno.EINVAL);
      }
      if ((inv.flags() & IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
        Arrays.fill(iotlb, 0);
      } else {
        iotlb[inv.iotlbId()] = 0;
      }
    }
    return HwptInvalidateResult.ok(n);
  }
}
