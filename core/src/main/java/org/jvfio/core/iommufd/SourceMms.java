package org.jvfio.core.iommufd;

import static org.jvfio.core.iommufd.Iovas.lastOf;
import static org.jvfio.core.iommufd.Iovas.span;
import static org.jvfio.core.iommufd.Iovas.startOf;

import com.google.common.collect.Range;
import com.google.common.collect.RangeSet;
import com.google.common.collect.TreeRangeSet;
import com.google.common.primitives.UnsignedLong;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.IommufdContext.Area;
import org.jvfio.core.iommufd.IommufdContext.Obj;
import org.jvfio.core.iommufd.IommufdContext.Pages;
import org.jvfio.core.vfio.UserAccess;

/*
 * Whose memory a map's pages are: the source_mm of struct iopt_pages (drivers/iommu/iommufd/
 * pages.c), kept per map (pagesId) from the IOMMU_IOAS_MAP that made it, and what follows from it.
 *
 *  - A page is pinned while an area of its map holds it in a domain (an IOAS with a HWPT), or an
 *    access has pinned it through such an area (iopt_pages' domains_itree and access_itree). The
 *    rest of a map is pinned, when something needs it, through the source mm: mmget_not_zero,
 *    then pin_user_pages_remote. So once the process has exited, those pages are EFAULT
 *    (pfn_reader_user_pin), guest memory included, while pinned pages stay reachable.
 *  - iommufd_access_rw (iopt_pages_rw_access) copies in the caller's mm when it is the source mm;
 *    else, while the source process lives, in its memory (pin_user_pages_remote of the page, or
 *    kthread_use_mm); once it has gone, from the pinned pages only (iopt_pages_rw_slow), and any
 *    page nothing pins is EFAULT. jvfio keeps no bytes of its own for a pinned page (pinning is the
 *    identity): those of a gone process are moved at the same address in the caller's memory,
 *    which is the same page for MAP_SHARED memory and for a copy-on-write page that neither side
 *    wrote after the fork.
 *
 * Entries of maps whose areas have all gone are swept (PerMap). Guarded by the context's lock.
 */
final class SourceMms {
  private final IommufdContext ctx;
  private final PerMap<UserMm> mms;

  SourceMms(IommufdContext ctx) {
    this.ctx = ctx;
    this.mms = new PerMap<>(ctx::livePagesIds);
  }

  /** An IOMMU_IOAS_MAP made the map {@code pagesId} in the current process. */
  void record(long pagesId, UserMm mm) {
    mms.put(pagesId, mm);
  }

  /** The source mm of the map {@code pagesId} (the current one for a map not recorded). */
  UserMm of(long pagesId) {
    UserMm mm = mms.get(pagesId);
    return mm != null ? mm : ctx.currentMm();
  }

  /**
   * The pages of {@code p} (whole pages, by user address) that neither a domain nor an access holds
   * pinned through an area of the same map.
   */
  RangeSet<UnsignedLong> unpinned(Pages p, long pageSize) {
    RangeSet<UnsignedLong> unpinned = TreeRangeSet.create();
    unpinned.add(pageSpan(p.userVa(), p.length(), pageSize));
    for (Obj o : ctx.objects.values()) {
      if (!(o instanceof Ioas)) {
        continue;
      }
      Ioas ioas = (Ioas) o;
      for (Area a : ioas.areas.asMapOfRanges().values()) {
        if (a.pagesId() != p.pagesId()) {
          continue;
        }
        Range<UnsignedLong> pages = pageSpan(a.userVa(), a.length(), pageSize);
        if (!ioas.hwpts.isEmpty()) {
          unpinned.remove(pages);
        } else {
          for (IommufdAccess.Pin pin : ioas.pins) {
            if (IommufdAccess.overlaps(pin, a)) {
              for (long page : pin.pages()) {
                if (pages.contains(Iovas.u(page))) {
                  unpinned.remove(span(page, page + pageSize - 1));
                }
              }
            }
          }
        }
      }
    }
    return unpinned;
  }

  /**
   * {@code pin_user_pages_remote} through the source mm of every page of {@code p} that is not
   * pinned yet: {@code EFAULT} if its process has gone or a page cannot be pinned ({@code
   * inGuestMemory} pages can be, while the process lives).
   */
  void checkPinnable(Pages p, long pageSize, GuestCheck inGuestMemory) {
    UserMm mm = of(p.pagesId());
    boolean live = mm.isLive();
    if (live && inGuestMemory.contains(p.userVa(), p.length())) {
      return;
    }
    for (Range<UnsignedLong> r : unpinned(p, pageSize).asRanges()) {
      long start = startOf(r);
      long length = lastOf(r) - start + 1;
      UapiException.check(live, Errno.EFAULT, "the process that mapped the pages has exited");
      UapiException.check(
          inGuestMemory.contains(start, length) || mm.canPin(start, length, p.writable()),
          Errno.EFAULT,
          "cannot pin 0x" + Long.toHexString(start) + "+0x" + Long.toHexString(length));
    }
  }

  /**
   * The memory {@code iommufd_access_rw} moves the bytes of {@code [userVa, userVa + length)} of
   * {@code area} through: the caller's, the live source process's, or (the source process gone,
   * every page pinned) the caller's again; {@code EFAULT} if it cannot reach them.
   */
  UserAccess rwMemory(Area area, long userVa, long length, UserAccess caller, long pageSize) {
    UserMm mm = of(area.pagesId());
    UserAccess memory = caller;
    if (!mm.equals(ctx.currentMm())) {
      if (mm.isLive()) {
        memory = mm;
      } else {
        Pages piece = new Pages(userVa, length, area.pagesWritable(), area.pagesId());
        UapiException.check(
            unpinned(piece, pageSize).isEmpty(),
            Errno.EFAULT,
            "the process that mapped the pages has exited and they are not pinned");
      }
    }
    UapiException.check(memory.isAccessible(userVa, length), Errno.EFAULT, "no user memory");
    return memory;
  }

  /** The whole pages under {@code [userVa, userVa + length)}, which does not wrap. */
  static Range<UnsignedLong> pageSpan(long userVa, long length, long pageSize) {
    long first = userVa - Long.remainderUnsigned(userVa, pageSize);
    long last = userVa + length - 1;
    return span(first, last - Long.remainderUnsigned(last, pageSize) + pageSize - 1);
  }

  /** Whether a range lies in guest memory. */
  @FunctionalInterface
  interface GuestCheck {
    boolean contains(long userVa, long length);
  }
}
