package org.jvfio.core.nesting;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_ARM_SMMUV3;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptArmSmmuv3;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.NestedFault;
import org.jvfio.core.hw.NestedTranslator;
import org.jvfio.core.hw.Stage1Format;
import org.jvfio.core.pt.NestedWalk;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.spi.IommuDomain;

/**
 * An Arm SMMUv3 nested domain: the guest's stream table entry (vSTE) on a vIOMMU whose parent is
 * the stage-2 nest parent ({@code drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c}, {@code
 * arm_vsmmu_alloc_domain_nested}). The vSTE's Cfg selects stage-1 translation through the context
 * descriptor at S1ContextPtr, bypass (the device translates as the parent), or abort; a vSTE
 * without V aborts.
 *
 * <p>The model reads context descriptor 0 of a linear table at S1ContextPtr (substream 0); it does
 * not walk two-level CD tables (S1Fmt) or several substreams (S1CDMax). Nested domains have no
 * {@code cache_invalidate_user}: the guest invalidates through the vIOMMU ({@link Vsmmu}).
 */
public final class SmmuV3NestedDomain extends NestedDomain {
  static final long STE0_V = 1L;
  static final int STE0_CFG_SHIFT = 1;
  static final long STE0_S1CTXPTR = 0x000F_FFFF_FFFF_FFC0L; // bits 51:6
  static final long STE0_ALLOWED = 0xF800_0000_0000_0000L | STE0_S1CTXPTR | 0x3FL; // + CDMax 63:59
  static final int STE1_EATS_SHIFT = 28;
  static final long STE1_EATS = 3L << STE1_EATS_SHIFT;
  static final long STE1_ALLOWED = 0xFFL | (1L << 27) | STE1_EATS; // S1DSS/CIR/COR/CSH, STALLD

  /** {@code STRTAB_STE_0_CFG_*}. */
  static final int CFG_ABORT = 0;

  static final int CFG_BYPASS = 4;
  static final int CFG_S1_TRANS = 5;

  private final IommuHwptArmSmmuv3 ste;
  private final boolean enableAts;

  private SmmuV3NestedDomain(NestedTranslator t, IommuHwptArmSmmuv3 ste, boolean enableAts) {
    super(t);
    this.ste = ste;
    this.enableAts = enableAts;
  }

  /**
   * {@code arm_vsmmu_alloc_domain_nested}: builds the domain from {@code struct
   * iommu_hwpt_arm_smmuv3} ({@code arm_smmu_validate_vste}).
   *
   * @param vsmmu the vIOMMU the domain is allocated on; its nest parent is stage 2
   * @param user the driver data: {@code struct iommu_hwpt_arm_smmuv3}
   * @param tables the guest's table words the stage-1 walks read
   * @param memories the guest memories stage 2 translates into
   * @param faults told of every nested-translation fault
   * @param flags the allocation flags without {@code IOMMU_HWPT_FAULT_ID_VALID}
   * @return the domain, with the vSTE as kept
   * @throws UapiException in the driver's order: {@code EOPNOTSUPP} for any flag; {@code EINVAL}
   *     unless the type is {@code IOMMU_HWPT_DATA_ARM_SMMUV3} and {@code data_len} is 16; {@code
   *     EFAULT} if the data cannot be read; {@code EIO} for a valid vSTE with a bit outside the
   *     allowed fields, a Cfg other than abort, bypass or stage-1 translate, or an EATS other than
   *     abort or translate
   */
  public static SmmuV3NestedDomain alloc(
      Vsmmu vsmmu,
      int flags,
      UserData user,
      GuestTables tables,
      List<GuestMemory> memories,
      Consumer<NestedFault> faults) {
    UapiException.check(flags == 0, Errno.EOPNOTSUPP, "nested SMMUv3 domain flags");
    IommuHwptArmSmmuv3 arg =
        IommuHwptArmSmmuv3.decode(
            UserCopies.structFromUser(
                user,
                IOMMU_HWPT_DATA_ARM_SMMUV3,
                IommuHwptArmSmmuv3.SIZE,
                IommuHwptArmSmmuv3.SIZE));
    long ste0 = arg.ste0();
    long ste1 = arg.ste1();
    boolean ats = false;
    if ((ste0 & STE0_V) == 0) {
      ste0 = 0;
      ste1 = 0;
    } else {
      UapiException.check(
          (ste0 & ~STE0_ALLOWED) == 0 && (ste1 & ~STE1_ALLOWED) == 0,
          Errno.EIO,
          "vSTE has a field nesting does not allow");
      int cfg = cfg(ste0);
      UapiException.check(
          cfg == CFG_ABORT || cfg == CFG_BYPASS || cfg == CFG_S1_TRANS, Errno.EIO, "vSTE Cfg");
      long eats = (ste1 & STE1_EATS) >>> STE1_EATS_SHIFT;
      UapiException.check(eats == 0 || eats == 1, Errno.EIO, "vSTE EATS");
      ats = cfg == CFG_S1_TRANS && eats == 1;
      ste1 &= ~STE1_EATS;
    }
    Stage1Format format;
    switch ((ste0 & STE0_V) == 0 ? CFG_ABORT : cfg(ste0)) {
      case CFG_S1_TRANS:
        IommuDomain parent = vsmmu.parent();
        format =
            NestedWalk.armContextDescriptor(
                inputBits ->
                    parent instanceof PtDomain p
                        ? p.nestedStage1Format(inputBits)
                        : Optional.empty(),
                ste0 & STE0_S1CTXPTR);
        break;
      case CFG_BYPASS:
        format = Stage1Format.bypass();
        break;
      default:
        format = Stage1Format.abort();
        break;
    }
    NestedTranslator t = new NestedTranslator(vsmmu.parent(), format, tables, memories, faults);
    SmmuV3NestedDomain d = new SmmuV3NestedDomain(t, new IommuHwptArmSmmuv3(ste0, ste1), ats);
    vsmmu.add(d);
    return d;
  }

  private static int cfg(long ste0) {
    return (int) ((ste0 >>> STE0_CFG_SHIFT) & 7);
  }

  /**
   * Returns the vSTE as kept (zeroed when not valid, EATS cleared).
   *
   * @return the two vSTE words kept: zeros for an invalid vSTE, EATS cleared otherwise
   */
  public IommuHwptArmSmmuv3 ste() {
    return ste;
  }

  /**
   * Returns whether the vSTE asked for ATS (Cfg stage-1 translate with EATS = translate).
   *
   * @return true for Cfg stage-1 translate with EATS = translate
   */
  public boolean enableAts() {
    return enableAts;
  }

  /**
   * Returns whether the vSTE translates through stage 1: attaching a device then needs a vDEVICE of
   * it in the vIOMMU ({@code arm_smmu_attach_prepare_vmaster}).
   *
   * @return true if the stage-1 format reads an Arm context descriptor
   */
  public boolean translatesStage1() {
    return translator().format().walksTable();
  }

  /** SMMUv3 nested domains have no {@code cache_invalidate_user}: {@code EOPNOTSUPP}, 0. */
  @Override
  public HwptInvalidateResult invalidateUser(UserDataArray array) {
    return HwptInvalidateResult.failed(0, Errno.EOPNOTSUPP);
  }
}
