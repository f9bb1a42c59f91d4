package org.jvfio.core.container;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.IoPageFault;
import org.jvfio.core.spi.IommuDomain;

/**
 * A device opened through its group ({@code VFIO_GROUP_GET_DEVICE_FD}), with the hardware and
 * in-kernel hooks a test or simulator drives.
 *
 * <p>A <em>physical</em> device DMAs through its group's IOMMU domain ({@link #dmaWrite}): in a
 * type1 container the domain type1 filled, with an iommufd the compatibility IOAS's. An
 * <em>emulated</em> device has no IOMMU: its driver pins guest pages through {@code vfio_pin_pages}
 * ({@link #pinPages}), writes through the pins ({@link #writePinned}) or copies with {@code
 * vfio_dma_rw} ({@link #dmaRwWrite}), and unpins ({@link #unpinPages}); when user space unmaps a
 * pinned range, type1 calls the device's {@code dma_unmap} and the device drops its pins there, as
 * mdev drivers do.
 *
 * <p><b>Thread-safety.</b> Thread-safe: {@link #dmaWrite} runs from any thread without a lock; the
 * pinning calls are serialised on the container.
 */
public final class GroupDevice {
  private final VfioGroup group;
  private final String name;
  final VfioContainer container; // null with an iommufd
  final IommufdVfioCompat compat; // null with a container
  final int devId; // the iommufd device id with compat
  private final DmaWriteListener tracker;
  private final TreeMap<Long, Integer> pins =
      new TreeMap<>(Long::compareUnsigned); // container lock
  private volatile boolean closed;

  GroupDevice(
      VfioGroup group,
      String name,
      VfioContainer container,
      IommufdVfioCompat compat,
      int devId,
      DmaWriteListener tracker) {
    this.group = group;
    this.name = name;
    this.container = container;
    this.compat = compat;
    this.devId = devId;
    this.tracker = tracker;
  }

  /**
   * Returns the device's name in its group.
   *
   * @return the name passed to {@code VFIO_GROUP_GET_DEVICE_FD}
   */
  public String name() {
    return name;
  }

  /**
   * Returns the group the device was opened through.
   *
   * @return the group whose fd opened this device
   */
  public VfioGroup group() {
    return group;
  }

  /**
   * Returns whether the device is emulated (pins pages instead of using an IOMMU).
   *
   * @return true if the group is emulated (mdev-like), false for a physical device
   */
  public boolean isEmulated() {
    return group.isEmulated();
  }

  /**
   * Makes the physical device write {@code [iova, iova + length)} by DMA through its IOMMU domain
   * (translation, permission checks, the device's DMA-logging tracker): pages that are not mapped
   * fault. Safe from any thread.
   *
   * @param iova the first IOVA written
   * @param length the bytes written (positive)
   * @return the bytes written and the number of 4 KiB pages that faulted
   * @throws IllegalStateException for an emulated device (it has no IOMMU)
   * @throws IllegalArgumentException if {@code length} is not positive or the range wraps
   */
  public DmaResult dmaWrite(long iova, long length) {
    Preconditions.checkState(!isEmulated(), "an emulated device has no IOMMU");
    if (compat != null) {
      return compat.context().dmaWrite(devId, iova, length);
    }
    IommuDomain domain = closed ? null : group.domain;
    if (domain == null) {
      return container.engine.blocked(group.id(), iova, length, true);
    }
    return container.engine.write(group.id(), domain, iova, length, tracker);
  }

  /**
   * Makes the physical device read {@code [iova, iova + length)} by DMA (permission checks only),
   * as {@link #dmaWrite}. Safe from any thread.
   *
   * @param iova the first IOVA read
   * @param length the bytes read (positive)
   * @return the bytes read and the number of 4 KiB pages that faulted
   * @throws IllegalStateException for an emulated device (it has no IOMMU)
   * @throws IllegalArgumentException if {@code length} is not positive or the range wraps
   */
  public DmaResult dmaRead(long iova, long length) {
    Preconditions.checkState(!isEmulated(), "an emulated device has no IOMMU");
    if (compat != null) {
      return compat.context().dmaRead(devId, iova, length);
    }
    IommuDomain domain = closed ? null : group.domain;
    if (domain == null) {
      return container.engine.blocked(group.id(), iova, length, false);
    }
    return container.engine.read(group.id(), domain, iova, length);
  }

  /**
   * Returns the most recent IO page faults of this device, oldest first.
   *
   * @return the faults of this device among the container's or compat context's recent faults
   */
  public List<IoPageFault> ioPageFaults() {
    List<IoPageFault> out = new ArrayList<>();
    int id = compat != null ? devId : group.id();
    for (IoPageFault f :
        compat != null ? compat.context().ioPageFaults() : container.engine.recentFaults()) {
      if (f.deviceId() == id) {
        out.add(f);
      }
    }
    return out;
  }

