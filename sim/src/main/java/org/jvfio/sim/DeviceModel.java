package org.jvfio.sim;

import java.util.Locale;

/**
 * Which migration driver the simulated devices have. Written as on the command line: {@code
 * reference} or {@code hisi}.
 */
public enum DeviceModel {
  /**
   * jvfio's reference driver: an opaque state of {@link Scenario#deviceState()} bytes streamed in
   * chunks, re-sent where the running device changed it, with DMA logging when the tracker asks for
   * it.
   */
  REFERENCE,
  /**
   * A HiSilicon accelerator VF (hisi_acc): no DMA logging (track with the IOMMU, or none), 40 bytes
   * of match data in pre-copy and 176 bytes of queue-manager registers at stop-copy, whatever
   * {@link Scenario#deviceState()} says; the running device reprograms its queues at {@link
   * Scenario#deviceDirtyRate()} / 4 KiB times per second.
   */
  HISI_ACC;

  /**
   * Parses {@code reference} or {@code hisi} (case-insensitive).
   *
   * @param text the option's value as typed
   * @return the device model it names
   * @throws IllegalArgumentException for anything else
   */
  public static DeviceModel parse(String text) {
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "reference" -> REFERENCE;
      case "hisi" -> HISI_ACC;
      default ->
          throw new IllegalArgumentException(
              "not a device model: '" + text + "' (reference or hisi)");
    };
  }

  /** Returns the command-line form. */
  @Override
  public String toString() {
    return this == REFERENCE ? "reference" : "hisi";
  }
}
