package org.jvfio.sim;

import java.util.List;

/**
 * The outcome of one simulated migration: what ran, every round, the stop-and-copy, the totals and
 * the verdict.
 *
 * @param scenario the inputs
 * @param tracker the tracker as resolved, e.g. {@code iommu:mock} for {@code iommu}
 * @param iommu the IOMMU model that translated device DMA
 * @param ioPageTable the IO page table's leaves, e.g. {@code 1048576 x 4 KiB}
 * @param rounds the pre-copy rounds, in order
 * @param stopCopy the stop-and-copy
 * @param converged whether pre-copy stopped because the estimated downtime met the limit (false:
 *     stopped at the round limit)
 * @param totalNanos simulated time from the start of tracking to the destination running
 * @param downtimeNanos simulated time the VM was stopped
 * @param bytesSent all bytes sent: guest pages and device migration data
 * @param deviceBytesSent the device migration data among them
 * @param verdict the end-to-end verification
 */
public record MigrationResult(
    Scenario scenario,
    Tracker tracker,
    String iommu,
    String ioPageTable,
    List<Round> rounds,
    Round stopCopy,
    boolean converged,
    long totalNanos,
    long downtimeNanos,
    long bytesSent,
    long deviceBytesSent,
    Verdict verdict) {
  /**
   * Copies the round list.
   *
   * @param scenario the inputs
   * @param tracker the tracker as resolved, e.g. {@code iommu:mock} for {@code iommu}
   * @param iommu the IOMMU model that translated device DMA
   * @param ioPageTable the IO page table's leaves, e.g. {@code 1048576 x 4 KiB}
   * @param rounds the pre-copy rounds, in order
   * @param stopCopy the stop-and-copy
   * @param converged whether pre-copy stopped because the estimated downtime met the limit (false:
   *     stopped at the round limit)
   * @param totalNanos simulated time from the start of tracking to the destination running
   * @param downtimeNanos simulated time the VM was stopped
   * @param bytesSent all bytes sent: guest pages and device migration data
   * @param deviceBytesSent the device migration data among them
   * @param verdict the end-to-end verification
   */
  public MigrationResult {
    rounds = List.copyOf(rounds);
  }
}
