package org.jvfio.core.iommufd;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VEVENTQ_TYPE_DEFAULT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_DEFAULT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_TYPE_SELFTEST;

import com.google.common.collect.ImmutableList;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.NestedFault;
import org.jvfio.core.hw.NestedTranslator;
import org.jvfio.core.iommufd.IommufdContext.Device;
import org.jvfio.core.iommufd.IommufdContext.Hwpt;
import org.jvfio.core.iommufd.IommufdContext.Obj;
import org.jvfio.core.nesting.HwptInvalidateResult;
import org.jvfio.core.nesting.MockNestedDomain;
import org.jvfio.core.nesting.MockViommu;
import org.jvfio.core.nesting.NestedDomain;
import org.jvfio.core.nesting.SmmuV3NestedDomain;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.nesting.UserDataArray;
import org.jvfio.core.nesting.Vsmmu;
import org.jvfio.core.nesting.VtdNestedDomain;
import org.jvfio.core.spi.IommuDriver;

/**
 * Nested translation and the vIOMMU in one iommufd context: nested HWPTs, vIOMMUs and vDEVICEs in
 * the context's object table, and the ioctls that only they have ({@code IOMMU_HWPT_INVALIDATE},
 * {@code IOMMU_VIOMMU_ALLOC}, {@code IOMMU_VDEVICE_ALLOC}); the generic checks of {@code
 * drivers/iommu/iommufd/hw_pagetable.c} and {@code viommu.c} in the kernel's order. A nested HWPT
 * is allocated with {@link IommufdContext#hwptAlloc(HwptAlloc, UserData)} on a nest-parent HWPT
 * (Intel VT-d, the selftest's mock IOMMU) or a vIOMMU (Arm SMMUv3, the mock's), attached with
 * {@link IommufdContext#attach}, destroyed with {@link IommufdContext#destroy}; a device attached
 * to it DMAs through the two-stage walk ({@link NestedTranslator}) with {@link
 * IommufdContext#dmaWrite}.
 *
 * <p>{@code IOMMU_HWPT_ALLOC_PASID} makes a nested HWPT PASID-compatible ({@code pasid_compat}):
 * {@link IommufdPasid} attaches it at a PASID, as a paging one. The core takes the flag on both
 * paths; of the drivers only the selftest's mock does ({@code mock_domain_alloc_nested}, {@code
 * mock_viommu_alloc_domain_nested}); SMMUv3 refuses it ({@code arm_vsmmu_alloc_domain_nested},
 * {@code EOPNOTSUPP}), and so does jvfio's VT-d, which models no PASID attach (the kernel's {@code
 * intel_iommu_domain_alloc_nested} takes it; see {@code docs/fidelity.md}).
 *
 * <p>Dirty tracking is set and read on the nest parent only: {@code IOMMU_HWPT_SET_DIRTY_TRACKING}
 * and {@code IOMMU_HWPT_GET_DIRTY_BITMAP} find paging HWPTs only, so a nested HWPT or vIOMMU id is
 * {@code ENOENT} for both; the bitmap is indexed by the parent's IOVA, the guest-physical address.
 * A guest's stage-1 changes never unmap anything from the parent, so they cannot lose a dirty bit.
 *
 * <p>A vIOMMU's event queues ({@code IOMMU_VEVENTQ_ALLOC}, one per event type, {@link Veventq})
 * receive the events its driver reports; the kernel layer gives each its fd.
 *
 * <p>Destroy rules: a nest parent with nested HWPTs or vIOMMUs on it, a vIOMMU with nested HWPTs,
 * vDEVICEs or vEVENTQs, a nested HWPT with attached devices or PASIDs and a vEVENTQ whose fd is
 * open are {@code EBUSY}. Unbinding a device destroys its vDEVICE and leaves the vDEVICE's id taken
 * and not destroyable ({@code ENOENT}), as the kernel tombstones it.
 *
 * <p>Thread-safety: every method is serialised on the context's lock.
 */
public final class IommufdNesting {
  private static final int FAULT_LOG = 1024;

  private final IommufdContext ctx;
  private final ArrayDeque<NestedFault> faults = new ArrayDeque<>();

