package org.jvfio.core.kernel;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HW_INFO_FLAG_INPUT_TYPE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HW_INFO_TYPE_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ACCESS_PAGES;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ACCESS_RW;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ADD_RESERVED;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_CREATE_ACCESS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_DEV_CHECK_CACHE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_DIRTY;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_IOTLB;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_MAP;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_REFS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_ATTACH;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_CHECK_HWPT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_DETACH;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_REPLACE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_TRIGGER_IOPF;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_TRIGGER_VEVENT;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_DEVICE_NO_DIRTY;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_DEVICE_PASID;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_NESTED_DOMAIN_IOTLB_ID_MAX;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_PASID_WIDTH;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import java.util.function.LongToIntFunction;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwInfo;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.iommufd.HwInfo;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.iommufd.IopfFault;
import org.jvfio.core.nesting.MockNestedDomain;
import org.jvfio.core.nesting.NestedDomain;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;

/*
 * IOMMU_TEST_CMD on one open /dev/iommu, as drivers/iommu/iommufd/selftest.c (iommufd_test) answers
 * it on a kernel built with CONFIG_IOMMUFD_TEST, over jvfio's mock IOMMU.
 *
 * The command is struct iommu_test_cmd read by IommuFile's common size logic (min_size 68, the
 * kernel's 72 bytes); the union starts at offset 16. Modelled ops:
 *  - ADD_RESERVED (iommufd_test_add_reserved): reserves [start, start + length - 1] (wrapping as
 *    the kernel's unsigned sum does) in the IOAS cmd->id with no owner (iopt_reserve_iova): ENOENT
 *    for a bad IOAS, EADDRINUSE over a mapped area or an allowed range.
 *  - MOCK_DOMAIN / MOCK_DOMAIN_FLAGS (iommufd_test_mock_domain): allocates the IOMMUFD_OBJ_SELFTEST
 *    object first, checks the device flags (EINVAL), binds a mock device (behind the kernel's
 *    dirty-capable mock IOMMU, or its NO_DIRTY twin), attaches it to cmd->id and returns the three
 *    ids; each failure undoes the earlier steps. IOMMU_DESTROY of the selftest id detaches and
 *    unbinds the device.
 *  - MOCK_DOMAIN_REPLACE: re-attaches the device of a selftest object (ENOENT for another id).
 *  - MD_CHECK_MAP (iommufd_test_md_check_pa): after get_md_pagetable, iova, length and uptr must be
 *    aligned to the domain's smallest IO page (EINVAL), and each such step of IOVA must translate to
 *    the user address (pinning is the identity in jvfio), EINVAL otherwise; EFAULT for a user page
 *    that does not exist.
 *  - MD_CHECK_REFS (iommufd_test_md_check_refs): each page's pin count summed over the kernel's live
 *    iommufd contexts must equal refs, EIO otherwise.
 *  - DIRTY (iommufd_test_dirty): marks dirty, through the domain's hardware dirty update, the leaf
 *    under each set bit that is mapped, and returns how many bits were set, mapped or not (the
 *    mock's set_dirty leaves an unmapped IOVA alone and the count does not look). The bitmap has
 *    length / page_size bits and is read as DIV_ROUND_UP(bits, 8) bytes, as the kernel reads it
 *    since it handles bitmaps below a byte.
 *  - CREATE_ACCESS, ACCESS_PAGES, DESTROY_ACCESS_PAGES, ACCESS_RW, ACCESS_REPLACE_IOAS: the
 *    selftest's access driver (SelftestAccess), whose access fd is the id of the last four.
 *  - PASID_ATTACH / _REPLACE / _DETACH / _CHECK_HWPT (iommufd_test_pasid_*): on the device of the
 *    selftest object cmd->id (ENOENT for another id), as IommufdPasid models them; ATTACH writes
 *    pt_id back and detaches again if that copy fails. A MOCK_FLAGS_DEVICE_PASID device supports
 *    1 << MOCK_PASID_WIDTH PASIDs (GET_HW_INFO reports out_max_pasid_log2 20), others none.
 *  - TRIGGER_IOPF (iommufd_test_trigger_iopf): ENOENT unless dev_id is a bound device; then reports
 *    a one-fault group (LAST_PAGE, PASID_VALID unless pasid is 0) with the command's pasid, grpid,
 *    perm and addr through IommufdFaults.reportDeviceFault, and returns 0 whether a fault queue
 *    took it or not.
 *  - MD_CHECK_IOTLB (iommufd_test_md_check_iotlb): after get_md_pagetable_nested (ENOENT unless
 *    cmd->id is a nested HWPT, EINVAL unless its domain is the mock's MockNestedDomain), EINVAL
 *    for an entry index above MOCK_NESTED_DOMAIN_IOTLB_ID_MAX or an entry whose value differs.
 *  - SET_TEMP_MEMORY_LIMIT: accepted and ignored. The kernel stores the limit of the temporary memory
 *    its page batches use (iommufd_test_memory_limit, read by pages.c), which changes how much work
 *    each batch does but nothing a caller can observe; jvfio has no page batches.
 *  - DEV_CHECK_CACHE (iommufd_test_dev_check_cache) and TRIGGER_VEVENT (iommufd_test_trigger_vevent):
 *    a mock device's cache, which a mock vIOMMU's invalidations zero, and one vIOMMU event of the
 *    device, as IommufdNesting models them.
 * Every other op is EOPNOTSUPP, as the kernel's default case. IOMMU_GET_HW_INFO of a mock device
 * answers as mock_domain_hw_info (hwInfo).
 *
 * get_md_pagetable: an id that is not a paging HWPT is ENOENT, a HWPT whose domain is not the mock
 * driver's is EINVAL.
 *
 * Thread-safety: the context serialises the model; the selftest-id map is concurrent.
 */
