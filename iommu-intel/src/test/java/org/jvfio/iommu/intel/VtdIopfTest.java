package org.jvfio.iommu.intel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;

import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.nesting.UserData;

/**
 * A fault-capable HWPT on VT-d: it can be allocated, but a device without PRI (jvfio models none)
 * cannot attach to it, as {@code intel_iommu_enable_iopf} ({@code drivers/iommu/intel/iommu.c})
 * refuses with {@code ENODEV}; the refusal changes nothing. The same holds for a nested HWPT:
 * iommufd keeps {@code FAULT_ID_VALID} to itself ({@code iommufd_hwpt_nested_alloc} does not pass
 * it to the driver), and the attach enables IOPF as for a paging one.
 */
class VtdIopfTest {
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
  final int dev = ctx.bindDevice(new IntelSsDriver(), DmaWriteListener.NONE);
  final int ioas = ctx.ioasAlloc(0);
  final int fault = ctx.faults().alloc(0);

  @Test
  void attach_faultCapableHwpt_withoutPri_isEnodev() {
    int hwpt = ctx.hwptAlloc(new HwptAlloc(IOMMU_HWPT_FAULT_ID_VALID, dev, ioas, 0, 0, 0, fault));
    UapiException e = assertThrows(UapiException.class, () -> ctx.attach(dev, hwpt));
    assertEquals(Errno.ENODEV, e.errno());
    assertEquals(ctx.attach(dev, ioas), ctx.attach(dev, ioas), "still attachable elsewhere");
    ctx.destroy(hwpt);
    ctx.faults().closeFd(fault);
    ctx.destroy(fault);
  }

  /** The same for a nested HWPT: {@code FAULT_ID_VALID} is iommufd's, the attach is ENODEV. */
  @Test
  void attach_faultCapableNestedHwpt_withoutPri_isEnodev() {
    int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
    UserData s1 = VtdNestingTest.vtd(0x10_0000L, 48);
    int nested =
        ctx.hwptAlloc(
            new HwptAlloc(
                IOMMU_HWPT_FAULT_ID_VALID, dev, parent, 0, s1.type(), (int) s1.length(), fault),
            s1);
    UapiException e = assertThrows(UapiException.class, () -> ctx.attach(dev, nested));
    assertEquals(Errno.ENODEV, e.errno());
    ctx.pasid().checkHwpt(dev, 0, 0); // still attached to nothing
    ctx.destroy(nested); // and no device holds the nested HWPT
    ctx.destroy(parent);
  }
}
