package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_SET_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_ATTACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_BIND_IOMMUFD;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE;

import java.nio.ByteBuffer;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptGetDirtyBitmap;
import org.jvfio.api.iommufd.IommuHwptSetDirtyTracking;
import org.jvfio.api.iommufd.IommuIoasAlloc;
import org.jvfio.api.iommufd.IommuIoasMap;
import org.jvfio.api.vfio.VfioDeviceAttachIommufdPt;
import org.jvfio.api.vfio.VfioDeviceBindIommufd;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;

/**
 * What a C test program has from libc and its headers: structs laid out in user memory by the
 * published {@link UserStructs} and the system calls of a {@link FakeKernel}, with the selftests'
 * {@code ASSERT_EQ(0, ...)} helpers.
 */
final class Syscalls {
  final FakeKernel kernel;
  final UserMemory mem;
  final UserStructs structs;

  Syscalls(FakeKernel kernel) {
    this(kernel, kernel.userMemory());
  }

  /** Over a kernel built with another address space around {@code mem}, where structs live. */
  Syscalls(FakeKernel kernel, UserMemory mem) {
    this.kernel = kernel;
    this.mem = mem;
    this.structs = UserStructs.of(mem);
  }

  /** Returns the errno of a failed call ({@code rc} must be negative). */
  static Errno errno(long rc) {
    assertTrue(rc < 0, "expected a failure, got " + rc);
    return Errno.of((int) -rc);
  }

  /** Asserts that a call succeeded and returns its result. */
  static long ok(long rc) {
    assertTrue(rc >= 0, () -> "failed with " + Errno.of((int) -rc));
    return rc;
  }

  /**
   * Writes a struct (an api record's {@code encode}) into a new allocation; returns its address.
   */
  long put(int size, Consumer<ByteBuffer> encoder) {
    return structs.put(size, encoder);
  }

  static ByteBuffer encode(int size, Consumer<ByteBuffer> encoder) {
    return UserStructs.encode(size, encoder);
  }

  /** Reads a struct back ({@code decode} of an api record). */
  <T> T get(long addr, int size, Function<ByteBuffer, T> decoder) {
    return structs.get(addr, size, decoder);
  }

  int open(String path) {
    return (int) ok(kernel.open(path));
  }

  int ioctl(int fd, int request, long arg) {
    return kernel.ioctl(fd, request, arg);
  }

  // --- iommufd ----------------------------------------------------------------------------------

  int ioasAlloc(int fd) {
    long arg = put(IommuIoasAlloc.SIZE, new IommuIoasAlloc(IommuIoasAlloc.SIZE, 0, 0)::encode);
    ok(ioctl(fd, IOMMU_IOAS_ALLOC, arg));
    int id = get(arg, IommuIoasAlloc.SIZE, IommuIoasAlloc::decode).outIoasId();
    assertTrue(id != 0);
    return id;
  }

  int ioasMap(int fd, int ioasId, IoasMap map) {
    long arg = put(IommuIoasMap.SIZE, map.toStruct(ioasId)::encode);
    return ioctl(fd, IOMMU_IOAS_MAP, arg);
  }

  void ioasMapFixed(int fd, int ioasId, long userVa, long length, long iova) {
    ok(ioasMap(fd, ioasId, IoasMap.fixed(userVa, length, iova)));
  }

  int hwptAlloc(int fd, HwptAlloc alloc, int[] out) {
    long arg = put(IommuHwptAlloc.SIZE, alloc.toStruct()::encode);
    int rc = ioctl(fd, IOMMU_HWPT_ALLOC, arg);
    out[0] = get(arg, IommuHwptAlloc.SIZE, IommuHwptAlloc::decode).outHwptId();
    return rc;
  }

  int hwptAlloc(int fd, int devId, int ptId, int flags) {
    int[] out = new int[1];
    ok(hwptAlloc(fd, HwptAlloc.paging(flags, devId, ptId), out));
    return out[0];
  }

  int setDirtyTracking(int fd, int hwptId, boolean enable) {
    long arg =
        put(
            IommuHwptSetDirtyTracking.SIZE,
            new IommuHwptSetDirtyTracking(
                    IommuHwptSetDirtyTracking.SIZE,
                    enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
                    hwptId,
                    0)
                ::encode);
    return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, arg);
  }

  int getDirtyBitmap(
      int fd, int hwptId, long iova, long length, long pageSize, long data, int flags) {
    GetDirtyBitmap cmd = GetDirtyBitmap.of(hwptId, flags, iova, length, pageSize);
    return ioctl(
        fd,
        IOMMU_HWPT_GET_DIRTY_BITMAP,
        put(IommuHwptGetDirtyBitmap.SIZE, cmd.toStruct(data)::encode));
  }

  // --- VFIO device ------------------------------------------------------------------------------

  int bind(int deviceFd, int iommufd, int[] devId) {
    long arg =
        put(
            VfioDeviceBindIommufd.SIZE,
            new VfioDeviceBindIommufd(VfioDeviceBindIommufd.SIZE, 0, iommufd, 0, 0)::encode);
    int rc = ioctl(deviceFd, VFIO_DEVICE_BIND_IOMMUFD, arg);
    devId[0] = get(arg, VfioDeviceBindIommufd.SIZE, VfioDeviceBindIommufd::decode).outDevid();
    return rc;
  }

  int bind(int deviceFd, int iommufd) {
    int[] devId = new int[1];
    ok(bind(deviceFd, iommufd, devId));
    return devId[0];
  }

  int attach(int deviceFd, int ptId, int[] hwptId) {
    long arg =
        put(
            VfioDeviceAttachIommufdPt.SIZE,
            new VfioDeviceAttachIommufdPt(VfioDeviceAttachIommufdPt.SIZE, 0, ptId, 0)::encode);
    int rc = ioctl(deviceFd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, arg);
    hwptId[0] = get(arg, VfioDeviceAttachIommufdPt.SIZE, VfioDeviceAttachIommufdPt::decode).ptId();
    return rc;
  }

  int attach(int deviceFd, int ptId) {
    int[] hwptId = new int[1];
    ok(attach(deviceFd, ptId, hwptId));
    return hwptId[0];
  }

  /** {@link UserStructs#putFeature}. */
  long featureArg(int flags, int payloadSize, Consumer<ByteBuffer> payload) {
    return structs.putFeature(flags, payloadSize, payload);
  }

  /** {@code VFIO_DEVICE_FEATURE}; returns the struct's address so the caller can read the reply. */
  long feature(int deviceFd, int flags, int payloadSize, Consumer<ByteBuffer> payload) {
    long arg = featureArg(flags, payloadSize, payload);
    ok(ioctl(deviceFd, VFIO_DEVICE_FEATURE, arg));
    return arg;
  }

  /** Reads the payload of a feature struct at {@code arg}. */
  <T> T payload(long arg, int size, Function<ByteBuffer, T> decoder) {
    return structs.getFeaturePayload(arg, size, decoder);
  }

  static void assertErrno(Errno expected, long rc) {
    assertEquals(expected, errno(rc));
  }
}