final class IommufdSelftest {
  private static final int UNION = 16;
  private static final int TEST_HW_INFO_SIZE = 8; // sizeof(struct iommu_test_hw_info)
  private static final int IOMMU_HW_INFO_SELFTEST_REGVAL = 0xdeadbeef;
  // mock_dev_create's valid flags; HUGE_IOVA went with the mock's generic page table
  private static final int DEV_FLAGS = MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_PASID;

  /** The kernel-wide mock IOMMUs: one that tracks dirty IOVA and the NO_DIRTY one. */
  record MockIommus(IommuDriver dirty, IommuDriver noDirty) {}

  private final FakeKernel kernel;
  private final IommufdContext ctx;
  private final UserAddressSpace memory;
  private final MockIommus iommus;
  private final long pageSize;
  private final LongToIntFunction pinCount; // over every live context of the kernel
  private final LongPredicate pageExists; // guest RAM or user memory
  private final Map<Integer, Integer> idevOfStdev = new ConcurrentHashMap<>();

  IommufdSelftest(
      FakeKernel kernel,
      IommufdContext ctx,
      UserAddressSpace memory,
      MockIommus iommus,
      long pageSize,
      LongToIntFunction pinCount,
      LongPredicate pageExists) {
    this.kernel = kernel;
    this.ctx = ctx;
    this.memory = memory;
    this.iommus = iommus;
    this.pageSize = pageSize;
    this.pinCount = pinCount;
    this.pageExists = pageExists;
  }

