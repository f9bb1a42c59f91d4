package org.jvfio.sim;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_GET_HW_INFO;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_SET_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOW_IOVAS;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_COPY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_IOVA_RANGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_UNMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_ATTACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_BIND_IOMMUFD;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_DETACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_PROBE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_RESET;
import static org.jvfio.api.vfio.Vfio.VFIO_MIG_GET_PRECOPY_INFO;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.jvfio.core.kernel.FakeKernel;

/**
 * Generates fuzz programs for the {@link FakeKernel} that {@link SyscallFuzzTest} builds: a valid
 * setup (iommufd, four bound devices, an IOAS mapping guest RAM, a dirty-tracking HWPT with devices
 * attached) and then random calls on every file the kernel serves: {@code /dev/iommu}, the device
 * cdevs and the migration data fds (ioctls everywhere, {@code read} and {@code write} on the data
 * fds, {@code pread}, {@code pwrite} and {@code poll} on any fd). Each struct is built from fields
 * biased towards the values the checks are about (existing ids and fds, IOVAs at the edges of the
 * mapping, zero, all-ones, powers of two, lengths that overflow), then sometimes mutated byte by
 * byte, truncated or padded.
 */
final class FuzzGen {
  static final long PAGE = 4096;
  static final long GUEST = 2L << 20;
  static final long IOVA = 1L << 30;
  static final int DEVICES = 4;
  static final int IOMMUFD = 3;
  static final int FIRST_DEVICE_FD = 4;
  static final int LAST_FD = 11;

  private static final int[] IOMMUFD_REQUESTS = {
    IOMMU_DESTROY,
    IOMMU_IOAS_ALLOC,
    IOMMU_IOAS_ALLOW_IOVAS,
    IOMMU_IOAS_COPY,
    IOMMU_IOAS_IOVA_RANGES,
    IOMMU_IOAS_MAP,
    IOMMU_IOAS_UNMAP,
    IOMMU_HWPT_ALLOC,
    IOMMU_GET_HW_INFO,
    IOMMU_HWPT_SET_DIRTY_TRACKING,
    IOMMU_HWPT_GET_DIRTY_BITMAP,
    IOMMU_VFIO_IOAS
  };
  private static final int[] FEATURES = {1, 2, 6, 7, 8, 9};

  private final SplittableRandom rnd;

  FuzzGen(SplittableRandom rnd) {
    this.rnd = rnd;
  }

  /**
   * The valid start of every program: fd 3 is the iommufd, fds 4 to 7 the devices (bound as ids 1
   * to 4), IOAS 5 maps guest RAM at {@link #IOVA}, HWPT 6 tracks dirty pages with vfio0 and vfio1
   * attached, vfio2 is attached to the IOAS (an automatic domain).
   */
  static List<FuzzCall> setup(long guestBase) {
    List<FuzzCall> calls = new ArrayList<>();
    calls.add(FuzzCall.open(FakeKernel.IOMMU_PATH));
    for (int d = 0; d < DEVICES; d++) {
      calls.add(FuzzCall.open(FakeKernel.devicePath(d)));
    }
    for (int d = 0; d < DEVICES; d++) {
      calls.add(ioctl(FIRST_DEVICE_FD + d, VFIO_DEVICE_BIND_IOMMUFD, b -> bind(b, IOMMUFD)));
    }
    calls.add(ioctl(IOMMUFD, IOMMU_IOAS_ALLOC, b -> b.putInt(12).putInt(0).putInt(0)));
    int rw = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    calls.add(ioctl(IOMMUFD, IOMMU_IOAS_MAP, b -> map(b, rw, 5, guestBase, GUEST, IOVA)));
    calls.add(
        ioctl(IOMMUFD, IOMMU_HWPT_ALLOC, b -> hwptAlloc(b, IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 1, 5)));
    calls.add(ioctl(FIRST_DEVICE_FD, VFIO_DEVICE_ATTACH_IOMMUFD_PT, b -> attach(b, 6)));
    calls.add(ioctl(FIRST_DEVICE_FD + 1, VFIO_DEVICE_ATTACH_IOMMUFD_PT, b -> attach(b, 6)));
    calls.add(ioctl(FIRST_DEVICE_FD + 2, VFIO_DEVICE_ATTACH_IOMMUFD_PT, b -> attach(b, 5)));
    calls.add(
        ioctl(
            IOMMUFD,
            IOMMU_HWPT_SET_DIRTY_TRACKING,
            b -> b.putInt(16).putInt(1).putInt(6).putInt(0)));
    return calls;
  }

