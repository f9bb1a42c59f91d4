package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VEVENTQ_TYPE_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_VIOMMU_TYPE_SELFTEST;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * {@link IommufdContext#snapshot()}, the rendering the iommufd tests compare before and after a
 * refused call ("a refused call changes nothing"): each object's line carries each of its links and
 * states, so that a refusal that changed one of them is seen. Nothing else reads the text, so its
 * form is not a contract; this pins each field so that none silently drops out.
 */
class IommufdSnapshotTest {
  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));

  /** The snapshot's lines by object id, without the id. */
  Map<Integer, String> lines() {
    Map<Integer, String> byId = new HashMap<>();
    for (String line : ctx.snapshot().split("\n")) {
      int space = line.indexOf(' ');
      byId.put(Integer.parseInt(line.substring(0, space)), line.substring(space + 1));
    }
    return byId;
  }

  static void assertHas(String line, String field) {
    assertTrue(line.contains(field), () -> "no '" + field + "' in: " + line);
  }

  @Test
  void snapshot_pagingObjects_showTheirLinksAndTracking() {
    int dev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    int ioas = ctx.ioasAlloc(0);
    int hwpt = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
    ctx.attach(dev, hwpt);
    assertHas(lines().get(ioas), " hwpts=" + hwpt + ",");
    assertHas(lines().get(hwpt), "HWPT ioas=" + ioas + " auto=false tracking=false");
    assertHas(lines().get(hwpt), " devices=" + dev + ",");
    assertHas(lines().get(dev), "DEVICE hwpt=" + hwpt);
    ctx.hwptSetDirtyTracking(hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    assertHas(lines().get(hwpt), " tracking=true");
  }

  @Test
  void snapshot_nestingObjects_eachItsOwnLine() {
    MockIommuDriver mock = MockIommuDriver.createSelftest(true);
    int dev = ctx.bindDevice(mock, DmaWriteListener.NONE);
    int gone = ctx.bindDevice(mock, DmaWriteListener.NONE);
    int ioas = ctx.ioasAlloc(0);
    int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
    IommufdNesting nesting = ctx.nesting();
    int viommu = nesting.viommuAlloc(0, IOMMU_VIOMMU_TYPE_SELFTEST, dev, parent, UserData.none());
    int vdev = nesting.vdeviceAlloc(viommu, dev, 0x99);
    int tombstone = nesting.vdeviceAlloc(viommu, gone, 0x77);
    ctx.unbindDevice(gone);
    int nested =
        ctx.hwptAlloc(
            new HwptAlloc(0, dev, viommu, 0, IOMMU_HWPT_DATA_SELFTEST, 8, 0),
            UserData.of(IOMMU_HWPT_DATA_SELFTEST, new byte[8]));
    ctx.attach(dev, nested);
    int q = nesting.veventqAlloc(0, viommu, IOMMU_VEVENTQ_TYPE_SELFTEST, 2, 0);

    Map<Integer, String> lines = lines();
    assertEquals(
        "HWPT_NESTED parent=" + parent + " viommu=" + viommu + " devices=" + dev + ",",
        lines.get(nested));
    assertEquals("VIOMMU parent=" + parent + " nested=1 vdevs=[153]", lines.get(viommu));
    assertEquals("VDEVICE viommu=" + viommu + " dev=" + dev + " virt=153", lines.get(vdev));
    assertEquals(
        "VEVENTQ viommu=" + viommu + " type=0x" + Integer.toHexString(IOMMU_VEVENTQ_TYPE_SELFTEST),
        lines.get(q));
    assertEquals("TOMBSTONE", lines.get(tombstone));
    assertHas(lines.get(dev), "DEVICE hwpt=- nested=" + nested);
  }

  @Test
  void snapshot_access_anObjectLineAndItsPinsOnTheIoasLine() {
    int ioas = ctx.ioasAlloc(0);
    IommufdAccess access = IommufdAccess.create(ctx, true, (iova, length) -> {});
    access.attach(ioas);
    ctx.ioasMap(ioas, IoasMap.fixed(1L << 32, 2 * 4096, 0x10000));
    access.pinPages(0x11000, 4096, false);
    Map<Integer, String> lines = lines();
    assertEquals("ACCESS", lines.get(access.id()));
    assertHas(lines.get(ioas), " accesses=" + access.id() + ",");
    assertHas(lines.get(ioas), " pins=" + access.id() + ":0x11000-0x11fff,");
  }
}
