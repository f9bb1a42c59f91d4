package org.jvfio.core.container;

import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.OptionalLong;
import org.jvfio.api.vfio.VfioInfoCapHeader;
import org.jvfio.api.vfio.VfioIommuType1Info;
import org.jvfio.api.vfio.VfioIommuType1InfoCapIovaRange;
import org.jvfio.api.vfio.VfioIommuType1InfoCapMigration;
import org.jvfio.api.vfio.VfioIommuType1InfoDmaAvail;
import org.jvfio.api.vfio.VfioIovaRange;

/**
 * What {@code VFIO_IOMMU_GET_INFO} reports: the supported IOMMU page sizes and the capabilities of
 * the chain that follows {@code struct vfio_iommu_type1_info}.
 *
 * <p>Type1 ({@code drivers/vfio/vfio_iommu_type1.c}, {@code vfio_iommu_type1_get_info}) always has
 * the migration capability (only the smallest page size, {@code max_dirty_bitmap_size} 256 MiB) and
 * the DMA-available one, and the IOVA-range one when an IOMMU-backed group is attached. iommufd's
 * compatibility layer ({@code drivers/iommu/iommufd/vfio_compat.c}) has no migration capability,
 * reports {@code U32_MAX} mappings available and always lists IOVA ranges.
 *
 * @param iovaPgsizes {@code iova_pgsizes}: the supported page sizes, one bit per size
 * @param migrationPgsize the migration capability's {@code pgsize_bitmap}, empty without one
 * @param dmaAvail the DMA-available capability's {@code avail} (unsigned)
 * @param iovaRanges the usable IOVA ranges; no IOVA-range capability for type1 when empty
 */
public record Type1Info(
    long iovaPgsizes, OptionalLong migrationPgsize, int dmaAvail, List<VfioIovaRange> iovaRanges) {

  /** {@code DIRTY_BITMAP_SIZE_MAX}: the migration capability's {@code max_dirty_bitmap_size}. */
  public static final long MAX_DIRTY_BITMAP_SIZE = DirtyBitmaps.SIZE_MAX;

  /**
   * Copies {@code iovaRanges}.
   *
   * @param iovaPgsizes {@code iova_pgsizes}: the supported page sizes, one bit per size
   * @param migrationPgsize the migration capability's {@code pgsize_bitmap}, empty without one
   * @param dmaAvail the DMA-available capability's {@code avail} (unsigned)
   * @param iovaRanges the usable IOVA ranges, copied
   */
  public Type1Info {
    iovaRanges = List.copyOf(iovaRanges);
  }

  /**
   * Returns type1's capability chain as the kernel appends it after the 24-byte info struct, each
   * capability padded to 8 bytes with zeros and {@code next} counted from the start of the info
   * struct (0 for the last): MIGRATION, DMA_AVAIL, then IOVA_RANGE if there are ranges.
   *
   * @return a little-endian buffer positioned at 0 whose limit is the chain's length
   */
  public ByteBuffer capabilityChain() {
    int migration = migrationPgsize.isPresent() ? VfioIommuType1InfoCapMigration.SIZE : 0;
    int avail = 16; // 12 bytes padded to 8
    int iova =
        iovaRanges.isEmpty()
            ? 0
            : VfioIommuType1InfoCapIovaRange.SIZE + VfioIovaRange.SIZE * iovaRanges.size();
    ByteBuffer buf = ByteBuffer.allocate(migration + avail + iova).order(ByteOrder.LITTLE_ENDIAN);
    int base = VfioIommuType1Info.SIZE;
    if (migration != 0) {
      new VfioIommuType1InfoCapMigration(
              new VfioInfoCapHeader(VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1, base + migration),
              0,
              migrationPgsize.getAsLong(),
              MAX_DIRTY_BITMAP_SIZE)
          .encode(buf);
    }
    int next = iova == 0 ? 0 : base + migration + avail;
    dmaAvailCap(next).encode(buf);
    buf.position(migration + avail);
    if (iova != 0) {
      iovaRangeCap().encode(buf);
      for (VfioIovaRange r : iovaRanges) {
        r.encode(buf);
      }
    }
    return buf.flip();
  }

  private VfioIommuType1InfoDmaAvail dmaAvailCap(int next) {
    return new VfioIommuType1InfoDmaAvail(
        new VfioInfoCapHeader(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, next), dmaAvail);
  }

  private VfioIommuType1InfoCapIovaRange iovaRangeCap() {
    return new VfioIommuType1InfoCapIovaRange(
        new VfioInfoCapHeader(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, 0), iovaRanges.size(), 0);
  }
}