  /** A nested HWPT ({@code IOMMUFD_OBJ_HWPT_NESTED}). */
  static final class NestedHwpt extends IommufdContext.HwPagetable {
    final Hwpt parent;
    final Viommu viommu; // null when allocated on the parent HWPT
    final NestedDomain domain;
    final Set<Device> devices = new LinkedHashSet<>();

    NestedHwpt(int id, Hwpt parent, Viommu viommu, NestedDomain domain) {
      super(id);
      this.parent = parent;
      this.viommu = viommu;
      this.domain = domain;
    }

    /** The nested domain's owner: the vIOMMU's IOMMU, or the parent's ({@code domain->owner}). */
    @Override
    IommuDriver owner() {
      return viommu != null ? viommu.iommu : parent.domain.driver();
    }
  }

  /** A vIOMMU ({@code IOMMUFD_OBJ_VIOMMU}): an SMMUv3 one ({@code vsmmu}) or the mock's. */
  static final class Viommu extends Obj {
    final Hwpt parent;
    final IommuDriver iommu;
    final Vsmmu vsmmu; // null for the mock's
    final MockViommu mock; // null for an SMMUv3 one
    final Map<Long, Vdevice> byVirtId = new HashMap<>();
    final Map<Integer, VeventqObj> veventqs = new HashMap<>(); // by type
    int nested;

    Viommu(int id, Hwpt parent, IommuDriver iommu, Vsmmu vsmmu, MockViommu mock) {
      super(id);
      this.parent = parent;
      this.iommu = iommu;
      this.vsmmu = vsmmu;
      this.mock = mock;
    }
  }

  /** A vEVENTQ ({@code IOMMUFD_OBJ_VEVENTQ}) of a vIOMMU. */
  static final class VeventqObj extends Obj {
    final Viommu viommu;
    final Veventq queue;

    VeventqObj(int id, Viommu viommu, Veventq queue) {
      super(id);
      this.viommu = viommu;
      this.queue = queue;
    }
  }

  /** A vDEVICE ({@code IOMMUFD_OBJ_VDEVICE}). */
  static final class Vdevice extends Obj {
    final Viommu viommu;
    final Device device;
    final long virtId;

    Vdevice(int id, Viommu viommu, Device device, long virtId) {
      super(id);
      this.viommu = viommu;
      this.device = device;
      this.virtId = virtId;
    }
  }

  /** The id of a vDEVICE destroyed with its device: kept, never destroyable. */
  static final class Tombstone extends Obj {
    Tombstone(int id) {
      super(id);
    }
  }

  private final GuestTables tables;
  private final SelftestMockDevices mockDevices;

  IommufdNesting(IommufdContext ctx, GuestTables tables) {
    this.ctx = ctx;
    this.tables = tables;
    this.mockDevices = new SelftestMockDevices(ctx);
  }

  /**
   * Returns the guest's stage-1 tables and context descriptors, by guest-physical address, that the
   * nested walks of this context read.
   *
   * @return the kernel's guest tables, shared with the other contexts
   */
  public GuestTables guestTables() {
    return tables;
  }

  /**
   * Returns the most recent nested-translation faults (at most 1024), oldest first.
   *
   * @return a snapshot of up to 1024 faults, oldest first
   */
  public List<NestedFault> faults() {
    synchronized (faults) {
      return ImmutableList.copyOf(faults);
    }
  }

  private void fault(NestedFault f) {
    synchronized (faults) {
      if (faults.size() == FAULT_LOG) {
        faults.removeFirst();
      }
      faults.addLast(f);
    }
  }

  /**
   * Returns the two-stage translation of a nested HWPT, for tests and tools (its caches, its
   * stage-1 format).
   *
   * @param hwptId the id of a nested HWPT of this context
   * @return the translator of that HWPT's nested domain
   * @throws UapiException {@code ENOENT} unless {@code hwptId} is a nested HWPT
   */
  public NestedTranslator translator(int hwptId) {
    return domain(hwptId).translator();
  }

