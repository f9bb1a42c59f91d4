package org.jvfio.core.kernel;

import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_ATTACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_ATTACH_PASID;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_BIND_FLAG_TOKEN;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_BIND_IOMMUFD;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_DETACH_IOMMUFD_PT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_DETACH_PASID;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_DMA_LOGGING_START;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_GET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MASK;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIGRATION;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DATA_SIZE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_PROBE;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FEATURE_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_IRQ_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_GET_REGION_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_RESET;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceAttachIommufdPt;
import org.jvfio.api.vfio.VfioDeviceBindIommufd;
import org.jvfio.api.vfio.VfioDeviceDetachIommufdPt;
import org.jvfio.api.vfio.VfioDeviceFeature;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingControl;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingReport;
import org.jvfio.api.vfio.VfioDeviceFeatureMigDataSize;
import org.jvfio.api.vfio.VfioDeviceFeatureMigState;
import org.jvfio.api.vfio.VfioDeviceFeatureMigration;
import org.jvfio.core.UapiException;
import org.jvfio.core.container.GroupDevice;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.vfio.MigrationDataStream;
import org.jvfio.core.vfio.UserAccess;
import org.jvfio.core.vfio.VfioDevice;

/*
 * An open /dev/vfio/devices/vfioN (drivers/vfio/device_cdev.c and vfio_main.c's device fops).
 *
 * Any number of files may be open on a cdev, but only one can bind it: a file must bind with
 * VFIO_DEVICE_BIND_IOMMUFD before anything else, and every other ioctl, read and write before that
 * is EINVAL (!df->access_granted). BIND checks, in the kernel's order: argsz below the end of
 * out_devid EINVAL, the struct copied as copy_struct_from_user (EFAULT, E2BIG), a negative iommufd
 * or an unknown flag EINVAL, this file already bound EINVAL, VF tokens EINVAL (jvfio's devices
 * have no match_token_uuid), the iommufd not open EBADF or not an iommufd EBADFD, the device bound
 * through another file EINVAL (vfio_df_open: the cdev path opens a device once), and out_devid
 * copied back (EFAULT undoes the bind). ATTACH and DETACH copy their fixed part (EFAULT), check
 * argsz and flags (EINVAL) and refuse PASID with EOPNOTSUPP, as for a device whose driver has no
 * pasid_attach_ioas; an attach whose reply cannot be copied is detached again.
 *
 * VFIO_DEVICE_FEATURE is vfio_ioctl_device_feature(): the 8-byte header is copied (EFAULT), argsz
 * below 8 is EINVAL, and the rest goes to VfioDevice, which makes every check. The core copies the
 * feature's struct from data[] only when the feature executes; so does this class (see feature()).
 * Closing a bound file is vfio_df_unbind_iommufd(): the driver's close_device (the device is reset,
 * which ends any migration session, and its DMA logging stops) and the iommufd device is unbound.
 * GET_INFO, GET_REGION_INFO and GET_IRQ_INFO are RegionFile's; read and write go to the regions at
 * the file position (f_pos, advanced by what was moved), pread and pwrite at their offset.
 * VFIO_DEVICE_RESET checks reset_works (EINVAL) and resets the device; other ioctls are ENOTTY, as
 * vfio-pci's ioctl answers an unknown number.
 *
 * A device fd from VFIO_GROUP_GET_DEVICE_FD (drivers/vfio/group.c) is open from the start: BIND is
 * EINVAL there (cdev fds only), ATTACH and DETACH are not the core's (vfio-pci: ENOTTY), features,
 * reset, read and write are as above. Its DMA goes through the group's container or iommufd. Its
 * release is vfio_df_group_close(): close_device, then the group forgets it (GroupSlot).
 *
 * Thread-safety: binding, attach, detach and release hold the cdev's monitor (the device set lock);
 * features run under the device's own lock.
 */
final class DeviceFile extends OpenFile {
  private static final long BIND_MINSZ = 16; // offsetofend(vfio_device_bind_iommufd, out_devid)
  private static final int OUT_DEVID_OFFSET = 12;
  private static final long ATTACH_MINSZ = 12; // offsetofend(vfio_device_attach_iommufd_pt, pt_id)
  private static final int PT_ID_OFFSET = 8;
  private static final long DETACH_MINSZ = 8; // offsetofend(vfio_device_detach_iommufd_pt, flags)

