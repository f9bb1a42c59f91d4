package org.jvfio.core.kernel;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_FAULT_QUEUE_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_GET_HW_INFO;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_SET_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOW_IOVAS;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_COPY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_IOVA_RANGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FILE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_UNMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VDEVICE_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VEVENTQ_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_GET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_ALLOC;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_MIN_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.vfio.Vfio.VFIO_API_VERSION;
import static org.jvfio.api.vfio.Vfio.VFIO_CHECK_EXTENSION;
import static org.jvfio.api.vfio.Vfio.VFIO_GET_API_VERSION;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_GET_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_MAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_UNMAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_SET_IOMMU;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.AbstractList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuFaultAlloc;
import org.jvfio.api.iommufd.IommuHwInfo;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptGetDirtyBitmap;
import org.jvfio.api.iommufd.IommuHwptInvalidate;
import org.jvfio.api.iommufd.IommuHwptSetDirtyTracking;
import org.jvfio.api.iommufd.IommuIoasAlloc;
import org.jvfio.api.iommufd.IommuIoasAllowIovas;
import org.jvfio.api.iommufd.IommuIoasCopy;
import org.jvfio.api.iommufd.IommuIoasIovaRanges;
import org.jvfio.api.iommufd.IommuIoasMap;
import org.jvfio.api.iommufd.IommuIoasMapFile;
import org.jvfio.api.iommufd.IommuIoasUnmap;
import org.jvfio.api.iommufd.IommuIovaRange;
import org.jvfio.api.iommufd.IommuOption;
import org.jvfio.api.iommufd.IommuVdeviceAlloc;
import org.jvfio.api.iommufd.IommuVeventqAlloc;
import org.jvfio.api.iommufd.IommuVfioIoas;
import org.jvfio.api.iommufd.IommuViommuAlloc;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.core.UapiException;
import org.jvfio.core.container.IommufdVfioCompat;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwInfo;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasCopy;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IoasMapFile;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.iommufd.IovaRange;
import org.jvfio.core.iommufd.IovaRanges;

/*
 * An open /dev/iommu: the byte layer of iommufd over one IommufdContext context.
 *
 * ioctl() is iommufd_fops_ioctl(): a table maps each modelled request number to {min_size, the
 * kernel's struct size, handler}; a number not in it goes to the VFIO type1 compatibility layer
 * (vfioCompat), which answers the container ioctls and ENOTTY for everything else (the iommufd
 * commands jvfio does not model: IOAS_CHANGE_PROCESS, HW_QUEUE_ALLOC, ...); IOMMU_VFIO_IOAS, which chooses
 * the IOAS that layer acts on, is in the table. The nesting commands (HWPT_INVALIDATE,
 * VIOMMU_ALLOC, VDEVICE_ALLOC, VEVENTQ_ALLOC, whose fd is a VeventqFile) are in NestingIoctls;
 * FAULT_QUEUE_ALLOC is in FaultFile. The common size
 * logic runs once: read the u32 size (EFAULT),
 * size < min_size is EINVAL, copy_struct_from_user (E2BIG for a non-zero tail beyond the kernel's
 * struct, shorter structs zero-extended). Each handler decodes the api record, converts it to the
 * typed record, calls the typed model (which makes every check in the kernel's order) and copies
 * back min(user size, kernel size) bytes of the reply where the kernel responds (ALLOC, MAP, COPY,
 * UNMAP, IOVA_RANGES, HWPT_ALLOC, GET_HW_INFO). Where a reply cannot be copied the kernel destroys a
 * just-allocated object (IOAS_ALLOC, HWPT_ALLOC) but keeps a mapping made by MAP or COPY; so does
 * the model.
 *
 * IOMMU_TEST_CMD is in the table only on a kernel built with CONFIG_IOMMUFD_TEST (IommufdSelftest).
 *
 * Thread-safety: stateless apart from the context, whose methods are serialised by its own lock.
 */
final class IommuFile extends OpenFile {
  /** One row of the dispatch table: {@code IOCTL_OP(number, handler, struct, last_field)}. */
  private record Op(int minSize, int size, Handler handler) {}

  /** A command, with the struct read from the user and how to answer. */
  private record Ucmd(long arg, long userSize, int size, ByteBuffer cmd) {}

  @FunctionalInterface
  private interface Handler {
    void run(IommuFile file, Ucmd ucmd);
  }