  /**
   * Returns the nested domain of a nested HWPT ({@code iommufd_get_object} with {@code
   * IOMMUFD_OBJ_HWPT_NESTED}), e.g. for the selftest's {@code IOMMU_TEST_OP_MD_CHECK_IOTLB}.
   *
   * @param hwptId the id of a nested HWPT of this context
   * @return that HWPT's nested domain
   * @throws UapiException {@code ENOENT} unless {@code hwptId} is a nested HWPT
   */
  public NestedDomain domain(int hwptId) {
    synchronized (ctx.lock) {
      Obj o = ctx.objects.get(hwptId);
      UapiException.check(o instanceof NestedHwpt, Errno.ENOENT, "no nested HWPT " + hwptId);
      return ((NestedHwpt) o).domain;
    }
  }

  // --- IOMMU_HWPT_ALLOC, nesting paths (called under the lock) ---------------------------------

  /**
   * The nested branches of {@code iommufd_hwpt_alloc}: {@code iommufd_hwpt_nested_alloc} on a
   * paging HWPT, {@code iommufd_viommu_alloc_hwpt_nested} on a vIOMMU, each taking {@code
   * FAULT_ID_VALID} and {@code ALLOC_PASID} (the HWPT's {@code pasid_compat}) and handing the
   * driver the flags without {@code FAULT_ID_VALID}; then with {@code FAULT_ID_VALID} {@code
   * ENOENT} unless {@code fault_id} is a fault queue, after the domain was built.
   */
  int allocNested(Device dev, Obj pt, HwptAlloc alloc, UserData data) {
    int flags = alloc.flags();
    int driverFlags = flags & ~IOMMU_HWPT_FAULT_ID_VALID;
    NestedHwpt h;
    if (pt instanceof Hwpt) {
      Hwpt parent = (Hwpt) pt;
      UapiException.check(
          (driverFlags & ~IOMMU_HWPT_ALLOC_PASID) == 0
              && data.length() != 0
              && NestedDomain.allocatesFromParent(dev.iommu),
          Errno.EOPNOTSUPP,
          "nested HWPT flags, no data, or no domain_alloc_nested");
      UapiException.check(
          !parent.auto
              && parent.domain.config().nestParent()
              && NestedDomain.sameOps(parent.domain.driver(), dev.iommu),
          Errno.EINVAL,
          "parent is an auto domain, not a nest parent, or of another IOMMU driver");
      NestedDomain d;
      if (NestedDomain.isSelftestMock(dev.iommu)) {
        d =
            MockNestedDomain.alloc(
                parent.domain, driverFlags, data, tables, ctx.memories, this::fault);
      } else {
        // intel_iommu_domain_alloc_nested takes ALLOC_PASID; jvfio models no VT-d PASID attach
        UapiException.check(
            driverFlags == 0, Errno.EOPNOTSUPP, "VT-d PASID-compatible nested HWPT not modelled");
        d = VtdNestedDomain.alloc(parent.domain, data, tables, ctx.memories, this::fault);
      }
      IommufdFaults.Fault fault = faultOf(alloc);
      h = new NestedHwpt(ctx.allocateId(), parent, null, d);
      h.fault = fault;
    } else {
      Viommu v = (Viommu) pt;
      UapiException.check(v.iommu.equals(dev.iommu), Errno.EINVAL, "device behind another IOMMU");
      UapiException.check(
          (driverFlags & ~IOMMU_HWPT_ALLOC_PASID) == 0, Errno.EOPNOTSUPP, "nested HWPT flags");
      UapiException.check(data.length() != 0, Errno.EOPNOTSUPP, "no data");
      NestedDomain d =
          v.mock != null // mock_viommu_alloc_domain_nested; arm_vsmmu_alloc_domain_nested
              ? MockNestedDomain.alloc(
                  v.mock.parent(), driverFlags, data, tables, ctx.memories, this::fault)
              : SmmuV3NestedDomain.alloc(
                  v.vsmmu, driverFlags, data, tables, ctx.memories, this::fault);
      IommufdFaults.Fault fault;
      try {
        fault = faultOf(alloc);
      } catch (UapiException noQueue) {
        if (v.vsmmu != null) {
          v.vsmmu.remove((SmmuV3NestedDomain) d);
        }
        throw noQueue;
      }
      h = new NestedHwpt(ctx.allocateId(), v.parent, v, d);
      h.fault = fault;
      v.nested++;
    }
    h.pasidCompat = (flags & IOMMU_HWPT_ALLOC_PASID) != 0;
    if (h.fault != null) {
      h.fault.hwptUsers++;
    }
    h.parent.nestUsers++;
    return ctx.put(h).id;
  }

