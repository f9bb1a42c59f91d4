package org.jvfio.iommu.amd;

import org.jvfio.core.spi.IommuDomain;

/**
 * An AMD-Vi v1 domain: an {@link IommuDomain} whose table is the AMD v1 host page table, with the
 * device table entry that points at it (AMD IOMMU specification, "I/O Page Tables for Host
 * Translations"). Domains from {@link AmdV1Driver#allocateDomain} implement it; cast to reach the
 * DTE.
 *
 * <p>Thread-safety as {@link IommuDomain}: control-plane calls are serialised by the caller, the
 * hardware path may run on any number of threads concurrently with them.
 */
public interface AmdV1Domain extends IommuDomain {
  /**
   * Returns the current DTE dword 0: root pointer and Mode follow table growth, HAD follows {@link
   * #setDirtyTracking}.
   *
   * @return the device table entry as the driver last wrote it
   */
  Dte dte();

  /**
   * Returns how many {@code INVALIDATE_DEVTAB_ENTRY} commands the domain issued (one per DTE
   * rewrite: dirty-tracking toggles and table growth).
   *
   * @return the number of DTE invalidations since creation
   */
  long dteInvalidations();

  /**
   * {@inheritDoc}
   *
   * <p>{@code level} counts as the AMD specification does: 1 for a table of 4 KiB items up to the
   * DTE's Mode for the top table; {@link #walk} returns the top-level word first, so word {@code i}
   * is at level {@code dte().mode() - i}. See {@link AmdV1Entry#describe}.
   */
  @Override
  String describeEntry(long entry, int level);
}
