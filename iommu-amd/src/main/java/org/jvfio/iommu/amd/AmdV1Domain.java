package org.jvfio.iommu.amd;

import org.jvfio.core.spi.IommuDomain;

/**
 * An AMD-Vi v1 domain: an {@link IommuDomain} whose table is the AMD v1 host page table, with the
 * device table entry that points at it (vendor-pagetables §2). Domains from {@link
 * AmdV1Driver#allocateDomain} implement it; cast to reach the DTE.
 *
 * <p>Thread-safety as {@link IommuDomain}: control-plane calls are serialised by the caller, the
 * hardware path may run on any number of threads concurrently with them.
 */
public interface AmdV1Domain extends IommuDomain {
  /**
   * Returns the current DTE dword 0: root pointer and Mode follow table growth, HAD follows {@link
   * #setDirtyTracking}.
   */
  Dte dte();

  /**
   * Returns how many {@code INVALIDATE_DEVTAB_ENTRY} commands the domain issued (one per DTE
   * rewrite: dirty-tracking toggles and table growth).
   */
  long dteInvalidations();

  /**
   * {@inheritDoc}
   *
   * <p>{@code level} counts from 0, the level of 4 KiB items (the AMD specification's level 1), up
   * to the DTE's Mode minus 1 for the top table; {@link #walk} returns the top-level word first, so
   * word {@code i} is at level {@code dte().mode() - 1 - i}. The text names the specification's
   * level ({@link AmdV1Entry#describe} with {@code level + 1}).
   */
  @Override
  String describeEntry(long entry, int level);
}
