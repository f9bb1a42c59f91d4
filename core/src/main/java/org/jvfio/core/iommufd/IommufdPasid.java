package org.jvfio.core.iommufd;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.IommufdContext.Device;
import org.jvfio.core.iommufd.IommufdContext.HwPagetable;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * The PASID attachments of one iommufd context's devices: which HWPT each PASID of a device
 * translates through, as {@code iommufd_device_attach}, {@code iommufd_device_replace} and {@code
 * iommufd_device_detach} with a PASID keep them ({@code drivers/iommu/iommufd/device.c}, the
 * per-group {@code pasid_attach} xarray) over {@code iommu_attach_device_pasid} and {@code
 * iommu_replace_device_pasid} ({@code drivers/iommu/iommu.c}).
 *
 * <p>jvfio's devices are single-device groups, so a group's attachments are its device's. PASID
 * {@link #IOMMU_NO_PASID} is the device's ordinary attachment ({@link IommufdContext#attach}).
 *
 * <p><b>Rules, in the kernel's order.</b> The {@code pt_id} must exist ({@code ENOENT}) and be a
 * HWPT or an IOAS ({@code EINVAL}); a PASID already attached cannot be attached again ({@code
 * EBUSY}); then {@code iommufd_hwpt_pasid_compat}: a HWPT reached through a PASID, paging or
 * nested, must have been allocated with {@code IOMMU_HWPT_ALLOC_PASID}, and so must the device's
 * {@code IOMMU_NO_PASID} HWPT if it has one ({@code EINVAL}; auto domains never are, so an IOAS
 * {@code pt_id} is always {@code EINVAL}); conversely {@link IommufdContext#attach} refuses a
 * paging or nested HWPT without the flag while PASIDs are attached. Then {@code
 * iommu_attach_device_pasid}: the domain must belong to the device's IOMMU driver ({@code EINVAL};
 * every mock device shares the mock's ops) and a device that supports PASIDs takes only PASIDs
 * below its {@code max_pasids} ({@code EINVAL}); a device without PASID support ({@code max_pasids}
 * 0) is not checked, as since the kernel's "iommu: Skip PASID validation for devices without PASID
 * capability". Replace needs the PASID attached ({@code EINVAL}), does nothing for the same HWPT,
 * and otherwise checks as attach. Detach of a PASID that is not attached does nothing. A paging or
 * nested HWPT with PASIDs attached cannot be destroyed ({@code EBUSY}); an IO page fault at a PASID
 * goes to the fault queue of the HWPT attached there. Unbinding a device detaches its PASIDs first,
 * as VFIO's unbind does.
 *
 * <p><b>The mock's {@code set_dev_pasid}.</b> For the mock IOMMU this models {@code
 * mock_domain_set_dev_pasid_nop} of {@code drivers/iommu/iommufd/selftest.c}, the {@code
 * set_dev_pasid} of its paging and its nested domains alike: PASID 1024 succeeds on every other
 * attach or replace and fails the next with {@code ENOMEM} (the selftest's rollback case: a failed
 * replace leaves the old HWPT attached); detaching it resets the turn. The kernel keeps that turn
 * in one module-wide flag; jvfio keeps it per context.
 *
 * <p><b>Vendor drivers.</b> Only the mock's domains, paging or nested (on a nest parent or on the
 * mock vIOMMU), can be allocated with {@code IOMMU_HWPT_ALLOC_PASID} (the vendor drivers answer
 * {@code EOPNOTSUPP}; see {@code docs/fidelity.md}), so only mock devices attach PASIDs.
 *
 * <p>Thread-safety: every method runs under the context's lock.
 */
public final class IommufdPasid {
  /** {@code IOMMU_NO_PASID}: PASID 0, the device's ordinary attachment. */
  public static final int IOMMU_NO_PASID = 0;

  /** The PASID whose every other attach the mock's {@code set_dev_pasid} fails. */
  static final int MOCK_PASID_FAILS_EVERY_OTHER = 1024;

  private final IommufdContext ctx;
  private final Map<Device, TreeMap<Integer, HwPagetable>> attached = new HashMap<>();
  private final Map<Device, Integer> maxPasids = new HashMap<>();
  private boolean pasid1024Attached; // the mock's pasid_1024_attached

