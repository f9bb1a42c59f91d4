package org.jvfio.core.kernel;

import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_GET_DEVICE_FD;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_GET_STATUS;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_SET_CONTAINER;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_UNSET_CONTAINER;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.Vfio;
import org.jvfio.api.vfio.VfioGroupStatus;
import org.jvfio.core.UapiException;
import org.jvfio.core.container.GroupDevice;

/*
 * An open /dev/vfio/$GROUP (vfio_group_fops_unl_ioctl, drivers/vfio/group.c): GET_STATUS,
 * SET_CONTAINER, UNSET_CONTAINER and GET_DEVICE_FD; anything else is ENOTTY.
 *
 * GET_STATUS copies 8 bytes (EFAULT), refuses argsz below 8 (EINVAL) and writes back argsz and the
 * flags. SET_CONTAINER reads the int fd (EFAULT), looks it up (EBADF), refuses a group that is
 * already set (EINVAL), then takes a VFIO container or an iommufd (either file of iommufd's fops,
 * /dev/iommu or an iommufd-backed /dev/vfio/vfio) and anything else is EBADFD. GET_DEVICE_FD reads
 * the NUL-terminated name as strndup_user(arg, PAGE_SIZE) does (EFAULT, EINVAL when no NUL within
 * PAGE_SIZE bytes) and returns a new device fd.
 */
final class GroupFile extends OpenFile {
  private final FakeKernel kernel;
  private final GroupSlot slot;
  private final UserAddressSpace memory;
  private final long pageSize;

  GroupFile(FakeKernel kernel, GroupSlot slot, UserAddressSpace memory, long pageSize) {
    this.kernel = kernel;
    this.slot = slot;
    this.memory = memory;
    this.pageSize = pageSize;
  }

  @Override
  int ioctl(int request, long arg) {
    if (request == VFIO_GROUP_GET_STATUS) {
      VfioGroupStatus s = VfioGroupStatus.decode(memory.read(arg, VfioGroupStatus.SIZE));
      UapiException.check(
          Integer.toUnsignedLong(s.argsz()) >= VfioGroupStatus.SIZE, Errno.EINVAL, "argsz");
      VfioGroupStatus reply = new VfioGroupStatus(s.argsz(), slot.group.status());
      memory.write(arg, UserCopy.encode(VfioGroupStatus.SIZE, reply::encode));
    } else if (request == VFIO_GROUP_SET_CONTAINER) {
      setContainer((int) UserCopy.readU32(memory, arg));
    } else if (request == VFIO_GROUP_UNSET_CONTAINER) {
      slot.group.unsetContainer();
    } else if (request == VFIO_GROUP_GET_DEVICE_FD) {
      return getDeviceFd(arg);
    } else {
      return super.ioctl(request, arg);
    }
    return 0;
  }

  private void setContainer(int fd) {
    OpenFile file = kernel.file(fd);
    if (file instanceof ContainerFile c) {
      slot.group.setContainer(c.container);
    } else if (file instanceof IommuFile i) {
      slot.group.setContainer(i.compat);
    } else {
      UapiException.check(
          (slot.group.status() & Vfio.VFIO_GROUP_FLAGS_CONTAINER_SET) == 0,
          Errno.EINVAL,
          "group already has a container");
      throw new UapiException(Errno.EBADFD, "fd " + fd + " is not a container or an iommufd");
    }
  }

  private int getDeviceFd(long arg) {
    String name = strndupUser(arg);
    GroupDevice dev = slot.group.openDevice(name, slot.device.dmaListener());
    slot.deviceOpened(dev);
    return kernel.install(new DeviceFile(kernel, slot, dev, memory));
  }

  /** strndup_user(arg, PAGE_SIZE): EFAULT if unreadable, EINVAL without a NUL in PAGE_SIZE. */
  private String strndupUser(long arg) {
    byte[] bytes = new byte[(int) pageSize];
    for (int i = 0; i < bytes.length; i++) {
      ByteBuffer b = memory.read(arg + i, 1);
      bytes[i] = b.get();
      if (bytes[i] == 0) {
        return new String(bytes, 0, i, StandardCharsets.UTF_8);
      }
    }
    throw new UapiException(Errno.EINVAL, "device name longer than PAGE_SIZE");
  }

  @Override
  void release() {
    slot.closeGroup();
  }
}
