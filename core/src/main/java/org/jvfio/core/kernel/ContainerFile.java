package org.jvfio.core.kernel;

import static org.jvfio.api.vfio.Vfio.VFIO_API_VERSION;
import static org.jvfio.api.vfio.Vfio.VFIO_CHECK_EXTENSION;
import static org.jvfio.api.vfio.Vfio.VFIO_GET_API_VERSION;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_GET_INFO;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_MAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_UNMAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_SET_IOMMU;

import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.core.UapiException;
import org.jvfio.core.container.VfioContainer;

/*
 * An open /dev/vfio/vfio served by VFIO (vfio_fops_unl_ioctl, drivers/vfio/container.c): the API
 * version, CHECK_EXTENSION and SET_IOMMU are the container's; every other request goes to the
 * type1 driver once SET_IOMMU has set it (GET_INFO, MAP_DMA, UNMAP_DMA, DIRTY_PAGES, else ENOTTY)
 * and is EINVAL before. The last close of a container never happens while groups hold it (each
 * group holds a reference), so release does nothing: the groups leave on their own release.
 */
final class ContainerFile extends OpenFile {
  final VfioContainer container;
  private final UserAddressSpace memory;

  ContainerFile(VfioContainer container, UserAddressSpace memory) {
    this.container = container;
    this.memory = memory;
  }

  @Override
  int ioctl(int request, long arg) {
    if (request == VFIO_GET_API_VERSION) {
      return VFIO_API_VERSION;
    } else if (request == VFIO_CHECK_EXTENSION) {
      return container.checkExtension(arg);
    } else if (request == VFIO_SET_IOMMU) {
      container.setIommu(arg);
      return 0;
    }
    UapiException.check(container.isIommuSet(), Errno.EINVAL, "no IOMMU set");
    if (request == VFIO_IOMMU_GET_INFO) {
      int argsz = Type1Ioctls.readInfoArgsz(memory, arg);
      Type1Ioctls.type1Info(memory, arg, argsz, container.getInfo(argsz));
    } else if (request == VFIO_IOMMU_MAP_DMA) {
      container.mapDma(Type1Ioctls.readMap(memory, arg));
    } else if (request == VFIO_IOMMU_UNMAP_DMA) {
      VfioIommuType1DmaUnmap unmap = Type1Ioctls.readUnmap(memory, arg);
      long unmapped = container.unmapDma(unmap, memory, arg + VfioIommuType1DmaUnmap.SIZE);
      Type1Ioctls.writeUnmapped(memory, arg, unmap, unmapped);
    } else if (request == VFIO_IOMMU_DIRTY_PAGES) {
      container.dirtyPages(memory, arg);
    } else {
      return super.ioctl(request, arg);
    }
    return 0;
  }
}
