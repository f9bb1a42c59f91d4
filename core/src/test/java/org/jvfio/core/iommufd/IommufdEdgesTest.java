package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_HUGE_PAGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_SET;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * Example tables at the edges of the IOAS ioctls, each row a boundary of a check in {@code
 * drivers/iommu/iommufd/io_pagetable.c} ({@code iopt_alloc_iova}, {@code __alloc_iova_check_range},
 * {@code iopt_alloc_pages}, {@code iopt_reserve_iova}) or of a model accessor, with the value on
 * either side of it.
 */
class IommufdEdgesTest {
  static final long MEM = 0x1_0000_0000L;
  static final long PAGE = 4096;
  static final long IOVA = 0x4000_0000L;
  static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
  static final int FIXED_RW = IOMMU_IOAS_MAP_FIXED_IOVA | RW;

  final GuestMemory memory = GuestMemory.create(MEM, 64L << 20, 1);
  final IommufdContext fd = IommufdContext.create(memory);
  final MockIommuDriver iommu = MockIommuDriver.create();
  final int dev = fd.bindDevice(iommu, DmaWriteListener.NONE);

  void assertRefused(Errno errno, Executable call) {
    assertRefused(fd, errno, call);
  }

  /** Asserts that {@code call} is refused with {@code errno} and leaves {@code fd} unchanged. */
  static void assertRefused(IommufdContext fd, Errno errno, Executable call) {
    String before = fd.snapshot();
    UapiException e = assertThrows(UapiException.class, call);
    assertEquals(errno, e.errno(), e.getMessage());
    assertEquals(before, fd.snapshot(), "a refused call changed state");
  }

  long auto(int ioas, long userVa, long length) {
    return fd.ioasMap(ioas, IoasMap.of(RW, userVa, length, 0));
  }

  @Test
  void pinCount_areasOfIoasesWithADomain_eachByteOfTheirPages() {
    int a = fd.ioasAlloc(0);
    fd.ioasMap(a, IoasMap.fixed(MEM, 4 * PAGE, IOVA));
    assertEquals(0, fd.pinCount(MEM), "no domain: nothing pinned");
    fd.hwptAlloc(HwptAlloc.paging(0, dev, a));
    assertEquals(0, fd.pinCount(MEM - 1));
    assertEquals(1, fd.pinCount(MEM));
    assertEquals(1, fd.pinCount(MEM + 4 * PAGE - 1));
    assertEquals(0, fd.pinCount(MEM + 4 * PAGE));
    int b = fd.ioasAlloc(0);
    fd.hwptAlloc(HwptAlloc.paging(0, dev, b));
    fd.ioasCopy(new IoasCopy(FIXED_RW, b, a, 2 * PAGE, IOVA, IOVA + 2 * PAGE));
    assertEquals(1, fd.pinCount(MEM + PAGE));
    assertEquals(2, fd.pinCount(MEM + 2 * PAGE), "an IOAS_COPY pins again");
  }

  /** {@code iopt_alloc_pages}: {@code length > SIZE_MAX - PAGE_SIZE} is EINVAL. */
  @Test
  void ioasMap_length_limitIsUlongMaxLessAPage() {
    int ioas = fd.ioasAlloc(0); // no domain: nothing is pinned, any user VA goes
    assertRefused(Errno.EINVAL, () -> fd.ioasMap(ioas, IoasMap.fixed(0, -PAGE, 0)));
    assertEquals(0, fd.ioasMap(ioas, IoasMap.fixed(0, -PAGE - 1, 0)));
    assertRefused(Errno.EOVERFLOW, () -> fd.ioasMap(ioas, IoasMap.fixed(PAGE + 1, -PAGE - 1, 0)));
  }

  /** {@code iopt_alloc_iova}: roundup_pow_of_two(1) is 1; the user VA's page offset is kept. */
  @Test
  void ioasMap_automaticIova_oneByte_firstPageKeepingTheOffset() {
    int ioas = fd.ioasAlloc(0);
    assertEquals(PAGE, auto(ioas, MEM, 1));
    assertEquals(PAGE + 5, auto(ioas, MEM + 5, 1), "the user VA's page offset");
    assertEquals(PAGE + 0x805, auto(ioas, MEM + 0x805, 1));
    assertEquals(IOVA, fd.ioasMap(ioas, IoasMap.fixed(MEM, 1, IOVA)), "a fixed byte: no wrap");
  }

  /**
   * {@code __alloc_iova_check_range}: {@code aligned_start >= last} refuses a hole whose aligned
   * start is its last byte, even for one byte (the kernel's own quirk).
   */
  @Test
  void ioasMap_automaticIova_oneByteHoleAtTheEnd_isEnospc() {
    int ioas = fd.ioasAlloc(0);
    fd.ioasAllowIovas(ioas, 0, List.of(new IovaRange(0x10000, 0x10001)));
    assertEquals(0x10000, auto(ioas, MEM, 1));
    assertRefused(Errno.ENOSPC, () -> auto(ioas, MEM, 1));
  }

