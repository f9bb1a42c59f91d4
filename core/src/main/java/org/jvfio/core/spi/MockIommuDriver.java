package org.jvfio.core.spi;

import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_APERTURE_LAST;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_APERTURE_START;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_HUGE_PAGE_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_IOMMUPT_DEFAULT;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_IOMMUPT_HUGE;

import com.google.common.collect.Sets;
import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptSelftest;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.pt.PtFormat;

/**
 * A mock IOMMU, like the {@code iommufd} selftest's {@code mock_domain}: an honest 4-level radix
 * page table with 4 KiB leaves and optional 2 MiB leaves, hardware dirty tracking by
 * compare-and-swap, split and collapse, so that {@code core} is testable without a vendor module.
 * Registered with {@link java.util.ServiceLoader} as {@code "mock"}.
 *
 * <p>Each instance stands for one IOMMU unit: devices bound with the same instance share it, and a
 * domain allocated by one instance cannot be attached to a device behind another ({@code EINVAL}).
 * The entry format is documented on the (package-private) domain: bit 0 present, bit 1 read, bit 2
 * write, bit 5 accessed (unused), bit 6 dirty, bit 7 page size (a 2 MiB leaf at level 1), bits
 * 12–51 the address of the child table or of the output page. The IOVA space is 48 bits: {@link
 * IommuDomain#apertureEnd()} is {@code 2^48 - 1}.
 *
 * <p>Thread-safe: domains follow the {@link IommuDomain} contract; table frames come from one
 * {@link PageTableMemory} per instance.
 */
public final class MockIommuDriver implements IommuDriver {
  /** Bytes of a small leaf. */
  public static final long PAGE_4K = 1L << 12;

  /** Bytes of a huge leaf in the default geometry. */
  public static final long PAGE_2M = 1L << 21;

  /** Bytes of a small leaf in the selftest geometry ({@code MOCK_PAGE_SIZE}). */
  public static final long SELFTEST_PAGE = 1L << 11;

  /** Bytes of a huge leaf in the selftest geometry ({@code MOCK_HUGE_PAGE_SIZE}, 512 pages). */
  public static final long SELFTEST_HUGE_PAGE = SELFTEST_PAGE << 9;

  /** Bytes of the largest leaf of {@link #createWithGiantPages}. */
  public static final long PAGE_1G = 1L << 30;

  private static final PtFormat[] FORMATS = {
    MockDomain.format(12, 1), MockDomain.format(12, 2), MockDomain.format(12, 3)
  };
  private static final PtFormat SELFTEST_SMALL = MockDomain.format(11, 1);
  private static final PtFormat SELFTEST_HUGE = MockDomain.format(11, 2);

  private final Set<IommuCapability> capabilities;
  private final PtFormat format;
  private final boolean selftest; // every domain is the selftest's, DEFAULT unless data says HUGE
  private final PageTableMemory memory = new PageTableMemory();

  /**
   * Creates the default mock, as {@link java.util.ServiceLoader} does: dirty tracking, split and
   * collapse, 4 KiB and 2 MiB leaves.
   */
  public MockIommuDriver() {
    this(true, true);
  }

  private MockIommuDriver(boolean dirtyTracking, boolean hugePages) {
    this(dirtyTracking, hugePages ? 2 : 1);
  }

  private MockIommuDriver(boolean dirtyTracking, int leafLevels) {
    this(dirtyTracking, leafLevels, false);
  }

  private MockIommuDriver(boolean dirtyTracking, int leafLevels, boolean selftest) {
    EnumSet<IommuCapability> caps =
        EnumSet.of(IommuCapability.SPLIT_COLLAPSE, IommuCapability.HARVEST_RECORDS_FROM_START);
    if (dirtyTracking) {
      caps.add(IommuCapability.DIRTY_TRACKING);
    }
    this.capabilities = Sets.immutableEnumSet(caps);
    this.format = selftest ? SELFTEST_HUGE : FORMATS[leafLevels - 1];
    this.selftest = selftest;
  }

  /**
   * Returns a new mock IOMMU instance that can track dirty IOVA and maps 4 KiB and 2 MiB leaves.
   *
   * @return a new mock IOMMU
   */
  public static MockIommuDriver create() {
    return new MockIommuDriver(true, true);
  }

