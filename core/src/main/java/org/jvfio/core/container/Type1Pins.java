package org.jvfio.core.container;

import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.container.Type1Iommu.Dma;
import org.jvfio.core.container.Type1Iommu.Pin;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.spi.IommuDomain;

/*
 * The in-kernel API type1 offers emulated (mdev-like) devices, drivers/vfio/vfio_iommu_type1.c:
 * vfio_iommu_type1_pin_pages, _unpin_pages and _dma_rw, on a Type1Iommu under its container's
 * lock. A page pinned while tracking is marked dirty, and every pinned page is put back into its
 * dma's bitmap after each report (Type1Iommu.populate), so a pinned page stays dirty until it is
 * unpinned; a dma_rw write marks the pages it touched once.
 */
final class Type1Pins {
  private static final int PIN_PAGES_MAX = 512; // VFIO_PIN_PAGES_MAX_ENTRIES on 4 KiB pages

  private Type1Pins() {}

  /** {@code vfio_iommu_type1_pin_pages}; the whole call is checked before anything is pinned. */
  static long[] pinPages(Type1Iommu t, long iova, int npage, int prot) {
    UapiException.check(npage <= PIN_PAGES_MAX, Errno.E2BIG, "more than 512 pages");
    UapiException.check(t.v2, Errno.EACCES, "not TYPE1v2");
    UapiException.check(t.vaddrInvalidCount == 0, Errno.EBUSY, "a dma's vaddr is invalid");
    UapiException.check(!t.devices.isEmpty(), Errno.EINVAL, "no emulated device registered");
    // jvfio's rule: pins are per page, so the first IOVA must start one
    UapiException.check((iova & (t.pageSize - 1)) == 0, Errno.EINVAL, "iova not page aligned");
    long[] physical = new long[npage];
    for (int i = 0; i < npage; i++) {
      long at = iova + i * t.pageSize;
      Dma d = t.find(at, t.pageSize);
      UapiException.check(d != null, Errno.EINVAL, "page not mapped");
      UapiException.check((d.prot & prot) == prot, Errno.EPERM, "mapping lacks the protection");
      Pin pin = d.pins.get(at);
      physical[i] = pin != null ? pin.physical : d.vaddr + (at - d.iova);
      if (pin == null) {
        t.checkPinnable(physical[i], t.pageSize);
      }
    }
    for (int i = 0; i < npage; i++) {
      long at = iova + i * t.pageSize;
      Dma d = t.find(at, t.pageSize);
      Pin pin = d.pins.get(at);
      if (pin != null) {
        pin.refs++;
        continue;
      }
      pin = new Pin(physical[i]);
      pin.refs = 1;
      d.pins.put(at, pin);
      if (t.dirtyTracking) {
        DirtyBitmaps.set(d.bitmap, (at - d.iova) / t.pgsize(), 1);
      }
    }
    return physical;
  }

  /** {@code vfio_iommu_type1_unpin_pages}: pages that are not pinned are skipped. */
  static void unpinPages(Type1Iommu t, long iova, int npage) {
    if (!t.v2) {
      return;
    }
    for (int i = 0; i < npage; i++) {
      long at = iova + i * t.pageSize;
      Dma d = t.find(at, t.pageSize);
      if (d == null) {
        break;
      }
      Pin pin = d.pins.get(at);
      if (pin != null && --pin.refs == 0) {
        d.pins.remove(at);
      }
    }
  }

  /** Returns the physical page pinned at {@code iova}, or -1 if it is not pinned. */
  static long pinned(Type1Iommu t, long iova) {
    Dma d = t.find(iova, 1);
    Pin pin = d == null ? null : d.pins.get(iova & -t.pageSize);
    return pin == null ? -1 : pin.physical + (iova & (t.pageSize - 1));
  }

  /**
   * {@code vfio_iommu_type1_dma_rw} for a write: copies through each dma's vaddr and, while
   * tracking, marks every page the copy touched.
   */
  static void dmaRwWrite(Type1Iommu t, long iova, long length) {
    long cur = iova;
    long remaining = length;
    while (remaining > 0) {
      Dma d = t.find(cur, 1);
      UapiException.check(d != null, Errno.EINVAL, "IOVA not mapped");
      UapiException.check(
          (d.prot & IommuDomain.IOMMU_WRITE) != 0 && (d.prot & IommuDomain.IOMMU_READ) != 0,
          Errno.EPERM,
          "mapping not writable");
      if (d.vaddrInvalid) {
        throw new IllegalStateException("the kernel would wait for VFIO_DMA_MAP_FLAG_VADDR");
      }
      long offset = cur - d.iova;
      long count = Math.min(remaining, d.size - offset);
      GuestMemory m = t.memoryOf(d.vaddr + offset, count);
      UapiException.check(m != null, Errno.EFAULT, "vaddr not in guest memory");
      m.write(d.vaddr + offset, count);
      if (t.dirtyTracking) {
        long pgsize = t.pgsize();
        long firstBit = offset / pgsize;
        DirtyBitmaps.set(d.bitmap, firstBit, (offset + count - 1) / pgsize - firstBit + 1);
      }
      cur += count;
      remaining -= count;
    }
  }
}