  /** {@code iommufd_get_fault} with {@code FAULT_ID_VALID} ({@code ENOENT}), else null. */
  private IommufdFaults.Fault faultOf(HwptAlloc alloc) {
    return (alloc.flags() & IOMMU_HWPT_FAULT_ID_VALID) == 0
        ? null
        : ctx.faults().fault(alloc.faultId());
  }

  // --- destroy, attach, unbind (called under the lock) ----------------------------------------

  /** {@code IOMMU_DESTROY} of a nesting object; the caller removes it from the table. */
  void destroy(Obj o) {
    if (o instanceof NestedHwpt) {
      NestedHwpt h = (NestedHwpt) o;
      UapiException.check(h.devices.isEmpty(), Errno.EBUSY, "nested HWPT has attached devices");
      UapiException.check(h.pasidUsers == 0, Errno.EBUSY, "PASIDs attached to the nested HWPT");
      IommufdFaults.unuse(h.fault);
      h.parent.nestUsers--;
      if (h.viommu != null) {
        h.viommu.nested--;
        if (h.viommu.vsmmu != null) {
          h.viommu.vsmmu.remove((SmmuV3NestedDomain) h.domain);
        }
      }
    } else if (o instanceof Viommu) {
      Viommu v = (Viommu) o;
      UapiException.check(
          v.nested == 0 && v.byVirtId.isEmpty() && v.veventqs.isEmpty(),
          Errno.EBUSY,
          "vIOMMU has nested HWPTs, vDEVICEs or vEVENTQs");
      v.parent.nestUsers--;
    } else if (o instanceof VeventqObj) {
      VeventqObj q = (VeventqObj) o;
      UapiException.check(!q.queue.fileOpen(), Errno.EBUSY, "vEVENTQ fd is open");
      q.viommu.veventqs.remove(q.queue.type());
    } else if (o instanceof Vdevice) {
      Vdevice vd = (Vdevice) o;
      vd.viommu.byVirtId.remove(vd.virtId);
      vd.device.vdevice = null;
    } else {
      throw new UapiException(Errno.ENOENT, "vDEVICE " + o.id + " was destroyed with its device");
    }
  }

  /** Whether {@code o} is an object of this class (a nested HWPT, vIOMMU, vDEVICE, tombstone). */
  static boolean owns(Obj o) {
    return o instanceof NestedHwpt
        || o instanceof Viommu
        || o instanceof Vdevice
        || o instanceof VeventqObj
        || o instanceof Tombstone;
  }

  /**
   * Attaches a device to a nested HWPT ({@code iommufd_hw_pagetable_attach} with the vendor's
   * {@code attach_dev}): the parent must suit the device as for a paging attach; a nested domain of
   * a vIOMMU must belong to the device's IOMMU, and needs the device's vDEVICE in that vIOMMU if it
   * is the mock's ({@code mock_domain_nop_attach}) or an SMMUv3 one that translates through stage
   * 1.
   */
  void checkAttach(Device dev, NestedHwpt h) {
    if (h.viommu == null) {
      IommufdContext.checkCompatible(dev, h.parent);
      return;
    }
    UapiException.check(
        h.viommu.iommu.equals(dev.iommu), Errno.EINVAL, "nested domain of another SMMU");
    UapiException.check(
        (h.viommu.vsmmu != null && !((SmmuV3NestedDomain) h.domain).translatesStage1())
            || (dev.vdevice != null && dev.vdevice.viommu == h.viommu),
        Errno.ENOENT,
        "no vDEVICE of the device in the vIOMMU");
  }

  /** Destroys the device's vDEVICE, leaving its id as a tombstone; forgets its mock cache. */
  void unbind(Device dev) {
    mockDevices.forget(dev);
    Vdevice vd = dev.vdevice;
    if (vd != null) {
      destroy(vd);
      ctx.objects.put(vd.id, new Tombstone(vd.id));
    }
  }

