package org.jvfio.core.spi;

import java.util.function.UnaryOperator;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.pt.PtFormatBuilder;

/*
 * The mock domain: a small format on the page-table engine. Four levels of 512 entries, level 0
 * holding the small leaves, a level-1 entry with PS a huge leaf of 512 small pages (and, where
 * enabled, a level-2 entry with PS a leaf of 512 huge pages). Entry bits: P (0) present, R (1), W
 * (2), A (5, never set), D (6) dirty, PS (7) leaf at levels 1 and 2, bits 12-51 the
 * child table's or the output page's address (an output address is aligned to the small page, so
 * with 2 KiB pages bit 11 is an address bit too). A table pointer is P plus an address.
 *
 * Two geometries: 4 KiB pages with 2 MiB huge pages (48-bit IOVA), and the iommufd selftest's
 * MOCK_PAGE_SIZE of 2 KiB with huge pages of 512 x 2 KiB = 1 MiB (47-bit IOVA), chosen as the
 * selftest's MOCK_IOMMUPT_HUGE page-table type chooses it (drivers/iommu/iommufd/iommufd_test.h).
 */
final class MockDomain extends PtDomain {
  static final long P = 1L;
  static final long R = 1L << 1;
  static final long W = 1L << 2;
  static final long A = 1L << 5;
  static final long D = 1L << 6;
  static final long PS = 1L << 7;

  /**
   * What the domain reports to iommufd where it differs from its table: the aperture and the page
   * sizes ({@code iommu_domain.geometry}, {@code pgsize_bitmap}).
   */
  record Reported(long apertureStart, long apertureEnd, long pageSizeBitmap) {}

  private final MockIommuDriver driver;
  private final Reported reported;

  MockDomain(MockIommuDriver driver, DomainConfig config, PageTableMemory memory, PtFormat fmt) {
    this(driver, config, memory, fmt, UnaryOperator.identity());
  }

  /** A domain that reports {@code adjust} applied to its table's aperture and page sizes. */
  MockDomain(
      MockIommuDriver driver,
      DomainConfig config,
      PageTableMemory memory,
      PtFormat fmt,
      UnaryOperator<Reported> adjust) {
    super(fmt, config, memory);
    this.driver = driver;
    this.reported = adjust.apply(new Reported(0, super.apertureEnd(), super.pageSizeBitmap()));
  }

  /**
   * Returns the mock format with small pages of {@code 2^granule} bytes and leaves at levels 0 to
   * {@code leafLevels - 1} (1: small pages only; 2: and huge pages of 512 small pages; 3: and
   * leaves of 512 huge pages).
   */
  static PtFormat format(int granule, int leafLevels) {
    long small = 1L << granule;
    PtFormatBuilder b =
        PtFormat.builder("mock-" + small + "x" + leafLevels)
            .geometry(granule, 9, 3, 3, granule + 36)
            .presentBit(P)
            .addressMask(0x000F_FFFF_FFFF_FFFFL & -small)
            .leaf(0, 0, 0, P, small)
            .table(3, 0, 0, P)
            .protections(R, W, R | W)
            .permissions(R, 0, W, 0, false)
            .dirty(D, D, ~D, 0, -1L, D)
            .attributes(R | W)
            .describer((e, level) -> describe(e, level, granule));
    for (int level = 1; level <= 2; level++) {
      b.table(level, PS, 0, P);
      if (level < leafLevels) {
        b.leaf(level, PS, PS, P | PS, small << (9 * level));
      }
    }
    return b.build();
  }

  private static String describe(long e, int level, int granule) {
    if ((e & P) == 0) {
      return "L" + level + " not present";
    }
    String addr = "0x" + Long.toHexString(e & 0x000F_FFFF_FFFF_FFFFL & -(1L << granule));
    if (level == 3 || (level > 0 && (e & PS) == 0)) {
      return "L" + level + " table " + addr;
    }
    return "L"
        + level
        + " leaf "
        + sizeName(granule + 9 * level)
        + " "
        + addr
        + ((e & R) != 0 ? " R" : "")
        + ((e & W) != 0 ? " W" : "")
        + ((e & D) != 0 ? " D" : "");
  }

  private static String sizeName(int log2) {
    return log2 >= 20 ? (1 << (log2 - 20)) + "M" : (1 << (log2 - 10)) + "K";
  }

  @Override
  public long apertureStart() {
    return reported.apertureStart();
  }

  @Override
  public long apertureEnd() {
    return reported.apertureEnd();
  }

  @Override
  public long pageSizeBitmap() {
    return reported.pageSizeBitmap();
  }

  @Override
  public IommuDriver driver() {
    return driver;
  }

  @Override
  public boolean hasDirtyOps() {
    return config().dirtyTracking() && driver.canTrackDirty();
  }
}