  /**
   * Returns a new mock IOMMU instance with the given features: a device behind one without dirty
   * tracking is the selftest's {@code MOCK_FLAGS_DEVICE_NO_DIRTY}.
   *
   * @param dirtyTracking whether it has {@link IommuCapability#DIRTY_TRACKING}
   * @param hugePages whether it maps 2 MiB leaves (else only 4 KiB)
   * @return a new mock IOMMU
   */
  public static MockIommuDriver create(boolean dirtyTracking, boolean hugePages) {
    return new MockIommuDriver(dirtyTracking, hugePages);
  }

  /**
   * Returns a new mock IOMMU instance as the iommufd selftest's mock driver is: every domain it
   * allocates, automatic or through {@code IOMMU_HWPT_ALLOC} without driver data, is a {@code
   * MOCK_IOMMUPT_DEFAULT} domain ({@code mock_domain_alloc_paging_flags} with a zeroed {@code
   * struct iommu_hwpt_selftest}, {@code drivers/iommu/iommufd/selftest.c}): 2 KiB and 1 MiB leaves
   * over the aperture {@code [MOCK_APERTURE_START, MOCK_APERTURE_LAST]}.
   *
   * @param dirtyTracking whether it has {@link IommuCapability#DIRTY_TRACKING} (false is the
   *     selftest's {@code MOCK_FLAGS_DEVICE_NO_DIRTY})
   * @return a new mock IOMMU in the selftest's geometry
   */
  public static MockIommuDriver createSelftest(boolean dirtyTracking) {
    return new MockIommuDriver(dirtyTracking, 2, true);
  }

  /**
   * Returns a new mock IOMMU instance that tracks dirty IOVA and maps 4 KiB, 2 MiB and 1 GiB
   * leaves: three sizes, so that splitting to every smaller size is not splitting to the smallest.
   *
   * @return a new instance, with dirty tracking and the page sizes 4 KiB, 2 MiB and 1 GiB
   */
  public static MockIommuDriver createWithGiantPages() {
    return new MockIommuDriver(true, 3);
  }

  /**
   * Returns whether this instance is the iommufd selftest's mock ({@link #createSelftest}), which
   * also allocates the selftest's nested domains ({@code mock_domain_alloc_nested}).
   *
   * @return true for an instance made by {@link #createSelftest}
   */
  public boolean isSelftest() {
    return selftest;
  }

  @Override
  public String name() {
    return "mock";
  }

  @Override
  public Set<IommuCapability> capabilities() {
    return capabilities;
  }

  @Override
  public long pageSizeBitmap() {
    return format.pageSizeBitmap();
  }

  /**
   * {@inheritDoc}
   *
   * @throws UapiException {@code EOPNOTSUPP} if {@code config} asks for dirty tracking and this
   *     instance cannot track
   */
  @Override
  public IommuDomain allocateDomain(DomainConfig config) {
    checkConfig(config);
    return selftest
        ? selftestDomain(config, MOCK_IOMMUPT_DEFAULT)
        : new MockDomain(this, config, memory, format);
  }

