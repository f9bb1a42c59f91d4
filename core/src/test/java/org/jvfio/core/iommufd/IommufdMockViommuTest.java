package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VEVENTQ_TYPE_DEFAULT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_ARM_SMMUV3;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_DEV_CACHE_DEFAULT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_INVALIDATE_FLAG_ALL;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VEVENTQ_TYPE_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_TYPE_SELFTEST;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.nesting.HwptInvalidateResult;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.nesting.UserDataArray;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Example tables for the selftest's mock vIOMMU ({@code drivers/iommu/iommufd/selftest.c}, {@code
 * mock_viommu_*}), its per-device cache ({@code IOMMU_TEST_OP_DEV_CHECK_CACHE}) and the generic
 * vEVENTQ rules ({@code eventq.c}, {@code iommufd_veventq_alloc}; {@code
 * iommufd_veventq_fops_read}) on a mock device: each errno in the kernel's order.
 */
class IommufdMockViommuTest {
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
  final MockIommuDriver mock = MockIommuDriver.createSelftest(true);
  final int dev = ctx.bindDevice(mock, DmaWriteListener.NONE);
  final int ioas = ctx.ioasAlloc(0);
  final int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
  final int viommu = viommuAlloc(IOMMU_VIOMMU_TYPE_SELFTEST, dev, parent, UserData.none());
  final IommufdNesting nesting = ctx.nesting();

  int viommuAlloc(int type, int devId, int hwptId, UserData data) {
    return ctx.nesting().viommuAlloc(0, type, devId, hwptId, data);
  }

  HwptAlloc nestedAlloc(int flags) {
    return new HwptAlloc(flags, dev, viommu, 0, IOMMU_HWPT_DATA_SELFTEST, 8, 0);
  }

  /** A user buffer that is {@code out}. */
  static Veventq.UserBuffer into(ByteBuffer out) {
    return (off, b) -> out.put((int) off, b, b.position(), b.remaining());
  }

  static void assertErrno(Errno want, Executable call) {
    assertEquals(want, assertThrows(UapiException.class, call).errno());
  }