  IommufdPasid(IommufdContext ctx) {
    this.ctx = ctx;
  }

  /** Whether {@code iommu} is the mock IOMMU, whose domains take {@code IOMMU_HWPT_ALLOC_PASID}. */
  static boolean isMock(IommuDriver iommu) {
    return iommu instanceof MockIommuDriver;
  }

  /**
   * Sets how many PASIDs a bound device supports ({@code dev->iommu->max_pasids}): 0 (the default)
   * for a device without PASID support; {@code 1 << 20} for the selftest's {@code
   * MOCK_FLAGS_DEVICE_PASID} device ({@code MOCK_PASID_WIDTH} 20).
   *
   * @param devId a bound device id
   * @param count the number of PASIDs, from 0
   * @throws UapiException {@code ENOENT} for a bad device
   * @throws IllegalArgumentException if {@code count} is negative
   */
  public void setMaxPasids(int devId, int count) {
    if (count < 0) {
      throw new IllegalArgumentException("max_pasids " + count);
    }
    synchronized (ctx.lock) {
      maxPasids.put(ctx.device(devId), count);
    }
  }

  /**
   * Returns {@code dev->iommu->max_pasids} of a bound device, 0 without PASID support.
   *
   * @param devId a bound device id
   * @return the number of PASIDs the device supports
   * @throws UapiException {@code ENOENT} for a bad device
   */
  public int maxPasids(int devId) {
    synchronized (ctx.lock) {
      return maxPasids.getOrDefault(ctx.device(devId), 0);
    }
  }

  /**
   * {@code iommufd_device_attach(idev, pasid, &pt_id)}: attaches {@code pasid} of a device to a
   * HWPT. PASID 0 ({@link #IOMMU_NO_PASID}) is the ordinary attach of a device not yet attached.
   *
   * @param devId a bound device id
   * @param pasid the PASID, a u32
   * @param ptId the HWPT (or IOAS) id
   * @return the attached HWPT id ({@code pt_id} as written back)
   * @throws UapiException as the class describes: {@code ENOENT} for a bad device or {@code ptId};
   *     {@code EINVAL} for a {@code ptId} that is neither HWPT nor IOAS; {@code EBUSY} if the PASID
   *     is attached already; {@code EINVAL} for PASID incompatibility, another IOMMU's domain or a
   *     PASID out of the device's range; {@code ENOMEM} for the mock's failing turn of PASID 1024;
   *     for PASID 0 as {@link IommufdContext#attach}
   */
  public int attach(int devId, int pasid, int ptId) {
    synchronized (ctx.lock) {
      Device dev = ctx.device(devId);
      HwPagetable target = pasidHwpt(ptId);
      if (pasid == IOMMU_NO_PASID) {
        UapiException.check(
            dev.hwpt == null && dev.nested == null, Errno.EBUSY, "device is attached");
        return ctx.attach(devId, ptId);
      }
      TreeMap<Integer, HwPagetable> mine = attached.get(dev);
      UapiException.check(
          mine == null || !mine.containsKey(pasid), Errno.EBUSY, "PASID is attached");
      checkPasidCompat(dev, target);
      checkDevicePasid(dev, target, pasid);
      setDevPasid(dev, pasid);
      ctx.faults().entered(dev, target.fault);
      attached.computeIfAbsent(dev, d -> new TreeMap<>()).put(pasid, target);
      target.pasidUsers++;
      return target.id;
    }
  }

  /**
   * {@code iommufd_device_replace(idev, pasid, &pt_id)}: moves an attached {@code pasid} of a
   * device to another HWPT; if it fails the old HWPT stays attached. PASID 0 replaces the device's
   * ordinary attachment.
   *
   * @param devId a bound device id
   * @param pasid the PASID, a u32
   * @param ptId the new HWPT (or IOAS) id
   * @return the attached HWPT id
   * @throws UapiException as {@link #attach}, except that a PASID not attached is {@code EINVAL}
   *     and an attached one is no error; replacing a HWPT by itself does nothing
   */
  public int replace(int devId, int pasid, int ptId) {
    synchronized (ctx.lock) {
      Device dev = ctx.device(devId);
      HwPagetable target = pasidHwpt(ptId);
      if (pasid == IOMMU_NO_PASID) {
        UapiException.check(
            dev.hwpt != null || dev.nested != null, Errno.EINVAL, "device is not attached");
        return ctx.attach(devId, ptId);
      }
      TreeMap<Integer, HwPagetable> mine = attached.get(dev);
      HwPagetable old = mine == null ? null : mine.get(pasid);
      UapiException.check(old != null, Errno.EINVAL, "PASID is not attached");
      if (old == target) {
        return target.id;
      }
      checkPasidCompat(dev, target);
      checkOwner(dev, target);
      setDevPasid(dev, pasid);
      ctx.faults().entered(dev, target.fault);
      mine.put(pasid, target);
      old.pasidUsers--;
      target.pasidUsers++;
      ctx.faults().left(dev, pasid, old.fault);
      return target.id;
    }
  }

