package org.jvfio.iommu.smmuv3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuDriver;

/**
 * The iommufd model driving an SMMUv3 domain through its uAPI, at every granule on a host whose
 * {@code PAGE_SIZE} is the granule (an arm64 kernel with 4, 16 or 64 KiB pages). As in {@code
 * iopt_table_add_domain}, a granule larger than the host's pages is refused.
 */
class SmmuV3IommufdTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final long MEM = 0x40_0000_0000L; // aligned to every block size
  private static final long IOVA = 0x80_0000_0000L;

  private static final class Setup {
    final IommufdContext fd;
    final int ioas;
    final int dev;
    final int hwpt;
    final long page;

    Setup(IommuDriver driver, GuestMemory mem, long page) {
      this.page = page;
      fd = IommufdContext.create(page, mem);
      ioas = fd.ioasAlloc(0);
      dev = fd.bindDevice(driver, DmaWriteListener.NONE);
      hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
      fd.attach(dev, hwpt);
    }

    IovaBitmap harvest(long length, int flags) {
      long[] data = new long[(int) IovaBitmap.wordCount(length, page)];
      fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, flags, IOVA, length, page), data);
      return IovaBitmap.wrap(IOVA, length, page, data);
    }
  }

  private static long block(Granule g) {
    return Long.highestOneBit(g.pageSizeBitmap() & ~(1L << 30));
  }

  /**
   * Map two blocks plus pages, enable (which clears the map-time dirty state), then pre-copy rounds
   * of device writes and harvests copying what is reported, a NO_CLEAR check, and a final
   * stop-and-copy: the destination equals the source.
   */
  @ParameterizedTest
  @EnumSource(Granule.class)
  void iommufdPrecopy_destinationEqualsSourceAndLeavesAreReportedWhole(Granule g) {
    long page = g.size();
    long b = block(g);
    long len = 2 * b + 64 * page;
    GuestMemory src = GuestMemory.create(MEM, len, 1);
    GuestMemory dst = GuestMemory.create(MEM, len, 2);
    Setup s = new Setup(SmmuV3Driver.withGranule(g), src, page);
    s.fd.ioasMap(s.ioas, IoasMap.fixed(MEM, len, IOVA));
    assertEquals(b, s.fd.domain(s.hwpt).translate(IOVA).orElseThrow().size(), "block leaves");
    s.fd.hwptSetDirtyTracking(s.hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    assertEquals(0, s.harvest(len, 0).cardinality(), "enable cleared the map-time dirt");
    dst.copyFrom(src, MEM, len);

    assertEquals(0, s.fd.dmaWrite(s.dev, IOVA + b + 3 * page + 5, 1).faults());
    IovaBitmap one = s.harvest(len, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
    assertEquals(b / page, one.cardinality(), "one byte reports the whole block");
    assertEquals(b / page, s.harvest(len, 0).cardinality(), "NO_CLEAR kept it");
    assertEquals(0, s.harvest(len, 0).cardinality());

    SplittableRandom rnd = new SplittableRandom(SEED ^ g.ordinal());
    for (int round = 0; round < 10; round++) {
      for (int w = 0; w < 30; w++) {
        long off = rnd.nextLong(len);
        assertEquals(0, s.fd.dmaWrite(s.dev, IOVA + off, 1 + rnd.nextInt(64)).faults());
      }
      copy(s.harvest(len, 0), src, dst, page);
    }
    copy(s.harvest(len, 0), src, dst, page);
    assertEquals(-1, dst.firstDifference(src), g + " seed=0x" + Long.toHexString(SEED));
  }

  private static void copy(IovaBitmap b, GuestMemory src, GuestMemory dst, long page) {
    b.forEachDirty(iova -> dst.copyFrom(src, MEM + (iova - IOVA), page));
  }

  /** Unmap-and-read-dirty returns the dirty leaves and a later write faults. */
  @ParameterizedTest
  @EnumSource(Granule.class)
  void iommufdUnmapGetDirty_reportsWrittenLeaves(Granule g) {
    long page = g.size();
    long len = 16 * page;
    GuestMemory mem = GuestMemory.create(MEM, len, 1);
    Setup s = new Setup(SmmuV3Driver.withGranule(g), mem, page);
    s.fd.ioasMap(s.ioas, IoasMap.fixed(MEM, len, IOVA));
    s.fd.hwptSetDirtyTracking(s.hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    s.fd.dmaWrite(s.dev, IOVA + 5 * page, 1);
    s.fd.dmaWrite(s.dev, IOVA + 9 * page, page + 1); // pages 9 and 10
    IovaBitmap bitmap = IovaBitmap.allocate(IOVA, len, page);
    assertEquals(len, s.fd.ioasUnmapGetDirty(s.ioas, IOVA, len, bitmap));
    assertEquals(3, bitmap.cardinality());
    assertTrue(bitmap.isDirty(IOVA + 5 * page) && bitmap.isDirty(IOVA + 10 * page));
    assertEquals(1, s.fd.dmaWrite(s.dev, IOVA + 5 * page, 1).faults(), "unmapped: faults");
  }

  /** Host PAGE_SIZE × granule: the domain joins the IOAS if and only if granule ≤ PAGE_SIZE. */
  @ParameterizedTest
  @EnumSource(Granule.class)
  void iommufd_granuleAboveTheHostPageSize_isRefusedWithEinval(Granule g) {
    GuestMemory mem = GuestMemory.create(MEM, 1L << 20, 1);
    for (long hostPage : new long[] {4096, 16384, 65536}) {
      IommufdContext fd = IommufdContext.create(hostPage, mem);
      int ioas = fd.ioasAlloc(0);
      int dev = fd.bindDevice(SmmuV3Driver.withGranule(g), DmaWriteListener.NONE);
      HwptAlloc alloc = HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas);
      if (g.size() <= hostPage) {
        int hwpt = fd.hwptAlloc(alloc);
        assertEquals(g.size(), fd.ioasIovaRanges(ioas, 0).iovaAlignment(), g + " on " + hostPage);
        fd.destroy(hwpt);
      } else {
        UapiException e = assertThrows(UapiException.class, () -> fd.hwptAlloc(alloc));
        assertEquals(Errno.EINVAL, e.errno(), g + " on " + hostPage);
      }
    }
  }

  /**
   * With the upstream post-harvest sync, an IOAS unmap still invalidates: iommufd gathers the
   * unmapped pages with their size, as the kernel's unmap path does, so a DMA through the cached
   * translation of an unmapped page faults instead of reaching memory.
   */
  @org.junit.jupiter.api.Test
  void ioasUnmap_upstreamSync_stillInvalidatesSoDmaFaults() {
    GuestMemory mem = GuestMemory.create(MEM, 1L << 20, 1);
    IommuDriver upstream = SmmuV3Driver.builder().postHarvestSync(PostHarvestSync.UPSTREAM).build();
    Setup s = new Setup(upstream, mem, 4096);
    s.fd.ioasMap(s.ioas, IoasMap.fixed(MEM, 1L << 20, IOVA));
    assertEquals(4096, s.fd.dmaWrite(s.dev, IOVA, 4096).bytes()); // caches the translation
    long token = mem.token(MEM);
    s.fd.ioasUnmap(s.ioas, IOVA, 1L << 20);
    assertEquals(0, s.fd.dmaWrite(s.dev, IOVA, 4096).bytes());
    assertEquals(token, mem.token(MEM), "no write through a stale translation");
  }
}
