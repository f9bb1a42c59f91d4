package org.jvfio.core.iommufd;

import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VEVENTQ_TYPE_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_DEV_CACHE_ID_MAX;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.IommufdContext.Device;
import org.jvfio.core.iommufd.IommufdNesting.NestedHwpt;
import org.jvfio.core.iommufd.IommufdNesting.VeventqObj;
import org.jvfio.core.iommufd.IommufdNesting.Viommu;
import org.jvfio.core.nesting.MockViommu;
import org.jvfio.core.nesting.NestedDomain;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * The iommufd selftest's mock devices in one context ({@code struct mock_dev} of {@code
 * drivers/iommu/iommufd/selftest.c}), as far as the vIOMMU reaches them: each device behind a
 * {@link MockIommuDriver#createSelftest} IOMMU has a cache of 4 words that a mock vIOMMU's
 * invalidations zero ({@link MockViommu}), and reports vIOMMU events on request ({@code
 * IOMMU_TEST_OP_DEV_CHECK_CACHE}, {@code IOMMU_TEST_OP_TRIGGER_VEVENT}).
 *
 * <p>Thread-safety: every method is serialised on the context's lock.
 */
public final class SelftestMockDevices {
  private final IommufdContext ctx;
  private final Map<Integer, int[]> caches = new HashMap<>(); // mock_dev->cache, by device id

  SelftestMockDevices(IommufdContext ctx) {
    this.ctx = ctx;
  }

  /**
   * The selftest's {@code IOMMU_TEST_OP_TRIGGER_VEVENT} ({@code iommufd_test_trigger_vevent}): the
   * mock device, attached to a nested HWPT of a vIOMMU, reports one {@code
   * IOMMU_VEVENTQ_TYPE_SELFTEST} event carrying its virtual id as a {@code __u32} ({@code
   * iommufd_viommu_report_event}).
   *
   * @param devId the {@code dev_id} of a device bound to this context
   * @throws UapiException {@code ENOENT} for a bad device, or one that is not attached to a nested
   *     HWPT of a vIOMMU with its vDEVICE there; {@code EOPNOTSUPP} if the vIOMMU has no queue of
   *     that type
   */
  public void triggerVevent(int devId) {
    synchronized (ctx.lock) {
      Device dev = ctx.device(devId);
      NestedHwpt n = dev.nested;
      Viommu v = n == null ? null : n.viommu;
      UapiException.check(
          v != null && dev.vdevice != null && dev.vdevice.viommu == v,
          Errno.ENOENT,
          "device not attached through a vIOMMU");
      VeventqObj q = v.veventqs.get(IOMMU_VEVENTQ_TYPE_SELFTEST);
      UapiException.check(q != null, Errno.EOPNOTSUPP, "no vEVENTQ of the selftest type");
      byte[] event = new byte[4];
      ByteBuffer.wrap(event).order(ByteOrder.LITTLE_ENDIAN).putInt((int) dev.vdevice.virtId);
      q.queue.report(event);
    }
  }

  /**
   * The selftest's {@code IOMMU_TEST_OP_DEV_CHECK_CACHE} ({@code iommufd_test_dev_check_cache}):
   * whether entry {@code cacheId} of the mock device's cache holds {@code expected}. A mock
   * device's cache starts as {@code IOMMU_TEST_DEV_CACHE_DEFAULT} in every entry; invalidations
   * through a mock vIOMMU zero entries.
   *
   * @param devId the {@code id}: a device bound to this context
   * @param cacheId the {@code check_dev_cache.id}, unsigned
   * @param expected the {@code check_dev_cache.cache}
   * @throws UapiException {@code ENOENT} for a bad device; {@code EINVAL} for a {@code cacheId}
   *     above 3, a device that is not a mock one, or an entry that differs
   */
  public void checkCache(int devId, int cacheId, int expected) {
    synchronized (ctx.lock) {
      Device dev = ctx.device(devId);
      UapiException.check(
          NestedDomain.isSelftestMock(dev.iommu)
              && Integer.compareUnsigned(cacheId, MOCK_DEV_CACHE_ID_MAX) <= 0
              && cache(dev)[cacheId] == expected,
          Errno.EINVAL,
          "mock device cache entry differs");
    }
  }

  /** {@code mock_dev->cache} of a device behind the mock IOMMU, created on first use. */
  int[] cache(Device dev) {
    return caches.computeIfAbsent(dev.id, id -> MockViommu.newDeviceCache());
  }

  /** Forgets the cache of an unbound device. */
  void forget(Device dev) {
    caches.remove(dev.id);
  }
}