  private final FakeKernel kernel;
  private final Cdev cdev; // null for a device opened through its group
  private final GroupSlot slot; // null for a cdev
  private final GroupDevice groupDevice; // null for a cdev
  private final VfioDevice device;
  private final UserAddressSpace memory;
  private volatile boolean bound; // df->access_granted; written under the cdev monitor
  private long position; // f_pos, for read and write without an offset; guarded by this

  DeviceFile(FakeKernel kernel, Cdev cdev, UserAddressSpace memory) {
    this.kernel = kernel;
    this.cdev = cdev;
    this.slot = null;
    this.groupDevice = null;
    this.device = cdev.device;
    this.memory = memory;
  }

  /** A device fd from VFIO_GROUP_GET_DEVICE_FD: open (access granted) from the start. */
  DeviceFile(FakeKernel kernel, GroupSlot slot, GroupDevice groupDevice, UserAddressSpace memory) {
    this.kernel = kernel;
    this.cdev = null;
    this.slot = slot;
    this.groupDevice = groupDevice;
    this.device = slot.device;
    this.memory = memory;
    this.bound = true;
  }

  @Override
  int ioctl(int request, long arg) {
    if (request == VFIO_DEVICE_BIND_IOMMUFD) {
      UapiException.check(slot == null, Errno.EINVAL, "BIND_IOMMUFD on a group's device fd");
      return bind(arg);
    }
    requireBound();
    if (slot != null) {
      return commonIoctl(request, arg);
    }
    if (request == VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
      return attach(arg);
    } else if (request == VFIO_DEVICE_DETACH_IOMMUFD_PT) {
      return detach(arg);
    }
    return commonIoctl(request, arg);
  }

  /** The ioctls of every device fd; on a group's fd ATTACH and DETACH reach vfio-pci: ENOTTY. */
  private int commonIoctl(int request, long arg) {
    if (request == VFIO_DEVICE_FEATURE) {
      return feature(arg);
    } else if (request == VFIO_DEVICE_RESET) {
      device.pciDevice().reset();
      device.reset();
      return 0;
    } else if (request == VFIO_DEVICE_GET_INFO) {
      return RegionFile.getInfo(device.pciDevice(), memory, arg);
    } else if (request == VFIO_DEVICE_GET_REGION_INFO) {
      return RegionFile.getRegionInfo(device.pciDevice(), memory, arg);
    } else if (request == VFIO_DEVICE_GET_IRQ_INFO) {
      return RegionFile.getIrqInfo(device.pciDevice(), memory, arg);
    }
    return super.ioctl(request, arg);
  }

  @Override
  long read(long addr, long count) {
    synchronized (this) {
      long n = region(addr, vfsCount(addr, count, position), position, false);
      position += n;
      return n;
    }
  }

  @Override
  long write(long addr, long count) {
    synchronized (this) {
      long n = region(addr, vfsCount(addr, count, position), position, true);
      position += n;
      return n;
    }
  }

  @Override
  long pread(long addr, long count, long pos) {
    return region(addr, vfsCount(addr, count, pos), pos, false);
  }

  @Override
  long pwrite(long addr, long count, long pos) {
    return region(addr, vfsCount(addr, count, pos), pos, true);
  }

  /** {@code vfio_device_fops_read}/{@code _write}: EINVAL until bound, then the region's access. */
  private long region(long addr, long count, long pos, boolean write) {
    requireBound();
    return write
        ? device.pciDevice().write(pos, count, memory, addr)
        : device.pciDevice().read(pos, count, memory, addr);
  }

  private void requireBound() {
    UapiException.check(bound, Errno.EINVAL, cdev.path() + " is not bound to an iommufd");
  }