  /** {@code struct iommu_viommu_invalidate_selftest} requests, {@code {flags, vdev_id, id}}. */
  static UserDataArray requests(int type, int... words) {
    ByteBuffer b = ByteBuffer.allocate(words.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (int w : words) {
      b.putInt(w);
    }
    return UserDataArray.of(type, 12, words.length / 3, b.array());
  }

  HwptInvalidateResult invalidate(int... words) {
    return nesting.hwptInvalidate(
        viommu, requests(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, words), 0);
  }

  void assertCache(int... want) {
    for (int c = 0; c < want.length; c++) {
      int id = c;
      assertDoesNotThrow(() -> nesting.mockDevices().checkCache(dev, id, want[id]));
    }
  }

  static HwptInvalidateResult failed(int n, Errno e) {
    return new HwptInvalidateResult(n, Optional.of(e));
  }

  @Test
  void viommuAlloc_mockDevice_refusesEachBadInputInOrder() {
    int plain = ctx.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    assertErrno(Errno.EOPNOTSUPP, () -> ctx.nesting().viommuAlloc(1, 0, dev, parent, null));
    assertErrno(Errno.ENOENT, () -> viommuAlloc(IOMMU_VIOMMU_TYPE_SELFTEST, 0, parent, null));
    assertErrno(Errno.EOPNOTSUPP, () -> viommuAlloc(0xdead, dev, parent, UserData.none()));
    assertErrno(
        Errno.EOPNOTSUPP, () -> viommuAlloc(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, parent, null));
    assertErrno(
        Errno.ENOENT, () -> viommuAlloc(IOMMU_VIOMMU_TYPE_SELFTEST, dev, 0, UserData.none()));
    assertErrno(
        Errno.ENOENT, () -> viommuAlloc(IOMMU_VIOMMU_TYPE_SELFTEST, dev, ioas, UserData.none()));
    assertErrno(
        Errno.EINVAL, () -> viommuAlloc(IOMMU_VIOMMU_TYPE_SELFTEST, dev, plain, UserData.none()));
    UserData data = UserData.of(IOMMU_VIOMMU_TYPE_SELFTEST, new byte[24]);
    assertErrno(Errno.EOPNOTSUPP, () -> viommuAlloc(IOMMU_VIOMMU_TYPE_SELFTEST, dev, parent, data));
  }

  @Test
  void destroy_parentAndViommuHeld_areBusy() {
    int vdev = nesting.vdeviceAlloc(viommu, dev, 0x99);
    assertErrno(Errno.EBUSY, () -> ctx.destroy(parent));
    assertErrno(Errno.EBUSY, () -> ctx.destroy(viommu));
    ctx.destroy(vdev);
    ctx.destroy(viommu);
    ctx.destroy(parent);
  }

  @Test
  void checkMockDeviceCache_newDevice_holdsTheDefaultInEveryEntry() {
    assertCache(
        IOMMU_TEST_DEV_CACHE_DEFAULT,
        IOMMU_TEST_DEV_CACHE_DEFAULT,
        IOMMU_TEST_DEV_CACHE_DEFAULT,
        IOMMU_TEST_DEV_CACHE_DEFAULT);
    assertErrno(Errno.EINVAL, () -> nesting.mockDevices().checkCache(dev, 0, 0));
    assertErrno(Errno.EINVAL, () -> nesting.mockDevices().checkCache(dev, 4, 0));
    assertErrno(Errno.EINVAL, () -> nesting.mockDevices().checkCache(dev, -1, 0));
    assertErrno(Errno.ENOENT, () -> nesting.mockDevices().checkCache(0, 0, 0));
    assertErrno(Errno.ENOENT, () -> nesting.mockDevices().checkCache(ioas, 0, 0));
  }

  @Test
  void hwptInvalidate_mockViommu_eachBadRequestInOrder() {
    nesting.vdeviceAlloc(viommu, dev, 0x99);
    UserDataArray empty =
        UserDataArray.of(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 12, 0, new byte[0]);
    assertEquals(HwptInvalidateResult.ok(0), nesting.hwptInvalidate(viommu, empty, 0));
    UserDataArray emptyBad =
        UserDataArray.of(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID, 12, 0, new byte[0]);
    assertEquals(failed(0, Errno.EINVAL), nesting.hwptInvalidate(viommu, emptyBad, 0));
    assertEquals(
        failed(0, Errno.EINVAL),
        nesting.hwptInvalidate(
            viommu, requests(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID, 0, 0x99, 0), 0));
    UserDataArray huge =
        UserDataArray.of(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 12, -1, new byte[0]);
    assertEquals(failed(0, Errno.ENOMEM), nesting.hwptInvalidate(viommu, huge, 0));
    UserDataArray short2 =
        UserDataArray.of(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 12, 2, new byte[12]);
    assertEquals(failed(0, Errno.EFAULT), nesting.hwptInvalidate(viommu, short2, 0));
    byte[] tail = new byte[16];
    tail[14] = 1;
    UserDataArray e2big = UserDataArray.of(IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, 16, 1, tail);
    assertEquals(failed(0, Errno.E2BIG), nesting.hwptInvalidate(viommu, e2big, 0));
    assertEquals(failed(0, Errno.EOPNOTSUPP), invalidate(2, 0x99, 0));
    assertEquals(failed(0, Errno.EINVAL), invalidate(0, 0x99, 4));
    assertEquals(failed(0, Errno.EINVAL), invalidate(IOMMU_TEST_INVALIDATE_FLAG_ALL, 0x99, 4));
    assertEquals(failed(0, Errno.EINVAL), invalidate(0, 0x9, 0));
    assertEquals(failed(1, Errno.EOPNOTSUPP), invalidate(0, 0x99, 0, -1, 0x99, 1));
    int d = IOMMU_TEST_DEV_CACHE_DEFAULT;
    assertCache(0, d, d, d);
    assertEquals(HwptInvalidateResult.ok(2), invalidate(0, 0x99, 2, 0, 0x99, 3));
    assertCache(0, d, 0, 0);
    assertEquals(HwptInvalidateResult.ok(1), invalidate(IOMMU_TEST_INVALIDATE_FLAG_ALL, 0x99, 0));
    assertCache(0, 0, 0, 0);
  }

  @Test
  void hwptInvalidate_vdeviceOfAnotherViommu_isUnknown() {
    int other = viommuAlloc(IOMMU_VIOMMU_TYPE_SELFTEST, dev, parent, UserData.none());
    nesting.vdeviceAlloc(other, dev, 0x99);
    assertEquals(failed(0, Errno.EINVAL), invalidate(0, 0x99, 0));
  }

  @Test
  void veventqAlloc_eachBadInputInOrder() {
    int t = IOMMU_VEVENTQ_TYPE_SELFTEST;
    assertErrno(Errno.EOPNOTSUPP, () -> nesting.veventqAlloc(1, 0, t, 0, 0));
    assertErrno(Errno.EOPNOTSUPP, () -> nesting.veventqAlloc(0, 0, t, 0, 1));
    assertErrno(
        Errno.EOPNOTSUPP, () -> nesting.veventqAlloc(0, 0, IOMMU_VEVENTQ_TYPE_DEFAULT, 0, 0));
    assertErrno(Errno.EINVAL, () -> nesting.veventqAlloc(0, 0, t, 0, 0));
    assertErrno(Errno.EINVAL, () -> nesting.veventqAlloc(0, viommu, t, (1 << 19) + 1, 0));
    assertErrno(Errno.EINVAL, () -> nesting.veventqAlloc(0, viommu, t, -1, 0));
    assertErrno(Errno.ENOENT, () -> nesting.veventqAlloc(0, 0, t, 1 << 19, 0));
    assertErrno(Errno.ENOENT, () -> nesting.veventqAlloc(0, parent, t, 1, 0));
    int q = nesting.veventqAlloc(0, viommu, t, 1 << 19, 0);
    assertErrno(Errno.EEXIST, () -> nesting.veventqAlloc(0, viommu, t, 2, 0));
    int q2 = nesting.veventqAlloc(0, viommu, 7, 1, 0);
    assertEquals(t, nesting.veventq(q).type());
    assertEquals(1 << 19, nesting.veventq(q).depth());
    assertErrno(Errno.ENOENT, () -> nesting.veventq(viommu));
    assertErrno(Errno.EBUSY, () -> ctx.destroy(viommu));
    assertErrno(Errno.EBUSY, () -> ctx.destroy(q));
    nesting.veventq(q).releaseFile();
    ctx.destroy(q);
    nesting.veventq(q2).releaseFile();
    ctx.destroy(q2);
    ctx.destroy(viommu);
  }

  @Test
  void triggerSelftestVevent_deviceNotAttachedThroughTheViommu_isENOENT() {
    nesting.veventq(nesting.veventqAlloc(0, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, 0));
    nesting.vdeviceAlloc(viommu, dev, 0x99);
    assertErrno(Errno.ENOENT, () -> nesting.mockDevices().triggerVevent(dev));
    assertErrno(Errno.ENOENT, () -> nesting.mockDevices().triggerVevent(0));
  }

  @Test
  void nestedOnMockViommu_attachNeedsTheVdeviceAndEventsCarryItsVirtId() {
    UserData cfg = UserData.of(IOMMU_HWPT_DATA_SELFTEST, new byte[8]);
    assertErrno(
        Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(nestedAlloc(IOMMU_HWPT_ALLOC_NEST_PARENT), cfg));
    assertErrno(Errno.EOPNOTSUPP, () -> ctx.hwptAlloc(nestedAlloc(0), UserData.none()));
    int nested = ctx.hwptAlloc(nestedAlloc(0), cfg);
    assertErrno(Errno.ENOENT, () -> ctx.attach(dev, nested));
    int vdev = nesting.vdeviceAlloc(viommu, dev, 0x1234);
    ctx.attach(dev, nested);
    assertErrno(Errno.EBUSY, () -> ctx.destroy(viommu));
    assertErrno(Errno.EOPNOTSUPP, () -> nesting.mockDevices().triggerVevent(dev));
    int q = nesting.veventqAlloc(0, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 1, 0);
    nesting.mockDevices().triggerVevent(dev);
    ByteBuffer out = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(12, nesting.veventq(q).read(16, into(out)));
    assertEquals(0x1234, out.getInt(8));
    ctx.attach(dev, ioas);
    assertErrno(Errno.ENOENT, () -> nesting.mockDevices().triggerVevent(dev));
    ctx.destroy(vdev);
    ctx.destroy(nested);
  }

  @Test
  void read_threeEventsIntoADepthTwoQueue_givesTwoEventsThenTheLostHeader() {
    Veventq q = new Veventq(IOMMU_VEVENTQ_TYPE_SELFTEST, 2);
    for (int i = 1; i <= 3; i++) {
      q.report(new byte[] {(byte) i, 0, 0, 0});
    }
    ByteBuffer out = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
    assertEquals(32, q.read(64, into(out)));
    assertEquals(0, out.getInt(0)); // flags
    assertEquals(0, out.getInt(4)); // sequence
    assertEquals(1, out.getInt(8)); // virt_id
    assertEquals(1, out.getInt(12 + 4));
    assertEquals(2, out.getInt(12 + 8));
    assertEquals(1, out.getInt(24)); // IOMMU_VEVENTQ_FLAG_LOST_EVENTS
    assertEquals(2, out.getInt(28));
    q.report(new byte[] {4, 0, 0, 0});
    assertEquals(12, q.read(64, into(out)));
    assertEquals(0, out.getInt(0));
    assertEquals(3, out.getInt(4));
  }

  @Test
  void read_shortOrFaultingBuffers_errnosAndWhatStaysQueued() {
    Veventq q = new Veventq(IOMMU_VEVENTQ_TYPE_SELFTEST, 4);
    Veventq.UserBuffer sink = (off, b) -> {};
    assertEquals(0, q.read(8, sink));
    assertErrno(Errno.EINVAL, () -> q.read(7, sink));
    assertErrno(Errno.EINVAL, () -> q.read(0, sink));
    q.report(new byte[4]);
    q.report(new byte[4]);
    assertErrno(Errno.EINVAL, () -> q.read(11, sink));
    assertErrno(
        Errno.EFAULT,
        () ->
            q.read(
                24,
                (off, b) -> {
                  throw new UapiException(Errno.EFAULT, "unwritable");
                }));
    assertEquals(12, q.read(23, sink)); // the second does not fit: it stays
    assertErrno(
        Errno.EFAULT,
        () ->
            q.read(
                24,
                (off, b) -> {
                  if (off >= 8) {
                    throw new UapiException(Errno.EFAULT, "data unwritable");
                  }
                }));
    assertEquals(12, q.read(24, sink)); // the header alone was not counted: it stayed
    assertEquals(0, q.read(24, sink));
  }
}