  /** The automatic alignment may equal the IOAS alignment, not fall below it. */
  @Test
  void ioasMap_automaticIova_alignmentAtTheIoasAlignment() {
    int ioas = fd.ioasAlloc(0);
    fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas)); // IOAS alignment 4 KiB
    assertEquals(PAGE, auto(ioas, MEM + PAGE, PAGE));
    assertRefused(Errno.EINVAL, () -> auto(ioas, MEM + PAGE / 2, PAGE)); // aligned to 2 KiB
  }

  @Test
  void ioasPageSizes_andOfTheDomains_allOnesWithout() {
    int ioas = fd.ioasAlloc(0);
    assertEquals(-1L, fd.ioasPageSizes(ioas));
    fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    assertEquals(PAGE | (2L << 20), fd.ioasPageSizes(ioas));
    int small = fd.bindDevice(MockIommuDriver.create(true, false), DmaWriteListener.NONE);
    fd.hwptAlloc(HwptAlloc.paging(0, small, ioas));
    assertEquals(PAGE, fd.ioasPageSizes(ioas));
    assertRefused(Errno.ENOENT, () -> fd.ioasPageSizes(99));
  }

  /** {@code IOMMU_TEST_OP_ADD_RESERVED} through {@code iopt_reserve_iova}. */
  @Test
  void ioasAddReserved_refusalsAndEffects() {
    int ioas = fd.ioasAlloc(0);
    fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA));
    assertRefused(Errno.ENOENT, () -> fd.ioasAddReserved(99, 0, PAGE));
    assertRefused(Errno.EADDRINUSE, () -> fd.ioasAddReserved(ioas, IOVA + PAGE - 1, IOVA + PAGE));
    fd.ioasAddReserved(ioas, PAGE, PAGE - 1); // length 0: nothing
    assertEquals(
        new IovaRanges(List.of(new IovaRange(0, -1)), 1), fd.ioasIovaRanges(ioas, 0), "length 0");
    fd.ioasAddReserved(ioas, 8 * PAGE, 8 * PAGE); // one byte
    assertRefused(Errno.EINVAL, () -> fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, 8 * PAGE)));
    fd.ioasAddReserved(ioas, PAGE, 2 * PAGE - 1);
    assertEquals(2 * PAGE, auto(ioas, MEM, PAGE), "automatic IOVAs avoid it");
    assertRefused(Errno.EINVAL, () -> fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, 2 * PAGE - 1)));
    int allowed = fd.ioasAlloc(0);
    fd.ioasAllowIovas(allowed, 0, List.of(new IovaRange(PAGE, 2 * PAGE - 1)));
    assertRefused(Errno.EADDRINUSE, () -> fd.ioasAddReserved(allowed, 2 * PAGE - 1, 3 * PAGE));
    fd.ioasAddReserved(allowed, 2 * PAGE, 3 * PAGE);
  }

  /** {@code FAULT_ID_VALID} is looked up after the domain is built, which is then freed. */
  @Test
  void hwptAlloc_faultIdValid_freesTheDomain() {
    int ioas = fd.ioasAlloc(0);
    fd.ioasMap(ioas, IoasMap.fixed(MEM, PAGE, IOVA));
    long frames = iommu.memory().framesInUse();
    assertRefused(
        Errno.ENOENT, () -> fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_FAULT_ID_VALID, dev, ioas)));
    assertEquals(frames, iommu.memory().framesInUse());
  }

  /**
   * Huge pages off: the IOAS alignment is at least PAGE_SIZE, also after its last domain goes
   * ({@code iopt_calculate_iova_alignment}); back on, it falls to what the domains need.
   */
  @Test
  void option_hugePagesOff_alignmentOutlivesTheDomains() {
    int ioas = fd.ioasAlloc(0);
    fd.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, ioas, 0);
    assertEquals(PAGE, fd.ioasIovaRanges(ioas, 0).iovaAlignment());
    int h = fd.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    fd.destroy(h);
    assertEquals(PAGE, fd.ioasIovaRanges(ioas, 0).iovaAlignment());
    fd.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, ioas, 1);
    assertEquals(1, fd.ioasIovaRanges(ioas, 0).iovaAlignment());
  }

  /**
   * An {@code IOMMU_IOAS_COPY} whose source pieces are not whole IO pages, though the copy's IOVA
   * and length are: the kernel's {@code iommu_map} of the short piece answers {@code EINVAL}
   * (unaligned), not a Java exception.
   */
  @Test
  void ioasCopy_pieceNotAWholeIoPage_isEinval() {
    int src = fd.ioasAlloc(0); // no domain: byte-granular areas
    fd.ioasMap(src, IoasMap.fixed(MEM, 0x800, 0));
    fd.ioasMap(src, IoasMap.fixed(MEM + PAGE, 0x1800, 0x800));
    int dst = fd.ioasAlloc(0);
    fd.hwptAlloc(HwptAlloc.paging(0, dev, dst));
    assertRefused(
        Errno.EINVAL, () -> fd.ioasCopy(new IoasCopy(FIXED_RW, dst, src, 2 * PAGE, IOVA, 0)));
    int plain = fd.ioasAlloc(0); // without a domain nothing is mapped: accepted
    assertEquals(IOVA, fd.ioasCopy(new IoasCopy(FIXED_RW, plain, src, 2 * PAGE, IOVA, 0)));
  }
}