  private static final Map<Integer, Op> OPS =
      Map.ofEntries(
          Map.entry(IOMMU_DESTROY, new Op(8, IommuDestroy.SIZE, IommuFile::destroy)),
          Map.entry(IOMMU_IOAS_ALLOC, new Op(12, IommuIoasAlloc.SIZE, IommuFile::ioasAlloc)),
          Map.entry(
              IOMMU_IOAS_ALLOW_IOVAS,
              new Op(24, IommuIoasAllowIovas.SIZE, IommuFile::ioasAllowIovas)),
          Map.entry(IOMMU_IOAS_COPY, new Op(40, IommuIoasCopy.SIZE, IommuFile::ioasCopy)),
          Map.entry(
              IOMMU_IOAS_IOVA_RANGES,
              new Op(32, IommuIoasIovaRanges.SIZE, IommuFile::ioasIovaRanges)),
          Map.entry(IOMMU_IOAS_MAP, new Op(40, IommuIoasMap.SIZE, IommuFile::ioasMap)),
          Map.entry(IOMMU_IOAS_MAP_FILE, new Op(40, IommuIoasMapFile.SIZE, IommuFile::ioasMapFile)),
          Map.entry(IOMMU_IOAS_UNMAP, new Op(24, IommuIoasUnmap.SIZE, IommuFile::ioasUnmap)),
          Map.entry(IOMMU_OPTION, new Op(24, IommuOption.SIZE, IommuFile::option)),
          Map.entry(IOMMU_VFIO_IOAS, new Op(12, IommuVfioIoas.SIZE, IommuFile::vfioIoas)),
          Map.entry(IOMMU_HWPT_ALLOC, new Op(24, IommuHwptAlloc.SIZE, IommuFile::hwptAlloc)),
          Map.entry(
              IOMMU_FAULT_QUEUE_ALLOC,
              new Op(
                  16,
                  IommuFaultAlloc.SIZE,
                  (f, u) ->
                      FaultFile.alloc(
                          f.kernel,
                          f.ctx,
                          f.memory,
                          IommuFaultAlloc.decode(u.cmd()),
                          reply -> f.respond(u, reply::encode)))),
          Map.entry(IOMMU_GET_HW_INFO, new Op(32, IommuHwInfo.SIZE, IommuFile::getHwInfo)),
          Map.entry(
              IOMMU_HWPT_SET_DIRTY_TRACKING,
              new Op(16, IommuHwptSetDirtyTracking.SIZE, IommuFile::setDirtyTracking)),
          Map.entry(
              IOMMU_HWPT_GET_DIRTY_BITMAP,
              new Op(48, IommuHwptGetDirtyBitmap.SIZE, IommuFile::getDirtyBitmap)),
          Map.entry(
              IOMMU_HWPT_INVALIDATE,
              new Op(
                  32,
                  IommuHwptInvalidate.SIZE,
                  (f, u) ->
                      NestingIoctls.hwptInvalidate(
                          f.ctx, f.memory, u.arg(), u.userSize(), u.cmd()))),
          Map.entry(
              IOMMU_VIOMMU_ALLOC,
              new Op(
                  24,
                  IommuViommuAlloc.SIZE,
                  (f, u) ->
                      NestingIoctls.viommuAlloc(f.ctx, f.memory, u.arg(), u.userSize(), u.cmd()))),
          Map.entry(
              IOMMU_VDEVICE_ALLOC,
              new Op(
                  24,
                  IommuVdeviceAlloc.SIZE,
                  (f, u) ->
                      NestingIoctls.vdeviceAlloc(f.ctx, f.memory, u.arg(), u.userSize(), u.cmd()))),
          Map.entry(
              IOMMU_VEVENTQ_ALLOC,
              new Op(
                  32,
                  IommuVeventqAlloc.SIZE,
                  (f, u) ->
                      NestingIoctls.veventqAlloc(
                          f.kernel, f.ctx, f.memory, u.arg(), u.userSize(), u.cmd()))));

  /** {@code IOMMU_TEST_CMD}, on a kernel built with {@code CONFIG_IOMMUFD_TEST}. */
  private static final Op TEST_CMD =
      new Op(IOMMU_TEST_CMD_MIN_SIZE, IOMMU_TEST_CMD_SIZE, IommuFile::testCmd);

  private static final int VAL64_OFFSET = 16; // offsetof(struct iommu_option, val64)

