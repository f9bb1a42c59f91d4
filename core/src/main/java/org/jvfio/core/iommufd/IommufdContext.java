package org.jvfio.core.iommufd;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_DIRTY_NO_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_NONE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_CAP_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_INFO_FLAG_INPUT_TYPE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_HUGE_PAGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_GET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_SET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_RLIMIT_MODE;
import static org.jvfio.core.iommufd.Iovas.ULONG_MAX;
import static org.jvfio.core.iommufd.Iovas.lastOf;
import static org.jvfio.core.iommufd.Iovas.lastWraps;
import static org.jvfio.core.iommufd.Iovas.span;
import static org.jvfio.core.iommufd.Iovas.startOf;
import static org.jvfio.core.iommufd.Iovas.u;

import com.google.common.collect.ImmutableList;
import com.google.common.collect.ImmutableRangeSet;
import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import com.google.common.primitives.UnsignedLong;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntConsumer;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.HostMemory;
import org.jvfio.core.hw.IoPageFault;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;

/**
 * One iommufd context (one open of {@code /dev/iommu}) with its object table: IOAS, hardware page
 * tables (HWPTs, each an {@link IommuDomain}) and bound devices, addressed by u32 ids allocated as
 * the kernel's xarray does (the lowest free id from 1), as in {@code drivers/iommu/iommufd/main.c}.
 *
 * <p>Each method models one ioctl on typed inputs and checks in the kernel's order with its errnos;
 * a refused call throws {@link UapiException} and leaves every object as it was. Struct sizes and
 * tails ({@code EINVAL}/{@code E2BIG}) belong to the byte layer. An IOAS mirrors its areas into
 * every HWPT allocated on it (and the auto domains of devices attached to it directly).
 *
 * <p><b>Address model.</b> A {@code user_va} points into a guest memory passed to {@link #create}
 * or into other user memory that the context's {@link UserPages} can pin (a {@code malloc} or
 * {@code mmap} buffer, whose DMA lands in its {@link HostMemory}); pinning is the identity, so a
 * page's physical address is its user address. A file page ({@link #ioasMapFile}) has the address
 * of its shared mapping that {@link UserFiles} gives. As in the kernel, pages are pinned only when
 * an IOAS has a domain to fill: mapping memory that cannot be pinned (unmapped, or read-only for a
 * {@code WRITEABLE} map) fails with {@code EFAULT} then (or when a domain is added), not on an IOAS
 * without domains. Pages an area of the same map ({@code iopt_pages}, shared by {@code
 * IOMMU_IOAS_COPY}) holds in a domain, or an access has pinned, are pinned already and are not
 * asked for again, so they stay usable after the process unmaps them until the last such area goes.
 * The others are pinned through the {@link UserMm} of the process that made the map ({@link
 * UserPages#currentMm} at the time, {@code iopt_pages}' {@code source_mm}), whichever process asks:
 * {@code EFAULT} once it has exited.
 *
 * <p><b>Thread-safety.</b> Control-plane methods are serialised on this context, as the kernel's
 * locks do. {@link #dmaWrite} and {@link #dmaRead} are the hardware: they may run from many threads
 * at once, concurrently with everything else, and read the device's current domain through a
 * volatile reference.
 */
public final class IommufdContext {
  private static final int MAP_FLAGS =
      IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;
  private static final int PAGING_FLAGS =
      IOMMU_HWPT_ALLOC_NEST_PARENT
          | IOMMU_HWPT_ALLOC_DIRTY_TRACKING
          | IOMMU_HWPT_FAULT_ID_VALID
          | IOMMU_HWPT_ALLOC_PASID;

  /** {@code IOMMU_HW_INFO_TYPE_NONE}: no vendor data. */
  public static final int IOMMU_HW_INFO_TYPE_NONE = 0;

  final Object lock = new Object();
  final long pageSize; // the host kernel's PAGE_SIZE
  private final long hpageSize; // its PMD_SIZE: PAGE_SIZE * PAGE_SIZE / 8
  final List<GuestMemory> memories;
  private final UserPages userPages;
  private final UserFiles userFiles;
  // guarded by lock: for each IOMMU_IOAS_MAP_FILE's pagesId, whether memfd_pin_folios can pin it
  private final PerMap<Boolean> filePagesPinnable = new PerMap<>(this::livePagesIds);
  private final DmaEngine engine;
  final Map<Integer, Obj> objects = new HashMap<>();
  private final Map<Integer, Device> devices = new ConcurrentHashMap<>();
  private final IommufdNesting nesting;
  private final IommufdPasid pasid = new IommufdPasid(this);
  private final IommufdFaults faults = new IommufdFaults(this);
  // IOMMU_OPTION_RLIMIT_MODE 1 (IOPT_PAGES_ACCOUNT_MM); guarded by lock
  private boolean accountModeMm;
  private long nextPagesId; // guarded by lock: one per IOMMU_IOAS_MAP (struct iopt_pages)
  final SourceMms sourceMms = new SourceMms(this); // guarded by lock: each map's source_mm
  // ictx->vfio_ioas: the IOAS of the VFIO type1 compatibility ioctls, or null; guarded by lock
  private Ioas vfioIoas;

  abstract static class Obj {
    final int id;

    Obj(int id) {
      this.id = id;
    }
  }

  /**
   * A mapped range: {@code struct iopt_area} with its pages' user address and writability, and the
   * map its pages come from ({@code pagesId}, shared by the areas {@code IOMMU_IOAS_COPY} makes).
   */
  record Area(long iova, long length, long userVa, int prot, boolean pagesWritable, long pagesId) {
    long last() {
      return iova + length - 1;
    }
  }

  /** A slice of pinned pages to insert as one area ({@code struct iopt_pages_list}). */
  record Pages(long userVa, long length, boolean writable, long pagesId) {}

  /**
   * What paging and nested HWPTs share ({@code struct iommufd_hw_pagetable}): PASID compatibility,
   * the PASIDs attached and the fault queue.
   */
  abstract static class HwPagetable extends Obj {
    boolean pasidCompat; // allocated with IOMMU_HWPT_ALLOC_PASID
    int pasidUsers; // PASIDs attached to it (IommufdPasid)
    IommufdFaults.Fault fault; // IOMMU_HWPT_FAULT_ID_VALID's queue, or null

    HwPagetable(int id) {
      super(id);
    }

    /** The IOMMU driver whose ops own the domain ({@code domain->owner}). */
    abstract IommuDriver owner();
  }

  static final class Hwpt extends HwPagetable {
    final Ioas ioas;
    final IommuDomain domain;
    final boolean auto;
    final RangeSet<UnsignedLong> reserved; // outside the domain's aperture
    final Set<Device> devices = new LinkedHashSet<>();
    int nestUsers; // nested HWPTs and vIOMMUs on this nest parent

    Hwpt(int id, Ioas ioas, IommuDomain domain, boolean auto) {
      super(id);
      this.ioas = ioas;
      this.domain = domain;
      this.auto = auto;
      this.reserved = outsideAperture(domain);
    }

    @Override
    IommuDriver owner() {
      return domain.driver();
    }
  }

  static final class Device extends Obj {
    final IommuDriver iommu;
    final DmaWriteListener tracker;
    volatile Hwpt hwpt; // read by DMA threads
    volatile IommufdNesting.NestedHwpt nested; // instead of hwpt when attached to a nested HWPT
    IommufdNesting.Vdevice vdevice;

    Device(int id, IommuDriver iommu, DmaWriteListener tracker) {
      super(id);
      this.iommu = iommu;
      this.tracker = tracker;
    }
  }

  /** An {@code IOMMUFD_OBJ_SELFTEST} object: {@code IOMMU_DESTROY} runs its teardown. */
  private static final class SelftestObj extends Obj {
    final IntConsumer teardown;

    SelftestObj(int id, IntConsumer teardown) {
      super(id);
      this.teardown = teardown;
    }
  }

  private IommufdContext(
      long pageSize,
      GuestTables guestTables,
      UserPages userPages,
      UserFiles userFiles,
      HostMemory host,
      List<GuestMemory> memories) {
    if (pageSize != 4096 && pageSize != 16384 && pageSize != 65536) {
      throw new IllegalArgumentException("PAGE_SIZE not 4, 16 or 64 KiB: " + pageSize);
    }
    this.pageSize = pageSize;
    this.hpageSize = pageSize * (pageSize / 8);
    this.memories = ImmutableList.copyOf(memories);
    this.userPages = userPages;
    this.userFiles = userFiles;
    this.nesting = new IommufdNesting(this, guestTables);
    this.engine = new DmaEngine(this.memories, host, 1024);
  }

  /**
   * Opens a new context on a host with 4 KiB pages whose process owns {@code memories}: the guest
   * RAM that {@code user_va}s point into and that device DMA writes.
   *
   * @param memories the guest RAM the process has mapped, which {@code user_va} addresses
   * @return a new, empty context
   */
  public static IommufdContext create(GuestMemory... memories) {
    return create(4096, new GuestTables(), memories);
  }

  /**
   * Opens a new context on a host whose kernel's {@code PAGE_SIZE} is {@code pageSize}: 4 KiB (x86,
   * and arm64 by default), 16 KiB or 64 KiB (arm64 built with {@code CONFIG_ARM64_16K_PAGES} or
   * {@code CONFIG_ARM64_64K_PAGES}). {@code PAGE_SIZE} bounds the IO page size of a domain an IOAS
   * accepts (a domain whose smallest page is larger is refused with {@code EINVAL}, as by {@code
   * iopt_table_add_domain}), the {@code user_va} alignment rule, and the alignment of allocated
   * IOVAs (capped at {@code PMD_SIZE} = {@code PAGE_SIZE * PAGE_SIZE / 8}).
   *
   * @param pageSize the kernel's {@code PAGE_SIZE}: 4096, 16384 or 65536
   * @param memories the guest RAM the process has mapped, which {@code user_va} addresses
   * @return a new, empty context
   * @throws IllegalArgumentException unless {@code pageSize} is 4, 16 or 64 KiB
   */
  public static IommufdContext create(long pageSize, GuestMemory... memories) {
    return create(pageSize, new GuestTables(), memories);
  }