  /**
   * The inputs an outside fuzzer found escaping or misanswered (after {@link #setup}): a
   * DMA_LOGGING_REPORT of length 2^44 into a 16-byte bitmap, logging off and on; a START over [0,
   * 2^45) at 4 KiB; a resume stream whose header claims 1 GiB, then the calls that found the device
   * stuck; GET_DIRTY_BITMAP with length 0 at a non-zero IOVA.
   */
  static List<FuzzCall> reportedDefects() {
    List<FuzzCall> calls = new ArrayList<>();
    int vfio0 = FIRST_DEVICE_FD;
    FuzzCall report =
        withAux(
            ioctl(
                vfio0,
                VFIO_DEVICE_FEATURE,
                b ->
                    feature(b, VFIO_DEVICE_FEATURE_GET | 8)
                        .putLong(0)
                        .putLong(1L << 44)
                        .putLong(PAGE)
                        .putLong(0)),
            32,
            new byte[16]);
    calls.add(report);
    ByteBuffer range = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    range.putLong(0).putLong(1L << 45);
    calls.add(
        withAux(
            ioctl(
                vfio0,
                VFIO_DEVICE_FEATURE,
                b ->
                    feature(b, VFIO_DEVICE_FEATURE_SET | 6)
                        .putLong(PAGE)
                        .putInt(1)
                        .putInt(0)
                        .putLong(0)),
            24,
            range.array()));
    calls.add(report);
    calls.add(ioctl(vfio0, VFIO_DEVICE_FEATURE, b -> feature(b, VFIO_DEVICE_FEATURE_SET | 7)));
    for (int state : new int[] {2, 5}) { // STOP, RESUMING (data fd 8)
      calls.add(
          ioctl(
              vfio0,
              VFIO_DEVICE_FEATURE,
              b -> feature(b, VFIO_DEVICE_FEATURE_SET | 2).putInt(state).putInt(-1)));
    }
    byte[] header = Arrays.copyOf(resumeHeader(1L << 30, 4096), 36);
    calls.add(FuzzCall.write(8, header, header.length));
    FuzzCall stop =
        ioctl(
            vfio0,
            VFIO_DEVICE_FEATURE,
            b -> feature(b, VFIO_DEVICE_FEATURE_SET | 2).putInt(2).putInt(-1));
    calls.add(stop);
    calls.add(FuzzCall.write(8, header, header.length));
    calls.add(stop);
    calls.add(FuzzCall.ioctl(vfio0, VFIO_DEVICE_RESET, new byte[0], 0, List.of()));
    calls.add(stop);
    calls.add(
        withAux(
            ioctl(
                IOMMUFD,
                IOMMU_HWPT_GET_DIRTY_BITMAP,
                b ->
                    b.putInt(48)
                        .putInt(6)
                        .putInt(0)
                        .putInt(0)
                        .putLong(IOVA)
                        .putLong(0)
                        .putLong(PAGE)
                        .putLong(0)),
            40,
            new byte[64]));
    return calls;
  }

  private static ByteBuffer feature(ByteBuffer b, int flags) {
    return b.putInt(0).putInt(flags);
  }