  /**
   * Allocates a domain in the iommufd selftest's geometry: small pages of {@link #SELFTEST_PAGE} (2
   * KiB, {@code MOCK_PAGE_SIZE}) and, with {@code hugePages}, huge pages of {@link
   * #SELFTEST_HUGE_PAGE} (512 small pages, 1 MiB), as the selftest's {@code MOCK_IOMMUPT_DEFAULT}
   * and {@code MOCK_IOMMUPT_HUGE} page-table types give ({@code
   * drivers/iommu/iommufd/iommufd_test.h}). Its {@link IommuDomain#pageSizeBitmap()} is that of the
   * geometry, not this driver's.
   *
   * @param config the domain's configuration, checked as for {@link #allocateDomain}
   * @param hugePages whether the domain also maps 1 MiB huge pages
   * @return a new domain whose tables live in {@link #memory}
   * @throws UapiException {@code EOPNOTSUPP} as {@link #allocateDomain}
   */
  public IommuDomain allocateSelftestDomain(DomainConfig config, boolean hugePages) {
    checkConfig(config);
    return new MockDomain(this, config, memory, hugePages ? SELFTEST_HUGE : SELFTEST_SMALL);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The selftest's {@code mock_domain_alloc_paging_flags} ({@code
   * drivers/iommu/iommufd/selftest.c}): the data must be {@code IOMMU_HWPT_DATA_SELFTEST}, {@code
   * struct iommu_hwpt_selftest} copied by {@code iommu_copy_struct_from_user} up to {@code iotlb}
   * (4 to 8 bytes); its {@code pagetable_type} chooses the page table, as {@code
   * mock_domain_alloc_pgtable} does. Both tables are the selftest geometry with huge pages: 2 KiB
   * leaves, and 1 MiB leaves where a map call is large and aligned enough. {@code
   * MOCK_IOMMUPT_DEFAULT} reports the mock aperture {@code [MOCK_APERTURE_START,
   * MOCK_APERTURE_LAST]}, so iommufd reserves the IOVA outside it; {@code MOCK_IOMMUPT_HUGE} keeps
   * the table's aperture and reports only {@code MOCK_HUGE_PAGE_SIZE | PAGE_SIZE} (PAGE_SIZE 4
   * KiB), so its IOAS is aligned to 4 KiB. The kernel's DEFAULT table (its AMD v1 format with 2 KiB
   * pages) reports more page sizes than 2 KiB and 1 MiB; jvfio reports those two (docs/bridge.md,
   * "The selftest port"). {@code MOCK_IOMMUPT_AMDV1} (the real AMD v1 format, in the {@code
   * iommu-amd} module) is not modelled here.
   *
   * @throws UapiException in the driver's order: {@code EOPNOTSUPP} for dirty tracking on an
   *     instance that cannot track or for a {@code data_type} other than {@code
   *     IOMMU_HWPT_DATA_SELFTEST}; {@code EINVAL} for a {@code data_len} outside [4, 8]; {@code
   *     EFAULT} if the data cannot be read; {@code EOPNOTSUPP} for a {@code pagetable_type} other
   *     than DEFAULT or HUGE
   */
  @Override
  public IommuDomain allocateDomain(DomainConfig config, UserData data) {
    checkConfig(config);
    UapiException.check(
        data.type() == IOMMU_HWPT_DATA_SELFTEST, Errno.EOPNOTSUPP, "not IOMMU_HWPT_DATA_SELFTEST");
    long len = data.length();
    UapiException.check(
        Long.compareUnsigned(len, Integer.BYTES) >= 0
            && Long.compareUnsigned(len, IommuHwptSelftest.SIZE) <= 0,
        Errno.EINVAL,
        "data_len " + len + " outside [4, 8]");
    ByteBuffer raw = ByteBuffer.allocate(IommuHwptSelftest.SIZE).put(data.read((int) len)).flip();
    int type = IommuHwptSelftest.decode(raw.limit(IommuHwptSelftest.SIZE)).pagetableType();
    UapiException.check(
        type == MOCK_IOMMUPT_DEFAULT || type == MOCK_IOMMUPT_HUGE,
        Errno.EOPNOTSUPP,
        "pagetable_type " + type);
    return selftestDomain(config, type);
  }

  /** {@code mock_domain_alloc_pgtable} of a DEFAULT or HUGE {@code pagetable_type}. */
  private IommuDomain selftestDomain(DomainConfig config, int type) {
    return new MockDomain(
        this,
        config,
        memory,
        SELFTEST_HUGE,
        table ->
            type == MOCK_IOMMUPT_DEFAULT
                ? new MockDomain.Reported(
                    MOCK_APERTURE_START, MOCK_APERTURE_LAST, table.pageSizeBitmap())
                : new MockDomain.Reported(0, table.apertureEnd(), MOCK_HUGE_PAGE_SIZE | PAGE_4K));
  }

  private void checkConfig(DomainConfig config) {
    UapiException.check(
        !config.dirtyTracking() || canTrackDirty(),
        Errno.EOPNOTSUPP,
        "mock IOMMU without dirty tracking");
  }

  /**
   * Returns the memory holding the tables of every domain this instance allocated.
   *
   * @return the instance's table memory, shared by its domains
   */
  public PageTableMemory memory() {
    return memory;
  }

  @Override
  public String toString() {
    return "MockIommuDriver" + capabilities + "@" + Integer.toHexString(hashCode());
  }
}