  /**
   * Opens a new context as {@link #create(long, GuestMemory...)} whose nested translations read the
   * guest's stage-1 tables from {@code guestTables} (the machine's, shared by every context over
   * the same guest).
   *
   * @param pageSize the kernel's {@code PAGE_SIZE}: 4096, 16384 or 65536
   * @param guestTables the guest's stage-1 tables and context descriptors
   * @param memories the guest memories user addresses may point into
   * @return a new context with no objects
   * @throws IllegalArgumentException unless {@code pageSize} is 4, 16 or 64 KiB
   */
  public static IommufdContext create(
      long pageSize, GuestTables guestTables, GuestMemory... memories) {
    return create(pageSize, guestTables, UserPages.NONE, new HostMemory(), memories);
  }

  /**
   * Opens a new context as {@link #create(long, GuestTables, GuestMemory...)} that can also map
   * user memory outside the guest memories: {@code userPages} says which pages can be pinned, and
   * device DMA through their mappings lands in {@code host} (see "Address model" above).
   *
   * @param pageSize the kernel's {@code PAGE_SIZE}: 4096, 16384 or 65536
   * @param guestTables the guest's stage-1 tables and context descriptors
   * @param userPages the process's other memory, as {@code pin_user_pages} finds it
   * @param host the pages behind that memory (the machine's, shared by every context)
   * @param memories the guest memories user addresses may point into
   * @return a new context with no objects
   * @throws IllegalArgumentException unless {@code pageSize} is 4, 16 or 64 KiB
   */
  public static IommufdContext create(
      long pageSize,
      GuestTables guestTables,
      UserPages userPages,
      HostMemory host,
      GuestMemory... memories) {
    return create(pageSize, guestTables, userPages, UserFiles.NONE, host, memories);
  }

  /**
   * Opens a new context as {@link #create(long, GuestTables, UserPages, HostMemory,
   * GuestMemory...)} whose {@code IOMMU_IOAS_MAP_FILE} finds the caller's files through {@code
   * userFiles}.
   *
   * @param pageSize the kernel's {@code PAGE_SIZE}: 4096, 16384 or 65536
   * @param guestTables the guest's stage-1 tables and context descriptors
   * @param userPages the process's other memory, as {@code pin_user_pages} finds it
   * @param userFiles the process's files, as {@code fget} and {@code memfd_pin_folios} find them
   * @param host the pages behind that memory (the machine's, shared by every context)
   * @param memories the guest memories user addresses may point into
   * @return a new context with no objects
   * @throws IllegalArgumentException unless {@code pageSize} is 4, 16 or 64 KiB
   */
  public static IommufdContext create(
      long pageSize,
      GuestTables guestTables,
      UserPages userPages,
      UserFiles userFiles,
      HostMemory host,
      GuestMemory... memories) {
    return new IommufdContext(
        pageSize,
        guestTables,
        Objects.requireNonNull(userPages),
        Objects.requireNonNull(userFiles),
        Objects.requireNonNull(host),
        List.of(memories));
  }

  // --- objects --------------------------------------------------------------------------------

  int allocateId() {
    int id = 1;
    while (objects.containsKey(id)) {
      id++;
    }
    return id;
  }

  <T extends Obj> T put(T obj) {
    objects.put(obj.id, obj);
    return obj;
  }

  boolean isIoas(Obj o) {
    return o instanceof Ioas;
  }

  Ioas ioas(int id) {
    Obj o = objects.get(id);
    UapiException.check(o instanceof Ioas, Errno.ENOENT, "no IOAS " + id);
    return (Ioas) o;
  }

  private Hwpt hwpt(int id) {
    Obj o = objects.get(id);
    UapiException.check(o instanceof Hwpt, Errno.ENOENT, "no HWPT " + id);
    return (Hwpt) o;
  }

  Device device(int id) {
    Device d = devices.get(id);
    if (d == null) { // not UapiException.check: the message is built only on failure (hot path)
      throw new UapiException(Errno.ENOENT, "no device " + id);
    }
    return d;
  }

  /**
   * {@code IOMMU_DESTROY}: destroys an IOAS or a HWPT that nothing uses, or a selftest object
   * ({@link #selftestObjectAlloc}). Destroying a HWPT removes its domain from its IOAS (the IOAS
   * alignment may relax). Devices are not destroyable here: they go away when their VFIO device is
   * unbound ({@link #unbindDevice}).
   *
   * @param id {@code iommu_destroy.id}: an IOAS or HWPT id
   * @throws UapiException {@code ENOENT} if no object has {@code id}; {@code EBUSY} if it is a
   *     device, an access ({@link IommufdAccess}: its driver holds it), an IOAS with HWPTs or an
   *     attached access, a HWPT with attached devices or PASIDs, or a fault queue that a HWPT uses
   *     or whose fd is open ({@link IommufdFaults})
   */
  public void destroy(int id) {
    synchronized (lock) {
      Obj o = objects.get(id);
      UapiException.check(o != null, Errno.ENOENT, "no object " + id);
      if (o instanceof Ioas) {
        Ioas ioas = (Ioas) o;
        UapiException.check(ioas.hwpts.isEmpty(), Errno.EBUSY, "IOAS has HWPTs");
        UapiException.check(ioas.accesses.isEmpty(), Errno.EBUSY, "IOAS has an access");
        ioas.areas.clear();
        if (vfioIoas == ioas) {
          vfioIoas = null;
        }
      } else if (o instanceof Hwpt) {
        Hwpt h = (Hwpt) o;
        UapiException.check(h.devices.isEmpty(), Errno.EBUSY, "HWPT has attached devices");
        UapiException.check(h.nestUsers == 0, Errno.EBUSY, "nested HWPTs or vIOMMUs on the HWPT");
        UapiException.check(h.pasidUsers == 0, Errno.EBUSY, "PASIDs attached to the HWPT");
        removeDomain(h);
        IommufdFaults.unuse(h.fault);
      } else if (o instanceof SelftestObj) {
        objects.remove(id);
        ((SelftestObj) o).teardown.accept(id);
        return;
      } else if (IommufdNesting.owns(o)) {
        nesting.destroy(o);
      } else if (o instanceof IommufdFaults.Fault) {
        faults.destroy((IommufdFaults.Fault) o);
      } else {
        throw new UapiException(
            Errno.EBUSY, "object " + id + " is held: a bound device or an access");
      }
      objects.remove(id);
    }
  }

  /**
   * Allocates an {@code IOMMUFD_OBJ_SELFTEST} object (the {@code IOMMU_TEST_CMD} mock device of
   * {@code drivers/iommu/iommufd/selftest.c}, {@code iommufd_test_mock_domain}) and returns its id;
   * {@link #destroy} of that id removes it and then calls {@code teardown} with the id, under this
   * context's lock.
   *
   * @param teardown called with the object's id once {@link #destroy} has removed it
   * @return the new object's id
   */
  public int selftestObjectAlloc(IntConsumer teardown) {
    synchronized (lock) {
      return put(new SelftestObj(allocateId(), teardown)).id;
    }
  }

  /**
   * Returns the PASID attachments of this context's devices ({@code iommufd_device_attach} and its
   * kin with a PASID other than {@code IOMMU_NO_PASID}).
   *
   * @return this context's PASID attachments
   */
  public IommufdPasid pasid() {
    return pasid;
  }

  /**
   * Returns the fault queues of this context ({@code IOMMU_FAULT_QUEUE_ALLOC}) and the IO page
   * fault path that feeds them.
   *
   * @return this context's fault queues
   */
  public IommufdFaults faults() {
    return faults;
  }

  /**
   * Returns how many pins this context holds on the user page at {@code userVa}: the areas covering
   * a byte of it in IOASes that have a domain (pages are pinned only to fill a domain) and, in an
   * IOAS without one, the areas where an {@link IommufdAccess} has pinned the page. The kernel pins
   * an {@code iopt_pages} once however many areas share it; areas that {@code IOMMU_IOAS_COPY} made
   * from one another count once each here.
   *
   * @param userVa a user virtual address, any byte of the page
   * @return the number of such areas, 0 if the page is not pinned
   */
  public int pinCount(long userVa) {
    long page = userVa - Long.remainderUnsigned(userVa, pageSize);
    synchronized (lock) {
      int pins = 0;
      for (Obj o : objects.values()) {
        if (o instanceof Ioas) {
          Ioas ioas = (Ioas) o;
          for (Area a : ioas.areas.asMapOfRanges().values()) {
            if (overlapsPage(a, page)
                && (!ioas.hwpts.isEmpty() || IommufdAccess.pins(ioas, a, page))) {
              pins++;
            }
          }
        }
      }
      return pins;
    }
  }

  /** Whether the area's user range holds a byte of the page at {@code page}. */
  private boolean overlapsPage(Area a, long page) {
    long last = a.userVa() + a.length() - 1;
    return Long.compareUnsigned(a.userVa(), page + pageSize - 1) <= 0
        && Long.compareUnsigned(last, page) >= 0;
  }

  // --- IOAS -----------------------------------------------------------------------------------

  /**
   * {@code IOMMU_IOAS_ALLOC}: creates an empty IOAS (alignment 1, no reserved ranges) and returns
   * its id.
   *
   * @param flags {@code iommu_ioas_alloc.flags}; must be 0
   * @return the new IOAS id ({@code out_ioas_id})
   * @throws UapiException {@code EOPNOTSUPP} if {@code flags != 0}
   */
  public int ioasAlloc(int flags) {
    UapiException.check(flags == 0, Errno.EOPNOTSUPP, "IOAS_ALLOC flags");
    synchronized (lock) {
      return put(new Ioas(allocateId(), pageSize, hpageSize)).id;
    }
  }

