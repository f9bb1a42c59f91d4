package org.jvfio.core.nesting;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_IOTLB_DEFAULT;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptSelftest;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * The selftest mock's nested domain in the typed layer: which mock IOMMUs have {@code
 * domain_alloc_nested}, and what a device attached to a mock nested HWPT does with its DMA.
 */
class MockNestedDomainTest {
  private static final long HVA = 0x7F00_0000_0000L;
  private static final long RAM = 4L << 20;

  private final IommufdContext ctx = IommufdContext.create(GuestMemory.create(HVA, RAM, 1));
  private final int ioas = ctx.ioasAlloc(0);

  private static UserData selftest(int iotlb) {
    ByteBuffer b = ByteBuffer.allocate(IommuHwptSelftest.SIZE);
    new IommuHwptSelftest(iotlb, 0).encode(b);
    return UserData.of(IOMMU_HWPT_DATA_SELFTEST, b.array());
  }

  private int nested(int dev, int parent) {
    UserData data = selftest(IOMMU_TEST_IOTLB_DEFAULT);
    return ctx.hwptAlloc(
        new HwptAlloc(0, dev, parent, 0, data.type(), (int) data.length(), 0), data);
  }

  private static void assertErrno(Errno expected, Executable call) {
    assertEquals(expected, assertThrows(UapiException.class, call).errno());
  }

  @Test
  void hwptAllocNested_onTheSelftestMock_isAMockNestedDomain() {
    int dev = ctx.bindDevice(MockIommuDriver.createSelftest(true), DmaWriteListener.NONE);
    int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
    MockNestedDomain d =
        assertInstanceOf(MockNestedDomain.class, ctx.nesting().domain(nested(dev, parent)));
    for (int i = 0; i < 4; i++) {
      assertEquals(IOMMU_TEST_IOTLB_DEFAULT, d.iotlb(i));
    }
    assertThrows(IndexOutOfBoundsException.class, () -> d.iotlb(4));
  }

  /** jvfio's own mock IOMMUs (not the selftest's) have no nested domains, as AMD has none. */
  @Test
  void hwptAllocNested_onAPlainMock_isEopnotsupp() {
    for (IommuDriver iommu :
        new IommuDriver[] {MockIommuDriver.create(), MockIommuDriver.createWithGiantPages()}) {
      int dev = ctx.bindDevice(iommu, DmaWriteListener.NONE);
      int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
      assertErrno(Errno.EOPNOTSUPP, () -> nested(dev, parent));
    }
    assertTrue(NestedDomain.isSelftestMock(MockIommuDriver.createSelftest(false)));
  }

  /**
   * Stage 1 of a mock nested domain is the identity: a device attached to it writes where the
   * parent maps its IOVA, and the parent records the page dirty, by that IOVA.
   */
  @Test
  void dmaWrite_throughAMockNestedHwpt_translatesAsTheParentAndDirtiesIt() {
    int dev = ctx.bindDevice(MockIommuDriver.createSelftest(true), DmaWriteListener.NONE);
    int parent =
        ctx.hwptAlloc(
            HwptAlloc.paging(
                IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
    long iova = 1L << 24; // MOCK_APERTURE_START
    ctx.ioasMap(ioas, IoasMap.fixed(HVA, RAM, iova));
    int n = nested(dev, parent);
    ctx.attach(dev, n);
    ctx.hwptSetDirtyTracking(parent, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    assertEquals(new DmaResult(4096, 0), ctx.dmaWrite(dev, iova + (2L << 20) + 0x3000, 4096));
    long[] bits = new long[1];
    // the parent maps 1 MiB leaves here (MOCK_HUGE_PAGE_SIZE), so the dirty record is per 1 MiB
    ctx.hwptGetDirtyBitmap(GetDirtyBitmap.of(parent, 0, iova, RAM, 1L << 20), bits);
    assertEquals(1L << 2, bits[0]);
    assertEquals(new DmaResult(0, 1), ctx.dmaWrite(dev, iova + RAM, 4096), "beyond the map");
  }
}
