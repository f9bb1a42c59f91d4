package org.jvfio.core.kernel;

import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_INFO_CAPS;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_INFO_PGSIZES;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvfio.api.vfio.VfioInfoCapHeader;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.api.vfio.VfioIommuType1Info;
import org.jvfio.api.vfio.VfioIommuType1InfoCapIovaRange;
import org.jvfio.api.vfio.VfioIommuType1InfoDmaAvail;
import org.jvfio.api.vfio.VfioIovaRange;
import org.jvfio.core.container.Type1Info;

/*
 * The byte layer of the type1 container ioctls, shared by /dev/vfio/vfio (ContainerFile) and
 * iommufd's compatibility on any iommufd file (IommuFile): copying the structs in and out of user
 * memory as vfio_iommu_type1.c and vfio_compat.c do. The two differ in what GET_INFO and
 * UNMAP_DMA copy back, so each has its own method for those.
 */
final class Type1Ioctls {
  private static final int INFO_MINSZ = 16; // offsetofend(vfio_iommu_type1_info, iova_pgsizes)

  private Type1Ioctls() {}

  /** The 32-byte {@code struct vfio_iommu_type1_dma_map} at {@code arg} ({@code EFAULT}). */
  static VfioIommuType1DmaMap readMap(UserAddressSpace memory, long arg) {
    return VfioIommuType1DmaMap.decode(memory.read(arg, VfioIommuType1DmaMap.SIZE));
  }

  /** The 24-byte {@code struct vfio_iommu_type1_dma_unmap} at {@code arg} ({@code EFAULT}). */
  static VfioIommuType1DmaUnmap readUnmap(UserAddressSpace memory, long arg) {
    return VfioIommuType1DmaUnmap.decode(memory.read(arg, VfioIommuType1DmaUnmap.SIZE));
  }

  /** Writes {@code unmap} back with {@code size} replaced ({@code EFAULT}). */
  static void writeUnmapped(
      UserAddressSpace memory, long arg, VfioIommuType1DmaUnmap unmap, long size) {
    memory.write(
        arg,
        UserCopy.encode(
            VfioIommuType1DmaUnmap.SIZE,
            new VfioIommuType1DmaUnmap(unmap.argsz(), unmap.flags(), unmap.iova(), size)::encode));
  }

  /** The user's {@code argsz} of GET_INFO: the first 16 bytes must be readable ({@code EFAULT}). */
  static int readInfoArgsz(UserAddressSpace memory, long arg) {
    return memory.read(arg, INFO_MINSZ).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
  }

  /**
   * type1's GET_INFO reply: the whole chain after the struct if {@code argsz} has room for it
   * ({@code cap_offset} 24), else no capability and {@code argsz} raised to the size needed; then
   * {@code min(argsz, 24)} bytes of the struct.
   */
  static void type1Info(UserAddressSpace memory, long arg, int argsz, Type1Info info) {
    ByteBuffer chain = info.capabilityChain();
    long needed = (long) VfioIommuType1Info.SIZE + chain.remaining();
    int replyArgsz = argsz;
    int capOffset = 0;
    int flags = VFIO_IOMMU_INFO_PGSIZES;
    if (chain.hasRemaining()) {
      flags |= VFIO_IOMMU_INFO_CAPS;
      if (Integer.toUnsignedLong(argsz) < needed) {
        replyArgsz = (int) needed;
      } else {
        memory.write(arg + VfioIommuType1Info.SIZE, chain);
        capOffset = VfioIommuType1Info.SIZE;
      }
    }
    reply(
        memory,
        arg,
        argsz,
        new VfioIommuType1Info(replyArgsz, flags, info.iovaPgsizes(), capOffset));
  }

  /**
   * iommufd's GET_INFO reply ({@code iommufd_vfio_iommu_get_info}): DMA_AVAIL then IOVA_RANGE, each
   * written if it fits in {@code argsz} (IOVA ranges one by one, the capability header only if all
   * fit), a capability's {@code next} set when the one before it fits; {@code argsz} always becomes
   * the total size and {@code cap_offset} is 24 only if everything fits.
   */
  static void compatInfo(UserAddressSpace memory, long arg, int argsz, Type1Info info) {
    long room = Integer.toUnsignedLong(argsz);
    long availAt = VfioIommuType1Info.SIZE;
    long iovaAt = availAt + 16; // 12 bytes rounded up to 8
    int n = info.iovaRanges().size();
    long total = iovaAt + 16 + 16L * n;
    if (room >= availAt + VfioIommuType1InfoDmaAvail.SIZE) {
      VfioIommuType1InfoDmaAvail cap =
          new VfioIommuType1InfoDmaAvail(
              new VfioInfoCapHeader(
                  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1, room >= iovaAt ? (int) iovaAt : 0),
              info.dmaAvail());
      memory.write(arg + availAt, UserCopy.encode(VfioIommuType1InfoDmaAvail.SIZE, cap::encode));
    }
    for (int i = 0; i < n; i++) {
      long at = iovaAt + 16 + 16L * i;
      if (room >= at + 16) {
        memory.write(
            arg + at, UserCopy.encode(VfioIovaRange.SIZE, info.iovaRanges().get(i)::encode));
      }
    }
    if (room >= total) {
      VfioIommuType1InfoCapIovaRange cap =
          new VfioIommuType1InfoCapIovaRange(
              new VfioInfoCapHeader(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1, 0), n, 0);
      memory.write(arg + iovaAt, UserCopy.encode(VfioIommuType1InfoCapIovaRange.SIZE, cap::encode));
    }
    int flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
    int capOffset = room >= total ? VfioIommuType1Info.SIZE : 0;
    reply(
        memory,
        arg,
        argsz,
        new VfioIommuType1Info((int) total, flags, info.iovaPgsizes(), capOffset));
  }

  private static void reply(
      UserAddressSpace memory, long arg, int argsz, VfioIommuType1Info reply) {
    UserCopy.respond(
        memory, arg, Integer.toUnsignedLong(argsz), VfioIommuType1Info.SIZE, reply::encode);
  }
}
