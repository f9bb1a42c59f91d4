package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_HUGE_PAGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_SET;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * A map that a domain refuses half-way changes nothing: the unwinding of {@code iopt_map_pages}
 * ({@code iopt_fill_domains_pages}, {@code iopt_area_fill_domains}), of {@code
 * batch_iommu_map_small} with huge pages off, and of {@code iopt_table_add_domain} for a new domain
 * ({@code drivers/iommu/iommufd/io_pagetable.c}, {@code pages.c}). Each test refuses every map call
 * of a successful run in turn, so every point the call can fail at is tried, and checks the state
 * against the run that never started: the objects, every domain's translations, the device's DMA,
 * the pins, and the page-table frames of a new domain; then the same call, no longer refused, must
 * succeed (a leaf left behind would make it overlap).
 */
class IommufdRollbackTest {
  static final long MEM = 0x1_0000_0000L;
  static final long PAGE = 4096;
  static final long IOVA = 0x4000_0000L;
  static final long HUGE = 2L << 20;
  static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;

  final GuestMemory memory = GuestMemory.create(MEM, 64L << 20, 1);
  final IommufdContext fd = IommufdContext.create(memory);
  final RefusingIommuDriver iommu = new RefusingIommuDriver(MockIommuDriver.create());
  final int dev = fd.bindDevice(iommu, DmaWriteListener.NONE);

  /** An ioctl under test. */
  interface Call {
    void run() throws Throwable;
  }

  /**
   * Runs {@code call}, which makes {@code calls} map calls when nothing is refused, refusing each
   * of them in turn: each run must fail with {@code ENOMEM} right there and leave everything as it
   * was, no HWPT in {@code hwpts} translating any of {@code iovas}. Then runs it without refusal.
   */
  void refuseEveryMapCall(int calls, Call call, long[] iovas, int... hwpts) throws Throwable {
    String before = fd.snapshot();
    long frames = iommu.memory().framesInUse();
    int pins = fd.pinCount(MEM);
    for (int n = 1; n <= calls; n++) {
      iommu.refuseMapCall(n);
      UapiException e = assertThrows(UapiException.class, call::run, "map call " + n);
      assertEquals(Errno.ENOMEM, e.errno(), e.getMessage());
      assertEquals(n, iommu.mapCalls(), "the call went on after a refused map");
      String c = "map call " + n + " refused";
      assertUnchanged(before, pins, iovas, hwpts, c);
      if (hwpts.length == 0) { // a new domain, freed whole (a domain kept may keep empty tables)
        assertEquals(frames, iommu.memory().framesInUse(), c + ": table frames kept");
      }
    }
    iommu.refuseMapCall(calls + 1);
    call.run();
    assertEquals(calls, iommu.mapCalls(), "map calls of the successful run");
  }

  void assertUnchanged(String before, int pins, long[] iovas, int[] hwpts, String context) {
    assertEquals(before, fd.snapshot(), context + ": objects changed");
    assertEquals(pins, fd.pinCount(MEM), context + ": pins changed");
    for (int h : hwpts) {
      IommuDomain d = fd.domain(h);
      for (long iova : iovas) {
        assertEquals(
            OptionalLong.empty(),
            d.iovaToPhys(iova),
            context + ": HWPT " + h + " still maps 0x" + Long.toHexString(iova));
      }
    }
  }

  static void assertRefusedWith(Errno errno, Executable call) {
    UapiException e = assertThrows(UapiException.class, call);
    assertEquals(errno, e.errno(), e.getMessage());
  }

  /** Two HWPTs on one IOAS, the device attached to the first. */
  int[] twoDomains(int ioas) {
    int h1 = fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    int h2 = fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    fd.attach(dev, h1);
    return new int[] {h1, h2};
  }

