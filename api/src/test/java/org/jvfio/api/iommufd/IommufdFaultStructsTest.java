package org.jvfio.api.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.api.StructRecordContract;

/**
 * Layouts of the fault queue's structs and its constants, from {@code include/uapi/linux/iommufd.h}
 * (LP64).
 */
class IommufdFaultStructsTest extends StructRecordContract {

  static final List<Layout> LAYOUTS =
      List.of(
          struct(
              IommuFaultAlloc.class,
              16,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("outFaultId", 8, 4),
              field("outFaultFd", 12, 4)),
          struct(
              IommuHwptPgfault.class,
              40,
              field("flags", 0, 4),
              field("devId", 4, 4),
              field("pasid", 8, 4),
              field("grpid", 12, 4),
              field("perm", 16, 4),
              field("reserved", 20, 4),
              field("addr", 24, 8),
              field("length", 32, 4),
              field("cookie", 36, 4)),
          struct(IommuHwptPageResponse.class, 8, field("cookie", 0, 4), field("code", 4, 4)));

  @Override
  protected List<Layout> layouts() {
    return LAYOUTS;
  }

  @Test
  void constants_matchIommufdH() {
    assertEquals(0x3b8e, Iommufd.IOMMU_FAULT_QUEUE_ALLOC);
    assertEquals(1, Iommufd.IOMMU_PGFAULT_FLAGS_PASID_VALID);
    assertEquals(2, Iommufd.IOMMU_PGFAULT_FLAGS_LAST_PAGE);
    assertEquals(1, Iommufd.IOMMU_PGFAULT_PERM_READ);
    assertEquals(2, Iommufd.IOMMU_PGFAULT_PERM_WRITE);
    assertEquals(4, Iommufd.IOMMU_PGFAULT_PERM_EXEC);
    assertEquals(8, Iommufd.IOMMU_PGFAULT_PERM_PRIV);
    assertEquals(0, Iommufd.IOMMUFD_PAGE_RESP_SUCCESS);
    assertEquals(1, Iommufd.IOMMUFD_PAGE_RESP_INVALID);
    assertEquals(15, IommufdTest.IOMMU_TEST_OP_TRIGGER_IOPF);
  }
}