  /** One line of {@link IommufdContext#snapshot()}. */
  static String describe(Obj o) {
    if (o instanceof NestedHwpt) {
      NestedHwpt h = (NestedHwpt) o;
      StringBuilder b = new StringBuilder("HWPT_NESTED parent=").append(h.parent.id);
      b.append(" viommu=").append(h.viommu == null ? "-" : String.valueOf(h.viommu.id));
      b.append(" devices=");
      h.devices.forEach(d -> b.append(d.id).append(','));
      return b.toString();
    } else if (o instanceof Viommu) {
      Viommu v = (Viommu) o;
      return "VIOMMU parent="
          + v.parent.id
          + " nested="
          + v.nested
          + " vdevs="
          + v.byVirtId.keySet();
    } else if (o instanceof Vdevice) {
      Vdevice vd = (Vdevice) o;
      return "VDEVICE viommu=" + vd.viommu.id + " dev=" + vd.device.id + " virt=" + vd.virtId;
    } else if (o instanceof VeventqObj) {
      VeventqObj q = (VeventqObj) o;
      return "VEVENTQ viommu=" + q.viommu.id + " type=0x" + Integer.toHexString(q.queue.type());
    }
    return "TOMBSTONE";
  }

  // --- the ioctls -----------------------------------------------------------------------------

  /**
   * {@code IOMMU_HWPT_INVALIDATE}: runs the guest's cache invalidation requests on a nested HWPT
   * (its driver's {@code cache_invalidate_user}: VT-d) or a vIOMMU (its {@code cache_invalidate}:
   * SMMUv3, the selftest's mock), and returns the number handled with the error, if any ({@code
   * drivers/iommu/iommufd/hw_pagetable.c}, {@code iommufd_hwpt_invalidate}). The count is 0 for the
   * errors found before a driver runs; a driver stops at its first bad request and counts the ones
   * before it. {@code entry_num == 0} still reaches the driver, so it tells whether the data type
   * is supported.
   *
   * @param hwptId the {@code hwpt_id}: a nested HWPT or a vIOMMU
   * @param data the request array: {@code data_type}, {@code entry_len}, {@code entry_num}, {@code
   *     data_uptr}
   * @param reserved {@code __reserved}
   * @return the requests handled and, in this order, {@code EOPNOTSUPP} for a non-zero {@code
   *     __reserved}; {@code EINVAL} for entries without an array pointer or with {@code entry_len}
   *     0; {@code ENOENT} for a missing id; {@code EINVAL} for an id that is neither a nested HWPT
   *     nor a vIOMMU (a paging HWPT, an IOAS, a device); {@code EOPNOTSUPP} for a nested HWPT
   *     without an invalidation op (SMMUv3); then the driver's errors (see {@link
   *     VtdNestedDomain#invalidateUser}, {@link Vsmmu#cacheInvalidate} and {@link
   *     MockViommu#cacheInvalidate})
   */
  public HwptInvalidateResult hwptInvalidate(int hwptId, UserDataArray data, int reserved) {
    if (reserved != 0) {
      return HwptInvalidateResult.failed(0, Errno.EOPNOTSUPP);
    }
    if (data.entryNum() != 0 && (data.isNull() || data.entryLen() == 0)) {
      return HwptInvalidateResult.failed(0, Errno.EINVAL);
    }
    synchronized (ctx.lock) {
      Obj o = ctx.objects.get(hwptId);
      if (o == null || o instanceof Tombstone) {
        return HwptInvalidateResult.failed(0, Errno.ENOENT);
      }
      if (o instanceof NestedHwpt) {
        return ((NestedHwpt) o).domain.invalidateUser(data);
      }
      if (o instanceof Viommu) {
        Viommu v = (Viommu) o;
        if (v.mock != null) {
          return v.mock.cacheInvalidate(
              data,
              virtId -> {
                Vdevice vd = v.byVirtId.get(virtId);
                return vd == null ? null : mockDevices.cache(vd.device);
              });
        }
        return v.vsmmu.cacheInvalidate(data, v.byVirtId::containsKey);
      }
      return HwptInvalidateResult.failed(0, Errno.EINVAL);
    }
  }