  /** Sets {@code argsz} and points the pointer field at {@code offset} to {@code bytes}. */
  private static FuzzCall withAux(FuzzCall c, int offset, byte[] bytes) {
    byte[] arg = c.arg().clone();
    ByteBuffer.wrap(arg).order(ByteOrder.LITTLE_ENDIAN).putInt(0, arg.length);
    return FuzzCall.ioctl(
        c.fd(), c.request(), arg, arg.length, List.of(new FuzzCall.Aux(offset, bytes)));
  }

  private interface Struct {
    void fill(ByteBuffer b);
  }

  private static FuzzCall ioctl(int fd, int request, Struct s) {
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    s.fill(b);
    byte[] arg = new byte[b.position()];
    b.flip().get(arg);
    return FuzzCall.ioctl(fd, request, arg, arg.length, List.of());
  }

  private static void bind(ByteBuffer b, int iommufd) {
    b.putInt(24).putInt(0).putInt(iommufd).putInt(0).putLong(0);
  }

  private static void attach(ByteBuffer b, int ptId) {
    b.putInt(16).putInt(0).putInt(ptId).putInt(0);
  }

  private static void map(ByteBuffer b, int flags, int ioas, long va, long length, long iova) {
    b.putInt(40).putInt(flags).putInt(ioas).putInt(0).putLong(va).putLong(length).putLong(iova);
  }

  private static void hwptAlloc(ByteBuffer b, int flags, int devId, int ptId) {
    b.putInt(48).putInt(flags).putInt(devId).putInt(ptId).putInt(0).putInt(0);
    b.putInt(0).putInt(0).putLong(0).putInt(0).putInt(0);
  }

  // --- values ----------------------------------------------------------------------------------

  private int id() {
    return rnd.nextInt(20) == 0 ? rnd.nextInt() : rnd.nextInt(10);
  }

  private int fd() {
    return rnd.nextInt(20) == 0 ? rnd.nextInt(-2, 64) : rnd.nextInt(0, LAST_FD + 1);
  }

  private long iova() {
    switch (rnd.nextInt(8)) {
      case 0:
        return 0;
      case 1:
        return -PAGE * rnd.nextInt(1, 4);
      case 2:
        return 1L << rnd.nextInt(64);
      case 3:
        return rnd.nextLong();
      default:
        return IOVA
            + PAGE * rnd.nextInt(-8, (int) (GUEST / PAGE) + 8)
            + (rnd.nextInt(8) == 0 ? 1 : 0);
    }
  }

  private long length() {
    switch (rnd.nextInt(8)) {
      case 0:
        return 0;
      case 1:
        return -1L - rnd.nextInt(2) * (PAGE - 1);
      case 2:
        return 1L << rnd.nextInt(64);
      case 3:
        return rnd.nextLong();
      default:
        return PAGE * rnd.nextInt(1, (int) (GUEST / PAGE) + 8) + (rnd.nextInt(8) == 0 ? 1 : 0);
    }
  }

  private long pageSize() {
    switch (rnd.nextInt(6)) {
      case 0:
        return 0;
      case 1:
        return rnd.nextLong();
      case 2:
        return 1L << rnd.nextInt(64);
      default:
        return PAGE << (rnd.nextInt(4) == 0 ? 9 : 0);
    }
  }

  private int flags() {
    return rnd.nextInt(8) == 0 ? rnd.nextInt() : rnd.nextInt(16);
  }

  private byte[] bytes(int max) {
    byte[] b = new byte[rnd.nextInt(1, max + 1)];
    rnd.nextBytes(b);
    return b;
  }

  /** A user buffer: usually big enough for a bitmap of the guest, sometimes tiny or unmapped. */
  private byte[] buffer() {
    switch (rnd.nextInt(6)) {
      case 0:
        return new byte[0];
      case 1:
        return new byte[rnd.nextInt(1, 17)];
      default:
        return new byte[(int) (GUEST / PAGE / 8) + 64];
    }
  }

  // --- calls -----------------------------------------------------------------------------------

