package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Unmap reading dirty ({@link IommufdContext#ioasUnmapGetDirty}, type1's {@code
 * VFIO_IOMMU_UNMAP_DMA} with {@code VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP}) at two edges the other
 * suites miss: unmap-all with a bitmap that really covers the whole space, and an area an access
 * has pinned.
 */
class IommufdUnmapGetDirtyEdgesTest {
  static final long MEM = IommufdEdgesTest.MEM;
  static final long PAGE = IommufdEdgesTest.PAGE;
  static final long IOVA = IommufdEdgesTest.IOVA;

  final GuestMemory memory = GuestMemory.create(MEM, 64L << 20, 1);
  final IommufdContext fd = IommufdContext.create(memory);
  final MockIommuDriver iommu = MockIommuDriver.create(true, false); // 4 KiB leaves only
  final int dev = fd.bindDevice(iommu, DmaWriteListener.NONE);
  final int ioas = fd.ioasAlloc(0);
  final int hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));

  IommufdUnmapGetDirtyEdgesTest() {
    fd.attach(dev, hwpt);
    fd.ioasMap(ioas, IoasMap.fixed(MEM, 2 * PAGE, IOVA));
    fd.hwptSetDirtyTracking(hwpt, 1);
  }

  /**
   * {@code vfio_iommu_type1_unmap_dma}: UNMAP_ALL with GET_DIRTY_BITMAP is EINVAL, also when the
   * bitmap covers [0, 2^64 - 1) (two bits of 2^63 bytes); nothing is unmapped.
   */
  @Test
  void unmapAll_bitmapOfTheWholeSpace_einvalAndNothingUnmapped() {
    IovaBitmap all = IovaBitmap.allocate(0, -1L, 1L << 63);
    IommufdEdgesTest.assertRefused(fd, Errno.EINVAL, () -> fd.ioasUnmapGetDirty(ioas, 0, -1L, all));
    assertEquals(0, fd.dmaWrite(dev, IOVA, 2 * PAGE).faults());
  }

  /**
   * The access that pinned a page of the area is told before the area goes ({@code
   * iommufd_access_notify_unmap}), unpins, and the unmap then reports the dirty pages.
   */
  @Test
  void areaPinnedByAnAccess_theAccessIsToldAndUnpinsFirst() {
    IommufdAccessTest.Driver d = new IommufdAccessTest.Driver(fd, true, false);
    d.access.attach(ioas);
    d.pin(IOVA + PAGE, PAGE);
    fd.dmaWrite(dev, IOVA, 1);
    IovaBitmap bitmap = IovaBitmap.allocate(IOVA, 2 * PAGE, PAGE);
    assertEquals(2 * PAGE, fd.ioasUnmapGetDirty(ioas, IOVA, 2 * PAGE, bitmap));
    assertEquals(1, d.calls.size());
    assertArrayEquals(new long[] {IOVA, 2 * PAGE}, d.calls.get(0));
    assertEquals(List.of(), d.items);
    assertTrue(bitmap.isDirty(IOVA));
    assertEquals(1, bitmap.cardinality());
  }
}
