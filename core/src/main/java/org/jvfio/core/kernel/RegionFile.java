package org.jvfio.core.kernel;

import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FLAGS_CAPS;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_CAPS;

import java.nio.ByteBuffer;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioDeviceInfo;
import org.jvfio.api.vfio.VfioIrqInfo;
import org.jvfio.api.vfio.VfioRegionInfo;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.pci.DeviceInfo;
import org.jvfio.core.vfio.pci.InfoCapability;
import org.jvfio.core.vfio.pci.IrqInfo;
import org.jvfio.core.vfio.pci.RegionInfo;
import org.jvfio.core.vfio.pci.VfioPciDevice;

/*
 * The region side of a VFIO device file at the byte level: the info ioctls with the kernel's argsz
 * and cap_offset rules, and reads and writes at device-fd offsets (drivers/vfio/pci/vfio_pci_core.c).
 *
 * GET_INFO copies offsetofend(num_irqs) = 16 bytes in (EFAULT), argsz below 16 is EINVAL, and the
 * reply is min(argsz, 20) bytes: with argsz 16..19 cap_offset is not written at all. GET_REGION_INFO
 * copies the whole 32-byte struct in, argsz below 32 is EINVAL, and the 32 bytes are copied back,
 * cap_offset echoed from the input unless caps exist. With caps the flags gain CAPS; if argsz cannot
 * hold struct + chain, argsz becomes that size and cap_offset 0 (nothing else is copied), else the
 * chain is copied behind the struct (EFAULT, before the struct) and cap_offset is the struct's size.
 * GET_IRQ_INFO copies 16 bytes in, argsz below 16 or a bad index is EINVAL, 16 bytes go back.
 */
final class RegionFile {
  private static final int INFO_MINSZ = 16; // offsetofend(struct vfio_device_info, num_irqs)

  private RegionFile() {}

  static int getInfo(VfioPciDevice pci, UserAddressSpace memory, long arg) {
    ByteBuffer in = UserCopy.readStruct(memory, arg, INFO_MINSZ, VfioDeviceInfo.SIZE);
    VfioDeviceInfo user = VfioDeviceInfo.decode(in);
    long argsz = Integer.toUnsignedLong(user.argsz());
    UapiException.check(argsz >= INFO_MINSZ, Errno.EINVAL, "argsz below num_irqs");
    DeviceInfo info = pci.deviceInfo();
    int flags = info.flags();
    int capOffset = 0;
    int replyArgsz = user.argsz();
    if (!info.caps().isEmpty()) {
      flags |= VFIO_DEVICE_FLAGS_CAPS;
      int need = VfioDeviceInfo.SIZE + InfoCapability.chainSize(info.caps());
      if (argsz < need) {
        replyArgsz = need;
      } else {
        memory.write(
            arg + VfioDeviceInfo.SIZE,
            InfoCapability.encodeChain(info.caps(), VfioDeviceInfo.SIZE));
        capOffset = VfioDeviceInfo.SIZE;
      }
    }
    VfioDeviceInfo reply =
        new VfioDeviceInfo(replyArgsz, flags, info.numRegions(), info.numIrqs(), capOffset);
    UserCopy.respond(memory, arg, argsz, VfioDeviceInfo.SIZE, reply::encode);
    return 0;
  }

  static int getRegionInfo(VfioPciDevice pci, UserAddressSpace memory, long arg) {
    VfioRegionInfo user = VfioRegionInfo.decode(memory.read(arg, VfioRegionInfo.SIZE));
    long argsz = Integer.toUnsignedLong(user.argsz());
    UapiException.check(argsz >= VfioRegionInfo.SIZE, Errno.EINVAL, "argsz below offset");
    RegionInfo info = pci.regionInfo(Integer.toUnsignedLong(user.index()));
    int flags = info.flags();
    int capOffset = user.capOffset();
    int replyArgsz = user.argsz();
    if (!info.caps().isEmpty()) {
      flags |= VFIO_REGION_INFO_FLAG_CAPS;
      int need = VfioRegionInfo.SIZE + InfoCapability.chainSize(info.caps());
      if (argsz < need) {
        replyArgsz = need;
        capOffset = 0;
      } else {
        memory.write(
            arg + VfioRegionInfo.SIZE,
            InfoCapability.encodeChain(info.caps(), VfioRegionInfo.SIZE));
        capOffset = VfioRegionInfo.SIZE;
      }
    }
    VfioRegionInfo reply =
        new VfioRegionInfo(replyArgsz, flags, info.index(), capOffset, info.size(), info.offset());
    memory.write(arg, UserCopy.encode(VfioRegionInfo.SIZE, reply::encode));
    return 0;
  }

  static int getIrqInfo(VfioPciDevice pci, UserAddressSpace memory, long arg) {
    VfioIrqInfo user = VfioIrqInfo.decode(memory.read(arg, VfioIrqInfo.SIZE));
    UapiException.check(
        Integer.toUnsignedLong(user.argsz()) >= VfioIrqInfo.SIZE,
        Errno.EINVAL,
        "argsz below count");
    IrqInfo info = pci.irqInfo(Integer.toUnsignedLong(user.index()));
    VfioIrqInfo reply = new VfioIrqInfo(user.argsz(), info.flags(), info.index(), info.count());
    memory.write(arg, UserCopy.encode(VfioIrqInfo.SIZE, reply::encode));
    return 0;
  }
}
