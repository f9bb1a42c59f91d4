package org.jvfio.api.iommufd;

import java.util.List;
import org.jvfio.api.StructRecordContract;

/**
 * Layouts of the iommufd.h struct records, offsets and sizes from {@code
 * include/uapi/linux/iommufd.h} (LP64).
 */
class IommufdStructsTest extends StructRecordContract {

  static final List<Layout> LAYOUTS =
      List.of(
          struct(IommuDestroy.class, 8, field("size", 0, 4), field("id", 4, 4)),
          struct(
              IommuIoasAlloc.class,
              12,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("outIoasId", 8, 4)),
          struct(
              IommuIoasMap.class,
              40,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("ioasId", 8, 4),
              field("reserved", 12, 4),
              field("userVa", 16, 8),
              field("length", 24, 8),
              field("iova", 32, 8)),
          struct(
              IommuIoasMapFile.class,
              40,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("ioasId", 8, 4),
              field("fd", 12, 4),
              field("start", 16, 8),
              field("length", 24, 8),
              field("iova", 32, 8)),
          struct(
              IommuIoasUnmap.class,
              24,
              field("size", 0, 4),
              field("ioasId", 4, 4),
              field("iova", 8, 8),
              field("length", 16, 8)),
          struct(
              IommuOption.class,
              24,
              field("size", 0, 4),
              field("optionId", 4, 4),
              field("op", 8, 2),
              field("reserved", 10, 2),
              field("objectId", 12, 4),
              field("val64", 16, 8)),
          struct(
              IommuVfioIoas.class,
              12,
              field("size", 0, 4),
              field("ioasId", 4, 4),
              field("op", 8, 2),
              field("reserved", 10, 2)),
          struct(IommuHwptSelftest.class, 8, field("iotlb", 0, 4), field("pagetableType", 4, 4)),
          struct(
              IommuHwptInvalidateSelftest.class, 8, field("flags", 0, 4), field("iotlbId", 4, 4)),
          struct(
              IommuIoasCopy.class,
              40,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("dstIoasId", 8, 4),
              field("srcIoasId", 12, 4),
              field("length", 16, 8),
              field("dstIova", 24, 8),
              field("srcIova", 32, 8)),
          struct(IommuIovaRange.class, 16, field("start", 0, 8), field("last", 8, 8)),
          struct(
              IommuIoasIovaRanges.class,
              32,
              field("size", 0, 4),
              field("ioasId", 4, 4),
              field("numIovas", 8, 4),
              field("reserved", 12, 4),
              field("allowedIovas", 16, 8),
              field("outIovaAlignment", 24, 8)),
          struct(
              IommuIoasAllowIovas.class,
              24,
              field("size", 0, 4),
              field("ioasId", 4, 4),
              field("numIovas", 8, 4),
              field("reserved", 12, 4),
              field("allowedIovas", 16, 8)),
          struct(
              IommuHwptAlloc.class,
              48,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("devId", 8, 4),
              field("ptId", 12, 4),
              field("outHwptId", 16, 4),
              field("reserved", 20, 4),
              field("dataType", 24, 4),
              field("dataLen", 28, 4),
              field("dataUptr", 32, 8),
              field("faultId", 40, 4),
              field("reserved2", 44, 4)),
          struct(
              IommuHwInfo.class,
              40,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("devId", 8, 4),
              field("dataLen", 12, 4),
              field("dataUptr", 16, 8),
              field("dataType", 24, 4),
              field("outMaxPasidLog2", 28, 1),
              field("reserved", 29, 3),
              field("outCapabilities", 32, 8)),
          struct(
              IommuHwptSetDirtyTracking.class,
              16,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("hwptId", 8, 4),
              field("reserved", 12, 4)),
          struct(
              IommuHwptGetDirtyBitmap.class,
              48,
              field("size", 0, 4),
              field("hwptId", 4, 4),
              field("flags", 8, 4),
              field("reserved", 12, 4),
              field("iova", 16, 8),
              field("length", 24, 8),
              field("pageSize", 32, 8),
              field("data", 40, 8)),
          struct(
              IommuHwptVtdS1.class,
              24,
              field("flags", 0, 8),
              field("pgtblAddr", 8, 8),
              field("addrWidth", 16, 4),
              field("reserved", 20, 4)),
          struct(IommuHwptArmSmmuv3.class, 16, field("ste0", 0, 8), field("ste1", 8, 8)),
          struct(
              IommuHwptVtdS1Invalidate.class,
              24,
              field("addr", 0, 8),
              field("npages", 8, 8),
              field("flags", 16, 4),
              field("reserved", 20, 4)),
          struct(
              IommuViommuArmSmmuv3Invalidate.class, 16, field("cmd0", 0, 8), field("cmd1", 8, 8)),
          struct(
              IommuHwptInvalidate.class,
              32,
              field("size", 0, 4),
              field("hwptId", 4, 4),
              field("dataUptr", 8, 8),
              field("dataType", 16, 4),
              field("entryLen", 20, 4),
              field("entryNum", 24, 4),
              field("reserved", 28, 4)),
          struct(
              IommuViommuAlloc.class,
              40,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("type", 8, 4),
              field("devId", 12, 4),
              field("hwptId", 16, 4),
              field("outViommuId", 20, 4),
              field("dataLen", 24, 4),
              field("reserved", 28, 4),
              field("dataUptr", 32, 8)),
          struct(
              IommuVdeviceAlloc.class,
              24,
              field("size", 0, 4),
              field("viommuId", 4, 4),
              field("devId", 8, 4),
              field("outVdeviceId", 12, 4),
              field("virtId", 16, 8)),
          struct(
              IommuVeventqAlloc.class,
              32,
              field("size", 0, 4),
              field("flags", 4, 4),
              field("viommuId", 8, 4),
              field("type", 12, 4),
              field("veventqDepth", 16, 4),
              field("outVeventqId", 20, 4),
              field("outVeventqFd", 24, 4),
              field("reserved", 28, 4)),
          struct(IommufdVeventHeader.class, 8, field("flags", 0, 4), field("sequence", 4, 4)));

  @Override
  protected List<Layout> layouts() {
    return LAYOUTS;
  }
}