  @Test
  void ioasMap_refusedByTheSecondDomain_firstDomainUnwound() {
    int ioas = fd.ioasAlloc(0);
    int[] h = twoDomains(ioas);
    String before = fd.snapshot();
    iommu.refuseMapCall(2);
    assertRefusedWith(Errno.ENOMEM, () -> fd.ioasMap(ioas, IoasMap.fixed(MEM, 4 * PAGE, IOVA)));
    assertEquals(2, iommu.mapCalls());
    assertUnchanged(before, 0, pagesOf(IOVA, 4), h, "second domain refused");
    assertEquals(4, fd.dmaWrite(dev, IOVA, 4 * PAGE).faults(), "DMA through a stale leaf");
    iommu.refuseMapCall(0);
    assertEquals(IOVA, fd.ioasMap(ioas, IoasMap.fixed(MEM, 4 * PAGE, IOVA)));
    assertEquals(0, fd.dmaWrite(dev, IOVA, 4 * PAGE).faults());
    assertEquals(1, fd.pinCount(MEM + 3 * PAGE));
  }

  /**
   * With huge pages off each area goes to a domain in PAGE_SIZE calls; a refused one takes back the
   * pages before it ({@code batch_iommu_map_small}), in every domain.
   */
  @Test
  void ioasMap_hugePagesOff_refusedOnAnyPage_unwindsEveryPage() throws Throwable {
    int ioas = fd.ioasAlloc(0);
    fd.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, ioas, 0);
    int[] h = twoDomains(ioas);
    refuseEveryMapCall(
        2 * 4, // two domains, four pages each
        () -> fd.ioasMap(ioas, IoasMap.fixed(MEM, 4 * PAGE, IOVA)),
        pagesOf(IOVA, 4),
        h);
    for (int hwpt : h) {
      assertEquals(MEM + 3 * PAGE, fd.domain(hwpt).iovaToPhys(IOVA + 3 * PAGE).getAsLong());
    }
  }

  /**
   * An {@code IOMMU_IOAS_COPY} over two source areas inserts two areas: a refusal anywhere, in
   * either domain, takes both back ({@code iopt_fill_domains_pages}).
   */
  @Test
  void ioasCopy_twoAreas_refusedAnywhere_unwindsBothInEveryDomain() throws Throwable {
    int src = fd.ioasAlloc(0);
    fd.ioasMap(src, IoasMap.fixed(MEM, HUGE, HUGE));
    fd.ioasMap(src, IoasMap.fixed(MEM + HUGE, 2 * PAGE, 2 * HUGE));
    int dst = fd.ioasAlloc(0);
    int[] h = twoDomains(dst);
    long at = 4 * HUGE;
    long[] iovas = {at, at + HUGE - PAGE, at + HUGE, at + HUGE + PAGE};
    refuseEveryMapCall(
        2 * 2, // two areas, two domains
        () ->
            fd.ioasCopy(
                new IoasCopy(IOMMU_IOAS_MAP_FIXED_IOVA | RW, dst, src, HUGE + 2 * PAGE, at, HUGE)),
        iovas,
        h);
    assertEquals(0, fd.dmaWrite(dev, at, HUGE + 2 * PAGE).faults());
  }

  /**
   * A new domain that cannot be filled ({@code HWPT_ALLOC} on an IOAS with mappings, or an
   * automatic domain on attach) is freed with its frames and leaves no object behind.
   */
  @Test
  void hwptAllocAndAutoDomain_fillRefused_leaveNoObjectNoFrame() throws Throwable {
    int ioas = fd.ioasAlloc(0);
    fd.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, ioas, 0);
    fd.ioasMap(ioas, IoasMap.fixed(MEM, 2 * PAGE, IOVA));
    fd.ioasMap(ioas, IoasMap.fixed(MEM + 8 * PAGE, PAGE, IOVA + 8 * PAGE));
    long[] iovas = {IOVA, IOVA + PAGE, IOVA + 8 * PAGE};
    // three pages, one call each; the snapshot shows a HWPT left in the object table
    refuseEveryMapCall(3, () -> fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas)), iovas);
    refuseEveryMapCall(3, () -> fd.attach(dev, ioas), iovas);
    assertEquals(0, fd.dmaWrite(dev, IOVA, 2 * PAGE).faults());
  }

  static long[] pagesOf(long iova, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = iova + i * PAGE;
    }
    return out;
  }
}
