package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.core.iommufd.IommufdEdgesTest.assertRefused;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.HostMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * {@code IOMMU_IOAS_MAP_FILE} ({@code iommufd_ioas_map_file}, {@code iopt_map_file_pages} in {@code
 * drivers/iommu/iommufd/io_pagetable.c}): each map has pages of its own ({@code struct
 * iopt_pages}), whose pinnability ({@code memfd_pin_folios}) and writability outlive whatever is
 * mapped or unmapped after it; the length limit of {@code iopt_alloc_pages}; which pages of a file
 * {@code memfd_pin_folios} pins.
 */
class IommufdMapFileEdgesTest {
  static final long PAGE = 4096;
  static final long MEM = 0x1_0000_0000L;
  static final long IOVA = 1L << 24;
  static final int RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
  static final int FIXED_RW = IOMMU_IOAS_MAP_FIXED_IOVA | RW;
  static final int FIXED_RO = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE;

  /** The process's files by fd: a regular file (not shmem) and memfds, mapped shared in MEM. */
  static final int REGULAR = 3;

  static final int MEMFD = 4;
  static final int SHORT_MEMFD = 5; // 2 pages less a byte
  static final int TWO_PAGE_MEMFD = 6;
  static final int AT_ZERO = 7; // a memfd whose identity addresses start at 0

  final Map<Integer, UserFile> files = new HashMap<>();
  final IommufdContext ctx =
      IommufdContext.create(
          PAGE,
          new GuestTables(),
          UserPages.NONE,
          (fd, start, length) -> {
            UserFile f = files.get(fd);
            return f == null ? null : new UserFile(f.shmem(), f.size(), f.userVa() + start);
          },
          new HostMemory(),
          GuestMemory.create(MEM, 1L << 20, 1));
  final int ioas = ctx.ioasAlloc(0);

  IommufdMapFileEdgesTest() {
    files.put(REGULAR, new UserFile(false, 16 * PAGE, MEM));
    files.put(MEMFD, new UserFile(true, 16 * PAGE, MEM + 16 * PAGE));
    files.put(SHORT_MEMFD, new UserFile(true, 2 * PAGE - 1, MEM + 32 * PAGE));
    files.put(TWO_PAGE_MEMFD, new UserFile(true, 2 * PAGE, MEM + 40 * PAGE));
    files.put(AT_ZERO, new UserFile(true, -1L, 0));
  }

  long mapFile(int flags, int fd, long length, long iova) {
    return ctx.ioasMapFile(ioas, new IoasMapFile(flags, fd, 0, length, iova));
  }

  /**
   * Each map is its own {@code iopt_pages}: a map of a file that {@code memfd_pin_folios} cannot
   * pin (not shmem) stays unpinnable when a user-memory map and a pinnable memfd map come after it,
   * so filling a domain is EINVAL ({@code iopt_fill_domain}); once it is unmapped the domain fills.
   */
  @Test
  void hwptAlloc_unpinnableFileMap_staysSoWhateverIsMappedAfterIt() {
    mapFile(FIXED_RW, REGULAR, 4 * PAGE, IOVA);
    ctx.ioasMap(ioas, IoasMap.fixed(MEM + 48 * PAGE, 4 * PAGE, IOVA + 8 * PAGE));
    mapFile(FIXED_RW, MEMFD, 4 * PAGE, IOVA + 16 * PAGE);
    int dev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    assertRefused(ctx, Errno.EINVAL, () -> ctx.hwptAlloc(HwptAlloc.paging(0, dev, ioas)));
    ctx.ioasUnmap(ioas, IOVA, 4 * PAGE);
    ctx.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
  }

  /**
   * The pinnability of a live map survives the sweeps of the maps that came and went after it (more
   * than the 64 entries after which the context drops the entries of maps no area holds).
   */
  @Test
  void hwptAlloc_unpinnableFileMap_staysSoAfterManyMapsComeAndGo() {
    mapFile(FIXED_RW, REGULAR, 4 * PAGE, IOVA);
    for (int i = 0; i < 70; i++) {
      mapFile(FIXED_RW, MEMFD, PAGE, IOVA + 8 * PAGE);
      ctx.ioasUnmap(ioas, IOVA + 8 * PAGE, PAGE);
    }
    int dev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    assertRefused(ctx, Errno.EINVAL, () -> ctx.hwptAlloc(HwptAlloc.paging(0, dev, ioas)));
  }

  /**
   * A map without WRITEABLE has read-only pages: {@code IOMMU_IOAS_COPY} of it with WRITEABLE is
   * EPERM ({@code iopt_insert_area}); without, it is copied.
   */
  @Test
  void ioasCopy_writeableFromAReadOnlyFileMap_eperm() {
    mapFile(FIXED_RO, MEMFD, 2 * PAGE, IOVA);
    int dst = ctx.ioasAlloc(0);
    assertRefused(
        ctx, Errno.EPERM, () -> ctx.ioasCopy(new IoasCopy(FIXED_RW, dst, ioas, PAGE, IOVA, IOVA)));
    assertEquals(IOVA, ctx.ioasCopy(new IoasCopy(FIXED_RO, dst, ioas, PAGE, IOVA, IOVA)));
  }

  /**
   * {@code iopt_alloc_pages}: {@code length > SIZE_MAX - PAGE_SIZE} is EINVAL, the limit is not.
   */
  @Test
  void ioasMapFile_length_limitIsUlongMaxLessAPage() {
    assertRefused(ctx, Errno.EINVAL, () -> mapFile(FIXED_RW, AT_ZERO, -PAGE, 0));
    assertEquals(0, mapFile(FIXED_RW, AT_ZERO, -PAGE - 1, 0), "no domain: nothing is pinned");
  }

  /**
   * {@code memfd_pin_folios} finds or allocates every page of the range ({@code
   * shmem_get_folio_gfp}): a last page that the file's end cuts through is pinned, a page that
   * starts at the file's end is EINVAL.
   */
  @Test
  void ioasMapFile_withADomain_lastPageCutByTheEndIsPinned_aPageAtTheEndIsNot() {
    int dev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    ctx.hwptAlloc(HwptAlloc.paging(0, dev, ioas));
    assertEquals(IOVA, mapFile(FIXED_RW, SHORT_MEMFD, 2 * PAGE, IOVA));
    assertRefused(
        ctx, Errno.EINVAL, () -> mapFile(FIXED_RW, TWO_PAGE_MEMFD, 3 * PAGE, IOVA + 4 * PAGE));
    assertEquals(IOVA + 4 * PAGE, mapFile(FIXED_RW, TWO_PAGE_MEMFD, 2 * PAGE, IOVA + 4 * PAGE));
  }
}