  /** Returns a random call. */
  FuzzCall next() {
    int which = rnd.nextInt(100);
    if (which < 35) {
      return iommufdIoctl();
    } else if (which < 70) {
      return deviceIoctl();
    } else if (which < 85) {
      return dataFdCall();
    } else if (which < 92) {
      long iova = IOVA + PAGE * rnd.nextInt(-4, (int) (GUEST / PAGE) + 4) + rnd.nextInt(64);
      return FuzzCall.dma(rnd.nextInt(DEVICES), iova, rnd.nextLong(1, 64 * PAGE));
    } else if (which < 95) {
      return positionedOrPoll();
    } else if (which < 98) {
      return FuzzCall.close(fd());
    }
    String[] paths = {FakeKernel.IOMMU_PATH, FakeKernel.devicePath(rnd.nextInt(6)), "/dev/null"};
    return FuzzCall.open(paths[rnd.nextInt(paths.length)]);
  }

  /**
   * pread, pwrite or poll on any fd: offsets from anywhere in the signed 64-bit range to a region's
   * first bytes (region index in bits 40 and up), counts up to 2^64 - 1.
   */
  private FuzzCall positionedOrPoll() {
    int fd = fd();
    if (rnd.nextInt(3) == 0) {
      return FuzzCall.poll(fd, rnd.nextInt(4) == 0 ? rnd.nextInt() : rnd.nextInt(0x200));
    }
    long offset =
        rnd.nextInt(4) == 0
            ? rnd.nextLong()
            : ((long) rnd.nextInt(10) << 40) + rnd.nextInt(-8, 1 << 16);
    int size = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(1, 1 << 12);
    long count = rnd.nextInt(8) == 0 ? rnd.nextLong() : rnd.nextInt(0, size + 64);
    return rnd.nextBoolean()
        ? FuzzCall.pread(fd, size, count, offset)
        : FuzzCall.pwrite(fd, size == 0 ? new byte[0] : bytes(size), count, offset);
  }

