package org.jvfio.core.nesting;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VTD_INV_FLAGS_LEAF;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptVtdS1;
import org.jvfio.api.iommufd.IommuHwptVtdS1Invalidate;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.NestedFault;
import org.jvfio.core.hw.NestedTranslator;
import org.jvfio.core.pt.NestedWalk;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.IommuDomain;

/**
 * An Intel VT-d nested domain: the guest's first-stage (x86-64) table at {@code pgtbl_addr} on a
 * second-stage nest parent ({@code drivers/iommu/intel/nested.c}). Dirty tracking stays with the
 * parent: its setting reaches the devices attached here (the PASID entry's SSADE follows the
 * parent, {@code intel_pasid_setup_nested} and {@code parent_domain_set_dirty_tracking}), which in
 * the model is the two-stage walk reading the parent's live state.
 *
 * <p>Not modelled: the attach-time checks against the IOMMU's capabilities ({@code addr_width} 57
 * without 5-level first-stage support, SRE or EAFE without support: {@code EINVAL}; an AGAW below
 * the parent's: {@code ENODEV}), since the vendor SPI does not expose those capabilities; the
 * {@code flags} of {@code iommu_hwpt_vtd_s1} are carried but not acted on.
 */
public final class VtdNestedDomain extends NestedDomain {
  private final IommuHwptVtdS1 data;

  private VtdNestedDomain(NestedTranslator translator, IommuHwptVtdS1 data) {
    super(translator);
    this.data = data;
  }

  /**
   * {@code intel_nested_domain_alloc}: builds the domain from {@code struct iommu_hwpt_vtd_s1}.
   *
   * @param parent the nest-parent domain, stage 2
   * @param user the driver data: {@code struct iommu_hwpt_vtd_s1}
   * @param tables the guest's table words the stage-1 walks read
   * @param memories the guest memories stage 2 translates into
   * @param faults told of every nested-translation fault
   * @return the domain, walking the first-stage table at {@code pgtbl_addr}
   * @throws UapiException in the driver's order: {@code EOPNOTSUPP} unless the type is {@code
   *     IOMMU_HWPT_DATA_VTD_S1}; {@code EINVAL} unless {@code parent} is a nest parent; {@code
   *     EINVAL} unless {@code data_len} is 24 ({@code iommu_copy_struct_from_user} up to {@code
   *     __reserved}); {@code EFAULT} if the data cannot be read
   */
  public static VtdNestedDomain alloc(
      IommuDomain parent,
      UserData user,
      GuestTables tables,
      List<GuestMemory> memories,
      Consumer<NestedFault> faults) {
    UapiException.check(
        user.type() == IOMMU_HWPT_DATA_VTD_S1, Errno.EOPNOTSUPP, "not IOMMU_HWPT_DATA_VTD_S1");
    UapiException.check(parent.config().nestParent(), Errno.EINVAL, "parent is not a nest parent");
    ByteBuffer raw =
        UserCopies.structFromUser(
            user, IOMMU_HWPT_DATA_VTD_S1, IommuHwptVtdS1.SIZE, IommuHwptVtdS1.SIZE);
    IommuHwptVtdS1 s1 = IommuHwptVtdS1.decode(raw);
    PtFormat format =
        (parent instanceof PtDomain p
                ? p.nestedStage1Format(s1.addrWidth())
                : Optional.<PtFormat>empty())
            .orElseThrow(() -> new UapiException(Errno.EINVAL, "parent is not a VT-d nest parent"));
    NestedWalk walk = NestedWalk.x86(format, s1.pgtblAddr());
    return new VtdNestedDomain(new NestedTranslator(parent, walk, tables, memories, faults), s1);
  }

  /**
   * Returns the {@code struct iommu_hwpt_vtd_s1} the domain was built from.
   *
   * @return the decoded {@code flags}, {@code pgtbl_addr}, {@code addr_width} and {@code
   *     __reserved}
   */
  public IommuHwptVtdS1 data() {
    return data;
  }

  /**
   * {@code intel_nested_cache_invalidate_user}: flushes the stage-1 caches for each entry in turn
   * and stops at the first bad one; the entries before it were executed.
   *
   * <p>Per entry: {@code entry_len} outside {@code [24, 24]} is {@code EINVAL}, an unreadable entry
   * {@code EFAULT}; a flag other than {@code IOMMU_VTD_INV_FLAGS_LEAF} or a non-zero {@code
   * __reserved} {@code EOPNOTSUPP}; an {@code addr} not 4 KiB aligned, or {@code npages == U64_MAX}
   * with {@code addr != 0}, {@code EINVAL}. {@code {addr 0, npages U64_MAX}} flushes everything; a
   * range that wraps is flushed whole, as the driver falls back to a domain-selective flush.
   *
   * @return the entries handled; {@code EINVAL} with 0 for a data type other than {@code
   *     IOMMU_HWPT_INVALIDATE_DATA_VTD_S1}, even with no entries
   */
  @Override
  public HwptInvalidateResult invalidateUser(UserDataArray array) {
    if (array.type() != IOMMU_HWPT_INVALIDATE_DATA_VTD_S1) {
      return HwptInvalidateResult.failed(0, Errno.EINVAL);
    }
    return UserCopies.eachEntry(
        array,
        IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
        IommuHwptVtdS1Invalidate.SIZE,
        IommuHwptVtdS1Invalidate.SIZE,
        entry -> {
          IommuHwptVtdS1Invalidate inv = IommuHwptVtdS1Invalidate.decode(entry);
          UapiException.check(
              (inv.flags() & ~IOMMU_VTD_INV_FLAGS_LEAF) == 0 && inv.reserved() == 0,
              Errno.EOPNOTSUPP,
              "invalidation flags or __reserved");
          long npages = inv.npages();
          UapiException.check(
              (inv.addr() & 0xFFF) == 0 && (npages != -1L || inv.addr() == 0),
              Errno.EINVAL,
              "misaligned addr, or npages U64_MAX from a non-zero addr");
          if (npages == -1L || Long.compareUnsigned(npages, 1L << 52) >= 0) {
            translator().invalidateAll();
          } else {
            translator().invalidateRange(inv.addr(), npages << 12);
          }
        });
  }
}
