package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_DEV_CACHE_DEFAULT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_INVALIDATE_FLAG_ALL;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_TYPE_SELFTEST;

import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.nesting.HwptInvalidateResult;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * The selftest's mock vIOMMU ({@code drivers/iommu/iommufd/selftest.c}) at the edges of an object's
 * life: a nested HWPT refused for its fault queue leaves nothing behind ({@code
 * iommufd_hwpt_alloc}), and a mock device bound under the id of an unbound one starts with a fresh
 * cache ({@code mock_dev_create}).
 */
class IommufdNestingEdgesTest {
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
  final MockIommuDriver mock = MockIommuDriver.createSelftest(true);
  final int dev = ctx.bindDevice(mock, DmaWriteListener.NONE);
  final int ioas = ctx.ioasAlloc(0);
  final int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
  final IommufdNesting nesting = ctx.nesting();
  final int viommu =
      nesting.viommuAlloc(0, IOMMU_VIOMMU_TYPE_SELFTEST, dev, parent, UserData.none());

  /**
   * {@code IOMMU_HWPT_FAULT_ID_VALID} with an id that is no fault queue: ENOENT after the mock
   * vIOMMU built the nested domain, which goes again; the vIOMMU holds no nested HWPT.
   */
  @Test
  void hwptAllocNested_mockViommuAndNoFaultQueue_enoentAndNothingLeft() {
    HwptAlloc alloc =
        new HwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, dev, viommu, 0, IOMMU_HWPT_DATA_SELFTEST, 8, 999);
    UserData data = UserData.of(IOMMU_HWPT_DATA_SELFTEST, new byte[8]);
    IommufdEdgesTest.assertRefused(ctx, Errno.ENOENT, () -> ctx.hwptAlloc(alloc, data));
    ctx.destroy(viommu);
  }

  /**
   * A mock device's cache lives and dies with the device: one bound after an unbind, under the same
   * object id, holds {@code IOMMU_TEST_DEV_CACHE_DEFAULT} in every entry, not the entries the old
   * one had invalidated.
   */
  @Test
  void checkCache_deviceBoundUnderTheIdOfAnUnboundOne_startsFresh() {
    int old = ctx.bindDevice(mock, DmaWriteListener.NONE);
    nesting.vdeviceAlloc(viommu, old, 0x99);
    HwptInvalidateResult all =
        nesting.hwptInvalidate(
            viommu,
            IommufdMockViommuTest.requests(
                IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST, IOMMU_TEST_INVALIDATE_FLAG_ALL, 0x99, 0),
            0);
    assertEquals(HwptInvalidateResult.ok(1), all);
    assertDoesNotThrow(() -> nesting.mockDevices().checkCache(old, 0, 0));
    ctx.unbindDevice(old);
    int fresh = ctx.bindDevice(mock, DmaWriteListener.NONE);
    assertEquals(old, fresh, "the lowest free id");
    for (int c = 0; c < 4; c++) {
      int id = c;
      assertDoesNotThrow(
          () -> nesting.mockDevices().checkCache(fresh, id, IOMMU_TEST_DEV_CACHE_DEFAULT));
    }
  }
}