  /**
   * {@code IOMMU_VIOMMU_ALLOC}: a vIOMMU of the device's physical IOMMU on a nest-parent HWPT
   * ({@code drivers/iommu/iommufd/viommu.c}, {@code iommufd_viommu_alloc_ioctl}); it holds the
   * parent. Arm SMMUv3 implements one ({@code IOMMU_VIOMMU_TYPE_ARM_SMMUV3}; its {@code data} is
   * not read), and so does the mock IOMMU ({@code IOMMU_VIOMMU_TYPE_SELFTEST}, {@link MockViommu};
   * its {@code struct iommu_viommu_selftest} data, with an mmap of the iommufd, is not modelled: a
   * non-empty {@code data} is {@code EOPNOTSUPP}).
   *
   * @param flags the {@code flags}, which must be 0
   * @param type the {@code type}, e.g. {@code IOMMU_VIOMMU_TYPE_ARM_SMMUV3}
   * @param devId the {@code dev_id} of a device bound to this context
   * @param hwptId the {@code hwpt_id} of a nest-parent paging HWPT
   * @param data the driver data: not read for SMMUv3, must be empty for the mock
   * @return the new vIOMMU id
   * @throws UapiException in the kernel's order: {@code EOPNOTSUPP} for non-zero {@code flags} or
   *     {@code IOMMU_VIOMMU_TYPE_DEFAULT}; {@code ENOENT} for a bad device; {@code EOPNOTSUPP} if
   *     the device's IOMMU has no vIOMMU or not this type; {@code ENOENT} unless {@code hwptId} is
   *     a paging HWPT; {@code EINVAL} unless it is a nest parent; {@code EINVAL} if it belongs to
   *     another SMMU instance; {@code EOPNOTSUPP} for mock data
   */
  public int viommuAlloc(int flags, int type, int devId, int hwptId, UserData data) {
    UapiException.check(
        flags == 0 && type != IOMMU_VIOMMU_TYPE_DEFAULT, Errno.EOPNOTSUPP, "flags or type");
    synchronized (ctx.lock) {
      Device dev = ctx.device(devId);
      boolean mock = NestedDomain.isSelftestMock(dev.iommu);
      UapiException.check(
          mock || NestedDomain.supportsVsmmu(dev.iommu), Errno.EOPNOTSUPP, "IOMMU has no vIOMMU");
      UapiException.check(
          type == (mock ? IOMMU_VIOMMU_TYPE_SELFTEST : IOMMU_VIOMMU_TYPE_ARM_SMMUV3),
          Errno.EOPNOTSUPP,
          "vIOMMU type not supported");
      Obj o = ctx.objects.get(hwptId);
      UapiException.check(o instanceof Hwpt, Errno.ENOENT, "no paging HWPT " + hwptId);
      Hwpt parent = (Hwpt) o;
      UapiException.check(
          parent.domain.config().nestParent(), Errno.EINVAL, "HWPT is not a nest parent");
      UapiException.check(
          !mock || data.length() == 0, Errno.EOPNOTSUPP, "mock vIOMMU data not modelled");
      Viommu v =
          mock
              ? new Viommu(ctx.allocateId(), parent, dev.iommu, null, new MockViommu(parent.domain))
              : new Viommu(
                  ctx.allocateId(), parent, dev.iommu, new Vsmmu(dev.iommu, parent.domain), null);
      parent.nestUsers++;
      return ctx.put(v).id;
    }
  }