  /** Runs the command in {@code cmd} (72 bytes, little-endian); {@code respond} copies it back. */
  void run(ByteBuffer cmd, Consumer<ByteBuffer> respond) {
    int op = cmd.getInt(4);
    int id = cmd.getInt(8);
    switch (op) {
      case IOMMU_TEST_OP_ADD_RESERVED:
        long start = cmd.getLong(UNION);
        ctx.ioasAddReserved(id, start, start + cmd.getLong(UNION + 8) - 1);
        return;
      case IOMMU_TEST_OP_MOCK_DOMAIN:
      case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
        bindMockDevice(
            cmd, id, op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS ? cmd.getInt(UNION + 12) : 0, respond);
        return;
      case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
        replace(cmd, id, respond);
        return;
      case IOMMU_TEST_OP_MD_CHECK_MAP:
        checkMap(id, cmd.getLong(UNION), cmd.getLong(UNION + 8), cmd.getLong(UNION + 16));
        return;
      case IOMMU_TEST_OP_MD_CHECK_REFS:
        checkRefs(cmd.getLong(UNION + 8), cmd.getLong(UNION), cmd.getInt(UNION + 16));
        return;
      case IOMMU_TEST_OP_DIRTY:
        dirty(cmd, id, respond);
        return;
      case IOMMU_TEST_OP_MD_CHECK_IOTLB:
        checkIotlb(id, cmd.getInt(UNION), cmd.getInt(UNION + 4));
        return;
      case IOMMU_TEST_OP_CREATE_ACCESS:
        createAccess(cmd, id, respond);
        return;
      case IOMMU_TEST_OP_ACCESS_PAGES:
        SelftestAccess.accessPages(kernel, cmd, id, pageExists, pageSize, respond);
        return;
      case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
        SelftestAccess.destroyItem(kernel, id, cmd.getInt(UNION));
        return;
      case IOMMU_TEST_OP_ACCESS_RW:
        SelftestAccess.rw(kernel, cmd, id, memory);
        return;
      case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
        SelftestAccess.replaceIoas(kernel, id, cmd.getInt(UNION));
        return;
      case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
        return;
      case IOMMU_TEST_OP_TRIGGER_IOPF:
        ctx.faults()
            .reportDeviceFault(
                cmd.getInt(UNION),
                IopfFault.lastPage(
                    cmd.getInt(UNION + 4),
                    cmd.getInt(UNION + 8),
                    cmd.getInt(UNION + 12),
                    cmd.getLong(UNION + 16)));
        return;
      case IOMMU_TEST_OP_DEV_CHECK_CACHE:
        ctx.nesting().mockDevices().checkCache(id, cmd.getInt(UNION), cmd.getInt(UNION + 4));
        return;
      case IOMMU_TEST_OP_TRIGGER_VEVENT:
        ctx.nesting().mockDevices().triggerVevent(cmd.getInt(UNION));
        return;
      case IOMMU_TEST_OP_PASID_ATTACH:
        pasidAttach(cmd, idev(id), cmd.getInt(UNION), respond);
        return;
      case IOMMU_TEST_OP_PASID_REPLACE:
        ctx.pasid().replace(idev(id), cmd.getInt(UNION), cmd.getInt(UNION + 4));
        return;
      case IOMMU_TEST_OP_PASID_DETACH:
        ctx.pasid().detach(idev(id), cmd.getInt(UNION));
        return;
      case IOMMU_TEST_OP_PASID_CHECK_HWPT:
        ctx.pasid().checkHwpt(idev(id), cmd.getInt(UNION), cmd.getInt(UNION + 4));
        return;
      default:
        throw new UapiException(Errno.EOPNOTSUPP, "IOMMU_TEST_CMD op " + op + " not modelled");
    }
  }

  private void bindMockDevice(
      ByteBuffer cmd, int ptId, int devFlags, Consumer<ByteBuffer> respond) {
    int stdev = ctx.selftestObjectAlloc(this::teardown);
    try {
      UapiException.check((devFlags & ~DEV_FLAGS) == 0, Errno.EINVAL, "mock device flags");
      IommuDriver iommu =
          (devFlags & MOCK_FLAGS_DEVICE_NO_DIRTY) != 0 ? iommus.noDirty() : iommus.dirty();
      int idev = ctx.bindDevice(iommu, DmaWriteListener.NONE);
      idevOfStdev.put(stdev, idev);
      if ((devFlags & MOCK_FLAGS_DEVICE_PASID) != 0) {
        ctx.pasid().setMaxPasids(idev, 1 << MOCK_PASID_WIDTH);
      }
      int hwpt = ctx.attach(idev, ptId); // a failure unbinds below, through the teardown
      cmd.putInt(UNION, stdev).putInt(UNION + 4, hwpt).putInt(UNION + 8, idev);
      respond.accept(cmd.rewind());
    } catch (UapiException e) {
      ctx.destroy(stdev);
      throw e;
    }
  }

