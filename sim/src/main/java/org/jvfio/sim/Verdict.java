package org.jvfio.sim;

import java.util.List;

/**
 * The end-to-end check of a simulated migration: the destination's guest memory must equal the
 * source's page for page, and every destination device's state the source device's, byte for byte.
 * A dirty page lost anywhere in the stack (a page-table bit, an IOTLB entry, a tracker, a bitmap)
 * leaves a stale page on the destination and fails it.
 *
 * @param passed whether memory and every device state are equal
 * @param pagesDiffering 4 KiB pages whose content differs
 * @param firstDifference guest physical address of the first differing page, or -1
 * @param devicesDiffering indices of devices whose destination state differs or did not resume
 * @param message a one-line human-readable verdict
 */
public record Verdict(
    boolean passed,
    long pagesDiffering,
    long firstDifference,
    List<Integer> devicesDiffering,
    String message) {
  /**
   * Copies the device list.
   *
   * @param passed whether memory and every device state are equal
   * @param pagesDiffering 4 KiB pages whose content differs
   * @param firstDifference guest physical address of the first differing page, or -1
   * @param devicesDiffering indices of devices whose destination state differs or did not resume
   * @param message a one-line human-readable verdict
   */
  public Verdict {
    devicesDiffering = List.copyOf(devicesDiffering);
  }
}
