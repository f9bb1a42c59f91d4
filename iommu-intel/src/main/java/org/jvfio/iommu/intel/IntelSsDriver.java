package org.jvfio.iommu.intel;

import java.util.EnumSet;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDriver;

/**
 * The VT-d second-stage driver, registered as {@value #NAME}: one remapping unit whose paging
 * domains use the second-stage table, with hardware access/dirty tracking switched by SSADE in the
 * scalable-mode PASID entry (drivers/iommu/intel/iommu.c, {@code
 * intel_iommu_domain_alloc_second_stage}; pasid.c).
 *
 * <p>The no-argument constructor (used by {@link java.util.ServiceLoader}) models {@link
 * VtdRegisters#DEFAULT}: scalable mode, ECAP.SLADS, SLLPS 2 MiB and 1 GiB, AGAW 2 (4 levels). The
 * factories model other units. Capabilities: {@link IommuCapability#DIRTY_TRACKING} iff {@code
 * ssads_supported} (scalable mode and ECAP.SLADS); {@link IommuCapability#SPLIT_COLLAPSE} always.
 * Domains are {@link IntelDomain}s. Thread-safe.
 */
public final class IntelSsDriver implements IommuDriver {
  /** The registered name. */
  public static final String NAME = "intel-ss";

  private final VtdIommu unit;
  private final int levels;
  private final PtFormat format;
  private final Set<IommuCapability> capabilities;

  /** Creates the default unit, {@link VtdRegisters#DEFAULT}. */
  public IntelSsDriver() {
    this(VtdRegisters.DEFAULT);
  }

  private IntelSsDriver(VtdRegisters registers) {
    int agaw = registers.agaw();
    if (agaw < 1) {
      throw new IllegalArgumentException(
          "CAP.SAGAW offers no 3-, 4- or 5-level table: " + registers.sagaw());
    }
    this.unit = new VtdIommu(registers);
    this.levels = agaw + 2;
    // iommu_superpage_capability for the second stage: fls(SLLPS) superpage sizes.
    int superpages = 32 - Integer.numberOfLeadingZeros(registers.sllps());
    long sizes = 1L << 12;
    if (superpages >= 1) {
      sizes |= 1L << 21;
    }
    if (superpages >= 2) {
      sizes |= 1L << 30;
    }
    int apertureBits = Math.min(VtdRegisters.agawToWidth(agaw), registers.mgaw());
    this.format = VtdFormat.secondStage(levels, sizes, apertureBits);
    EnumSet<IommuCapability> caps = EnumSet.of(IommuCapability.SPLIT_COLLAPSE);
    if (registers.ssadsSupported()) {
      caps.add(IommuCapability.DIRTY_TRACKING);
      caps.add(IommuCapability.HARVEST_RECORDS_FROM_START); // iommupt's record_dirty
    }
    this.capabilities = Set.copyOf(caps);
  }

  /**
   * Returns a driver for a unit with these registers.
   *
   * @param registers the unit's CAP and ECAP and the scalable-mode choice
   * @return a new driver
   * @throws IllegalArgumentException if CAP.SAGAW offers no 3-, 4- or 5-level table
   */
  public static IntelSsDriver of(VtdRegisters registers) {
    return new IntelSsDriver(registers);
  }

  /**
   * Returns the default unit with a {@code levels}-level (3, 4 or 5) second-stage table.
   *
   * @param levels 3, 4 or 5
   * @return a new driver
   */
  public static IntelSsDriver withLevels(int levels) {
    return of(VtdRegisters.DEFAULT.withSecondStageLevels(levels));
  }

  /**
   * Returns the default unit without ECAP.SLADS: no dirty tracking.
   *
   * @return a new driver that cannot track dirty IOVA
   */
  public static IntelSsDriver withoutSlads() {
    return of(VtdRegisters.DEFAULT.withoutEcap(VtdRegisters.ECAP_SLADS));
  }

  /**
   * Returns the default unit with SLLPS = 0: 4 KiB leaves only.
   *
   * @return a new driver that maps 4 KiB leaves only
   */
  public static IntelSsDriver withoutLargePages() {
    return of(VtdRegisters.DEFAULT.withSllps(0));
  }

  /**
   * Returns the default unit in legacy (non-scalable) mode: no PASID table, hence no dirty tracking
   * and no nesting.
   *
   * @return a new driver in legacy mode
   */
  public static IntelSsDriver legacyMode() {
    return of(VtdRegisters.DEFAULT.legacyMode());
  }

  /**
   * Returns the unit's registers.
   *
   * @return the registers this driver was created with
   */
  public VtdRegisters registers() {
    return unit.registers;
  }

  /**
   * Returns the number of second-stage levels the domains get ({@code agaw + 2}).
   *
   * @return 3, 4 or 5
   */
  public int levels() {
    return levels;
  }

  @Override
  public String name() {
    return NAME;
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
   * Allocates an empty second-stage domain, as {@code intel_iommu_domain_alloc_second_stage}.
   *
   * @return an {@link IntelDomain}
   * @throws UapiException {@code EOPNOTSUPP} for a nest parent without {@code nested_supported},
   *     for dirty tracking without {@code ssads_supported}, or in scalable mode without ECAP.SLTS
   */
  @Override
  public IntelDomain allocateDomain(DomainConfig config) {
    VtdRegisters regs = unit.registers;
    UapiException.check(
        !config.nestParent() || regs.nestedSupported(),
        Errno.EOPNOTSUPP,
        "nest parent needs scalable mode and ECAP.NEST");
    UapiException.check(
        !config.dirtyTracking() || regs.ssadsSupported(),
        Errno.EOPNOTSUPP,
        "dirty tracking needs scalable mode and ECAP.SLADS");
    UapiException.check(
        !regs.smSupported() || (regs.ecap() & VtdRegisters.ECAP_SLTS) != 0,
        Errno.EOPNOTSUPP,
        "scalable mode without second-stage translation (ECAP.SLTS)");
    return new VtdDomain(this, unit, format, true, config);
  }

  @Override
  public String toString() {
    return NAME + unit.registers;
  }
}