  /**
   * {@code IOMMU_IOAS_MAP}: maps {@code [userVa, userVa + length)} at a fixed or allocated IOVA and
   * returns the IOVA. Without {@code FIXED_IOVA} the IOVA is chosen as {@code iopt_alloc_iova}
   * does: never 0, inside the allowed ranges, aligned to the smaller of {@code
   * roundup_pow_of_two(length)} and the user VA's alignment, capped at 2 MiB (THP), keeping the
   * user VA's offset in its page.
   *
   * @param ioasId {@code iommu_ioas_map.ioas_id}
   * @param map the other inputs of {@code struct iommu_ioas_map}
   * @return the IOVA mapped at ({@code iova} as written back)
   * @throws UapiException in the kernel's order: {@code EOPNOTSUPP} for unknown flags or non-zero
   *     {@code __reserved}; {@code EOVERFLOW} if {@code iova} or {@code length} is {@code
   *     ULONG_MAX}; {@code EINVAL} without READABLE and WRITEABLE; {@code ENOENT} for a bad IOAS;
   *     {@code EOVERFLOW} if {@code userVa + length} wraps; {@code EINVAL} if {@code length} is 0
   *     or not a multiple of the IOAS alignment; with {@code FIXED_IOVA}: {@code EINVAL} for a
   *     misaligned IOVA, {@code EOVERFLOW} if the range wraps, {@code EINVAL} if it hits a reserved
   *     range, {@code EEXIST} if it hits a mapping; without: {@code EOVERFLOW} for {@code length >=
   *     ULONG_MAX / 2}, {@code EINVAL} if the automatic alignment is below the IOAS alignment,
   *     {@code ENOSPC} if nothing fits; {@code EINVAL} if the user VA's page offset is misaligned;
   *     {@code EFAULT} if the IOAS has domains and the memory does not exist
   */
  public long ioasMap(int ioasId, IoasMap map) {
    int flags = map.flags();
    checkMapArgs(map.reserved() == 0, flags, map.iova(), map.length());
    synchronized (lock) {
      Ioas ioas = ioas(ioasId);
      // iopt_alloc_user_pages
      UapiException.check(
          Long.compareUnsigned(map.userVa() + map.length(), map.userVa()) >= 0,
          Errno.EOVERFLOW,
          "user_va + length wraps");
      UapiException.check(
          map.length() != 0 && Long.compareUnsigned(map.length(), -1L - pageSize) <= 0,
          Errno.EINVAL,
          "bad length");
      int prot = iommuProt(flags);
      Pages pages =
          new Pages(
              map.userVa(), map.length(), (prot & IommuDomain.IOMMU_WRITE) != 0, nextPagesId++);
      sourceMms.record(pages.pagesId(), currentMm()); // iopt_pages' source_mm
      return insertAreas(
          ioas,
          List.of(pages),
          map.length(),
          map.iova(),
          (flags & IOMMU_IOAS_MAP_FIXED_IOVA) != 0,
          prot);
    }
  }

  /**
   * {@code IOMMU_IOAS_MAP_FILE}: maps bytes {@code [start, start + length)} of the caller's file
   * {@code fd} at a fixed or allocated IOVA and returns the IOVA, as {@code iommufd_ioas_map_file}
   * and {@code iopt_map_file_pages} do. The file's pages are pinned as {@code memfd_pin_folios}
   * pins them, when the IOAS has a domain to fill (or an access pins them): only a memfd, shmem or
   * hugetlbfs file, and only pages that start below its size ({@code EINVAL} otherwise), whatever
   * the process has mapped. Their identity is the address {@link UserFiles} gives, so a shared
   * mapping of the file reaches the same pages through {@code IOMMU_IOAS_MAP}. An allocated IOVA is
   * aligned from the file offset, as {@code iopt_alloc_area_pages} does for a file.
   *
   * @param ioasId {@code iommu_ioas_map_file.ioas_id}
   * @param map the other inputs of {@code struct iommu_ioas_map_file}
   * @return the IOVA mapped at ({@code iova} as written back)
   * @throws UapiException in the kernel's order: {@code EOPNOTSUPP} for unknown flags; {@code
   *     EOVERFLOW} if {@code iova} or {@code length} is {@code ULONG_MAX}; {@code EINVAL} without
   *     READABLE and WRITEABLE; {@code ENOENT} for a bad IOAS; {@code EINVAL} if {@code length} is
   *     0; {@code EOVERFLOW} if {@code start + length - 1} wraps; {@code EBADF} if {@code fd} is
   *     not open; {@code EINVAL} for a length above {@code SIZE_MAX - PAGE_SIZE}; then as {@link
   *     #ioasMap} from the length's alignment on, except that a file that cannot be pinned, or a
   *     range with a page that starts at or beyond the file's end (a last page that the end cuts
   *     through is pinned), is {@code EINVAL} (not {@code EFAULT}) when the IOAS has domains
   */
  public long ioasMapFile(int ioasId, IoasMapFile map) {
    int flags = map.flags();
    checkMapArgs(true, flags, map.iova(), map.length());
    synchronized (lock) {
      Ioas ioas = ioas(ioasId);
      UapiException.check(map.length() != 0, Errno.EINVAL, "length 0");
      UapiException.check(
          !lastWraps(map.start(), map.length()), Errno.EOVERFLOW, "start + length wraps");
      UserFile file = userFiles.lookup(map.fd(), map.start(), map.length());
      UapiException.check(file != null, Errno.EBADF, "fd " + map.fd() + " is not open");
      UapiException.check( // iopt_alloc_pages
          Long.compareUnsigned(map.length(), -1L - pageSize) <= 0, Errno.EINVAL, "bad length");
      int prot = iommuProt(flags);
      long pagesId = nextPagesId++;
      Pages pages =
          new Pages(file.userVa(), map.length(), (prot & IommuDomain.IOMMU_WRITE) != 0, pagesId);
      // memfd_pin_folios finds or allocates each page (shmem_get_folio_gfp): a page that starts
      // at or beyond the file's end is EINVAL, a last page the end cuts through is pinned
      long lastPage = (map.start() + map.length() - 1) & -pageSize;
      boolean pinnable = file.shmem() && Long.compareUnsigned(lastPage, file.size()) < 0;
      filePagesPinnable.put(pagesId, pinnable); // a refused map's entry is swept (PerMap)
      return insertAreas(
          ioas,
          List.of(pages),
          map.length(),
          map.iova(),
          (flags & IOMMU_IOAS_MAP_FIXED_IOVA) != 0,
          prot,
          map.start());
    }
  }

