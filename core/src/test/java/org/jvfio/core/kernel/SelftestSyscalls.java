package org.jvfio.core.kernel;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOW_IOVAS;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_IOVA_RANGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_UNMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ADD_RESERVED;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_DIRTY;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_MAP;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_REFS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptSelftest;
import org.jvfio.api.iommufd.IommuIoasAllowIovas;
import org.jvfio.api.iommufd.IommuIoasIovaRanges;
import org.jvfio.api.iommufd.IommuIoasMap;
import org.jvfio.api.iommufd.IommuIoasUnmap;
import org.jvfio.api.iommufd.IommuIovaRange;
import org.jvfio.api.iommufd.IommuOption;
import org.jvfio.core.iommufd.IoasMap;

/**
 * The selftest's helpers ({@code tools/testing/selftests/iommu/iommufd_utils.h}) over {@link
 * Syscalls}: mock devices, {@code IOMMU_TEST_OP_DIRTY}, {@code MD_CHECK_MAP}, {@code IOMMU_OPTION}
 * and {@code IOMMU_HWPT_ALLOC} with {@code IOMMU_HWPT_DATA_SELFTEST}, each returning the system
 * call's result.
 */
final class SelftestSyscalls {
  final Syscalls sys;
  final int fd;
  final long buffer; // the first byte of the kernel's 1 GiB of guest memory

  /** A kernel built with {@code CONFIG_IOMMUFD_TEST} and 1 GiB of guest memory, and an iommufd. */
  SelftestSyscalls() {
    FakeKernel kernel = FakeKernel.builder().iommufdTest().guestMemory(1L << 30).build();
    this.sys = new Syscalls(kernel);
    this.fd = sys.open(FakeKernel.IOMMU_PATH);
    this.buffer = kernel.guestMemory(0).base();
  }

  /** Over a kernel of the caller's ({@code CONFIG_IOMMUFD_TEST}) and its iommufd {@code fd}. */
  SelftestSyscalls(Syscalls sys, int fd) {
    this.sys = sys;
    this.fd = fd;
    this.buffer = 0;
  }

  /** Writes an iommu_test_cmd of {@code op} on {@code id}; the caller fills the union (at 16). */
  private long cmd(int op, int id, ByteBuffer union) {
    ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(IOMMU_TEST_CMD_SIZE).putInt(op).putInt(id).putInt(0).put(union.flip());
    return sys.mem.allocate(b.array());
  }

