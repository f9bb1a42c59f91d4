package org.jvfio.core.nesting;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongPredicate;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;

/**
 * The Arm SMMUv3 vIOMMU driver object ({@code struct arm_vsmmu}): the physical SMMU, the stage-2
 * nest parent, the nested domains built on it, and the guest's command-queue invalidations ({@code
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3-iommufd.c}, {@code arm_vsmmu_cache_invalidate}).
 *
 * <p>Thread-safety: control-plane calls are serialised by the iommufd context; the list of nested
 * domains is safe to read from DMA threads.
 */
public final class Vsmmu {
  /** {@code CMDQ_OP_*} opcodes (bits 7:0 of command word 0) a guest may issue. */
  static final int CFGI_CD = 0x05;

  static final int CFGI_CD_ALL = 0x06;
  static final int TLBI_NH_ALL = 0x10;
  static final int TLBI_NH_ASID = 0x11;
  static final int TLBI_NH_VA = 0x12;
  static final int TLBI_NH_VAA = 0x13;
  static final int TLBI_NSNH_ALL = 0x30;
  static final int ATC_INV = 0x40;

  /** {@code CMDQ_BATCH_ENTRIES} on a 64-bit kernel: commands go out in batches of 63. */
  static final int BATCH = 64 - 1;

  /** {@code KMALLOC_MAX_SIZE} with 4 KiB pages and {@code MAX_PAGE_ORDER} 10: 4 MiB. */
  static final long KMALLOC_MAX_SIZE = 4L << 20;

  private final IommuDriver iommu;
  private final IommuDomain parent;
  private final List<SmmuV3NestedDomain> domains = new CopyOnWriteArrayList<>();

  /**
   * {@code arm_vsmmu_init}: a vIOMMU of {@code iommu} on the stage-2 {@code parent}.
   *
   * @param iommu the physical SMMU instance
   * @param parent the nest-parent domain, which must belong to {@code iommu}
   * @throws UapiException {@code EINVAL} if {@code parent} belongs to another SMMU instance
   */
  public Vsmmu(IommuDriver iommu, IommuDomain parent) {
    UapiException.check(parent.driver().equals(iommu), Errno.EINVAL, "parent of another SMMU");
    this.iommu = iommu;
    this.parent = parent;
  }

  /**
   * Returns the physical SMMU instance.
   *
   * @return the SMMU instance given at creation
   */
  public IommuDriver iommu() {
    return iommu;
  }

  /**
   * Returns the stage-2 nest parent.
   *
   * @return the nest-parent domain given at creation
   */
  public IommuDomain parent() {
    return parent;
  }

  void add(SmmuV3NestedDomain d) {
    domains.add(d);
  }

  /**
   * Forgets a nested domain that was destroyed.
   *
   * @param d a nested domain allocated on this vIOMMU
   */
  public void remove(SmmuV3NestedDomain d) {
    domains.remove(d);
  }

  /**
   * {@code arm_vsmmu_cache_invalidate}: copies the whole array of 128-bit commands, then converts
   * and issues them in batches of 63; issued TLB invalidations drop the nested domains' cached
   * translations (all of them for {@code TLBI_NH_ALL}, {@code TLBI_NSNH_ALL} and {@code
   * TLBI_NH_ASID}, the leaves covering the address or range for {@code TLBI_NH_VA(A)}); {@code
   * ATC_INV} and {@code CFGI_CD(_ALL)} change nothing in the model (no ATC, no CD cache) but their
   * vSID must name a vDEVICE.
   *
   * <p><b>Upstream quirk, modelled.</b> A command that cannot be converted stops the call with
   * {@code EIO} and {@code entry_num} set to its index, yet the commands of its unfinished batch
   * before it were converted but never issued: only whole batches of 63 before it took effect.
   *
   * @param array the commands, of type {@code IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3}
   * @param vsidKnown whether a vSID (command word 0 bits 63:32) names a vDEVICE of this vIOMMU
   * @return the count the kernel reports and the error: {@code ENOMEM} with 0 if {@code entry_num *
   *     16} exceeds {@code KMALLOC_MAX_SIZE}; {@code EINVAL} with 0 for another data type or no
   *     entries; {@code EFAULT} or {@code E2BIG} with 0 if the array cannot be copied; {@code EIO}
   *     at the first command that is not one of those above or names an unknown vSID
   */
  public HwptInvalidateResult cacheInvalidate(UserDataArray array, LongPredicate vsidKnown) {
    long n = Integer.toUnsignedLong(array.entryNum());
    if (n * 16 > KMALLOC_MAX_SIZE) {
      return HwptInvalidateResult.failed(0, Errno.ENOMEM);
    }
    if (array.type() != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 || n == 0) {
      return HwptInvalidateResult.failed(0, Errno.EINVAL);
    }
    long[] cmds = new long[(int) n * 2];
    try {
      if (Integer.toUnsignedLong(array.entryLen()) == 16) {
        UapiException.check(array.readable(0, n * 16), Errno.EFAULT, "command array unreadable");
      }
      for (int i = 0; i < n; i++) {
        var entry = UserCopies.entryStructFromUser(array, i, 16);
        cmds[2 * i] = entry.getLong();
        cmds[2 * i + 1] = entry.getLong();
      }
    } catch (UapiException e) {
      return HwptInvalidateResult.failed(0, e.errno());
    }
    int last = 0;
    for (int cur = 0; cur < n; cur++) {
      if (!convertible(cmds[2 * cur], vsidKnown)) {
        return HwptInvalidateResult.failed(cur, Errno.EIO); // [last, cur) never issued
      }
      if (cur + 1 != n && cur + 1 - last != BATCH) {
        continue;
      }
      for (int i = last; i <= cur; i++) {
        issue(cmds[2 * i], cmds[2 * i + 1]);
      }
      last = cur + 1;
    }
    return HwptInvalidateResult.ok((int) n);
  }

  /** {@code arm_vsmmu_convert_user_cmd}: whether the command is allowed and its vSID resolves. */
  private static boolean convertible(long cmd0, LongPredicate vsidKnown) {
    switch ((int) (cmd0 & 0xFF)) {
      case TLBI_NSNH_ALL:
      case TLBI_NH_VA:
      case TLBI_NH_VAA:
      case TLBI_NH_ALL:
      case TLBI_NH_ASID:
        return true;
      case ATC_INV:
      case CFGI_CD:
      case CFGI_CD_ALL:
        return vsidKnown.test(cmd0 >>> 32);
      default:
        return false;
    }
  }

  private void issue(long cmd0, long cmd1) {
    int op = (int) (cmd0 & 0xFF);
    if (op == TLBI_NH_VA || op == TLBI_NH_VAA) {
      long addr = cmd1 & ~0xFFFL;
      int tg = (int) ((cmd1 >>> 10) & 3);
      long length = 4096;
      if (tg != 0) { // a range: (NUM + 1) << SCALE granules of 4, 16 or 64 KiB
        long num = (cmd0 >>> 12) & 0x1F;
        long scale = (cmd0 >>> 20) & 0x1F;
        long granule = tg == 1 ? 4096 : tg == 2 ? 16384 : 65536;
        length = ((num + 1) << scale) * granule;
      }
      for (SmmuV3NestedDomain d : domains) {
        d.translator().invalidateRange(addr, length);
      }
    } else if (op == TLBI_NH_ALL || op == TLBI_NSNH_ALL || op == TLBI_NH_ASID) {
      for (SmmuV3NestedDomain d : domains) {
        d.translator().invalidateAll();
      }
    }
  }
}
