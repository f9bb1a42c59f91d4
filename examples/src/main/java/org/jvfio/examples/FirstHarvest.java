package org.jvfio.examples;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;

import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuDriver;

/** The README's typed-API example: an AMD IOMMU, one device doing DMA, and a harvest. */
final class FirstHarvest {
  private FirstHarvest() {}

  /** Runs the example and returns the dirty 4 KiB pages its harvest reported. */
  static long dirtyPages() {
    GuestMemory ram = GuestMemory.create(0x7000_0000_0000L, 1L << 30, 1); // 1 GiB at this user VA
    IommufdContext iommufd = IommufdContext.create(ram);
    int ioas = iommufd.ioasAlloc(0);
    int dev = iommufd.bindDevice(IommuDriver.named("amd-v1"), DmaWriteListener.NONE);
    int hwpt = iommufd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
    iommufd.attach(dev, hwpt);
    iommufd.ioasMap(ioas, IoasMap.fixed(ram.base(), ram.size(), 0)); // IOVA = guest PA
    iommufd.hwptSetDirtyTracking(hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);

    iommufd.dmaWrite(dev, 0x12_3000, 8192); // the device writes two pages: AMD sets D by CAS

    long[] bits = new long[(int) IovaBitmap.wordCount(ram.size(), 4096)];
    iommufd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, 0, 0, ram.size(), 4096), bits);
    long dirty = IovaBitmap.wrap(0, ram.size(), 4096, bits).cardinality();
    // 262144: the 1 GiB was mapped as one leaf, and a dirty leaf is reported whole (4 KiB bits)
    return dirty;
  }
}
