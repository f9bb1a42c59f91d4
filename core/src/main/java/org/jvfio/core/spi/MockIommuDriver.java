package org.jvfio.core.spi;

import com.google.common.collect.Sets;
import java.util.EnumSet;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.PageTableMemory;

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

  /** Bytes of a huge leaf (the selftest's {@code MOCK_HUGE_PAGE_SIZE} analogue). */
  public static final long PAGE_2M = 1L << 21;

  private final Set<IommuCapability> capabilities;
  private final long pageSizeBitmap;
  private final PageTableMemory memory = new PageTableMemory();

  /**
   * Creates the default mock, as {@link java.util.ServiceLoader} does: dirty tracking, split and
   * collapse, 4 KiB and 2 MiB leaves.
   */
  public MockIommuDriver() {
    this(true, true);
  }

  private MockIommuDriver(boolean dirtyTracking, boolean hugePages) {
    EnumSet<IommuCapability> caps = EnumSet.of(IommuCapability.SPLIT_COLLAPSE);
    if (dirtyTracking) {
      caps.add(IommuCapability.DIRTY_TRACKING);
    }
    this.capabilities = Sets.immutableEnumSet(caps);
    this.pageSizeBitmap = hugePages ? PAGE_4K | PAGE_2M : PAGE_4K;
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
    return pageSizeBitmap;
  }

  /**
   * {@inheritDoc}
   *
   * @throws UapiException {@code EOPNOTSUPP} if {@code config} asks for dirty tracking and this
   *     instance cannot track
   */
  @Override
  public IommuDomain allocateDomain(DomainConfig config) {
    UapiException.check(
        !config.dirtyTracking() || canTrackDirty(),
        Errno.EOPNOTSUPP,
        "mock IOMMU without dirty tracking");
    return new MockDomain(this, config, memory);
  }

  @Override
  public String toString() {
    return "MockIommuDriver" + capabilities + "@" + Integer.toHexString(hashCode());
  }
}