  private int bind(long arg) {
    long argsz = UserCopy.readU32(memory, arg);
    UapiException.check(argsz >= BIND_MINSZ, Errno.EINVAL, "argsz below out_devid");
    VfioDeviceBindIommufd b =
        VfioDeviceBindIommufd.decode(
            UserCopy.copyStructFromUser(memory, arg, argsz, VfioDeviceBindIommufd.SIZE));
    UapiException.check(
        b.iommufd() >= 0 && (b.flags() & ~VFIO_DEVICE_BIND_FLAG_TOKEN) == 0,
        Errno.EINVAL,
        "bad iommufd or flags");
    synchronized (cdev) {
      UapiException.check(!bound, Errno.EINVAL, "file already bound");
      UapiException.check(
          (b.flags() & VFIO_DEVICE_BIND_FLAG_TOKEN) == 0, Errno.EINVAL, "device takes no VF token");
      OpenFile file = kernel.file(b.iommufd());
      UapiException.check(file instanceof IommuFile, Errno.EBADFD, "fd is not an iommufd");
      UapiException.check(
          cdev.binding == null, Errno.EINVAL, cdev.path() + " is bound through another file");
      IommufdContext ctx = ((IommuFile) file).ctx;
      int devId = ctx.bindDevice(cdev.iommu, cdev.device.dmaListener());
      try {
        UserCopy.writeU32(memory, arg + OUT_DEVID_OFFSET, devId);
      } catch (UapiException fault) {
        ctx.unbindDevice(devId);
        throw fault;
      }
      cdev.binding = new Cdev.Binding(ctx, devId);
      bound = true;
      cdev.device.openDevice();
    }
    return 0;
  }

  private int attach(long arg) {
    VfioDeviceAttachIommufdPt a =
        VfioDeviceAttachIommufdPt.decode(
            UserCopy.readStruct(memory, arg, ATTACH_MINSZ, VfioDeviceAttachIommufdPt.SIZE));
    UapiException.check(
        Integer.toUnsignedLong(a.argsz()) >= ATTACH_MINSZ, Errno.EINVAL, "argsz below pt_id");
    UapiException.check(
        (a.flags() & ~VFIO_DEVICE_ATTACH_PASID) == 0, Errno.EINVAL, "unknown attach flags");
    UapiException.check(a.flags() == 0, Errno.EOPNOTSUPP, "PASID attach is not modelled");
    synchronized (cdev) {
      Cdev.Binding b = cdev.binding;
      int hwptId = b.ctx().attach(b.devId(), a.ptId());
      try {
        UserCopy.writeU32(memory, arg + PT_ID_OFFSET, hwptId);
      } catch (UapiException fault) {
        b.ctx().detach(b.devId());
        throw fault;
      }
    }
    return 0;
  }

  private int detach(long arg) {
    VfioDeviceDetachIommufdPt d =
        VfioDeviceDetachIommufdPt.decode(
            UserCopy.readStruct(memory, arg, DETACH_MINSZ, VfioDeviceDetachIommufdPt.SIZE));
    UapiException.check(
        Integer.toUnsignedLong(d.argsz()) >= DETACH_MINSZ, Errno.EINVAL, "argsz below flags");
    UapiException.check(
        (d.flags() & ~VFIO_DEVICE_DETACH_PASID) == 0, Errno.EINVAL, "unknown detach flags");
    UapiException.check(d.flags() == 0, Errno.EOPNOTSUPP, "PASID detach is not modelled");
    synchronized (cdev) {
      Cdev.Binding b = cdev.binding;
      b.ctx().detach(b.devId());
    }
    return 0;
  }