  /**
   * {@code IOMMU_VDEVICE_ALLOC}: gives a device its virtual id in a vIOMMU ({@code
   * iommufd_vdevice_alloc_ioctl}). SMMUv3 invalidations name devices by it (the vSID), and a device
   * attaching to a stage-1 translating nested HWPT needs one.
   *
   * @param viommuId the {@code viommu_id}
   * @param devId the {@code dev_id} of a device bound to this context
   * @param virtId the {@code virt_id}: the device's id in the guest, the vSID for SMMUv3
   * @return the new vDEVICE id
   * @throws UapiException in the kernel's order: {@code ENOENT} for a bad vIOMMU or device; {@code
   *     EINVAL} if the device is behind another IOMMU instance; {@code EEXIST} if the device
   *     already has a vDEVICE, or {@code virtId} is taken in this vIOMMU
   */
  public int vdeviceAlloc(int viommuId, int devId, long virtId) {
    synchronized (ctx.lock) {
      Obj o = ctx.objects.get(viommuId);
      UapiException.check(o instanceof Viommu, Errno.ENOENT, "no vIOMMU " + viommuId);
      Viommu v = (Viommu) o;
      Device dev = ctx.device(devId);
      UapiException.check(v.iommu.equals(dev.iommu), Errno.EINVAL, "device behind another IOMMU");
      UapiException.check(dev.vdevice == null, Errno.EEXIST, "device already has a vDEVICE");
      UapiException.check(!v.byVirtId.containsKey(virtId), Errno.EEXIST, "virt_id in use");
      Vdevice vd = ctx.put(new Vdevice(ctx.allocateId(), v, dev, virtId));
      v.byVirtId.put(virtId, vd);
      dev.vdevice = vd;
      return vd.id;
    }
  }

  /**
   * {@code IOMMU_VEVENTQ_ALLOC} without its fd ({@code drivers/iommu/iommufd/eventq.c}, {@code
   * iommufd_veventq_alloc}): a queue of {@code type} events for the vIOMMU, holding it. The caller
   * gives the queue its fd, and calls {@link Veventq#releaseFile()} and {@link
   * IommufdContext#destroy} if that fails.
   *
   * @param flags the {@code flags}, which must be 0
   * @param viommuId the {@code viommu_id}
   * @param type the {@code type}
   * @param depth the {@code veventq_depth}, unsigned
   * @param reserved the {@code __reserved}, which must be 0
   * @return the new vEVENTQ id
   * @throws UapiException in the kernel's order: {@code EOPNOTSUPP} for non-zero {@code flags} or
   *     {@code __reserved} or {@code IOMMU_VEVENTQ_TYPE_DEFAULT}; {@code EINVAL} for a depth of 0
   *     or above {@code 1 << 19}; {@code ENOENT} unless {@code viommuId} is a vIOMMU; {@code
   *     EEXIST} if it has a queue of this type
   */
  public int veventqAlloc(int flags, int viommuId, int type, int depth, int reserved) {
    UapiException.check(
        flags == 0 && reserved == 0 && type != IOMMU_VEVENTQ_TYPE_DEFAULT,
        Errno.EOPNOTSUPP,
        "flags, __reserved or type");
    UapiException.check(
        depth != 0 && Integer.compareUnsigned(depth, Veventq.MAX_DEPTH) <= 0,
        Errno.EINVAL,
        "veventq_depth");
    synchronized (ctx.lock) {
      Obj o = ctx.objects.get(viommuId);
      UapiException.check(o instanceof Viommu, Errno.ENOENT, "no vIOMMU " + viommuId);
      Viommu v = (Viommu) o;
      UapiException.check(!v.veventqs.containsKey(type), Errno.EEXIST, "vEVENTQ of this type");
      VeventqObj q = ctx.put(new VeventqObj(ctx.allocateId(), v, new Veventq(type, depth)));
      v.veventqs.put(type, q);
      return q.id;
    }
  }

  /**
   * Returns the queue of a vEVENTQ, for its fd.
   *
   * @param veventqId the id of a vEVENTQ of this context
   * @return its queue
   * @throws UapiException {@code ENOENT} unless {@code veventqId} is a vEVENTQ
   */
  public Veventq veventq(int veventqId) {
    synchronized (ctx.lock) {
      Obj o = ctx.objects.get(veventqId);
      UapiException.check(o instanceof VeventqObj, Errno.ENOENT, "no vEVENTQ " + veventqId);
      return ((VeventqObj) o).queue;
    }
  }

  /**
   * Returns the selftest's mock devices of this context: their caches and vIOMMU events.
   *
   * @return the context's mock devices, one per context
   */
  public SelftestMockDevices mockDevices() {
    return mockDevices;
  }
}
