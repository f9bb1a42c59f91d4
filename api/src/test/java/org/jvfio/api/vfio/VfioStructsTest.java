package org.jvfio.api.vfio;

import java.util.List;
import org.jvfio.api.StructRecordContract;

/**
 * Layouts of the vfio.h struct records, offsets and sizes from {@code include/uapi/linux/vfio.h}
 * (LP64).
 */
class VfioStructsTest extends StructRecordContract {

  static final List<Layout> LAYOUTS =
      List.of(
          struct(VfioDeviceFeature.class, 8, field("argsz", 0, 4), field("flags", 4, 4)),
          struct(VfioDeviceFeatureMigration.class, 8, field("flags", 0, 8)),
          struct(
              VfioDeviceFeatureMigState.class,
              8,
              field("deviceState", 0, 4),
              field("dataFd", 4, 4)),
          struct(
              VfioPrecopyInfo.class,
              24,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("initialBytes", 8, 8),
              field("dirtyBytes", 16, 8)),
          struct(VfioDeviceFeatureMigDataSize.class, 8, field("stopCopyLength", 0, 8)),
          struct(
              VfioDeviceFeatureDmaLoggingControl.class,
              24,
              field("pageSize", 0, 8),
              field("numRanges", 8, 4),
              field("reserved", 12, 4),
              field("ranges", 16, 8)),
          struct(
              VfioDeviceFeatureDmaLoggingRange.class,
              16,
              field("iova", 0, 8),
              field("length", 8, 8)),
          struct(
              VfioDeviceFeatureDmaLoggingReport.class,
              32,
              field("iova", 0, 8),
              field("length", 8, 8),
              field("pageSize", 16, 8),
              field("bitmap", 24, 8)),
          struct(
              VfioBitmap.class,
              24,
              field("pgsize", 0, 8),
              field("size", 8, 8),
              field("data", 16, 8)),
          struct(
              VfioIommuType1DmaUnmap.class,
              24,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("iova", 8, 8),
              field("size", 16, 8)),
          struct(VfioIommuType1DirtyBitmap.class, 8, field("argsz", 0, 4), field("flags", 4, 4)),
          struct(
              VfioIommuType1DirtyBitmapGet.class,
              40,
              field("iova", 0, 8),
              field("size", 8, 8),
              field("bitmap.pgsize", 16, 8),
              field("bitmap.size", 24, 8),
              field("bitmap.data", 32, 8)),
          struct(
              VfioDeviceBindIommufd.class,
              24,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("iommufd", 8, 4),
              field("outDevid", 12, 4),
              field("tokenUuidPtr", 16, 8)),
          struct(
              VfioDeviceAttachIommufdPt.class,
              16,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("ptId", 8, 4),
              field("pasid", 12, 4)),
          struct(
              VfioDeviceDetachIommufdPt.class,
              12,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("pasid", 8, 4)),
          struct(
              VfioInfoCapHeader.class,
              8,
              field("id", 0, 2),
              field("version", 2, 2),
              field("next", 4, 4)),
          struct(
              VfioIommuType1InfoCapMigration.class,
              32,
              field("header.id", 0, 2),
              field("header.version", 2, 2),
              field("header.next", 4, 4),
              field("flags", 8, 4),
              hole(12, 4),
              field("pgsizeBitmap", 16, 8),
              field("maxDirtyBitmapSize", 24, 8)),
          struct(
              VfioDeviceInfo.class,
              20,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("numRegions", 8, 4),
              field("numIrqs", 12, 4),
              field("capOffset", 16, 4)),
          struct(
              VfioRegionInfo.class,
              32,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("index", 8, 4),
              field("capOffset", 12, 4),
              field("size", 16, 8),
              field("offset", 24, 8)),
          struct(VfioRegionSparseMmapArea.class, 16, field("offset", 0, 8), field("size", 8, 8)),
          struct(
              VfioRegionInfoCapSparseMmap.class,
              16,
              field("header.id", 0, 2),
              field("header.version", 2, 2),
              field("header.next", 4, 4),
              field("nrAreas", 8, 4),
              field("reserved", 12, 4)),
          struct(
              VfioRegionInfoCapType.class,
              16,
              field("header.id", 0, 2),
              field("header.version", 2, 2),
              field("header.next", 4, 4),
              field("type", 8, 4),
              field("subtype", 12, 4)),
          struct(
              VfioDeviceInfoCapPciAtomicComp.class,
              16,
              field("header.id", 0, 2),
              field("header.version", 2, 2),
              field("header.next", 4, 4),
              field("flags", 8, 4),
              field("reserved", 12, 4)),
          struct(
              VfioIrqInfo.class,
              16,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("index", 8, 4),
              field("count", 12, 4)),
          struct(VfioGroupStatus.class, 8, field("argsz", 0, 4), field("flags", 4, 4)),
          struct(
              VfioIommuType1Info.class,
              24,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("iovaPgsizes", 8, 8),
              field("capOffset", 16, 4),
              hole(20, 4)),
          struct(VfioIovaRange.class, 16, field("start", 0, 8), field("end", 8, 8)),
          struct(
              VfioIommuType1InfoCapIovaRange.class,
              16,
              field("header.id", 0, 2),
              field("header.version", 2, 2),
              field("header.next", 4, 4),
              field("nrIovas", 8, 4),
              field("reserved", 12, 4)),
          struct(
              VfioIommuType1InfoDmaAvail.class,
              12,
              field("header.id", 0, 2),
              field("header.version", 2, 2),
              field("header.next", 4, 4),
              field("avail", 8, 4)),
          struct(
              VfioIommuType1DmaMap.class,
              32,
              field("argsz", 0, 4),
              field("flags", 4, 4),
              field("vaddr", 8, 8),
              field("iova", 16, 8),
              field("size", 24, 8)));

  @Override
  protected List<Layout> layouts() {
    return LAYOUTS;
  }
}
