package org.jvfio.core.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jvfio.core.container.GroupDevice;
import org.jvfio.core.container.VfioGroup;
import org.jvfio.core.vfio.VfioDevice;

/*
 * One IOMMU group as the fake kernel registers it: /dev/vfio/$GROUP, its single device (the
 * model, its name, and the cdev for a physical one) and who has it open.
 *
 * The kernel lets a group have one open file (a second open is EBUSY) and keeps that file alive
 * while device fds opened through it exist (each holds a reference), so the group leaves its
 * container only when the group fd and every device fd are closed. A device cannot be used
 * through its cdev and its group at once: opening the cdev while the group is open is EBUSY
 * (vfio_device_block_group), and opening the group while a cdev file is open is EBUSY. The monitor
 * of this object guards all of it.
 */
final class GroupSlot {
  final VfioGroup group;
  final VfioDevice device;
  final String deviceName;
  final Cdev cdev; // null for an emulated device
  private boolean groupOpen; // group->opened_file, until the last reference goes
  private boolean groupFileClosed;
  private int cdevFiles;
  private final List<GroupDevice> opened = new ArrayList<>(); // device fds through the group
  private volatile GroupDevice open; // the latest of them, for the DMA hooks

  GroupSlot(VfioGroup group, VfioDevice device, String deviceName, Cdev cdev) {
    this.group = group;
    this.device = device;
    this.deviceName = deviceName;
    this.cdev = cdev;
  }

  String path() {
    return FakeKernel.groupPath(group.id());
  }

  /** Opens the group file; false (EBUSY) if it is open or a cdev file is. */
  synchronized boolean openGroup() {
    if (groupOpen || cdevFiles > 0) {
      return false;
    }
    groupOpen = true;
    groupFileClosed = false;
    return true;
  }

  /** Opens a cdev file of the device; false (EBUSY) while the group is open. */
  synchronized boolean openCdev() {
    if (groupOpen) {
      return false;
    }
    cdevFiles++;
    return true;
  }

  synchronized void closeCdev() {
    cdevFiles--;
  }

  /** A device fd was opened through the group: the DMA hooks now use it. */
  synchronized void deviceOpened(GroupDevice dev) {
    opened.add(dev);
    setOpen(dev);
  }

  private void setOpen(GroupDevice dev) {
    open = dev;
    if (cdev != null) {
      cdev.groupDevice = dev;
    }
  }

  Optional<GroupDevice> openDevice() {
    return Optional.ofNullable(open);
  }

  /** The group fd was closed: the group is released once no device fd holds it. */
  synchronized void closeGroup() {
    groupFileClosed = true;
    releaseIfUnused();
  }

  /** A device fd opened through the group was closed; returns whether it was the last one. */
  synchronized boolean closeDevice(GroupDevice dev) {
    dev.close();
    opened.remove(dev);
    setOpen(opened.isEmpty() ? null : opened.get(opened.size() - 1));
    boolean last = opened.isEmpty();
    releaseIfUnused();
    return last;
  }

  private void releaseIfUnused() {
    if (groupFileClosed && group.openDevices() == 0) {
      group.release();
      groupOpen = false;
    }
  }
}
