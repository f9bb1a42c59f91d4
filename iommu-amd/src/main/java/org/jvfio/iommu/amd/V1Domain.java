package org.jvfio.iommu.amd;

import java.util.concurrent.atomic.AtomicLong;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.spi.DomainConfig;

/*
 * An AMD v1 domain: the engine's table in the AmdV1Format, its own PageTableMemory, and the device
 * context Linux keeps for it: the DTE dword 0 (root pointer, Mode, HAD) as one volatile long.
 * Everything that walks the table is the engine's (org.jvfio.core.pt.PageTable); what stays here is
 * AMD's: HAD switching hardware A/D updates (A only with EFR.HASUP, D only with EFR.HDSUP), each
 * DTE rewrite counted as an INVALIDATE_DEVTAB_ENTRY, and growth rewriting the DTE's root and Mode
 * (iommupt increase_top then amd_iommu_change_top).
 */
final class V1Domain extends PtDomain implements AmdV1Domain {
  private static final int START_MODE = 3;

  private final AmdV1Driver driver;
  private final AtomicLong dteInvalidations = new AtomicLong();
  private volatile long dte; // DTE dword 0; written by the control plane

  /**
   * Test seam: run after split/collapse has read the dirty state it will publish and before it
   * publishes (between reading the state and publishing), so tests can play the hardware racing
   * into it.
   */
  Runnable publishWindow = () -> {};

  V1Domain(AmdV1Driver driver, DomainConfig config) {
    super(AmdV1Format.FORMAT, config, new PageTableMemory());
    this.driver = driver;
    this.dte = Dte.forHostTable(table().root(), START_MODE, false).dword0();
    table().setRaceWindow(() -> publishWindow.run());
  }

  @Override
  public AmdV1Driver driver() {
    return driver;
  }

  @Override
  public Dte dte() {
    return new Dte(dte);
  }

  @Override
  public long dteInvalidations() {
    return dteInvalidations.get();
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD v1 (iommupt {@code increase_top}, then {@code amd_iommu_change_top}): one DTE rewrite
   * with the new root and Mode and its DTE invalidation; no IOTLB flush, as all newly reachable
   * IOVA is non-present.
   */
  @Override
  protected void topChanged(long root, int topLevel) {
    dte = Dte.forHostTable(root, topLevel + 1, isDirtyTracking()).dword0();
    dteInvalidations.incrementAndGet();
  }

  /**
   * {@inheritDoc}
   *
   * <p>AMD ({@code amd_iommu_set_dirty_tracking}): writes DTE.HAD = 11b (on) or 00b (off), issues
   * {@code INVALIDATE_DEVTAB_ENTRY} (counted by {@link #dteInvalidations()}), then {@code
   * amd_iommu_domain_flush_all}: an {@code INVALIDATE_IOMMU_PAGES} of the whole address space and a
   * {@code COMPLETION_WAIT}, modelled as {@link Iotlb#invalidateAll()}. With HAD on the hardware
   * sets D if the EFR has HDSUP and A if it has HASUP.
   */
  @Override
  public void setDirtyTracking(boolean enable) {
    requireDirtyOps();
    if (isDirtyTracking() == enable) {
      return;
    }
    long d0 = dte;
    dte = enable ? d0 | Dte.HAD : d0 & ~Dte.HAD;
    dteInvalidations.incrementAndGet();
    table().setHardwareUpdates(enable && driver.hdsup(), enable && driver.hasup());
    iotlb().invalidateAll();
    setTracking(enable);
  }

  @Override
  public String toString() {
    return "amd-v1 domain " + dte();
  }
}
