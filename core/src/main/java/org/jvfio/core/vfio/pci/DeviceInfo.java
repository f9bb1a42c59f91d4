package org.jvfio.core.vfio.pci;

import java.util.List;

/**
 * The answer of {@code VFIO_DEVICE_GET_INFO}, before the uAPI's {@code argsz}/{@code cap_offset}
 * rules: {@code struct vfio_device_info} and its capabilities.
 *
 * @param flags {@code VFIO_DEVICE_FLAGS_PCI}, {@code RESET} if the device can be reset ({@code
 *     CAPS} is added when the reply carries {@code caps})
 * @param numRegions 9 plus the device-specific regions
 * @param numIrqs 5, {@code VFIO_PCI_NUM_IRQS}
 * @param caps the capability chain, in order
 */
public record DeviceInfo(int flags, int numRegions, int numIrqs, List<InfoCapability> caps) {
  /**
   * Copies the capabilities.
   *
   * @param flags the {@code VFIO_DEVICE_FLAGS_*} flags, without {@code CAPS}
   * @param numRegions the {@code num_regions}: 9 plus the device-specific regions
   * @param numIrqs the {@code num_irqs}: 5, {@code VFIO_PCI_NUM_IRQS}
   * @param caps the capability chain, in order, copied
   */
  public DeviceInfo {
    caps = List.copyOf(caps);
  }
}