  /**
   * {@code iommufd_device_detach(idev, pasid)}: detaches {@code pasid} of a device; a PASID that is
   * not attached is left alone. PASID 0 detaches the ordinary attachment.
   *
   * @param devId a bound device id
   * @param pasid the PASID, a u32
   * @throws UapiException {@code ENOENT} for a bad device
   */
  public void detach(int devId, int pasid) {
    synchronized (ctx.lock) {
      Device dev = ctx.device(devId);
      if (pasid == IOMMU_NO_PASID) {
        ctx.detach(devId);
        return;
      }
      TreeMap<Integer, HwPagetable> mine = attached.get(dev);
      HwPagetable old = mine == null ? null : mine.remove(pasid);
      if (old != null) {
        old.pasidUsers--;
        blockDevPasid(dev, pasid);
        ctx.faults().left(dev, pasid, old.fault);
        if (mine.isEmpty()) {
          attached.remove(dev);
        }
      }
    }
  }

  /**
   * {@code IOMMU_TEST_OP_PASID_CHECK_HWPT} ({@code iommufd_test_pasid_check_hwpt} of {@code
   * drivers/iommu/iommufd/selftest.c}): checks that {@code pasid} of a device is attached to the
   * HWPT {@code hwptId} or, for {@code hwptId} 0, to nothing. For PASID 0 the device's ordinary
   * attachment is checked.
   *
   * @param devId a bound device id
   * @param pasid the PASID, a u32
   * @param hwptId the expected HWPT (paging or nested) id, or 0 for none
   * @throws UapiException {@code ENOENT} for a bad device or a {@code hwptId} with no object;
   *     {@code EINVAL} for a {@code hwptId} that is not a HWPT, or if the PASID's attachment is
   *     another
   */
  public void checkHwpt(int devId, int pasid, int hwptId) {
    synchronized (ctx.lock) {
      Device dev = ctx.device(devId);
      HwPagetable now = attachedHwpt(dev, pasid);
      if (hwptId == 0) {
        UapiException.check(now == null, Errno.EINVAL, "PASID is attached");
        return;
      }
      IommufdContext.Obj want = ctx.objects.get(hwptId);
      UapiException.check(want != null, Errno.ENOENT, "no object " + hwptId);
      UapiException.check(want instanceof HwPagetable, Errno.EINVAL, "not a HWPT: " + hwptId);
      UapiException.check(now == want, Errno.EINVAL, "PASID is attached elsewhere");
    }
  }

  // --- for IommufdContext -----------------------------------------------------------------------

  /**
   * {@code iommufd_hwpt_pasid_compat} for {@code IOMMU_NO_PASID}: a device with PASIDs attached
   * takes only a PASID-compatible HWPT, when {@code changes} (attaching the HWPT it has is no
   * change).
   */
  void checkNoPasidCompat(Device dev, boolean changes, boolean pasidCompat) {
    UapiException.check(
        !changes || pasidCompat || !attached.containsKey(dev),
        Errno.EINVAL,
        "PASIDs are attached and the HWPT was not allocated with IOMMU_HWPT_ALLOC_PASID");
  }

  /**
   * The paging or nested HWPT attached at {@code pasid} of {@code dev}, or null; at {@link
   * #IOMMU_NO_PASID} the device's own (its nested HWPT, if it has one).
   */
  HwPagetable attachedHwpt(Device dev, int pasid) {
    if (pasid == IOMMU_NO_PASID) {
      return dev.nested != null ? dev.nested : dev.hwpt;
    }
    TreeMap<Integer, HwPagetable> mine = attached.get(dev);
    return mine == null ? null : mine.get(pasid);
  }