  final IommufdContext ctx;
  final IommufdVfioCompat compat;
  private final FakeKernel kernel; // installs the files the commands create
  private final UserAddressSpace memory;
  private final IommufdSelftest selftest; // null unless CONFIG_IOMMUFD_TEST

  IommuFile(
      FakeKernel kernel,
      IommufdContext ctx,
      long pageSize,
      UserAddressSpace memory,
      IommufdSelftest selftest) {
    this.kernel = kernel;
    this.ctx = ctx;
    this.compat = IommufdVfioCompat.of(ctx, pageSize);
    this.memory = memory;
    this.selftest = selftest;
  }

  @Override
  int ioctl(int request, long arg) {
    Op op = request == IOMMU_TEST_CMD && selftest != null ? TEST_CMD : OPS.get(request);
    if (op == null) {
      return vfioCompat(request, arg);
    }
    long userSize = UserCopy.readU32(memory, arg);
    UapiException.check(userSize >= op.minSize(), Errno.EINVAL, "size below min_size");
    ByteBuffer cmd = UserCopy.copyStructFromUser(memory, arg, userSize, op.size());
    op.handler().run(this, new Ucmd(arg, userSize, op.size(), cmd));
    return 0;
  }

  /**
   * iommufd_vfio_ioctl(): every request outside the table goes to the VFIO type1 emulation, which
   * knows the API version, CHECK_EXTENSION, SET_IOMMU, GET_INFO, MAP_DMA and UNMAP_DMA; anything
   * else (DIRTY_PAGES included) is ENOTTY. UNMAP_DMA copies its struct back with {@code size} = the
   * bytes unmapped once the unmap has run, even when it fails (0 then).
   */
  private int vfioCompat(int request, long arg) {
    if (request == VFIO_GET_API_VERSION) {
      return VFIO_API_VERSION;
    } else if (request == VFIO_SET_IOMMU) {
      compat.setIommu(arg);
    } else if (request == VFIO_CHECK_EXTENSION) {
      return compat.checkExtension(arg);
    } else if (request == VFIO_IOMMU_GET_INFO) {
      int argsz = Type1Ioctls.readInfoArgsz(memory, arg);
      Type1Ioctls.compatInfo(memory, arg, argsz, compat.getInfo(argsz));
    } else if (request == VFIO_IOMMU_MAP_DMA) {
      compat.mapDma(Type1Ioctls.readMap(memory, arg));
    } else if (request == VFIO_IOMMU_UNMAP_DMA) {
      VfioIommuType1DmaUnmap unmap = Type1Ioctls.readUnmap(memory, arg);
      compat.unmapDma(unmap, size -> Type1Ioctls.writeUnmapped(memory, arg, unmap, size));
    } else {
      return super.ioctl(request, arg);
    }
    return 0;
  }

  private void respond(Ucmd u, Consumer<ByteBuffer> encoder) {
    UserCopy.respond(memory, u.arg(), u.userSize(), u.size(), encoder);
  }

  private void testCmd(Ucmd u) {
    selftest.run(u.cmd(), reply -> respond(u, out -> out.put(reply)));
  }

  private void destroy(Ucmd u) {
    ctx.destroy(IommuDestroy.decode(u.cmd()).id());
  }

  private void ioasAlloc(Ucmd u) {
    IommuIoasAlloc s = IommuIoasAlloc.decode(u.cmd());
    int id = ctx.ioasAlloc(s.flags());
    try {
      respond(u, new IommuIoasAlloc(s.size(), s.flags(), id)::encode);
    } catch (UapiException fault) {
      ctx.destroy(id);
      throw fault;
    }
  }

  /** {@code iommufd_option} copies back {@code val64} alone, and only on success. */
  private void option(Ucmd u) {
    IommuOption s = IommuOption.decode(u.cmd());
    long val64 = ctx.option(s.optionId(), s.op(), s.reserved(), s.objectId(), s.val64());
    memory.write(
        u.arg() + VAL64_OFFSET,
        ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(0, val64));
  }

  /** {@code iommufd_vfio_ioas}: only GET responds, with the whole struct. */
  private void vfioIoas(Ucmd u) {
    IommuVfioIoas s = IommuVfioIoas.decode(u.cmd());
    int ioasId = compat.vfioIoas(s);
    if (s.op() == IOMMU_VFIO_IOAS_GET) {
      respond(u, new IommuVfioIoas(s.size(), ioasId, s.op(), s.reserved())::encode);
    }
  }

