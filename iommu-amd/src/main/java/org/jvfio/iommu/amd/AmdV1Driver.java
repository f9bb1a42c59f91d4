package org.jvfio.iommu.amd;

import java.util.EnumSet;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDriver;

/**
 * An AMD IOMMU unit with v1 host page tables, registered as {@value #NAME} (AMD IOMMU
 * specification; {@code drivers/iommu/amd/iommu.c}).
 *
 * <p>The unit's Extended Feature Register decides what it can do: {@link #FEATURE_HDSUP} (bit 52)
 * gives {@link IommuCapability#DIRTY_TRACKING}, as {@code amd_iommu_hd_support()}; {@link
 * #FEATURE_HASUP} (bit 49) lets the hardware set the A bit. The public constructor, which {@link
 * java.util.ServiceLoader} uses, models a unit with both; {@link #withFeatures(long)} models
 * others. Split and collapse are always offered ({@link IommuCapability#SPLIT_COLLAPSE}).
 *
 * <p>Immutable and thread-safe; each domain owns its own table memory and IOTLB.
 */
public final class AmdV1Driver implements IommuDriver {
  /** The registered name, {@value}. */
  public static final String NAME = "amd-v1";

  /** EFR bit 49, {@code FEATURE_HASUP}: host access (A bit) updates supported. */
  public static final long FEATURE_HASUP = 1L << 49;

  /** EFR bit 52, {@code FEATURE_HDSUP}: host dirty (D bit) updates supported. */
  public static final long FEATURE_HDSUP = 1L << 52;

  /**
   * The leaf sizes of the v1 table: every power of two from 4 KiB to 2^51 except 512 GiB, the union
   * of iommupt's {@code amdv1pt_possible_sizes} over the levels that can hold leaves ({@code
   * drivers/iommu/generic_pt/fmt/amdv1.h}: "512GB Pages are not supported due to a hardware bug";
   * docs/fidelity.md, "AMD-Vi v1").
   */
  public static final long PAGE_SIZES = (-1L << 12) & ((1L << 52) - 1) & ~(1L << 39);

  private final long efr;

  /** Creates the default unit: HDSUP and HASUP present, so dirty tracking is available. */
  public AmdV1Driver() {
    this(FEATURE_HDSUP | FEATURE_HASUP);
  }

  private AmdV1Driver(long efr) {
    this.efr = efr;
  }

  /**
   * Returns a unit whose Extended Feature Register reads {@code efr}; only {@link #FEATURE_HDSUP}
   * and {@link #FEATURE_HASUP} are interpreted.
   *
   * @param efr the Extended Feature Register value (MMIO offset 0x30)
   * @return a new unit
   */
  public static AmdV1Driver withFeatures(long efr) {
    return new AmdV1Driver(efr);
  }

  /**
   * Returns the Extended Feature Register value this unit was created with.
   *
   * @return the EFR value
   */
  public long extendedFeatures() {
    return efr;
  }

  boolean hdsup() {
    return (efr & FEATURE_HDSUP) != 0;
  }

  boolean hasup() {
    return (efr & FEATURE_HASUP) != 0;
  }

  /** Returns {@value #NAME}. */
  @Override
  public String name() {
    return NAME;
  }

  /**
   * Returns {@code SPLIT_COLLAPSE}, plus {@code DIRTY_TRACKING} and {@code
   * HARVEST_RECORDS_FROM_START} (iommupt's walk) if the EFR has HDSUP.
   */
  @Override
  public Set<IommuCapability> capabilities() {
    EnumSet<IommuCapability> caps = EnumSet.of(IommuCapability.SPLIT_COLLAPSE);
    if (hdsup()) {
      caps.add(IommuCapability.DIRTY_TRACKING);
      caps.add(IommuCapability.HARVEST_RECORDS_FROM_START);
    }
    return Set.copyOf(caps);
  }

  /** Returns {@link #PAGE_SIZES}. */
  @Override
  public long pageSizeBitmap() {
    return PAGE_SIZES;
  }

  /**
   * Allocates an empty v1 domain: a mode-3 table (one zeroed root frame) and a DTE with HAD = 00b,
   * as {@code amd_iommu_domain_alloc_paging_flags} with a v1 page table. {@code nestParent} is
   * accepted (a v1 table can parent nested domains) and changes nothing here.
   *
   * @throws UapiException {@code EOPNOTSUPP} if {@code config} asks for dirty tracking and the EFR
   *     lacks HDSUP
   */
  @Override
  public AmdV1Domain allocateDomain(DomainConfig config) {
    UapiException.check(
        !config.dirtyTracking() || hdsup(),
        Errno.EOPNOTSUPP,
        "dirty tracking needs EFR.HDSUP (bit 52)");
    return new V1Domain(this, config);
  }

  @Override
  public String toString() {
    return NAME + "[EFR=0x" + Long.toHexString(efr) + "]";
  }
}
