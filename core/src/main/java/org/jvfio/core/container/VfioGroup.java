package org.jvfio.core.container;

import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_FLAGS_CONTAINER_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_GROUP_FLAGS_VIABLE;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;

/**
 * One IOMMU group as VFIO exposes it at {@code /dev/vfio/$GROUP} ({@code struct vfio_group}, {@code
 * drivers/vfio/group.c}): the devices that share an IOMMU context and therefore go into a container
 * together.
 *
 * <p>A <em>physical</em> group's devices sit behind an {@link IommuDriver}: attached to a type1
 * container they get an IOMMU domain and DMA through it, and they never pin pages, so the group is
 * never pinned-page scoped. An <em>emulated</em> group (an mdev-like parent's) has no IOMMU: its
 * devices reach memory only through the pinning API and {@code vfio_dma_rw}, so type1 tracks their
 * dirty pages exactly ({@link GroupDevice}).
 *
 * <p>The group is bound to at most one container or one iommufd. {@link #setContainer} counts one
 * user, every device opened through the group another, so {@link #unsetContainer} with a device
 * open is {@code EBUSY}.
 *
 * <p><b>Thread-safety.</b> Thread-safe: operations are serialised on the group ({@code
 * group->group_lock}), then on the container.
 */
public final class VfioGroup {
  private final int id;
  private final Optional<IommuDriver> iommu;
  private final List<String> deviceNames;
  private final List<GroupDevice> open = new ArrayList<>(); // guarded by this
  private volatile VfioContainer container; // read by device DMA
  private volatile IommufdVfioCompat iommufd;
  private boolean dmaOwnerClaimed; // guarded by this
  boolean pinnedPageDirtyScope; // guarded by the container's lock
  volatile IommuDomain domain; // the type1 domain while attached; read by device DMA

  private VfioGroup(int id, Optional<IommuDriver> iommu, List<String> deviceNames) {
    Preconditions.checkArgument(!deviceNames.isEmpty(), "a group has at least one device");
    this.id = id;
    this.iommu = iommu;
    this.deviceNames = List.copyOf(deviceNames);
  }

  /**
   * Returns a group of physical devices behind {@code iommu}, named as {@code dev_name}.
   *
   * @param id the group number, the {@code $GROUP} of {@code /dev/vfio/$GROUP}
   * @param iommu the IOMMU unit the devices sit behind
   * @param deviceNames the devices' names, e.g. {@code 0000:01:00.0}
   * @return a new group with no container
   */
  public static VfioGroup physical(int id, IommuDriver iommu, String... deviceNames) {
    return new VfioGroup(id, Optional.of(Objects.requireNonNull(iommu)), List.of(deviceNames));
  }

  /**
   * Returns a group of emulated (mdev-like) devices with no IOMMU of their own.
   *
   * @param id the group number, the {@code $GROUP} of {@code /dev/vfio/$GROUP}
   * @param deviceNames the devices' names, e.g. mdev UUIDs
   * @return a new group with no container
   */
  public static VfioGroup emulated(int id, String... deviceNames) {
    return new VfioGroup(id, Optional.empty(), List.of(deviceNames));
  }

  /**
   * Returns the group number, the {@code $GROUP} of {@code /dev/vfio/$GROUP}.
   *
   * @return the group number, from 0
   */
  public int id() {
    return id;
  }

  /**
   * Returns whether the group is emulated (no IOMMU; its devices pin pages).
   *
   * @return true if the group has no IOMMU, false for physical devices
   */
  public boolean isEmulated() {
    return iommu.isEmpty();
  }

  /**
   * Returns the names of the group's devices.
   *
   * @return the names given at creation, immutable
   */
  public List<String> deviceNames() {
    return deviceNames;
  }

  IommuDriver iommu() {
    return iommu.orElseThrow();
  }

  /**
   * Makes a host driver claim (or release) DMA ownership of the group's devices, as binding a
   * device to a driver other than vfio does: the group is then not viable.
   *
   * @param claimed true to claim ownership (the group becomes not viable), false to release it
   */
  public synchronized void claimDmaOwner(boolean claimed) {
    dmaOwnerClaimed = claimed;
  }

  /**
   * {@code VFIO_GROUP_GET_STATUS} ({@code vfio_group_ioctl_get_status}): CONTAINER_SET and VIABLE
   * when the group is set to a container or an iommufd, else VIABLE if no host driver claims it.
   *
   * @return the {@code flags} of {@code struct vfio_group_status}
   */
  public synchronized int status() {
    if (container != null || iommufd != null) {
      return VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
    }
    return dmaOwnerClaimed ? 0 : VFIO_GROUP_FLAGS_VIABLE;
  }

