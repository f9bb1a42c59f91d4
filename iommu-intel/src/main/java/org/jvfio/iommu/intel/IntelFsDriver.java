package org.jvfio.iommu.intel;

import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDriver;

/**
 * The VT-d first-stage driver, registered as {@value #NAME}: paging domains in the x86-64 format (4
 * or 5 levels), which the kernel uses by default for DMA API and unmanaged domains on scalable
 * units (drivers/iommu/intel/iommu.c, {@code intel_iommu_domain_alloc_first_stage}).
 *
 * <p>There is no dirty tracking on the first stage: Linux pre-sets A on every leaf and D on every
 * writable leaf, so the hardware never updates them, and {@code
 * intel_iommu_domain_alloc_first_stage} refuses every allocation flag except {@code
 * IOMMU_HWPT_ALLOC_PASID}. (The kernel's paging allocator then falls back to a second-stage domain
 * — that is {@link IntelSsDriver}.) Capabilities: {@link IommuCapability#SPLIT_COLLAPSE} only.
 * Domains are {@link IntelDomain}s. Thread-safe.
 */
public final class IntelFsDriver implements IommuDriver {
  /** The registered name. */
  public static final String NAME = "intel-fs";

  private final VtdIommu unit;
  private final int levels;
  private final PtFormat format;

  /** Creates the default unit, {@link VtdRegisters#DEFAULT}: 4 levels, 1 GiB pages. */
  public IntelFsDriver() {
    this(VtdRegisters.DEFAULT);
  }

  private IntelFsDriver(VtdRegisters registers) {
    this.unit = new VtdIommu(registers);
    int mgaw = registers.mgaw();
    this.levels = (registers.cap() & VtdRegisters.CAP_FS5LP) != 0 && mgaw >= 57 ? 5 : 4;
    // First-stage IOVAs are canonical; the driver uses the lower half only.
    int apertureBits = Math.min(mgaw, levels == 5 ? 57 : 48) - 1;
    long sizes = (1L << 12) | (1L << 21);
    if ((registers.cap() & VtdRegisters.CAP_FS1GP) != 0) {
      sizes |= 1L << 30;
    }
    this.format = VtdFormat.firstStage(levels, sizes, apertureBits);
  }

  /**
   * Returns a driver for a unit with these registers.
   *
   * @param registers the unit's CAP and ECAP and the scalable-mode choice
   * @return a new driver
   */
  public static IntelFsDriver of(VtdRegisters registers) {
    return new IntelFsDriver(registers);
  }

  /**
   * Returns the default unit with 5-level first-stage paging (CAP.FS5LP, MGAW 57).
   *
   * @return a new driver
   */
  public static IntelFsDriver fiveLevel() {
    return of(VtdRegisters.DEFAULT.withSecondStageLevels(5).withCap(VtdRegisters.CAP_FS5LP));
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
   * Returns the number of first-stage levels the domains get (4 or 5).
   *
   * @return 4 or 5
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
    return Set.of(IommuCapability.SPLIT_COLLAPSE);
  }

  @Override
  public long pageSizeBitmap() {
    return format.pageSizeBitmap();
  }

  /**
   * Allocates an empty first-stage domain, as {@code intel_iommu_domain_alloc_first_stage}.
   *
   * @return an {@link IntelDomain}
   * @throws UapiException {@code EOPNOTSUPP} if {@code config} asks for dirty tracking or a nest
   *     parent, or if the unit is not in scalable mode or lacks ECAP.FLTS
   */
  @Override
  public IntelDomain allocateDomain(DomainConfig config) {
    UapiException.check(
        !config.dirtyTracking() && !config.nestParent(),
        Errno.EOPNOTSUPP,
        "first-stage domains take no allocation flag but IOMMU_HWPT_ALLOC_PASID");
    VtdRegisters regs = unit.registers;
    UapiException.check(
        regs.smSupported() && (regs.ecap() & VtdRegisters.ECAP_FLTS) != 0,
        Errno.EOPNOTSUPP,
        "first stage needs scalable mode and ECAP.FLTS");
    return new VtdDomain(this, unit, format, false, config);
  }

  @Override
  public String toString() {
    return NAME + unit.registers;
  }
}
