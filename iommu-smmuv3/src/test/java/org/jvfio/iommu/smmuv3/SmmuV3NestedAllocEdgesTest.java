package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VIOMMU_TYPE_ARM_SMMUV3;

import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.nesting.UserData;

/**
 * {@code iommufd_viommu_alloc_hwpt_nested} ({@code drivers/iommu/iommufd/hw_pagetable.c}) checks
 * what iommufd itself checks before the SMMUv3 driver's {@code arm_vsmmu_alloc_domain_nested} runs:
 * a nested HWPT without driver data is EOPNOTSUPP, where the driver would answer the missing {@code
 * IOMMU_HWPT_DATA_ARM_SMMUV3} with EINVAL ({@code iommu_copy_struct_from_user}).
 */
class SmmuV3NestedAllocEdgesTest {
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 40, 1L << 20, 1));
  final int dev = ctx.bindDevice(new SmmuV3Driver(), DmaWriteListener.NONE);
  final int ioas = ctx.ioasAlloc(0);
  final int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
  final int viommu =
      ctx.nesting().viommuAlloc(0, IOMMU_VIOMMU_TYPE_ARM_SMMUV3, dev, parent, UserData.none());

  @Test
  void hwptAllocNested_onAVIommuWithoutData_eopnotsuppBeforeTheDriver() {
    UserData none = UserData.none();
    UapiException e =
        assertThrows(
            UapiException.class,
            () -> ctx.hwptAlloc(new HwptAlloc(0, dev, viommu, 0, none.type(), 0, 0), none));
    assertEquals(Errno.EOPNOTSUPP, e.errno(), e.getMessage());
    ctx.destroy(viommu); // no nested HWPT was left on it
    assertEquals(viommu, ctx.ioasAlloc(0), "the refusal took no id");
  }
}