  /**
   * {@code VFIO_GROUP_SET_CONTAINER} with a VFIO container: attaches the group, and if the
   * container's IOMMU is set, to its type1 backend now.
   *
   * @param c the container opened on {@code /dev/vfio/vfio}
   * @throws UapiException {@code EINVAL} if the group already has a container or an iommufd; {@code
   *     EPERM} if a host driver claims DMA ownership; type1's attach errnos ({@code EBUSY} while a
   *     dma's vaddr is invalid, {@code EINVAL} for an aperture conflict or mappings the new domain
   *     cannot hold, {@code EFAULT} for mappings that cannot be pinned)
   */
  public synchronized void setContainer(VfioContainer c) {
    checkUnset();
    UapiException.check(!dmaOwnerClaimed, Errno.EPERM, "a host driver owns the group's DMA");
    c.attachGroup(this);
    container = c;
  }

  /**
   * {@code VFIO_GROUP_SET_CONTAINER} with an iommufd: creates the iommufd's compatibility IOAS if
   * it has none ({@code iommufd_vfio_compat_ioas_create}); devices opened later bind to the iommufd
   * and attach to that IOAS.
   *
   * <p>DMA ownership is claimed only when a device binds ({@code iommufd_device_bind}); a group a
   * host driver claims is not refused here, and the model does not refuse its devices either.
   *
   * @param compat the iommufd serving {@code /dev/vfio/vfio}
   * @throws UapiException {@code EINVAL} if the group already has a container or an iommufd
   */
  public synchronized void setContainer(IommufdVfioCompat compat) {
    checkUnset();
    compat.ioasCreate();
    iommufd = compat;
  }

  private void checkUnset() {
    UapiException.check(
        container == null && iommufd == null, Errno.EINVAL, "group already has a container");
  }

  /**
   * {@code VFIO_GROUP_UNSET_CONTAINER}: detaches the group; the container's last group releases its
   * IOMMU backend.
   *
   * @throws UapiException {@code EINVAL} without a container or iommufd; {@code EBUSY} while a
   *     device of the group is open
   */
  public synchronized void unsetContainer() {
    UapiException.check(
        container != null || iommufd != null, Errno.EINVAL, "group has no container");
    UapiException.check(open.isEmpty(), Errno.EBUSY, "a device of the group is open");
    detach();
  }

  /**
   * Releases the group file ({@code vfio_group_fops_release}): the group leaves its container or
   * iommufd. Device files hold the group file, so the kernel releases it only after the last one;
   * the fake kernel calls this then.
   */
  public synchronized void release() {
    if (container != null || iommufd != null) {
      detach();
    }
  }

  private void detach() {
    if (container != null) {
      container.detachGroup(this);
      container = null;
    }
    iommufd = null;
  }

  /**
   * {@code VFIO_GROUP_GET_DEVICE_FD}: opens the device called {@code name} ({@code
   * vfio_group_ioctl_get_device_fd}). An emulated device is registered with type1 for its {@code
   * dma_unmap} callback; a device opened with an iommufd binds to it and attaches to the
   * compatibility IOAS.
   *
   * @param name the device's name, one of {@link #deviceNames}
   * @param tracker the device's own DMA-logging tracker, told of every DMA write it makes
   * @return the open device
   * @throws UapiException {@code ENODEV} if no device of the group has that name; {@code EINVAL}
   *     without a container or iommufd, or with a container whose IOMMU is not set
   */
  public synchronized GroupDevice openDevice(String name, DmaWriteListener tracker) {
    UapiException.check(deviceNames.contains(name), Errno.ENODEV, "no device " + name);
    VfioContainer c = container;
    IommufdVfioCompat compat = iommufd;
    UapiException.check(c != null || compat != null, Errno.EINVAL, "group has no container");
    GroupDevice dev;
    if (c != null) {
      synchronized (c.lock) {
        Type1Iommu t = c.requireIommu();
        dev = new GroupDevice(this, name, c, null, 0, tracker);
        if (isEmulated()) {
          t.devices.add(dev);
        }
      }
    } else {
      int devId = compat.bindAndAttach(isEmulated() ? null : iommu(), tracker);
      dev = new GroupDevice(this, name, null, compat, devId, tracker);
    }
    open.add(dev);
    return dev;
  }

  /** The device file was closed ({@code vfio_df_group_close}). */
  synchronized void close(GroupDevice dev) {
    if (!open.remove(dev)) {
      return;
    }
    if (dev.container != null) {
      synchronized (dev.container.lock) {
        Type1Iommu t = dev.container.iommu();
        if (t != null) {
          dev.unpinAll(t);
          t.devices.remove(dev);
        }
      }
    } else {
      dev.compat.unbind(dev.devId);
    }
  }

  /**
   * Returns the number of devices open through the group.
   *
   * @return the count of devices opened and not yet closed
   */
  public synchronized int openDevices() {
    return open.size();
  }
}