  private void ioasMap(Ucmd u) {
    IommuIoasMap s = IommuIoasMap.decode(u.cmd());
    long iova = ctx.ioasMap(s.ioasId(), IoasMap.fromStruct(s));
    respond(
        u,
        new IommuIoasMap(
                s.size(), s.flags(), s.ioasId(), s.reserved(), s.userVa(), s.length(), iova)
            ::encode);
  }

  private void ioasMapFile(Ucmd u) {
    IommuIoasMapFile s = IommuIoasMapFile.decode(u.cmd());
    long iova = ctx.ioasMapFile(s.ioasId(), IoasMapFile.fromStruct(s));
    respond(
        u,
        new IommuIoasMapFile(s.size(), s.flags(), s.ioasId(), s.fd(), s.start(), s.length(), iova)
            ::encode);
  }

  private void ioasCopy(Ucmd u) {
    IommuIoasCopy s = IommuIoasCopy.decode(u.cmd());
    long dstIova = ctx.ioasCopy(IoasCopy.fromStruct(s));
    respond(
        u,
        new IommuIoasCopy(
                s.size(), s.flags(), s.dstIoasId(), s.srcIoasId(), s.length(), dstIova, s.srcIova())
            ::encode);
  }

  private void ioasUnmap(Ucmd u) {
    IommuIoasUnmap s = IommuIoasUnmap.decode(u.cmd());
    long unmapped = ctx.ioasUnmap(s.ioasId(), s.iova(), s.length());
    respond(u, new IommuIoasUnmap(s.size(), s.ioasId(), s.iova(), unmapped)::encode);
  }

  /**
   * Copies up to {@code num_iovas} ranges to {@code allowed_iovas} one by one (EFAULT stops the
   * call before the reply), replies with the total and the alignment, then fails with EMSGSIZE if
   * the array was too short.
   */
  private void ioasIovaRanges(Ucmd u) {
    IommuIoasIovaRanges s = IommuIoasIovaRanges.decode(u.cmd());
    IovaRanges result = ctx.ioasIovaRanges(s.ioasId(), s.reserved());
    List<IovaRange> ranges = result.ranges();
    long room = Integer.toUnsignedLong(s.numIovas());
    for (int i = 0; i < ranges.size() && i < room; i++) {
      memory.write(
          s.allowedIovas() + (long) i * IommuIovaRange.SIZE,
          UserCopy.encode(IommuIovaRange.SIZE, ranges.get(i).toStruct()::encode));
    }
    respond(u, result.toStruct(s)::encode);
    UapiException.check(ranges.size() <= room, Errno.EMSGSIZE, "more IOVA ranges than num_iovas");
  }

  /**
   * The ranges are read lazily, one by one as the model checks them, so a range that fails its
   * checks (EINVAL) comes before an unreadable later one (EFAULT), as in iommufd_ioas_load_iovas().
   */
  private void ioasAllowIovas(Ucmd u) {
    IommuIoasAllowIovas s = IommuIoasAllowIovas.decode(u.cmd());
    long count = Integer.toUnsignedLong(s.numIovas());
    List<IovaRange> ranges =
        new AbstractList<>() {
          @Override
          public IovaRange get(int i) {
            long at = s.allowedIovas() + (long) i * IommuIovaRange.SIZE;
            return IovaRange.fromStruct(
                IommuIovaRange.decode(memory.read(at, IommuIovaRange.SIZE)));
          }

          @Override
          public int size() {
            return (int) Math.min(count, Integer.MAX_VALUE);
          }
        };
    ctx.ioasAllowIovas(s.ioasId(), s.reserved(), ranges);
  }

  private void hwptAlloc(Ucmd u) {
    IommuHwptAlloc s = IommuHwptAlloc.decode(u.cmd());
    int id =
        ctx.hwptAlloc(
            HwptAlloc.fromStruct(s),
            NestingIoctls.userData(memory, s.dataType(), s.dataLen(), s.dataUptr()));
    try {
      respond(
          u,
          new IommuHwptAlloc(
                  s.size(),
                  s.flags(),
                  s.devId(),
                  s.ptId(),
                  id,
                  s.reserved(),
                  s.dataType(),
                  s.dataLen(),
                  s.dataUptr(),
                  s.faultId(),
                  s.reserved2())
              ::encode);
    } catch (UapiException fault) {
      ctx.destroy(id);
      throw fault;
    }
  }