  /** CREATE_ACCESS: the access fd goes back in {@code out_access_fd}; a fault closes it. */
  private void createAccess(ByteBuffer cmd, int ioasId, Consumer<ByteBuffer> respond) {
    int fd = SelftestAccess.create(kernel, ctx, ioasId, cmd.getInt(UNION + 4));
    try {
      cmd.putInt(UNION, fd);
      respond.accept(cmd.rewind());
    } catch (UapiException e) {
      kernel.close(fd);
      throw e;
    }
  }

  /** {@code iommufd_selftest_destroy}: detach and unbind the mock device. */
  private void teardown(int stdev) {
    Integer idev = idevOfStdev.remove(stdev);
    if (idev != null) {
      ctx.unbindDevice(idev);
    }
  }

  /** Whether {@code devId} is the device of a mock-domain selftest object. */
  boolean isMockDevice(int devId) {
    return idevOfStdev.containsValue(devId);
  }

  /**
   * {@code IOMMU_GET_HW_INFO} of a mock device after the core's checks ({@code info}): {@code
   * mock_domain_hw_info} refuses an input type other than DEFAULT or SELFTEST ({@code EOPNOTSUPP})
   * and answers {@code IOMMU_HW_INFO_TYPE_SELFTEST} with the 8-byte {@code struct
   * iommu_test_hw_info} ({@code flags} 0, {@code test_reg} {@code IOMMU_HW_INFO_SELFTEST_REGVAL});
   * the first {@code min(data_len, 8)} bytes are copied, the rest of the user's buffer is zeroed
   * and {@code data_len} comes back 8.
   */
  IommuHwInfo hwInfo(IommuHwInfo s, HwInfo info) {
    boolean input = (s.flags() & IOMMU_HW_INFO_FLAG_INPUT_TYPE) != 0;
    UapiException.check(
        !input || s.dataType() == 0 || s.dataType() == IOMMU_HW_INFO_TYPE_SELFTEST,
        Errno.EOPNOTSUPP,
        "hw_info type");
    ByteBuffer data = ByteBuffer.allocate(TEST_HW_INFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    data.putInt(0).putInt(IOMMU_HW_INFO_SELFTEST_REGVAL).flip();
    long userLen = Integer.toUnsignedLong(s.dataLen());
    int copy = (int) Math.min(userLen, TEST_HW_INFO_SIZE);
    if (copy > 0) {
      memory.write(s.dataUptr(), data.limit(copy));
    }
    UserCopy.clear(memory, s.dataUptr() + copy, userLen - copy);
    return new IommuHwInfo(
        s.size(),
        s.flags(),
        s.devId(),
        TEST_HW_INFO_SIZE,
        s.dataUptr(),
        IOMMU_HW_INFO_TYPE_SELFTEST,
        Integer.numberOfTrailingZeros(Math.max(1, ctx.pasid().maxPasids(s.devId()))),
        s.reserved(),
        info.outCapabilities());
  }

  private void replace(ByteBuffer cmd, int stdev, Consumer<ByteBuffer> respond) {
    cmd.putInt(UNION, ctx.attach(idev(stdev), cmd.getInt(UNION)));
    respond.accept(cmd.rewind());
  }

  /** {@code iommufd_test_get_selftest_obj}: the device of a selftest object. */
  private int idev(int stdev) {
    Integer idev = idevOfStdev.get(stdev);
    UapiException.check(idev != null, Errno.ENOENT, "not a selftest object: " + stdev);
    return idev;
  }

  private void pasidAttach(ByteBuffer cmd, int idev, int pasid, Consumer<ByteBuffer> respond) {
    cmd.putInt(UNION + 4, ctx.pasid().attach(idev, pasid, cmd.getInt(UNION + 4)));
    try {
      respond.accept(cmd.rewind());
    } catch (UapiException e) {
      ctx.pasid().detach(idev, pasid);
      throw e;
    }
  }

  /** {@code get_md_pagetable}. */
  private IommuDomain mockDomain(int hwptId) {
    IommuDomain domain = ctx.domain(hwptId);
    UapiException.check(
        domain.driver().equals(iommus.dirty()) || domain.driver().equals(iommus.noDirty()),
        Errno.EINVAL,
        "not a mock domain");
    return domain;
  }

  private void checkMap(int hwptId, long iova, long length, long uptr) {
    IommuDomain domain = mockDomain(hwptId);
    long step = Long.lowestOneBit(domain.pageSizeBitmap());
    UapiException.check(
        ((iova | length | uptr) & (step - 1)) == 0
            && Long.compareUnsigned(uptr + length, uptr) >= 0,
        Errno.EINVAL,
        "misaligned or wrapping check_map");
    for (long off = 0; off != length; off += step) {
      UapiException.check(pageExists.test(uptr + off), Errno.EFAULT, "no user page");
      Optional<Translation> t = domain.translate(iova + off);
      UapiException.check(
          t.isPresent() && t.get().physicalOf(iova + off) == uptr + off,
          Errno.EINVAL,
          "IOVA 0x" + Long.toHexString(iova + off) + " does not map the user page");
    }
  }

  private void checkIotlb(int hwptId, int iotlbId, int value) {
    NestedDomain d = ctx.nesting().domain(hwptId);
    UapiException.check(d instanceof MockNestedDomain, Errno.EINVAL, "not a mock nested domain");
    UapiException.check(
        Integer.compareUnsigned(iotlbId, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) <= 0
            && ((MockNestedDomain) d).iotlb(iotlbId) == value,
        Errno.EINVAL,
        "mock IOTLB entry " + Integer.toUnsignedString(iotlbId) + " differs");
  }

  private void checkRefs(long uptr, long length, int refs) {
    UapiException.check(
        length % pageSize == 0
            && uptr % pageSize == 0
            && Long.compareUnsigned(uptr + length, uptr) >= 0,
        Errno.EINVAL,
        "misaligned or wrapping check_refs");
    for (long off = 0; off != length; off += pageSize) {
      UapiException.check(pageExists.test(uptr + off), Errno.EFAULT, "no user page");
      UapiException.check(
          pinCount.applyAsInt(uptr + off) == refs, Errno.EIO, "pin count differs from refs");
    }
  }

  private void dirty(ByteBuffer cmd, int hwptId, Consumer<ByteBuffer> respond) {
    long iova = cmd.getLong(UNION + 8);
    long length = cmd.getLong(UNION + 16);
    long pageSize = cmd.getLong(UNION + 24);
    long uptr = cmd.getLong(UNION + 32);
    UapiException.check(
        pageSize != 0
            && length != 0
            && Long.remainderUnsigned(iova, pageSize) == 0
            && Long.remainderUnsigned(length, pageSize) == 0
            && uptr != 0,
        Errno.EINVAL,
        "bad dirty range");
    IommuDomain domain = mockDomain(hwptId);
    UapiException.check(domain.isDirtyTracking(), Errno.EINVAL, "dirty tracking is off");
    long max = Long.divideUnsigned(length, pageSize);
    long bitmapSize = (max >>> 3) + ((max & 7) != 0 ? 1 : 0);
    UapiException.check(bitmapSize <= Integer.MAX_VALUE, Errno.ENOMEM, "bitmap too large");
    byte[] bits = new byte[(int) bitmapSize];
    UapiException.check(memory.isAccessible(uptr, bitmapSize), Errno.EFAULT, "bitmap unreadable");
    memory.read(uptr, ByteBuffer.wrap(bits));
    long count = 0;
    for (long i = 0; i < max; i++) {
      if ((bits[(int) (i >>> 3)] & (1 << (i & 7))) != 0) {
        markDirty(domain, iova + i * pageSize);
        count++;
      }
    }
    cmd.putLong(UNION + 40, count);
    respond.accept(cmd.rewind());
  }

  /** Sets the dirty bit of the leaf mapping {@code iova}, if one does. */
  private static void markDirty(IommuDomain domain, long iova) {
    while (true) {
      Optional<Translation> t = domain.translate(iova);
      if (t.isEmpty() || domain.setDirtyByHardware(t.get())) {
        return;
      }
    }
  }
}