  private FuzzCall iommufdIoctl() {
    int request =
        rnd.nextInt(20) == 0
            ? rnd.nextInt()
            : IOMMUFD_REQUESTS[rnd.nextInt(IOMMUFD_REQUESTS.length)];
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    List<FuzzCall.Aux> aux = new ArrayList<>();
    b.putInt(0); // size, patched below
    if (request == IOMMU_IOAS_MAP) {
      b.putInt(flags()).putInt(id()).putInt(0);
      long va = rnd.nextInt(4) == 0 ? rnd.nextLong() : FakeKernel.GUEST_MEMORY_BASE;
      b.putLong(va + PAGE * rnd.nextInt(-2, 8)).putLong(length()).putLong(iova());
    } else if (request == IOMMU_IOAS_UNMAP) {
      b.putInt(id()).putLong(iova()).putLong(length());
    } else if (request == IOMMU_IOAS_COPY) {
      b.putInt(flags()).putInt(id()).putInt(id()).putLong(length()).putLong(iova());
      b.putLong(iova());
    } else if (request == IOMMU_HWPT_ALLOC) {
      b.putInt(flags() & 0xf).putInt(id()).putInt(id()).putInt(0).putInt(0);
      b.putInt(rnd.nextInt(4) == 0 ? rnd.nextInt(4) : 0).putInt(rnd.nextInt(4) == 0 ? 64 : 0);
      aux.add(new FuzzCall.Aux(b.position(), buffer()));
      b.putLong(0).putInt(id()).putInt(0);
    } else if (request == IOMMU_GET_HW_INFO) {
      b.putInt(flags() & 1).putInt(id()).putInt(rnd.nextInt(4) == 0 ? rnd.nextInt() : 64);
      aux.add(new FuzzCall.Aux(b.position(), buffer()));
      b.putLong(0).putInt(rnd.nextInt(4)).putInt(0).putInt(0).putLong(0);
    } else if (request == IOMMU_HWPT_SET_DIRTY_TRACKING) {
      b.putInt(flags() & 3).putInt(id()).putInt(rnd.nextInt(8) == 0 ? 1 : 0);
    } else if (request == IOMMU_HWPT_GET_DIRTY_BITMAP) {
      b.putInt(id()).putInt(flags() & 3).putInt(rnd.nextInt(8) == 0 ? 1 : 0);
      b.putLong(iova()).putLong(length()).putLong(pageSize());
      aux.add(new FuzzCall.Aux(b.position(), buffer()));
      b.putLong(0);
    } else if (request == IOMMU_IOAS_IOVA_RANGES || request == IOMMU_IOAS_ALLOW_IOVAS) {
      int n = rnd.nextInt(4) == 0 ? rnd.nextInt() : rnd.nextInt(4);
      b.putInt(id()).putInt(n).putInt(0);
      ByteBuffer ranges = ByteBuffer.allocate(16 * 3).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < 3; i++) {
        long start = iova();
        ranges.putLong(start).putLong(rnd.nextBoolean() ? start + length() - 1 : rnd.nextLong());
      }
      aux.add(new FuzzCall.Aux(b.position(), rnd.nextInt(6) == 0 ? new byte[0] : ranges.array()));
      b.putLong(0).putLong(0);
    } else if (request == IOMMU_VFIO_IOAS) {
      b.putInt(id())
          .putShort((short) rnd.nextInt(4))
          .putShort((short) (rnd.nextInt(8) == 0 ? 1 : 0));
    } else {
      b.putInt(id()).putInt(flags()).putInt(id());
    }
    return finish(iommufdOrAny(), request, b, aux, true);
  }

  private int iommufdOrAny() {
    return rnd.nextInt(10) == 0 ? fd() : IOMMUFD;
  }

  /** Patches the leading size field, then truncates, pads or mutates the struct sometimes. */
  private FuzzCall finish(int fd, int request, ByteBuffer b, List<FuzzCall.Aux> aux, boolean u32) {
    int size = b.position();
    switch (rnd.nextInt(10)) {
      case 0:
        size = rnd.nextInt(0, size + 1);
        break;
      case 1:
        size = size + rnd.nextInt(1, 17);
        break;
      default:
        break;
    }
    int declared = rnd.nextInt(12) == 0 ? rnd.nextInt() : size;
    if (u32) {
      b.putInt(0, declared);
    }
    byte[] arg = new byte[Math.max(size, 4)];
    System.arraycopy(b.array(), 0, arg, 0, Math.min(arg.length, b.position()));
    if (rnd.nextInt(8) == 0) {
      for (int i = rnd.nextInt(1, 4); i > 0; i--) {
        arg[rnd.nextInt(arg.length)] ^= (byte) (1 << rnd.nextInt(8));
      }
    }
    int alloc =
        rnd.nextInt(16) == 0 ? -1 : rnd.nextInt(16) == 0 ? rnd.nextInt(arg.length) : arg.length;
    return FuzzCall.ioctl(fd, request, arg, alloc, aux);
  }

  private int deviceFd() {
    return rnd.nextInt(10) == 0 ? fd() : FIRST_DEVICE_FD + rnd.nextInt(DEVICES);
  }

  private FuzzCall deviceIoctl() {
    int kind = rnd.nextInt(20);
    ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    List<FuzzCall.Aux> aux = new ArrayList<>();
    int fd = deviceFd();
    if (kind == 0) {
      b.putInt(0).putInt(flags() & 1).putInt(rnd.nextInt(4) == 0 ? fd() : IOMMUFD).putInt(0);
      b.putLong(0);
      return finish(fd, VFIO_DEVICE_BIND_IOMMUFD, b, aux, true);
    } else if (kind == 1) {
      b.putInt(0).putInt(flags() & 1).putInt(id()).putInt(rnd.nextInt(4) == 0 ? rnd.nextInt() : 0);
      return finish(fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, b, aux, true);
    } else if (kind == 2) {
      b.putInt(0).putInt(flags() & 1).putInt(rnd.nextInt(4) == 0 ? rnd.nextInt() : 0);
      return finish(fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, b, aux, true);
    } else if (kind == 3) {
      return FuzzCall.ioctl(fd, VFIO_DEVICE_RESET, new byte[0], 0, List.of());
    }
    int index =
        rnd.nextInt(10) == 0 ? rnd.nextInt(0x10000) : FEATURES[rnd.nextInt(FEATURES.length)];
    int ops = rnd.nextInt(4) == 0 ? flags() << 16 : featureOps(index);
    b.putInt(0).putInt(index | ops);
    switch (index) {
      case 2: // MIG_DEVICE_STATE
        b.putInt(rnd.nextInt(10) == 0 ? rnd.nextInt() : rnd.nextInt(9)).putInt(-1);
        break;
      case 6: // DMA_LOGGING_START
        int n = rnd.nextInt(8) == 0 ? rnd.nextInt() : rnd.nextInt(1, 4);
        b.putLong(pageSize()).putInt(n).putInt(0);
        ByteBuffer ranges = ByteBuffer.allocate(16 * 3).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 3; i++) {
          ranges.putLong(iova()).putLong(length());
        }
        aux.add(new FuzzCall.Aux(b.position(), rnd.nextInt(6) == 0 ? new byte[0] : ranges.array()));
        b.putLong(0);
        break;
      case 8: // DMA_LOGGING_REPORT
        b.putLong(iova()).putLong(length()).putLong(pageSize());
        aux.add(new FuzzCall.Aux(b.position(), buffer()));
        b.putLong(0);
        break;
      default:
        b.putLong(rnd.nextLong());
        break;
    }
    return finish(fd, VFIO_DEVICE_FEATURE, b, aux, true);
  }

  private int featureOps(int index) {
    if (rnd.nextInt(8) == 0) {
      return VFIO_DEVICE_FEATURE_PROBE | (rnd.nextInt(4) << 16);
    }
    boolean set = index == 6 || index == 7 || (index == 2 && rnd.nextInt(3) != 0);
    return set ? VFIO_DEVICE_FEATURE_SET : VFIO_DEVICE_FEATURE_GET;
  }

  private FuzzCall dataFdCall() {
    int fd = rnd.nextInt(FIRST_DEVICE_FD + DEVICES, LAST_FD + 1);
    switch (rnd.nextInt(4)) {
      case 0:
        int size = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(1, 1 << 16);
        long count = rnd.nextInt(8) == 0 ? rnd.nextLong() : rnd.nextInt(0, size + 64);
        return FuzzCall.read(fd, size, count);
      case 1:
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(24).putInt(flags() & 1).putLong(0).putLong(0);
        return finish(
            fd,
            rnd.nextInt(10) == 0 ? rnd.nextInt() : VFIO_MIG_GET_PRECOPY_INFO,
            b,
            new ArrayList<>(),
            true);
      default:
        byte[] stream = rnd.nextBoolean() ? bytes(256) : resumeHeader();
        long n = rnd.nextInt(8) == 0 ? rnd.nextLong() : stream.length - rnd.nextInt(2);
        return FuzzCall.write(fd, stream, n);
    }
  }

  /**
   * A valid header of the reference driver's stream claiming up to 1 GiB of state, sometimes
   * followed by a record: the input that once made RESUMING to STOP allocate the claim.
   */
  private byte[] resumeHeader() {
    long claim = rnd.nextBoolean() ? 1L << 30 : rnd.nextLong(0, 1L << 31);
    return resumeHeader(claim, rnd.nextInt(4) == 0 ? rnd.nextInt() : 4096);
  }

  private static byte[] resumeHeader(long claim, int chunk) {
    ByteBuffer b = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(0x4D46564A).putShort((short) 1).putShort((short) 0).putLong(claim).putInt(chunk);
    CRC32C crc = new CRC32C();
    crc.update(b.array(), 0, 20);
    b.putInt((int) crc.getValue());
    b.putInt(0x4B4E4843).putInt(0).putInt(chunk).putInt(0).putInt(0).putInt(0);
    return b.array();
  }
}