  /**
   * A mock device of {@code IOMMU_TEST_CMD} answers as the selftest's mock IOMMU ({@link
   * IommufdSelftest#hwInfo}). jvfio's IOMMUs have no vendor data (kernel length 0): the whole user
   * buffer of {@code data_len} bytes is zero-filled and {@code data_len} comes back 0.
   */
  private void getHwInfo(Ucmd u) {
    IommuHwInfo s = IommuHwInfo.decode(u.cmd());
    HwInfo info = ctx.getHwInfo(s.flags(), s.devId(), s.dataType(), s.reserved());
    if (selftest != null && selftest.isMockDevice(s.devId())) {
      respond(u, selftest.hwInfo(s, info)::encode);
      return;
    }
    UserCopy.clear(memory, s.dataUptr(), Integer.toUnsignedLong(s.dataLen()));
    respond(u, info.toStruct(s)::encode);
  }

  private void setDirtyTracking(Ucmd u) {
    IommuHwptSetDirtyTracking s = IommuHwptSetDirtyTracking.decode(u.cmd());
    ctx.hwptSetDirtyTracking(s.hwptId(), s.flags());
  }

  /**
   * Harvests into a word array of the bitmap's size and ORs its {@code ceil(nbits / 8)} bytes into
   * user memory at {@code data}, which need not be 8-byte aligned (since Feb 2024 the kernel
   * touches bytes, {@code iova_bitmap_set()} in {@code drivers/iommu/iommufd/iova_bitmap.c}).
   *
   * <p>Upstream quirk, modelled (docs/fidelity.md, "Silent successes of GET_DIRTY_BITMAP"): a
   * bitmap the kernel cannot pin does not fail the call. The kernel makes its checks, then pins the
   * user bitmap before walking; if that fails the walk never runs and the ioctl still returns 0.
   * The model treats a bitmap that is not entirely mapped and writable as unpinnable: after the
   * checks (whose errnos still surface) it returns 0 with nothing harvested and no dirty bit
   * cleared. A read-only bitmap cannot be pinned for writing either ({@code pin_user_pages} with
   * {@code FOLL_WRITE}), so it is the same case. (A kernel that pins the first pages and fails
   * later drops the later records silently, and those dirty bits are lost; the model does not
   * reproduce that partial case.)
   */
  private void getDirtyBitmap(Ucmd u) {
    IommuHwptGetDirtyBitmap s = IommuHwptGetDirtyBitmap.decode(u.cmd());
    GetDirtyBitmap request = GetDirtyBitmap.fromStruct(s);
    long bytes = bitmapBytes(s.length(), s.pageSize());
    if (bytes < 0 || !memory.isWritable(s.data(), bytes)) {
      try {
        ctx.hwptGetDirtyBitmap(request, new long[0]); // the checks; EFAULT means they all passed
      } catch (UapiException e) {
        if (e.errno() != Errno.EFAULT) {
          throw e;
        }
      }
      return;
    }
    long[] words = new long[(int) ((bytes + 7) >>> 3)];
    ctx.hwptGetDirtyBitmap(request, words);
    ByteBuffer out = ByteBuffer.allocate(words.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    out.asLongBuffer().put(words);
    byte[] bits = new byte[(int) bytes];
    out.get(bits);
    try {
      memory.orBytes(s.data(), bits);
    } catch (UapiException unpinned) {
      // freed by another thread meanwhile: the kernel drops records it cannot write, silently
    }
  }

  /**
   * Returns {@code ceil(nbits / 8)} for the bitmap of {@code length} bytes at {@code pageSize} per
   * bit (the page size reduced to its lowest set bit, as the kernel does), or -1 if the request is
   * invalid (the model refuses it) or the bitmap exceeds 2 GiB (no user allocation is that large).
   */
  private static long bitmapBytes(long length, long pageSize) {
    if (length == 0 || pageSize == 0) {
      return -1;
    }
    long lastIndex = (length - 1) >>> Long.numberOfTrailingZeros(pageSize);
    if (Long.compareUnsigned(lastIndex, (long) Integer.MAX_VALUE << 3) >= 0) {
      return -1;
    }
    return (lastIndex >>> 3) + 1;
  }
}
