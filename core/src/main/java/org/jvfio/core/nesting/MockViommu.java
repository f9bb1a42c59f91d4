package org.jvfio.core.nesting;

import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_DEV_CACHE_DEFAULT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_INVALIDATE_FLAG_ALL;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_DEV_CACHE_ID_MAX;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_DEV_CACHE_NUM;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.LongFunction;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.spi.IommuDomain;

/**
 * The iommufd selftest's vIOMMU ({@code IOMMU_VIOMMU_TYPE_SELFTEST}, {@code struct mock_viommu} of
 * {@code drivers/iommu/iommufd/selftest.c}): a vIOMMU of the mock IOMMU on a nest-parent mock
 * domain whose only guest-visible state is a cache of {@value
 * org.jvfio.api.iommufd.IommufdTest#MOCK_DEV_CACHE_NUM} words per mock device, which the guest
 * invalidates by the device's virtual id ({@code mock_viommu_cache_invalidate}).
 *
 * <p>Thread-safety: none of its own; the iommufd context serialises its calls.
 */
public final class MockViommu {
  /** {@code sizeof(struct iommu_viommu_invalidate_selftest)}: {@code flags, vdev_id, cache_id}. */
  static final int REQUEST_SIZE = 12;

  private final IommuDomain parent;

  /**
   * {@code mock_viommu_init} without driver data: a vIOMMU on {@code parent}.
   *
   * @param parent the nest-parent mock domain (stage 2)
   */
  public MockViommu(IommuDomain parent) {
    this.parent = parent;
  }

  /**
   * Returns the nest-parent domain.
   *
   * @return the domain given at creation
   */
  public IommuDomain parent() {
    return parent;
  }

  /**
   * Returns a new mock device's cache ({@code mock_dev_create}): every entry {@code
   * IOMMU_TEST_DEV_CACHE_DEFAULT}.
   *
   * @return a fresh array of {@value org.jvfio.api.iommufd.IommufdTest#MOCK_DEV_CACHE_NUM} entries
   */
  public static int[] newDeviceCache() {
    int[] cache = new int[MOCK_DEV_CACHE_NUM];
    Arrays.fill(cache, IOMMU_TEST_DEV_CACHE_DEFAULT);
    return cache;
  }

  /**
   * {@code mock_viommu_cache_invalidate}: an empty array of type {@code
   * IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST} succeeds (it only validates the type); otherwise the
   * whole array is copied first ({@code iommu_copy_struct_from_full_user_array}), then each request
   * in turn zeroes one cache entry of the device with that virtual id, or all of them with {@code
   * IOMMU_TEST_INVALIDATE_FLAG_ALL}; the count is the requests handled before the first bad one.
   *
   * @param array the requests, {@code struct iommu_viommu_invalidate_selftest}
   * @param cacheOfVirtId the cache of the device whose vDEVICE in this vIOMMU has that virtual id,
   *     or null if none has
   * @return the count and the error: {@code ENOMEM} with 0 if {@code entry_num * 12} exceeds {@code
   *     KMALLOC_MAX_SIZE}; {@code EINVAL} with 0 for another data type; {@code EFAULT} or {@code
   *     E2BIG} with 0 if the array cannot be copied; then, at the first bad request, {@code
   *     EOPNOTSUPP} for an unknown flag, {@code EINVAL} for a {@code cache_id} above {@value
   *     org.jvfio.api.iommufd.IommufdTest#MOCK_DEV_CACHE_ID_MAX} (also with {@code FLAG_ALL}) or an
   *     unknown {@code vdev_id}
   */
  public HwptInvalidateResult cacheInvalidate(
      UserDataArray array, LongFunction<int[]> cacheOfVirtId) {
    long n = Integer.toUnsignedLong(array.entryNum());
    if (n == 0 && array.type() == IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST) {
      return HwptInvalidateResult.ok(0);
    }
    if (n * REQUEST_SIZE > Vsmmu.KMALLOC_MAX_SIZE) {
      return HwptInvalidateResult.failed(0, Errno.ENOMEM);
    }
    int[] requests = new int[(int) n * 3];
    try {
      UapiException.check(
          array.type() == IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, Errno.EINVAL, "data_type");
      if (Integer.toUnsignedLong(array.entryLen()) == REQUEST_SIZE) {
        UapiException.check(
            array.readable(0, n * REQUEST_SIZE), Errno.EFAULT, "request array unreadable");
      }
      for (int i = 0; i < n; i++) {
        ByteBuffer entry = UserCopies.entryStructFromUser(array, i, REQUEST_SIZE);
        requests[3 * i] = entry.getInt();
        requests[3 * i + 1] = entry.getInt();
        requests[3 * i + 2] = entry.getInt();
      }
    } catch (UapiException e) {
      return HwptInvalidateResult.failed(0, e.errno());
    }
    for (int i = 0; i < n; i++) {
      int flags = requests[3 * i];
      long vdevId = Integer.toUnsignedLong(requests[3 * i + 1]);
      int cacheId = requests[3 * i + 2];
      if ((flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
        return HwptInvalidateResult.failed(i, Errno.EOPNOTSUPP);
      }
      int[] cache = cacheOfVirtId.apply(vdevId);
      if (Integer.compareUnsigned(cacheId, MOCK_DEV_CACHE_ID_MAX) > 0 || cache == null) {
        return HwptInvalidateResult.failed(i, Errno.EINVAL);
      }
      if ((flags & IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
        Arrays.fill(cache, 0);
      } else {
        cache[cacheId] = 0;
      }
    }
    return HwptInvalidateResult.ok((int) n);
  }
}
