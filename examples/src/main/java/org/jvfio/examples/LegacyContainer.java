package org.jvfio.examples;

import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1v2_IOMMU;

import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.core.container.VfioContainer;
import org.jvfio.core.container.VfioGroup;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.IommuDriver;

/** The README's legacy container example: a physical group makes every mapped page dirty. */
final class LegacyContainer {
  private LegacyContainer() {}

  /** Runs the example and returns the bitmap of its one report. */
  static long[] report() {
    GuestMemory ram = GuestMemory.create(0x7000_0000_0000L, 1L << 30, 1);
    VfioContainer container = VfioContainer.create(ram);
    VfioGroup group = VfioGroup.physical(0, IommuDriver.named("amd-v1"), "0000:01:00.0");
    group.setContainer(container); // VFIO_GROUP_SET_CONTAINER
    container.setIommu(VFIO_TYPE1v2_IOMMU); // VFIO_SET_IOMMU
    int rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    container.mapDma(new VfioIommuType1DmaMap(32, rw, ram.base(), 0, 70 * 4096));
    container.dirtyPagesStart(); // VFIO_IOMMU_DIRTY_PAGES START
    long[] bits = new long[2];
    container.dirtyPagesGetBitmap(0, 70 * 4096, 4096, bits); // {-1L, 0x3F}: all 70 pages
    return bits;
  }
}