  /**
   * The first checks of {@code iommufd_ioas_map} and {@code iommufd_ioas_map_file}: unknown flags
   * (or a non-zero {@code __reserved}, {@code reservedZero} false), {@code ULONG_MAX}, no
   * permission.
   */
  private static void checkMapArgs(boolean reservedZero, int flags, long iova, long length) {
    UapiException.check(
        (flags & ~MAP_FLAGS) == 0 && reservedZero, Errno.EOPNOTSUPP, "IOAS_MAP flags");
    UapiException.check(iova != ULONG_MAX && length != ULONG_MAX, Errno.EOVERFLOW, "ULONG_MAX");
    UapiException.check(
        (flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)) != 0,
        Errno.EINVAL,
        "neither READABLE nor WRITEABLE");
  }

  private static int iommuProt(int mapFlags) {
    return ((mapFlags & IOMMU_IOAS_MAP_READABLE) != 0 ? IommuDomain.IOMMU_READ : 0)
        | ((mapFlags & IOMMU_IOAS_MAP_WRITEABLE) != 0 ? IommuDomain.IOMMU_WRITE : 0);
  }

  /** {@code iopt_map_pages}: validates everything, then inserts the areas and fills the domains. */
  private long insertAreas(
      Ioas ioas, List<Pages> list, long length, long iova, boolean fixed, int prot) {
    return insertAreas(ioas, list, length, iova, fixed, prot, list.get(0).userVa());
  }

  /** As above; an allocated IOVA is aligned from {@code start}, the user VA or file offset. */
  private long insertAreas(
      Ioas ioas, List<Pages> list, long length, long iova, boolean fixed, int prot, long start) {
    long align = ioas.iovaAlignment;
    UapiException.check(
        length != 0 && (length & (align - 1)) == 0, Errno.EINVAL, "length not aligned");
    long at;
    if (fixed) {
      ioas.checkIova(iova, length);
      at = iova;
    } else {
      at = ioas.allocIova(start, length);
    }
    for (Pages p : list) {
      UapiException.check(
          (prot & IommuDomain.IOMMU_WRITE) == 0 || p.writable(),
          Errno.EPERM,
          "pages were not mapped writeable");
      UapiException.check(
          ((p.userVa() % pageSize) & (align - 1)) == 0, Errno.EINVAL, "user_va misaligned");
      if (!ioas.hwpts.isEmpty()) {
        checkPinnable(p);
        // an IOAS_COPY piece of a byte-granular source area: iommu_map refuses it (unaligned);
        // at is aligned, so every piece starts aligned if the ones before are whole IO pages
        UapiException.check(
            (p.length() & (align - 1)) == 0, Errno.EINVAL, "piece not whole IO pages");
      }
    }
    List<Area> added = new ArrayList<>();
    long cur = at;
    for (Pages p : list) {
      Area area = new Area(cur, p.length(), p.userVa(), prot, p.writable(), p.pagesId());
      ioas.areas.put(span(area.iova(), area.last()), area);
      added.add(area);
      for (Hwpt h : ioas.hwpts) {
        try {
          ioas.mapArea(h.domain, area);
        } catch (UapiException refused) { // e.g. a VT-d nest parent and a read-only map
          // iopt_fill_domains_pages unwinding: every domain gives back what it holds of the
          // areas added (a domain holds a prefix of the area it refused, or none of it), with
          // iommu_unmap's flush, and the areas go, so the failed call changed nothing
          ioas.removeAreas(added, Optional.empty());
          throw refused;
        }
      }
      cur += p.length();
    }
    return at;
  }

  /**
   * {@code pin_user_pages} of the pages that no area of the same map holds pinned (in a domain, or
   * through an access), through the mm of the process that mapped them ({@link UserMm}): guest
   * memory, or pages that mm can pin, for writing if the pages are writable; {@code EFAULT} for any
   * other, and for every one once that process has exited.
   */
  void checkPinnable(Pages p) {
    Boolean file = filePagesPinnable.get(p.pagesId());
    if (file != null) { // memfd_pin_folios: the file's pages, not the process's mappings
      UapiException.check(file, Errno.EINVAL, "file pages cannot be pinned");
      return;
    }
    sourceMms.checkPinnable(p, pageSize, this::inGuestMemory);
  }

  /** The maps ({@code pagesId}) that an area of some IOAS still holds; under the lock. */
  Set<Long> livePagesIds() {
    Set<Long> live = new HashSet<>();
    for (Obj o : objects.values()) {
      if (o instanceof Ioas) {
        for (Area a : ((Ioas) o).areas.asMapOfRanges().values()) {
          live.add(a.pagesId());
        }
      }
    }
    return live;
  }

  /** {@code current->mm}: the process making the current call. */
  UserMm currentMm() {
    return userPages.currentMm();
  }

  private boolean inGuestMemory(long userVa, long length) {
    for (GuestMemory m : memories) {
      if (m.contains(userVa, length)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code IOMMU_IOAS_UNMAP}: removes every area inside {@code [iova, iova + length)} from the IOAS
   * and its domains, flushes the IOTLBs, and returns the bytes unmapped. {@code iova == 0 && length
   * == U64_MAX} unmaps everything (0 bytes on an empty IOAS is a success).
   *
   * <p>The kernel removes areas in IOVA order and stops at the first one that is only partly
   * inside, leaving the ones before it unmapped although the call fails; the model refuses the
   * whole call instead, so a refused call changes nothing (jvfio's rule).
   *
   * <p>Areas that an {@link IommufdAccess} has pinned are first handed to the unmap callbacks of
   * the IOAS's accesses, as {@code iommufd_access_notify_unmap} does; see {@link IommufdAccess} for
   * the {@code EDEADLOCK} of a driver that does not unpin.
   *
   * @param ioasId {@code iommu_ioas_unmap.ioas_id}
   * @param iova the first IOVA to unmap; 0 with {@code length} {@code U64_MAX} unmaps everything
   * @param length the bytes to unmap
   * @return the bytes unmapped ({@code length} as written back)
   * @throws UapiException {@code ENOENT} for a bad IOAS; {@code EOVERFLOW} if {@code iova} or
   *     {@code length} is {@code ULONG_MAX}; {@code EINVAL} if {@code length} is 0; {@code
   *     EOVERFLOW} if the range wraps; {@code ENOENT} if an area is only partly inside the range or
   *     nothing is mapped in it; {@code EDEADLOCK} if an access still pins an area after its
   *     callbacks ran 101 times
   */
  public long ioasUnmap(int ioasId, long iova, long length) {
    synchronized (lock) {
      Ioas ioas = ioas(ioasId);
      List<Area> victims = ioas.unmapVictims(iova, length);
      IommufdAccess.notifyUnmap(ioas, victims);
      return ioas.removeAreas(victims, Optional.empty());
    }
  }

  /**
   * Unmaps as {@link #ioasUnmap} and returns, in {@code bitmap}, the dirty state of what it
   * unmapped: the type1 {@code VFIO_IOMMU_UNMAP_DMA} with {@code
   * VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP} built on iommufd pieces, so that a vIOMMU unmap during
   * dirty logging loses nothing. iommufd itself has no such ioctl (it was dropped after the 2022
   * RFC; docs/fidelity.md, "Partial unmap").
   *
   * <p>For every HWPT of the IOAS that is tracking dirty, each leaf is removed and its dirty bit
   * read in one atomic step ({@link IommuDomain#unmapReadingDirty}), then the IOTLB is flushed. A
   * device write that dirtied a leaf before its removal is recorded; a write through a translation
   * cached dirty is covered by the dirty bit set when it was cached; a write after the removal
   * faults. Reading with NO_CLEAR and then unmapping would lose a write landing in between.
   *
   * @param ioasId the IOAS to unmap from
   * @param iova the first IOVA to unmap
   * @param length the bytes to unmap
   * @param bitmap receives the dirty pages; must cover exactly {@code [iova, iova + length)}
   * @return the bytes unmapped
   * @throws UapiException as {@link #ioasUnmap}; {@code EINVAL} for unmap-all, if {@code bitmap}
   *     covers another range, or if no HWPT of the IOAS is tracking dirty (type1: logging not
   *     started)
   */
  public long ioasUnmapGetDirty(int ioasId, long iova, long length, IovaBitmap bitmap) {
    synchronized (lock) {
      Ioas ioas = ioas(ioasId);
      UapiException.check(
          !(iova == 0 && length == ULONG_MAX), Errno.EINVAL, "GET_DIRTY_BITMAP with unmap-all");
      List<Area> victims = ioas.unmapVictims(iova, length);
      UapiException.check(
          bitmap.iova() == iova && bitmap.length() == length,
          Errno.EINVAL,
          "bitmap does not cover the unmapped range");
      boolean anyTracking = false;
      for (Hwpt h : ioas.hwpts) {
        anyTracking |= h.domain.hasDirtyOps() && h.domain.isDirtyTracking();
      }
      UapiException.check(anyTracking, Errno.EINVAL, "dirty tracking not started");
      IommufdAccess.notifyUnmap(ioas, victims);
      return ioas.removeAreas(victims, Optional.of(bitmap));
    }
  }

  /**
   * {@code IOMMU_IOAS_COPY}: maps into the destination IOAS the pages mapped in the source IOAS at
   * {@code [srcIova, srcIova + length)} (one destination area per source area piece, sharing the
   * pages) and returns the destination IOVA.
   *
   * @param copy the inputs of {@code struct iommu_ioas_copy}
   * @return the destination IOVA ({@code dst_iova} as written back)
   * @throws UapiException {@code EOPNOTSUPP} for unknown flags; {@code EOVERFLOW} if {@code
   *     length}, {@code srcIova} or {@code dstIova} is {@code ULONG_MAX}; {@code EINVAL} without
   *     READABLE and WRITEABLE; {@code ENOENT} for a bad source IOAS; {@code EINVAL} if {@code
   *     length} is 0; {@code EOVERFLOW} if the source range wraps; {@code ENOENT} unless the source
   *     range is fully covered by contiguous areas; {@code ENOENT} for a bad destination IOAS; then
   *     as {@link #ioasMap}, and {@code EPERM} for WRITEABLE over pages mapped read-only; {@code
   *     EINVAL} if the destination has domains and the piece from one source area is not whole IO
   *     pages there (the kernel's {@code iommu_map} refuses it)
   */
  public long ioasCopy(IoasCopy copy) {
    int flags = copy.flags();
    UapiException.check((flags & ~MAP_FLAGS) == 0, Errno.EOPNOTSUPP, "IOAS_COPY flags");
    UapiException.check(
        copy.length() != ULONG_MAX && copy.srcIova() != ULONG_MAX && copy.dstIova() != ULONG_MAX,
        Errno.EOVERFLOW,
        "ULONG_MAX");
    UapiException.check(
        (flags & (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)) != 0,
        Errno.EINVAL,
        "neither READABLE nor WRITEABLE");
    synchronized (lock) {
      Ioas src = ioas(copy.srcIoasId());
      List<Pages> pages = src.getPages(copy.srcIova(), copy.length());
      Ioas dst = ioas(copy.dstIoasId());
      return insertAreas(
          dst,
          pages,
          copy.length(),
          copy.dstIova(),
          (flags & IOMMU_IOAS_MAP_FIXED_IOVA) != 0,
          iommuProt(flags));
    }
  }

  /**
   * {@code IOMMU_IOAS_IOVA_RANGES}: the usable IOVA ranges (the holes between reserved ranges) and
   * the IOAS alignment.
   *
   * @param ioasId {@code iommu_ioas_iova_ranges.ioas_id}
   * @param reserved {@code __reserved}; must be 0
   * @return the usable ranges and {@code out_iova_alignment}
   * @throws UapiException {@code EOPNOTSUPP} if {@code reserved != 0}; {@code ENOENT} for a bad
   *     IOAS
   */
  public IovaRanges ioasIovaRanges(int ioasId, int reserved) {
    UapiException.check(reserved == 0, Errno.EOPNOTSUPP, "__reserved");
    synchronized (lock) {
      Ioas ioas = ioas(ioasId);
      List<IovaRange> out = new ArrayList<>();
      for (Range<UnsignedLong> r :
          ioas.reserved().complement().subRangeSet(Iovas.all()).asRanges()) {
        out.add(new IovaRange(startOf(r), lastOf(r)));
      }
      return new IovaRanges(out, ioas.iovaAlignment);
    }
  }

  /**
   * Returns the AND of the page-size bitmaps of the IOAS's domains, or all ones without a domain:
   * what {@code iommufd_get_pagesizes} starts from for the VFIO compatibility {@code
   * VFIO_IOMMU_GET_INFO} ({@code drivers/iommu/iommufd/vfio_compat.c}).
   *
   * @param ioasId the IOAS id
   * @return the page-size bitmap, bit {@code n} for {@code 2^n}-byte pages
   * @throws UapiException {@code ENOENT} for a bad IOAS
   */
  public long ioasPageSizes(int ioasId) {
    synchronized (lock) {
      long bitmap = -1L;
      for (Hwpt h : ioas(ioasId).hwpts) {
        bitmap &= h.domain.pageSizeBitmap();
      }
      return bitmap;
    }
  }

  /**
   * {@code IOMMU_IOAS_ALLOW_IOVAS}: replaces the allowed ranges atomically (an empty list allows
   * everything). Automatic IOVA allocation only uses allowed ranges; a domain whose reserved range
   * would intersect one cannot be added later ({@code EADDRINUSE}).
   *
   * @param ioasId {@code iommu_ioas_allow_iovas.ioas_id}
   * @param reserved {@code __reserved}; must be 0
   * @param ranges the allowed ranges; empty allows everything
   * @throws UapiException {@code EOPNOTSUPP} if {@code reserved != 0}; {@code ENOENT} for a bad
   *     IOAS; {@code EINVAL} if a range has {@code start >= last} or overlaps an earlier one;
   *     {@code EADDRINUSE} if a range intersects a reserved range
   */
  public void ioasAllowIovas(int ioasId, int reserved, List<IovaRange> ranges) {
    UapiException.check(reserved == 0, Errno.EOPNOTSUPP, "__reserved");
    synchronized (lock) {
      Ioas ioas = ioas(ioasId);
      RangeSet<UnsignedLong> allowed = TreeRangeSet.create();
      for (IovaRange r : ranges) {
        UapiException.check(
            Long.compareUnsigned(r.start(), r.last()) < 0, Errno.EINVAL, "start >= last");
        Range<UnsignedLong> s = span(r.start(), r.last());
        UapiException.check(
            allowed.subRangeSet(s).isEmpty(), Errno.EINVAL, "overlapping allowed ranges");
        allowed.add(s);
      }
      RangeSet<UnsignedLong> res = ioas.reserved();
      for (Range<UnsignedLong> s : allowed.asRanges()) {
        UapiException.check(
            res.subRangeSet(s).isEmpty(), Errno.EADDRINUSE, "allowed range is reserved");
      }
      ioas.allowed = allowed;
    }
  }

  /**
   * Reserves {@code [start, last]} in the IOAS with no owner, as {@code IOMMU_TEST_OP_ADD_RESERVED}
   * does through {@code iopt_reserve_iova} ({@code drivers/iommu/iommufd/io_pagetable.c}): the
   * range stays reserved until the IOAS is destroyed, so automatic IOVA allocation avoids it, a
   * fixed map into it is {@code EINVAL} and {@code IOMMU_IOAS_ALLOW_IOVAS} over it {@code
   * EADDRINUSE}. A {@code last} below {@code start} (the kernel's {@code start + length - 1} of a
   * zero length) is accepted and reserves nothing here.
   *
   * @param ioasId the IOAS id
   * @param start the first reserved IOVA
   * @param last the last reserved IOVA, inclusive
   * @throws UapiException {@code ENOENT} for a bad IOAS; {@code EADDRINUSE} if the range holds a
   *     mapped area or an allowed range
   */
  public void ioasAddReserved(int ioasId, long start, long last) {
    synchronized (lock) {
      Ioas ioas = ioas(ioasId);
      if (Long.compareUnsigned(last, start) < 0) {
        return;
      }
      Range<UnsignedLong> r = span(start, last);
      UapiException.check(
          ioas.areas.subRangeMap(r).asMapOfRanges().isEmpty()
              && ioas.allowed.subRangeSet(r).isEmpty(),
          Errno.EADDRINUSE,
          "reserved range holds a mapping or an allowed range");
      ioas.testReserved.add(r);
    }
  }

  // --- HWPT and devices -----------------------------------------------------------------------

  /**
   * {@code IOMMU_HWPT_ALLOC} on an IOAS: allocates a paging domain from the device's IOMMU, adds it
   * to the IOAS (filled with every area) and returns the new HWPT id. The device is not attached.
   *
   * @param alloc the inputs of {@code struct iommu_hwpt_alloc}
   * @return the new HWPT id ({@code out_hwpt_id})
   * @throws UapiException in the kernel's order: {@code EOPNOTSUPP} if {@code __reserved != 0};
   *     {@code EINVAL} if {@code data_type} and {@code data_len} disagree; {@code ENOENT} for a bad
   *     device; {@code EINVAL} for a missing {@code pt_id} or one that is neither IOAS nor HWPT;
   *     for a HWPT {@code pt_id} as {@link #hwptAlloc(HwptAlloc, UserData)} with unreadable data;
   *     {@code EOPNOTSUPP} for unknown flags or {@code DIRTY_TRACKING} on an IOMMU that cannot
   *     track, or {@code PASID} on an IOMMU other than the mock (see {@link IommufdPasid}); with
   *     driver data the driver's errnos ({@link IommuDriver#allocateDomain(DomainConfig,
   *     UserData)}: {@code EOPNOTSUPP} unless it reads data; here {@code EFAULT} if it does);
   *     {@code EOPNOTSUPP} for {@code FAULT_ID_VALID} with {@code NEST_PARENT}; then as adding a
   *     domain: {@code EINVAL} if its page size exceeds 4 KiB, {@code EADDRINUSE} if an area does
   *     not fit the new alignment or its reserved range hits an area or an allowed range, {@code
   *     EFAULT} if a mapped user address has no memory; then with {@code FAULT_ID_VALID} {@code
   *     ENOENT} unless {@code fault_id} is a fault queue ({@link IommufdFaults})
   */
  public int hwptAlloc(HwptAlloc alloc) {
    return hwptAlloc(alloc, UserData.unreadable(alloc.dataType(), alloc.dataLen()));
  }

  /**
   * {@code IOMMU_HWPT_ALLOC} with its driver data: on an IOAS as {@link #hwptAlloc(HwptAlloc)}; on
   * a nest-parent HWPT or a vIOMMU a nested HWPT, as {@link IommufdNesting} describes.
   *
   * @param alloc the {@code struct iommu_hwpt_alloc} read from the user
   * @param data {@code data_type}, {@code data_len} and the bytes at {@code data_uptr}; its type
   *     and length must be the ones in {@code alloc}
   * @return the new HWPT id, the {@code out_hwpt_id}
   * @throws UapiException as {@link #hwptAlloc(HwptAlloc)} up to the {@code pt_id} lookup (a vIOMMU
   *     is a valid {@code pt_id}); then for a nest-parent HWPT: {@code EOPNOTSUPP} for a flag other
   *     than {@code FAULT_ID_VALID} and {@code ALLOC_PASID}, no data, or an IOMMU without nested
   *     domains from a parent; {@code EINVAL} for an auto domain, a HWPT allocated without {@code
   *     NEST_PARENT} or one of another IOMMU driver; for a vIOMMU: {@code EINVAL} if the device is
   *     behind another IOMMU, {@code EOPNOTSUPP} for a flag other than {@code FAULT_ID_VALID} and
   *     {@code ALLOC_PASID} or no data; then the driver's errors ({@code EOPNOTSUPP} for {@code
   *     ALLOC_PASID} but on the mock's, {@link org.jvfio.core.nesting.VtdNestedDomain#alloc},
   *     {@link org.jvfio.core.nesting.MockNestedDomain#alloc}, {@link
   *     org.jvfio.core.nesting.SmmuV3NestedDomain#alloc}); then {@code ENOENT} for {@code
   *     FAULT_ID_VALID}
   */
  public int hwptAlloc(HwptAlloc alloc, UserData data) {
    UapiException.check(alloc.reserved() == 0, Errno.EOPNOTSUPP, "__reserved");
    UapiException.check(
        (alloc.dataType() == IOMMU_HWPT_DATA_NONE) == (alloc.dataLen() == 0),
        Errno.EINVAL,
        "data_type and data_len disagree");
    synchronized (lock) {
      Device dev = device(alloc.devId());
      Obj pt = objects.get(alloc.ptId());
      UapiException.check(
          pt instanceof Ioas || pt instanceof Hwpt || pt instanceof IommufdNesting.Viommu,
          Errno.EINVAL,
          "bad pt_id " + alloc.ptId());
      if (!(pt instanceof Ioas)) {
        return nesting.allocNested(dev, pt, alloc, data);
      }
      int flags = alloc.flags();
      UapiException.check((flags & ~PAGING_FLAGS) == 0, Errno.EOPNOTSUPP, "paging HWPT flags");
      boolean dirty = (flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) != 0;
      UapiException.check(
          !dirty || dev.iommu.canTrackDirty(), Errno.EOPNOTSUPP, "IOMMU cannot track dirty");
      UapiException.check(
          (flags & IOMMU_HWPT_FAULT_ID_VALID) == 0 || (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) == 0,
          Errno.EOPNOTSUPP,
          "a nest parent takes no fault queue");
      boolean pasidCompat = (flags & IOMMU_HWPT_ALLOC_PASID) != 0;
      UapiException.check(
          !pasidCompat || IommufdPasid.isMock(dev.iommu),
          Errno.EOPNOTSUPP,
          "PASID-compatible domains are modelled for the mock IOMMU only");
      DomainConfig config = new DomainConfig(dirty, (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) != 0);
      IommuDomain domain =
          alloc.dataLen() == 0
              ? dev.iommu.allocateDomain(config)
              : dev.iommu.allocateDomain(config, data);
      Hwpt h = addDomain((Ioas) pt, domain, false);
      if ((flags & IOMMU_HWPT_FAULT_ID_VALID) != 0) { // looked up after the fill, as the kernel
        try {
          h.fault = faults.use(alloc.faultId());
        } catch (UapiException noQueue) {
          removeDomain(h);
          objects.remove(h.id);
          throw noQueue;
        }
      }
      h.pasidCompat = pasidCompat;
      return h.id;
    }
  }

  /**
   * {@code iopt_table_add_domain}: validates, then fills the domain and registers the HWPT. A
   * refused domain is freed ({@code iommu_domain_free}), so a failed allocation keeps no frame.
   */
  private Hwpt addDomain(Ioas ioas, IommuDomain domain, boolean auto) {
    try {
      return fillDomain(ioas, domain, auto);
    } catch (RuntimeException e) {
      domain.free();
      throw e;
    }
  }

  private Hwpt fillDomain(Ioas ioas, IommuDomain domain, boolean auto) {
    long align = Math.max(Long.lowestOneBit(domain.pageSizeBitmap()), ioas.iovaAlignment);
    UapiException.check(align <= pageSize, Errno.EINVAL, "IO page size above PAGE_SIZE");
    ioas.checkAreasAligned(align);
    for (Range<UnsignedLong> r : outsideAperture(domain).asRanges()) {
      UapiException.check(
          ioas.areas.subRangeMap(r).asMapOfRanges().isEmpty()
              && ioas.allowed.subRangeSet(r).isEmpty(),
          Errno.EADDRINUSE,
          "aperture excludes a mapped or allowed range");
    }
    if (ioas.hwpts.isEmpty()) { // else its domains hold every area's pages pinned
      for (Area a : ioas.areas.asMapOfRanges().values()) {
        checkPinnable(new Pages(a.userVa(), a.length(), a.pagesWritable(), a.pagesId()));
      }
    }
    Hwpt h = new Hwpt(allocateId(), ioas, domain, auto);
    for (Area a : ioas.areas.asMapOfRanges().values()) {
      ioas.mapArea(domain, a);
    }
    put(h); // only now: a refused fill leaves no object (iommufd_object_abort_and_destroy)
    ioas.hwpts.add(h);
    ioas.iovaAlignment = align;
    return h;
  }

  /** The IOVA outside the domain's aperture, which {@code iopt_table_add_domain} reserves. */
  private static RangeSet<UnsignedLong> outsideAperture(IommuDomain domain) {
    RangeSet<UnsignedLong> r = TreeRangeSet.create();
    long start = domain.apertureStart();
    long end = domain.apertureEnd();
    if (start != 0) {
      r.add(span(0, start - 1));
    }
    if (end != ULONG_MAX) {
      r.add(span(end + 1, ULONG_MAX));
    }
    return ImmutableRangeSet.copyOf(r);
  }

  /** {@code iopt_table_remove_domain} and the object's removal. */
  private void removeDomain(Hwpt h) {
    Ioas ioas = h.ioas;
    for (Area a : ioas.areas.asMapOfRanges().values()) {
      h.domain.unmap(a.iova(), a.length());
    }
    h.domain.free(); // invalidates the whole IOTLB, then returns every table frame
    ioas.hwpts.remove(h);
    ioas.iovaAlignment = ioas.alignment();
  }

  // --- IOMMU_OPTION ---------------------------------------------------------------------------

  /**
   * {@code IOMMU_OPTION}: gets or sets an option and returns the {@code val64} to copy back, as
   * {@code iommufd_option} ({@code drivers/iommu/iommufd/main.c}) with {@code
   * iommufd_option_rlimit_mode} and {@code iommufd_ioas_option} ({@code ioas.c}) answer it.
   *
   * <p>{@code IOMMU_OPTION_RLIMIT_MODE} (object 0): GET gives 1 if pages are charged to the process
   * ({@code IOPT_PAGES_ACCOUNT_MM}), else 0; SET takes 0 or 1 while the context has no object. SET
   * needs {@code CAP_SYS_RESOURCE}: the model decides as the kernel does for a process that has it
   * (the selftest runs as root), so it never answers {@code EPERM}; the mode is recorded and
   * changes nothing else (pinned pages are not accounted).
   *
   * <p>{@code IOMMU_OPTION_HUGE_PAGES} (an IOAS): GET gives 1 unless huge pages are off; SET 1
   * turns them on, SET 0 off ({@code iopt_disable_large_pages}): refused while the IOAS has both a
   * domain and a mapping, and the IOAS alignment becomes at least PAGE_SIZE. With huge pages off
   * the IOAS maps its domains in PAGE_SIZE calls, so their leaves are never larger than PAGE_SIZE;
   * turning them back on changes only later maps.
   *
   * @param optionId {@code option_id}
   * @param op {@code op}: {@code IOMMU_OPTION_OP_SET} or {@code _GET}
   * @param reserved {@code __reserved}: must be 0
   * @param objectId {@code object_id}
   * @param val64 {@code val64}: the value to set
   * @return the value read (GET) or {@code val64} unchanged (SET)
   * @throws UapiException in the kernel's order: {@code EOPNOTSUPP} for a non-zero {@code
   *     __reserved} or an unknown option; RLIMIT_MODE: {@code EOPNOTSUPP} for an {@code object_id}
   *     other than 0 or an unknown op, {@code EBUSY} for SET while the context holds an object,
   *     {@code EINVAL} for a value other than 0 or 1; HUGE_PAGES: {@code ENOENT} unless {@code
   *     object_id} is an IOAS, {@code EOPNOTSUPP} for an unknown op, {@code EINVAL} for a value
   *     other than 0 or 1 or for SET 0 while the IOAS has a domain and a mapping, {@code
   *     EADDRINUSE} if a mapping does not fit the PAGE_SIZE alignment
   */
  public long option(int optionId, int op, int reserved, int objectId, long val64) {
    UapiException.check(reserved == 0, Errno.EOPNOTSUPP, "__reserved");
    synchronized (lock) {
      if (optionId == IOMMU_OPTION_RLIMIT_MODE) {
        UapiException.check(objectId == 0, Errno.EOPNOTSUPP, "RLIMIT_MODE of an object");
        if (op == IOMMU_OPTION_OP_GET) {
          return accountModeMm ? 1 : 0;
        }
        UapiException.check(op == IOMMU_OPTION_OP_SET, Errno.EOPNOTSUPP, "option op " + op);
        UapiException.check(objects.isEmpty(), Errno.EBUSY, "the context holds objects");
        UapiException.check(val64 == 0 || val64 == 1, Errno.EINVAL, "RLIMIT_MODE " + val64);
        accountModeMm = val64 == 1;
        return val64;
      }
      UapiException.check(
          optionId == IOMMU_OPTION_HUGE_PAGES, Errno.EOPNOTSUPP, "option_id " + optionId);
      Ioas ioas = ioas(objectId);
      if (op == IOMMU_OPTION_OP_GET) {
        return ioas.disableLargePages ? 0 : 1;
      }
      UapiException.check(op == IOMMU_OPTION_OP_SET, Errno.EOPNOTSUPP, "option op " + op);
      UapiException.check(val64 == 0 || val64 == 1, Errno.EINVAL, "HUGE_PAGES " + val64);
      if (val64 == 1) {
        ioas.disableLargePages = false;
        ioas.iovaAlignment = ioas.alignment();
      } else if (!ioas.disableLargePages) {
        UapiException.check(
            ioas.hwpts.isEmpty() || ioas.areas.asMapOfRanges().isEmpty(),
            Errno.EINVAL,
            "domains already have pages mapped");
        long align = Math.max(ioas.alignment(), pageSize);
        ioas.checkAreasAligned(align);
        ioas.disableLargePages = true;
        ioas.iovaAlignment = align;
      }
      return val64;
    }
  }

  // --- VFIO compatibility ---------------------------------------------------------------------

  /**
   * Returns the compatibility IOAS ({@code ictx->vfio_ioas}): the IOAS that the VFIO type1 ioctls
   * on this iommufd act on, as {@code get_compat_ioas} in {@code
   * drivers/iommu/iommufd/vfio_compat.c} finds it. Destroying that IOAS forgets it, as {@code
   * iommufd_object_remove} does, so an IOAS allocated later under the same id is not it.
   *
   * @return the compatibility IOAS id
   * @throws UapiException {@code ENODEV} if there is none
   */
  public int vfioCompatIoas() {
    synchronized (lock) {
      UapiException.check(vfioIoas != null, Errno.ENODEV, "no compatibility IOAS");
      return vfioIoas.id;
    }
  }

  /**
   * Makes an IOAS the compatibility IOAS ({@code IOMMU_VFIO_IOAS_SET}), replacing any other.
   *
   * @param ioasId the IOAS
   * @throws UapiException {@code ENOENT} unless {@code ioasId} is an IOAS
   */
  public void setVfioCompatIoas(int ioasId) {
    synchronized (lock) {
      vfioIoas = ioas(ioasId);
    }
  }

  /** Forgets the compatibility IOAS ({@code IOMMU_VFIO_IOAS_CLEAR}); the IOAS itself stays. */
  public void clearVfioCompatIoas() {
    synchronized (lock) {
      vfioIoas = null;
    }
  }

  /**
   * {@code iommufd_vfio_compat_ioas_create}: allocates an IOAS and makes it the compatibility IOAS,
   * unless there is one already. The new IOAS is an ordinary object that {@code IOMMU_DESTROY} can
   * destroy.
   */
  public void vfioCompatIoasCreate() {
    synchronized (lock) {
      if (vfioIoas == null) {
        vfioIoas = put(new Ioas(allocateId(), pageSize, hpageSize));
      }
    }
  }

  /**
   * {@code iopt_cut_iova}: splits the area holding each of {@code iovas} so that the IOVA becomes
   * the last byte of one area, as the TYPE1 emulation of {@code VFIO_IOMMU_UNMAP_DMA} does before
   * unmapping ({@code iommufd_vfio_unmap_dma}). An IOVA that no area holds, or that is an area's
   * first or last byte, cuts nothing. The cuts are made in order and stay made when a later one
   * fails, as in the kernel; the two halves keep the area's pages and protection.
   *
   * @param ioasId the IOAS
   * @param iovas the IOVAs to cut after, unsigned
   * @throws UapiException {@code ENOENT} for a bad IOAS; {@code EBUSY} if the area is being
   *     unmapped while an access is told ({@code prevent_access}); {@code EINVAL} if the byte after
   *     a cut, or its user address, is not aligned to the IOAS alignment, if an access has pages of
   *     the area pinned ({@code num_accesses}), or if the IOAS has a domain and huge pages on
   *     ({@code iopt_area_split}: a domain may hold a huge IOPTE across the cut)
   */
  public void ioasCutIova(int ioasId, long... iovas) {
    synchronized (lock) {
      ioas(ioasId).cutIova(iovas);
    }
  }

  /**
   * {@code IOMMU_GET_HW_INFO}: what the device's IOMMU can do.
   *
   * @param flags {@code iommu_hw_info.flags}
   * @param devId {@code iommu_hw_info.dev_id}: a bound device
   * @param inDataType {@code in_data_type}, read only with {@code IOMMU_HW_INFO_FLAG_INPUT_TYPE};
   *     ignored, as by drivers without vendor data
   * @param reserved the {@code __reserved[3]} bytes as one value: must be 0
   * @return the outputs of {@code struct iommu_hw_info}
   * @throws UapiException {@code EOPNOTSUPP} for flags other than {@code INPUT_TYPE} or non-zero
   *     {@code __reserved}; {@code ENOENT} for a bad device
   */
  public HwInfo getHwInfo(int flags, int devId, int inDataType, int reserved) {
    UapiException.check(
        (flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) == 0, Errno.EOPNOTSUPP, "GET_HW_INFO flags");
    UapiException.check(reserved == 0, Errno.EOPNOTSUPP, "__reserved");
    Device dev = device(devId);
    return new HwInfo(
        IOMMU_HW_INFO_TYPE_NONE, 0, dev.iommu.canTrackDirty() ? IOMMU_HW_CAP_DIRTY_TRACKING : 0);
  }

  /**
   * Binds a device behind {@code iommu} to this context and returns its device id: what {@code
   * VFIO_DEVICE_BIND_IOMMUFD} does on the iommufd side. The device starts unattached (its DMA
   * faults).
   *
   * @param iommu the IOMMU unit the device sits behind
   * @param tracker the device's own DMA-logging tracker, told of every DMA write
   * @return the new device id ({@code out_devid})
   */
  public int bindDevice(IommuDriver iommu, DmaWriteListener tracker) {
    synchronized (lock) {
      Device d = put(new Device(allocateId(), iommu, tracker));
      devices.put(d.id, d);
      return d.id;
    }
  }

  /**
   * Detaches and unbinds a device (its VFIO file was closed); an auto domain left without devices
   * is destroyed.
   *
   * @param devId a bound device id
   * @throws UapiException {@code ENOENT} for a bad device
   */
  public void unbindDevice(int devId) {
    synchronized (lock) {
      Device d = device(devId);
      pasid.unbind(d);
      detach(d);
      nesting.unbind(d);
      devices.remove(devId);
      objects.remove(devId);
    }
  }

  /**
   * Attaches a device to an IOAS or a HWPT and returns the attached HWPT id: {@code
   * VFIO_DEVICE_ATTACH_IOMMUFD_PT}. For an IOAS, an auto domain of the IOAS compatible with the
   * device is reused, else a plain one is allocated from the device's IOMMU and added (auto domains
   * never track dirty). Re-attaching replaces the old attachment; an auto domain left without
   * devices is destroyed.
   *
   * @param devId a bound device id
   * @param ptId an IOAS id (attach to an automatic domain) or a HWPT id
   * @return the attached HWPT id ({@code pt_id} as written back)
   * @throws UapiException {@code ENOENT} for a bad device or {@code ptId}; {@code EINVAL} if {@code
   *     ptId} is neither IOAS nor HWPT, if the HWPT has dirty tracking and the device's IOMMU
   *     cannot track, if the HWPT's domain belongs to another IOMMU instance, or if the device has
   *     PASIDs attached and the new HWPT was not allocated with {@code IOMMU_HWPT_ALLOC_PASID}
   *     ({@code iommufd_hwpt_pasid_compat}; auto domains never are); as {@link #hwptAlloc} when an
   *     auto domain cannot be added
   */
  public int attach(int devId, int ptId) {
    synchronized (lock) {
      Device dev = device(devId);
      Obj pt = objects.get(ptId);
      UapiException.check(pt != null, Errno.ENOENT, "no object " + ptId);
      Hwpt target;
      if (pt instanceof IommufdNesting.NestedHwpt) {
        IommufdNesting.NestedHwpt nested = (IommufdNesting.NestedHwpt) pt;
        nesting.checkAttach(dev, nested);
        pasid.checkNoPasidCompat(dev, nested != dev.nested, nested.pasidCompat);
        IommufdFaults.checkAttach(dev, nested.fault);
        if (nested != dev.nested) {
          faults.entered(dev, nested.fault); // the driver enables IOPF, then leaves the old
          detach(dev);
          nested.devices.add(dev);
          dev.nested = nested;
        }
        return ptId;
      } else if (pt instanceof Hwpt) {
        target = (Hwpt) pt;
        checkCompatible(dev, target);
        pasid.checkNoPasidCompat(dev, target != dev.hwpt, target.pasidCompat);
        IommufdFaults.checkAttach(dev, target.fault);
      } else if (pt instanceof Ioas) {
        Hwpt cur = dev.hwpt; // auto domains are never PASID-compatible
        pasid.checkNoPasidCompat(dev, cur == null || !cur.auto || cur.ioas != pt, false);
        target = autoDomain(dev, (Ioas) pt);
      } else {
        throw new UapiException(Errno.EINVAL, "pt_id " + ptId + " is not an IOAS or HWPT");
      }
      Hwpt old = dev.hwpt;
      if (old != target) {
        faults.entered(dev, target.fault);
      }
      detachNested(dev);
      if (old != target) {
        target.devices.add(dev);
        dev.hwpt = target;
        if (old != null) {
          release(dev, old);
        }
      }
      return target.id;
    }
  }

  static void checkCompatible(Device dev, Hwpt h) {
    UapiException.check(
        !h.domain.hasDirtyOps() || dev.iommu.canTrackDirty(),
        Errno.EINVAL,
        "dirty-tracking HWPT and an IOMMU that cannot track");
    UapiException.check(
        h.domain.driver().equals(dev.iommu), Errno.EINVAL, "HWPT of another IOMMU instance");
  }

  private Hwpt autoDomain(Device dev, Ioas ioas) {
    for (Hwpt h : ioas.hwpts) {
      if (h.auto && h.domain.driver().equals(dev.iommu)) {
        return h;
      }
    }
    return addDomain(ioas, dev.iommu.allocateDomain(DomainConfig.PLAIN), true);
  }

  /**
   * {@code VFIO_DEVICE_DETACH_IOMMUFD_PT}: detaches a device (its DMA then faults); detaching an
   * unattached device does nothing.
   *
   * @param devId a bound device id
   * @throws UapiException {@code ENOENT} for a bad device
   */
  public void detach(int devId) {
    synchronized (lock) {
      detach(device(devId));
    }
  }

  private void detach(Device dev) {
    detachNested(dev);
    Hwpt old = dev.hwpt;
    if (old != null) {
      dev.hwpt = null;
      release(dev, old);
    }
  }

  private void detachNested(Device dev) {
    IommufdNesting.NestedHwpt n = dev.nested;
    if (n != null) {
      dev.nested = null;
      n.devices.remove(dev);
      faults.left(dev, IommufdPasid.IOMMU_NO_PASID, n.fault);
    }
  }

  private void release(Device dev, Hwpt h) {
    faults.left(dev, IommufdPasid.IOMMU_NO_PASID, h.fault);
    h.devices.remove(dev);
    if (h.auto && h.devices.isEmpty()) {
      removeDomain(h);
      objects.remove(h.id);
    }
  }

  // --- dirty tracking -------------------------------------------------------------------------

  /**
   * {@code IOMMU_HWPT_SET_DIRTY_TRACKING}: turns dirty tracking on or off. Enabling first clears
   * every dirty bit of every area with one flush, as {@code iopt_set_dirty_tracking()} does
   * (docs/fidelity.md, "Enabling clears first"), so the first harvest shows only writes after
   * enabling; disabling keeps the mappings and their dirty bits. Setting the state it is in
   * succeeds.
   *
   * @param hwptId {@code iommu_hwpt_set_dirty_tracking.hwpt_id}
   * @param flags {@code IOMMU_HWPT_DIRTY_TRACKING_ENABLE} or 0 (the unchecked {@code __reserved}
   *     field has no parameter)
   * @throws UapiException {@code EOPNOTSUPP} for unknown flags; {@code ENOENT} for a bad HWPT;
   *     {@code EOPNOTSUPP} if the HWPT was allocated without dirty tracking
   */
  public void hwptSetDirtyTracking(int hwptId, int flags) {
    UapiException.check(
        (flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE) == 0, Errno.EOPNOTSUPP, "flags");
    synchronized (lock) {
      Hwpt h = hwpt(hwptId);
      IommuDomain domain = h.domain;
      UapiException.check(domain.hasDirtyOps(), Errno.EOPNOTSUPP, "HWPT has no dirty ops");
      boolean enable = flags != 0;
      if (enable) {
        IotlbGather gather = new IotlbGather();
        IommuDirtyBitmap clean = IommuDirtyBitmap.gatherOnly(gather);
        for (Area a : h.ioas.areas.asMapOfRanges().values()) {
          domain.readAndClearDirty(a.iova(), a.length(), 0, clean);
        }
        domain.iotlbSync(gather);
      }
      domain.setDirtyTracking(enable);
    }
  }

  /**
   * {@code IOMMU_HWPT_GET_DIRTY_BITMAP}: ORs into {@code data} a bit per {@code pageSize} of IOVA
   * for every leaf dirty in {@code [iova, iova + length)}; unless {@code NO_CLEAR}, clears those
   * dirty bits and then flushes the IOTLB once over the harvested span (with {@code NO_CLEAR}
   * nothing is cleared or flushed; docs/fidelity.md, "One flush per harvest"). Bit {@code i} is bit
   * {@code i % 64} of {@code data[i / 64]} for the page at {@code iova + i * pageSize}; a dirty
   * leaf sets every bit it covers.
   *
   * <p><b>Upstream quirk, modelled.</b> The kernel discards the result of the walk: a hole in the
   * range stops the harvest at the hole, and a driver error (e.g. a format that aborts on holes)
   * stops it too, yet the call returns success with the bits gathered so far (and still flushes).
   * Harvesting a HWPT whose tracking is off also succeeds (docs/fidelity.md, "Silent successes of
   * GET_DIRTY_BITMAP"). {@code pageSize} is not checked to be a power of two: the alignment masks
   * use {@code pageSize - 1} and the bitmap uses its lowest set bit, as {@code iova_bitmap_alloc()}
   * does.
   *
   * <p><b>Model choices.</b> {@code length == 0} makes {@code iova + length - 1} wrap, so the
   * kernel's {@code iommufd_check_iova_range} answers {@code EOVERFLOW} at any non-zero {@code
   * iova}; at {@code iova} 0 the kernel lets it through by the unsigned underflow (a range to
   * {@code ULONG_MAX}), and the model refuses it with {@code EINVAL}. A {@code data} array too
   * short for the bitmap is refused with {@code EFAULT} before anything is read or cleared; the
   * kernel would write into whatever user memory follows, or silently stop where it cannot pin.
   *
   * @param cmd the inputs of {@code struct iommu_hwpt_get_dirty_bitmap}
   * @param data the bitmap words to OR into ({@code data}), at least {@code ceil(length / pageSize
   *     / 64)} long
   * @throws UapiException in the kernel's order: {@code EOPNOTSUPP} for unknown flags or non-zero
   *     {@code __reserved}; {@code ENOENT} for a bad HWPT; {@code EOVERFLOW} if {@code iova +
   *     length - 1} wraps (also for {@code length} 0 at a non-zero {@code iova}); {@code EINVAL} if
   *     {@code length} is 0 (at {@code iova} 0); {@code EINVAL} if {@code iova} or {@code iova +
   *     length} is not aligned to the IOAS alignment, if {@code pageSize} is 0, or if they are not
   *     aligned to {@code pageSize}; {@code EOPNOTSUPP} if the HWPT has no dirty ops; {@code
   *     EFAULT} if {@code data} is too short
   */
  public void hwptGetDirtyBitmap(GetDirtyBitmap cmd, long[] data) {
    int flags = cmd.flags();
    UapiException.check(
        (flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) == 0 && cmd.reserved() == 0,
        Errno.EOPNOTSUPP,
        "flags or __reserved");
    synchronized (lock) {
      Hwpt h = hwpt(cmd.hwptId());
      long iova = cmd.iova();
      long length = cmd.length();
      long pageSize = cmd.pageSize();
      // iommufd_check_iova_range
      // check_add_overflow(iova, length - 1): with length 0 this wraps unless iova is 0
      UapiException.check(!lastWraps(iova, length), Errno.EOVERFLOW, "iova + length - 1 wraps");
      UapiException.check(length != 0, Errno.EINVAL, "length is 0");
      long end = iova + length; // last_iova + 1; 0 if the range ends at ULONG_MAX
      long alignMask = h.ioas.iovaAlignment - 1;
      UapiException.check(
          ((iova | end) & alignMask) == 0, Errno.EINVAL, "range not aligned to the IOAS");
      UapiException.check(pageSize != 0, Errno.EINVAL, "page_size is 0");
      UapiException.check(
          ((iova | end) & (pageSize - 1)) == 0, Errno.EINVAL, "range not aligned to page_size");
      IommuDomain domain = h.domain;
      UapiException.check(domain.hasDirtyOps(), Errno.EOPNOTSUPP, "HWPT has no dirty ops");
      UapiException.check(
          data.length >= IovaBitmap.wordCount(length, pageSize),
          Errno.EFAULT,
          "bitmap buffer too short");
      IovaBitmap bitmap = IovaBitmap.wrap(iova, length, pageSize, data);
      IotlbGather gather = new IotlbGather();
      IommuDirtyBitmap dirty = IommuDirtyBitmap.of(bitmap, gather);
      int domainFlags =
          (flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) != 0 ? IOMMU_DIRTY_NO_CLEAR : 0;
      long last = end - 1;
      long cur = iova;
      while (true) {
        Area a = h.ioas.areas.get(u(cur));
        if (a == null) {
          break; // a hole: the kernel stops here and still returns 0
        }
        long chunkLast = Long.compareUnsigned(a.last(), last) < 0 ? a.last() : last;
        try {
          domain.readAndClearDirty(cur, chunkLast - cur + 1, domainFlags, dirty);
        } catch (UapiException driverError) {
          break; // discarded by iova_bitmap_for_each's caller
        }
        if (chunkLast == last) {
          break;
        }
        cur = chunkLast + 1;
      }
      if (domainFlags == 0) {
        domain.iotlbSync(gather);
      }
    }
  }

  // --- the hardware ---------------------------------------------------------------------------

  /**
   * Makes the device write {@code [iova, iova + length)} by DMA through its attached domain (see
   * {@link DmaEngine}); a device attached to nothing faults on every page. Safe from any thread.
   *
   * @param devId a bound device id
   * @param iova the first IOVA written
   * @param length the bytes written (positive)
   * @return the bytes written and the number of 4 KiB pages that faulted
   * @throws UapiException {@code ENOENT} for a bad device
   * @throws IllegalArgumentException if {@code length} is not positive or the range wraps
   */
  public DmaResult dmaWrite(int devId, long iova, long length) {
    Device d = device(devId);
    IommufdNesting.NestedHwpt n = d.nested;
    if (n != null) {
      return n.domain.translator().write(devId, iova, length, d.tracker);
    }
    Hwpt h = d.hwpt;
    return h == null
        ? engine.blocked(devId, iova, length, true)
        : engine.write(devId, h.domain, iova, length, d.tracker);
  }

  /**
   * Makes the device read {@code [iova, iova + length)} by DMA (permission checks only). Safe from
   * any thread.
   *
   * @param devId a bound device id
   * @param iova the first IOVA read
   * @param length the bytes read (positive)
   * @return the bytes read and the number of 4 KiB pages that faulted
   * @throws UapiException {@code ENOENT} for a bad device
   * @throws IllegalArgumentException if {@code length} is not positive or the range wraps
   */
  public DmaResult dmaRead(int devId, long iova, long length) {
    Device d = device(devId);
    IommufdNesting.NestedHwpt n = d.nested;
    if (n != null) {
      return n.domain.translator().read(devId, iova, length);
    }
    Hwpt h = d.hwpt;
    return h == null
        ? engine.blocked(devId, iova, length, false)
        : engine.read(devId, h.domain, iova, length);
  }

  /**
   * Returns the most recent IO page faults of all devices (at most 1024), oldest first.
   *
   * @return the recent faults, oldest first
   */
  public List<IoPageFault> ioPageFaults() {
    return engine.recentFaults();
  }

  /** Renders every object and its state, for tests that check a refusal changed nothing. */
  String snapshot() {
    synchronized (lock) {
      StringBuilder b = new StringBuilder();
      for (Obj o : new TreeMap<>(objects).values()) {
        b.append(o.id).append(' ');
        if (o instanceof Ioas) {
          Ioas i = (Ioas) o;
          b.append("IOAS align=").append(i.iovaAlignment).append(" allowed=").append(i.allowed);
          b.append(" areas=").append(i.areas.asMapOfRanges().values()).append(" hwpts=");
          i.hwpts.forEach(h -> b.append(h.id).append(','));
          b.append(" accesses=");
          i.accesses.forEach(a -> b.append(a.id()).append(','));
          b.append(" pins=");
          i.pins.forEach(
              p ->
                  b.append(p.access().id())
                      .append(":0x")
                      .append(Long.toHexString(p.iova()))
                      .append("-0x")
                      .append(Long.toHexString(p.last()))
                      .append(','));
        } else if (o instanceof Hwpt) {
          Hwpt h = (Hwpt) o;
          b.append("HWPT ioas=").append(h.ioas.id).append(" auto=").append(h.auto);
          b.append(" tracking=").append(h.domain.hasDirtyOps() && h.domain.isDirtyTracking());
          b.append(" devices=");
          h.devices.forEach(d -> b.append(d.id).append(','));
          b.append(" fault=").append(h.fault == null ? "-" : h.fault.id);
          b.append(" pasidCompat=")
              .append(h.pasidCompat)
              .append(" pasidUsers=")
              .append(h.pasidUsers);
        } else if (o instanceof SelftestObj) {
          b.append("SELFTEST");
        } else if (IommufdNesting.owns(o)) {
          b.append(IommufdNesting.describe(o));
        } else if (o instanceof IommufdFaults.Fault) {
          b.append(IommufdFaults.describe((IommufdFaults.Fault) o));
        } else if (o instanceof Device) {
          Device d = (Device) o;
          Hwpt h = d.hwpt;
          b.append("DEVICE hwpt=").append(h == null ? "-" : h.id);
          b.append(d.nested == null ? "" : " nested=" + d.nested.id);
          b.append(pasid.describe(d));
        } else {
          b.append("ACCESS"); // an IommufdAccess: its IOAS and pins are on the IOAS's line
        }
        b.append('\n');
      }
      return b.toString();
    }
  }

  /**
   * Returns this context's nested HWPTs, vIOMMUs and vDEVICEs and their ioctls.
   *
   * @return the context's nesting half, one per context
   */
  public IommufdNesting nesting() {
    return nesting;
  }

  /**
   * Returns the domain of a HWPT, for inspection by tests and tools (entries, IOTLB counters).
   *
   * @param hwptId a HWPT id
   * @return the HWPT's domain
   * @throws UapiException {@code ENOENT} for a bad HWPT
   */
  public IommuDomain domain(int hwptId) {
    synchronized (lock) {
      return hwpt(hwptId).domain;
    }
  }
}
