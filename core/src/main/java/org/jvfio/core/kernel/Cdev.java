package org.jvfio.core.kernel;

import org.jvfio.core.container.GroupDevice;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.vfio.VfioDevice;

/*
 * One VFIO device as the kernel registers it: /dev/vfio/devices/vfioN, the device model, and the
 * IOMMU it sits behind, and its IOMMU group. Its monitor is the device set's lock (dev_set->lock):
 * bind, attach, detach and the release of a bound file hold it. binding and groupDevice (the
 * device opened through its group instead) are volatile so that the DMA hooks read them without
 * that lock.
 */
final class Cdev {
  /** The iommufd side of a bound device: its context and its device id there. */
  record Binding(IommufdContext ctx, int devId) {}

  final int index;
  final VfioDevice device;
  final IommuDriver iommu;
  volatile Binding binding; // non-null while a file of this cdev is bound (device->open_count)
  volatile GroupDevice groupDevice; // non-null while the device is open through its group
  GroupSlot slot; // the device's IOMMU group, set once by the builder

  Cdev(int index, VfioDevice device, IommuDriver iommu) {
    this.index = index;
    this.device = device;
    this.iommu = iommu;
  }

  String path() {
    return FakeKernel.devicePath(index);
  }
}