  private static ByteBuffer union() {
    return ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** {@code test_cmd_mock_domain_flags}: returns {stdev, hwpt, idev}. */
  int[] mockDomain(int ptId, int devFlags) {
    long arg = cmd(IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, ptId, union().position(12).putInt(devFlags));
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    ByteBuffer out = sys.mem.read(arg + 16, 12).order(ByteOrder.LITTLE_ENDIAN);
    return new int[] {out.getInt(), out.getInt(), out.getInt()};
  }

  /** {@code IOMMU_TEST_OP_DIRTY}: the result, and {@code out_nr_dirty} in {@code count[0]}. */
  int dirty(int hwpt, long iova, long length, long pageSize, long bitmap, long[] count) {
    ByteBuffer u = union().putInt(0).putInt(0).putLong(iova).putLong(length);
    long arg = cmd(IOMMU_TEST_OP_DIRTY, hwpt, u.putLong(pageSize).putLong(bitmap));
    int rc = sys.ioctl(fd, IOMMU_TEST_CMD, arg);
    count[0] = sys.mem.readLong(arg + 56);
    return rc;
  }

  /** {@code IOMMU_TEST_OP_MD_CHECK_MAP}. */
  int checkMap(int hwpt, long iova, long length, long uptr) {
    ByteBuffer u = union().putLong(iova).putLong(length).putLong(uptr);
    return sys.ioctl(fd, IOMMU_TEST_CMD, cmd(IOMMU_TEST_OP_MD_CHECK_MAP, hwpt, u));
  }

  /** {@code IOMMU_TEST_OP_MD_CHECK_REFS}: every page of the range is pinned {@code refs} times. */
  int checkRefs(long uptr, long length, int refs) {
    ByteBuffer u = union().putLong(length).putLong(uptr).putInt(refs);
    return sys.ioctl(fd, IOMMU_TEST_CMD, cmd(IOMMU_TEST_OP_MD_CHECK_REFS, 0, u));
  }

  /** {@code IOMMU_OPTION} of {@code size} bytes; {@code val64[0]} in, the copied-back value out. */
  int option(int size, int optionId, int op, int reserved, int objectId, long[] val64) {
    long arg =
        sys.put(
            IommuOption.SIZE,
            new IommuOption(size, optionId, op, reserved, objectId, val64[0])::encode);
    int rc = sys.ioctl(fd, IOMMU_OPTION, arg);
    val64[0] = sys.mem.readLong(arg + 16);
    return rc;
  }

  int option(int optionId, int op, int objectId, long[] val64) {
    return option(IommuOption.SIZE, optionId, op, 0, objectId, val64);
  }

  /**
   * {@code IOMMU_HWPT_ALLOC} with {@code IOMMU_HWPT_DATA_SELFTEST} ({@code
   * test_cmd_hwpt_alloc_iommupt}): {@code data_len} bytes of {@code struct iommu_hwpt_selftest}
   * with {@code pagetable_type} {@code type} (at {@code uptr} if it is not 0); the new id in {@code
   * out[0]}.
   */
  int hwptAllocSelftest(
      int devId, int ptId, int flags, int type, int dataLen, long uptr, int[] out) {
    long data = uptr;
    if (data == 0) {
      data = sys.mem.allocate(16);
      sys.mem.write(data, Syscalls.encode(8, new IommuHwptSelftest(0, type)::encode));
    }
    IommuHwptAlloc s =
        new IommuHwptAlloc(
            IommuHwptAlloc.SIZE,
            flags,
            devId,
            ptId,
            0,
            0,
            IOMMU_HWPT_DATA_SELFTEST,
            dataLen,
            data,
            0,
            0);
    long arg = sys.put(IommuHwptAlloc.SIZE, s::encode);
    int rc = sys.ioctl(fd, IOMMU_HWPT_ALLOC, arg);
    out[0] = sys.get(arg, IommuHwptAlloc.SIZE, IommuHwptAlloc::decode).outHwptId();
    return rc;
  }

  int hwptAllocSelftest(int devId, int ptId, int flags, int type) {
    int[] out = new int[1];
    ok(hwptAllocSelftest(devId, ptId, flags, type, IommuHwptSelftest.SIZE, 0, out));
    return out[0];
  }

  /**
   * {@code IOMMU_IOAS_IOVA_RANGES} with room for 8 ranges: the usable ranges as {start, last} pairs
   * followed by {@code out_iova_alignment}.
   */
  long[] iovaRanges(int ioasId) {
    long ranges = sys.mem.allocate(8L * IommuIovaRange.SIZE);
    long arg =
        sys.put(
            IommuIoasIovaRanges.SIZE,
            new IommuIoasIovaRanges(IommuIoasIovaRanges.SIZE, ioasId, 8, 0, ranges, 0)::encode);
    ok(sys.ioctl(fd, IOMMU_IOAS_IOVA_RANGES, arg));
    IommuIoasIovaRanges r = sys.get(arg, IommuIoasIovaRanges.SIZE, IommuIoasIovaRanges::decode);
    long[] out = new long[2 * r.numIovas() + 1];
    for (int i = 0; i < 2 * r.numIovas(); i++) {
      out[i] = sys.mem.readLong(ranges + 8L * i);
    }
    out[out.length - 1] = r.outIovaAlignment();
    return out;
  }

  /**
   * {@code IOMMU_TEST_OP_ADD_RESERVED} of {@code [start, start + length - 1]} in {@code ioasId}.
   */
  int addReserved(int ioasId, long start, long length) {
    ByteBuffer u = union().putLong(start).putLong(length);
    return sys.ioctl(fd, IOMMU_TEST_CMD, cmd(IOMMU_TEST_OP_ADD_RESERVED, ioasId, u));
  }

  /** {@code IOMMU_IOAS_ALLOW_IOVAS} of {start, last} pairs. */
  int allowIovas(int ioasId, long... startLast) {
    long ranges = sys.mem.allocate(Math.max(8L, 8L * startLast.length));
    for (int i = 0; i < startLast.length; i++) {
      sys.mem.writeLong(ranges + 8L * i, startLast[i]);
    }
    int n = startLast.length / 2;
    long arg =
        sys.put(
            IommuIoasAllowIovas.SIZE,
            new IommuIoasAllowIovas(IommuIoasAllowIovas.SIZE, ioasId, n, 0, ranges)::encode);
    return sys.ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, arg);
  }

  /** {@code test_ioctl_ioas_map}: maps {@code length} bytes at a kernel-chosen IOVA; returns it. */
  long mapAuto(int ioasId, long userVa, long length) {
    int rw = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
    long arg =
        sys.put(IommuIoasMap.SIZE, IoasMap.of(rw, userVa, length, 0).toStruct(ioasId)::encode);
    ok(sys.ioctl(fd, IOMMU_IOAS_MAP, arg));
    return sys.get(arg, IommuIoasMap.SIZE, IommuIoasMap::decode).iova();
  }

  /** {@code test_ioctl_ioas_unmap}. */
  void unmap(int ioasId, long iova, long length) {
    long arg =
        sys.put(
            IommuIoasUnmap.SIZE,
            new IommuIoasUnmap(IommuIoasUnmap.SIZE, ioasId, iova, length)::encode);
    ok(sys.ioctl(fd, IOMMU_IOAS_UNMAP, arg));
  }
}