  /** Detaches every PASID of a device that is being unbound. */
  void unbind(Device dev) {
    TreeMap<Integer, HwPagetable> mine = attached.remove(dev);
    if (mine != null) {
      mine.forEach(
          (pasid, h) -> {
            h.pasidUsers--;
            blockDevPasid(dev, pasid);
            ctx.faults().left(dev, pasid, h.fault);
          });
    }
    maxPasids.remove(dev);
  }

  /** The device's PASID attachments and width, for {@link IommufdContext#snapshot}. */
  String describe(Device dev) {
    StringBuilder b = new StringBuilder(" max_pasids=").append(maxPasids.getOrDefault(dev, 0));
    TreeMap<Integer, HwPagetable> mine = attached.get(dev);
    if (mine != null) {
      mine.forEach((pasid, h) -> b.append(" pasid").append(pasid).append('=').append(h.id));
    }
    return b.toString();
  }

  // --- the checks -------------------------------------------------------------------------------

  /**
   * {@code iommufd_device_change_pt}'s lookup: {@code ENOENT} for no object, {@code EINVAL} for one
   * that is neither HWPT nor IOAS; the paging or nested HWPT, or null for an IOAS (whose auto
   * domain is never PASID-compatible).
   */
  private HwPagetable pasidHwpt(int ptId) {
    IommufdContext.Obj pt = ctx.objects.get(ptId);
    UapiException.check(pt != null, Errno.ENOENT, "no object " + ptId);
    if (pt instanceof HwPagetable) {
      return (HwPagetable) pt;
    }
    UapiException.check(ctx.isIoas(pt), Errno.EINVAL, "pt_id " + ptId + " is not an IOAS or HWPT");
    return null;
  }

  /** {@code iommufd_hwpt_pasid_compat} for a PASID other than {@code IOMMU_NO_PASID}. */
  private void checkPasidCompat(Device dev, HwPagetable target) {
    UapiException.check(
        target != null && target.pasidCompat,
        Errno.EINVAL,
        "HWPT not allocated with IOMMU_HWPT_ALLOC_PASID");
    HwPagetable rid = attachedHwpt(dev, IOMMU_NO_PASID);
    UapiException.check(
        rid == null || rid.pasidCompat,
        Errno.EINVAL,
        "the device's IOMMU_NO_PASID HWPT is not PASID-compatible");
  }

  /** {@code iommu_attach_device_pasid}'s checks of the domain and the PASID. */
  private void checkDevicePasid(Device dev, HwPagetable target, int pasid) {
    checkOwner(dev, target);
    int max = maxPasids.getOrDefault(dev, 0);
    UapiException.check(
        max == 0 || Integer.compareUnsigned(pasid, max) < 0,
        Errno.EINVAL,
        "PASID " + Integer.toUnsignedString(pasid) + " beyond max_pasids " + max);
  }

  /** {@code domain->owner == dev_iommu_ops(dev)}: the mock devices share {@code mock_ops}. */
  private static void checkOwner(Device dev, HwPagetable target) {
    IommuDriver owner = target.owner();
    UapiException.check(
        owner.equals(dev.iommu) || (isMock(owner) && isMock(dev.iommu)),
        Errno.EINVAL,
        "HWPT of another IOMMU driver");
  }

  /**
   * The driver's {@code set_dev_pasid} to a paging or nested domain: the mock's PASID 1024 turn
   * (its nested domains' {@code set_dev_pasid} is the same {@code mock_domain_set_dev_pasid_nop}).
   */
  private void setDevPasid(Device dev, int pasid) {
    if (pasid == MOCK_PASID_FAILS_EVERY_OTHER && isMock(dev.iommu)) {
      if (pasid1024Attached) {
        pasid1024Attached = false;
        throw new UapiException(Errno.ENOMEM, "the mock fails this attach of PASID 1024");
      }
      pasid1024Attached = true;
    }
  }

  /** The blocked domain's {@code set_dev_pasid} (detach). */
  private void blockDevPasid(Device dev, int pasid) {
    if (pasid == MOCK_PASID_FAILS_EVERY_OTHER && isMock(dev.iommu)) {
      pasid1024Attached = false;
    }
  }
}
