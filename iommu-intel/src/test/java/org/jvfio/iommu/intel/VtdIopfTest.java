package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;

import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IommufdContext;

/**
 * A fault-capable HWPT on VT-d: it can be allocated, but a device without PRI (jvfio models none)
 * cannot attach to it, as {@code intel_iommu_enable_iopf} ({@code drivers/iommu/intel/iommu.c})
 * refuses with {@code ENODEV}; the refusal changes nothing.
 */
class VtdIopfTest {
  @Test
  void attach_faultCapableHwpt_withoutPri_isEnodev() {
    IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
    int dev = ctx.bindDevice(new IntelSsDriver(), DmaWriteListener.NONE);
    int ioas = ctx.ioasAlloc(0);
    int fault = ctx.faults().alloc(0);
    int hwpt = ctx.hwptAlloc(new HwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, dev, ioas, 0, 0, 0, fault));
    UapiException e = assertThrows(UapiException.class, () -> ctx.attach(dev, hwpt));
    assertEquals(Errno.ENODEV, e.errno());
    assertEquals(ctx.attach(dev, ioas), ctx.attach(dev, ioas), "still attachable elsewhere");
    ctx.destroy(hwpt);
    ctx.faults().closeFd(fault);
    ctx.destroy(fault);
  }
}
