package org.jvfio.sim;

/**
 * What the simulator does with large IOPTEs while the IOMMU tracks dirty pages (docs/fidelity.md,
 * "Split and collapse"). Upstream Linux has no split or collapse: a write anywhere in a 2 MiB or 1
 * GiB leaf reports the whole leaf dirty. The model's split loses no write; it only applies to an
 * IOMMU tracker.
 */
public enum SplitPolicy {
  /** Keep the leaves as mapped: dirty state is reported at the leaf's size (upstream behaviour). */
  NONE,
  /**
   * Split every leaf to 4 KiB right after dirty tracking starts and collapse the tables back into
   * large leaves after it stops: dirty state at 4 KiB, at the price of more entries to walk.
   */
  EAGER
}