  /**
   * {@code vfio_pin_pages}: pins {@code npage} host pages from {@code iova} for the emulated device
   * and returns their physical addresses. While dirty tracking is on, each newly pinned page is
   * marked dirty; a pinned page is reported dirty by every report until unpinned.
   *
   * @param iova the first IOVA to pin
   * @param npage the number of pages, 1 to 512
   * @param prot {@code IOMMU_READ} and/or {@code IOMMU_WRITE}: what the mapping must allow
   * @return the host physical address of each pinned page, in IOVA order
   * @throws UapiException {@code EINVAL} for a physical device or {@code npage} below 1; {@code
   *     E2BIG} above 512; {@code EACCES} for a TYPE1 (v1) container; {@code EBUSY} while a dma's
   *     vaddr is invalid; {@code EINVAL} for a page that is not mapped; {@code EPERM} if its
   *     mapping lacks {@code prot}; {@code EFAULT} if it cannot be pinned. Nothing is pinned then.
   * @throws IllegalStateException if the device was opened with an iommufd (not modelled) or closed
   */
  public long[] pinPages(long iova, int npage, int prot) {
    UapiException.check(npage > 0 && isEmulated(), Errno.EINVAL, "npage, or no dma_unmap op");
    synchronized (type1Lock()) {
      Type1Iommu t = type1();
      long[] physical = Type1Pins.pinPages(t, iova, npage, prot);
      for (int i = 0; i < npage; i++) {
        pins.merge(iova + i * container.pageSize(), 1, Integer::sum);
      }
      return physical;
    }
  }

  /**
   * {@code vfio_unpin_pages}: drops one pin of each of {@code npage} pages from {@code iova}; pages
   * this device has not pinned are skipped (the kernel only warns).
   *
   * @param iova the first IOVA to unpin
   * @param npage the number of pages
   * @throws IllegalStateException if the device was opened with an iommufd or closed
   */
  public void unpinPages(long iova, int npage) {
    synchronized (type1Lock()) {
      Type1Iommu t = type1();
      for (int i = 0; i < npage; i++) {
        long at = iova + i * container.pageSize();
        Integer n = pins.get(at);
        if (n != null) {
          Type1Pins.unpinPages(t, at, 1);
          if (n == 1) {
            pins.remove(at);
          } else {
            pins.put(at, n - 1);
          }
        }
      }
    }
  }

  /**
   * Writes guest memory through this device's pins: every page of {@code [iova, iova + length)}
   * must be pinned by it. Type1 sees nothing of such a write; the pin keeps the page dirty.
   *
   * @param iova the first IOVA written
   * @param length the bytes written (positive)
   * @throws IllegalStateException if a page is not pinned by this device
   */
  public void writePinned(long iova, long length) {
    Preconditions.checkArgument(length > 0, "length must be positive");
    synchronized (type1Lock()) {
      Type1Iommu t = type1();
      long page = container.pageSize();
      for (long at = iova & -page; Long.compareUnsigned(at, iova + length - 1) <= 0; at += page) {
        Preconditions.checkState(
            pins.containsKey(at), "page 0x%s not pinned", Long.toHexString(at));
      }
      for (long cur = iova; Long.compareUnsigned(cur, iova + length - 1) <= 0; ) {
        long chunk = Math.min(iova + length - cur, page - (cur & (page - 1)));
        long pa = Type1Pins.pinned(t, cur);
        GuestMemory m = t.memoryOf(pa, chunk);
        m.write(pa, chunk);
        cur += chunk;
      }
    }
  }

  /**
   * {@code vfio_dma_rw} writing {@code [iova, iova + length)}: copies through the mappings' user
   * addresses and, while tracking, marks every page written.
   *
   * @param iova the first IOVA written
   * @param length the bytes written (positive)
   * @throws UapiException {@code EINVAL} if {@code length} is not positive or a page is not mapped;
   *     {@code EPERM} if a mapping is not readable and writable; {@code EFAULT} if its memory
   *     cannot be reached (pages before it are written)
   * @throws IllegalStateException if the device was opened with an iommufd or closed, or a
   *     mapping's vaddr is invalid (the kernel would wait)
   */
  public void dmaRwWrite(long iova, long length) {
    UapiException.check(length > 0, Errno.EINVAL, "length must be positive");
    synchronized (type1Lock()) {
      Type1Pins.dmaRwWrite(type1(), iova, length);
    }
  }

  /** Closes the device file: an emulated device's pins are dropped and it is unregistered. */
  public void close() {
    closed = true;
    group.close(this);
  }

  private Object type1Lock() {
    Preconditions.checkState(container != null, "pinning through an iommufd is not modelled");
    return container.lock;
  }

  private Type1Iommu type1() {
    Preconditions.checkState(!closed, "device closed");
    return container.requireIommu();
  }

  /** type1's {@code dma_unmap} callback: drops this device's pins in the range. */
  void dmaUnmap(long iova, long size) {
    Type1Iommu t = container.iommu();
    for (Map.Entry<Long, Integer> e : pins.subMap(iova, true, iova + size - 1, true).entrySet()) {
      for (int i = 0; i < e.getValue(); i++) {
        Type1Pins.unpinPages(t, e.getKey(), 1);
      }
    }
    pins.subMap(iova, true, iova + size - 1, true).clear();
  }

  /** Drops every pin (the device is closing). Under the container lock. */
  void unpinAll(Type1Iommu t) {
    for (Map.Entry<Long, Integer> e : pins.entrySet()) {
      for (int i = 0; i < e.getValue(); i++) {
        Type1Pins.unpinPages(t, e.getKey(), 1);
      }
    }
    pins.clear();
  }
}