  /**
   * VFIO_DEVICE_FEATURE. The core's handlers copy their struct from {@code data[]} only when the
   * feature executes (not for PROBE, not when a check fails first) and copy results back only on
   * success (MIG_DEVICE_STATE SET also on failure). The payload handed to {@link VfioDevice} is
   * therefore {@code min(argsz - 8, struct size)} bytes, which gives every size check the same
   * verdict as the full {@code argsz}, and is read from user memory only when the call can execute:
   * not PROBE, exactly one of GET and SET, and room for the whole struct. If it cannot be read, the
   * device is asked the same question as a PROBE (same flag, ENOTTY and op checks, nothing
   * executes): its refusal wins, else the copy's EFAULT. A MIG_DEVICE_STATE SET that starts a data
   * transfer gets a new fd in {@code data_fd}; if the reply cannot be copied back the fd is
   * released and the call fails with EFAULT (the device stays in its new state, as in {@code
   * vfio_ioctl_device_feature_mig_device_state()}); a DMA_LOGGING_START whose reply cannot be
   * copied back stops logging again.
   */
  private int feature(long arg) {
    VfioDeviceFeature header = VfioDeviceFeature.decode(memory.read(arg, VfioDeviceFeature.SIZE));
    long argsz = Integer.toUnsignedLong(header.argsz());
    UapiException.check(argsz >= VfioDeviceFeature.SIZE, Errno.EINVAL, "argsz below the header");
    int flags = header.flags();
    int index = flags & VFIO_DEVICE_FEATURE_MASK;
    int size = payloadSize(index);
    ByteBuffer payload =
        ByteBuffer.allocate((int) Math.min(argsz - VfioDeviceFeature.SIZE, size))
            .order(ByteOrder.LITTLE_ENDIAN);
    long data = arg + VfioDeviceFeature.SIZE;
    int ops = flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET);
    boolean copies =
        size > 0
            && payload.capacity() == size
            && (flags & VFIO_DEVICE_FEATURE_PROBE) == 0
            && Integer.bitCount(ops) == 1;
    if (copies) {
      try {
        memory.read(data, payload);
      } catch (UapiException fault) {
        device.feature(flags | VFIO_DEVICE_FEATURE_PROBE, ByteBuffer.allocate(0), memory);
        throw fault;
      }
      payload.clear();
    }
    byte[] read = payload.array().clone();
    Optional<MigrationDataStream> stream;
    try {
      UserAccess user = index == VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT ? pinnedForWrite() : memory;
      stream = device.feature(flags, payload.duplicate(), user);
    } catch (UapiException e) {
      if (copies && !Arrays.equals(read, payload.array())) {
        memory.write(data, payload); // MIG_DEVICE_STATE SET's {requested, -1}; EFAULT wins
      }
      throw e;
    }
    if (!copies || !writesBack(index)) {
      return 0;
    }
    if (stream.isPresent()) {
      return replyWithDataFd(data, payload, stream.get());
    }
    try {
      memory.write(data, payload);
    } catch (UapiException fault) {
      if (index == VFIO_DEVICE_FEATURE_DMA_LOGGING_START) {
        device.stopDmaLogging();
      }
      throw fault;
    }
    return 0;
  }

  /**
   * The user memory as REPORT's bitmap sees it: the kernel pins the bitmap for writing ({@code
   * iova_bitmap}, {@code pin_user_pages_fast} with {@code FOLL_WRITE}) before the driver clears
   * anything, so a read-only bitmap fails with EFAULT there and the log is kept.
   */
  private UserAccess pinnedForWrite() {
    return new UserAccess() {
      @Override
      public ByteBuffer read(long address, int length) {
        UapiException.check(
            memory.isWritable(address, length), Errno.EFAULT, "bitmap cannot be pinned for write");
        return memory.read(address, length);
      }

      @Override
      public void write(long address, ByteBuffer source) {
        memory.write(address, source);
      }
    };
  }

  private int replyWithDataFd(long data, ByteBuffer payload, MigrationDataStream stream) {
    DataFile file = new DataFile(stream, memory);
    int fd = kernel.install(file);
    int state = VfioDeviceFeatureMigState.decode(payload.duplicate()).deviceState();
    try {
      memory.write(
          data,
          UserCopy.encode(
              VfioDeviceFeatureMigState.SIZE, new VfioDeviceFeatureMigState(state, fd)::encode));
    } catch (UapiException fault) {
      kernel.uninstall(fd, file);
      throw fault;
    }
    return 0;
  }

  /** The size of the struct the core copies from {@code data[]} for a feature; 0 if none. */
  private static int payloadSize(int index) {
    switch (index) {
      case VFIO_DEVICE_FEATURE_MIGRATION:
        return VfioDeviceFeatureMigration.SIZE;
      case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
        return VfioDeviceFeatureMigState.SIZE;
      case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
        return VfioDeviceFeatureMigDataSize.SIZE;
      case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
        return VfioDeviceFeatureDmaLoggingControl.SIZE;
      case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
        return VfioDeviceFeatureDmaLoggingReport.SIZE;
      default:
        return 0;
    }
  }

  /**
   * Whether the core copies the feature's struct back on success (REPORT writes only its bitmap).
   */
  private static boolean writesBack(int index) {
    return index != VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT;
  }

  /**
   * vfio_df_unbind_iommufd() (or vfio_df_group_close()): the driver's close_device resets the
   * device (ending any migration session) and stops its DMA logging, then the iommufd device is
   * unbound (detached first), or the group device is closed.
   */
  @Override
  void release() {
    if (slot != null) {
      if (slot.closeDevice(groupDevice)) {
        device.closeDevice(); // the device's last fd
      }
      return;
    }
    cdev.slot.closeCdev();
    synchronized (cdev) {
      if (!bound) {
        return;
      }
      device.closeDevice();
      Cdev.Binding b = cdev.binding;
      b.ctx().unbindDevice(b.devId());
      cdev.binding = null;
      bound = false;
    }
  }

  /** The driver's close_device: the device is reset and its DMA logging stops. */
}
