package org.jvfio.core.iommufd;

import static org.jvfio.core.iommufd.Iovas.ULONG_MAX;
import static org.jvfio.core.iommufd.Iovas.lastWraps;
import static org.jvfio.core.iommufd.Iovas.u;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.IommufdContext.Area;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.vfio.UserAccess;

/**
 * An in-kernel access to an IOAS without DMA: {@code struct iommufd_access} of {@code
 * drivers/iommu/iommufd/device.c}, which emulated devices (mdev, vfio's emulated IOMMU path) and
 * the selftest's {@code IOMMU_TEST_OP_CREATE_ACCESS} use to read, write and pin the memory mapped
 * at an IOVA. It is an object of its context ({@code IOMMUFD_OBJ_ACCESS}, with an id that {@code
 * IOMMU_DESTROY} refuses with {@code EBUSY}: the driver holds it until {@link #destroy}).
 *
 * <p>While attached, an access holds its IOAS ({@code IOMMU_DESTROY} of it is {@code EBUSY}) and,
 * if it needs pinned pages, raises the IOAS's IOVA alignment to {@code PAGE_SIZE}. {@code
 * IOMMU_IOAS_UNMAP} of an area it has pinned calls the unmap callback of every access of the IOAS
 * with the area's range ({@code iommufd_access_notify_unmap}); the driver must {@link #unpinPages}
 * what it pinned there. A driver that does not is asked again, 101 times in all, after which the
 * unmap fails with {@code EDEADLOCK} and nothing is unmapped (the kernel keeps the areas before the
 * stuck one unmapped; jvfio's refused calls change nothing). The area then refuses every further
 * pin and read or write ({@code EINVAL}, the kernel's {@code prevent_access}) until it is unmapped.
 *
 * <p>Pinning is the identity, as everywhere in jvfio: a pinned page is identified by its user
 * address. The bytes behind an IOVA are the user's bytes at the area's {@code user_va} plus the
 * offset, which {@link #read} and {@link #write} move through the caller's {@link UserAccess} when
 * the caller made the map, else through the memory of the process that did ({@link UserMm}, {@code
 * iopt_pages_rw_access}); once that process has exited, only pages a domain or an access holds
 * pinned are reachable (at the same address in the caller's memory) and the rest are {@code
 * EFAULT}.
 *
 * <p>Thread-safety: every method runs under its context's lock; the unmap callback is called under
 * it too (it may call {@link #unpinPages}, but must not wait for another thread that uses the
 * context).
 */
public final class IommufdAccess {
  /** Notifications that an IOVA range is going away: {@code iommufd_access_ops.unmap}. */
  @FunctionalInterface
  public interface UnmapCallback {
    /**
     * Stops using, and {@link #unpinPages unpins}, everything pinned in {@code [iova, iova + length
     * - 1]}; {@code (0, ULONG_MAX)} when the access leaves its IOAS.
     *
     * @param iova the first IOVA of the range
     * @param length its length in bytes (unsigned)
     */
    void unmap(long iova, long length);
  }

  /** One {@link #pinPages} call's pin of {@code [iova, last]}, the user pages it holds. */
  record Pin(IommufdAccess access, long iova, long last, List<Long> pages) {}

  private static final int NOTIFY_TRIES = 100; // iopt_unmap_iova_range: WARN_ON(tries > 100)

  private final IommufdContext ctx;
  private final int id;
  private final boolean needsPinPages;
  private final UnmapCallback unmap;
  private Ioas ioas; // access->ioas: null while detached or changing IOAS
  private Ioas ioasUnpin; // access->ioas_unpin
  private boolean destroyed;

  /** The object-table entry of an access. */
  private static final class AccessObj extends IommufdContext.Obj {
    AccessObj(int id) {
      super(id);
    }
  }

  private IommufdAccess(IommufdContext ctx, int id, boolean needsPinPages, UnmapCallback unmap) {
    this.ctx = ctx;
    this.id = id;
    this.needsPinPages = needsPinPages;
    this.unmap = unmap;
  }

  /**
   * {@code iommufd_access_create}: a new access in {@code ctx}, not attached to any IOAS.
   *
   * @param ctx the iommufd context whose IOASes the access will use
   * @param needsPinPages {@code ops->needs_pin_pages}: the driver will {@link #pinPages}, so the
   *     access aligns its IOAS to {@code PAGE_SIZE}
   * @param unmap {@code ops->unmap}
   * @return the new access, with a new object id
   */
  public static IommufdAccess create(
      IommufdContext ctx, boolean needsPinPages, UnmapCallback unmap) {
    synchronized (ctx.lock) {
      int id = ctx.allocateId();
      ctx.put(new AccessObj(id));
      return new IommufdAccess(ctx, id, needsPinPages, unmap);
    }
  }

  /**
   * Returns the access's object id ({@code *id} of {@code iommufd_access_create}).
   *
   * @return the id
   */
  public int id() {
    return id;
  }

  /**
   * Returns whether the access was created to pin pages ({@code ops->needs_pin_pages}).
   *
   * @return {@code needsPinPages} of {@link #create}
   */
  public boolean needsPinPages() {
    return needsPinPages;
  }

  /** {@code access->iova_alignment}. */
  long iovaAlignment() {
    return needsPinPages ? ctx.pageSize : 1;
  }

  /**
   * {@code iommufd_access_attach}: attaches the access to the IOAS {@code ioasId}.
   *
   * @param ioasId the IOAS
   * @throws UapiException {@code EINVAL} if the access is attached already; {@code ENOENT} if
   *     {@code ioasId} is not an IOAS; {@code EADDRINUSE} if the access raises the IOAS's alignment
   *     above that of a mapped area
   * @throws IllegalStateException if the access was destroyed
   */
  public void attach(int ioasId) {
    synchronized (ctx.lock) {
      checkLive();
      UapiException.check(ioas == null, Errno.EINVAL, "access already attached");
      changeIoas(ctx.ioas(ioasId));
    }
  }

  /**
   * {@code iommufd_access_replace}: moves the access to the IOAS {@code ioasId}, calling the unmap
   * callback with the whole IOVA space of the old one first (pins are not carried over).
   *
   * @param ioasId the new IOAS
   * @throws UapiException {@code ENOENT} if the access is not attached or {@code ioasId} is not an
   *     IOAS; {@code EADDRINUSE} as {@link #attach}; a failure changes nothing
   * @throws IllegalStateException if the access was destroyed
   */
  public void replace(int ioasId) {
    synchronized (ctx.lock) {
      checkLive();
      UapiException.check(ioas != null, Errno.ENOENT, "access not attached");
      changeIoas(ctx.ioas(ioasId));
    }
  }

  /**
   * {@code iommufd_access_destroy}: detaches the access (calling the unmap callback with the whole
   * IOVA space) and removes its object. Pins the driver did not give back stay on their areas.
   */
  public void destroy() {
    synchronized (ctx.lock) {
      if (destroyed) {
        return;
      }
      if (ioas != null) {
        changeIoas(null);
      }
      ctx.objects.remove(id);
      destroyed = true;
    }
  }

  /** {@code iommufd_access_change_ioas}. */
  private void changeIoas(Ioas next) {
    Ioas cur = ioas;
    if (cur == next) {
      return;
    }
    if (next != null) { // iopt_add_access
      next.accesses.add(this);
      long align = next.alignment();
      if (align > next.iovaAlignment) {
        try {
          next.checkAreasAligned(align);
        } catch (UapiException e) {
          next.accesses.remove(this);
          throw e;
        }
      }
      next.iovaAlignment = align;
    }
    ioas = null; // blocks pins and reads while the driver unpins through ioasUnpin
    if (cur != null) {
      unmap.unmap(0, ULONG_MAX);
      cur.accesses.remove(this); // iopt_remove_access
      cur.iovaAlignment = cur.alignment();
    }
    ioas = next;
    ioasUnpin = next;
  }

  private void checkLive() {
    if (destroyed) {
      throw new IllegalStateException("access " + id + " was destroyed");
    }
  }

  /** A contiguous piece of the walk: {@code [iova, last]} inside {@code area}. */
  private record Piece(Area area, long iova, long last) {
    long userVa() {
      return area.userVa() + (iova - area.iova());
    }

    long length() {
      return last - iova + 1;
    }
  }

  /** A check of each piece, in IOVA order, before anything changes. */
  @FunctionalInterface
  private interface PieceCheck {
    void check(Piece piece, boolean done);
  }

  /**
   * {@code iopt_for_each_contig_area} over {@code [iova, iova + length - 1]} of the attached IOAS:
   * {@code EINVAL} for length 0, {@code EOVERFLOW} if it wraps, {@code ENOENT} if detached; then
   * each piece's check in order, and {@code ENOENT} if the areas stop before the end.
   */
  private List<Piece> walk(long iova, long length, PieceCheck check) {
    UapiException.check(length != 0, Errno.EINVAL, "length is 0");
    UapiException.check(!lastWraps(iova, length), Errno.EOVERFLOW, "iova + length wraps");
    UapiException.check(ioas != null, Errno.ENOENT, "access not attached");
    long last = iova + length - 1;
    List<Piece> pieces = new ArrayList<>();
    long cur = iova;
    while (true) {
      Area a = ioas.areas.get(u(cur));
      UapiException.check(a != null, Errno.ENOENT, "IOVA range not fully mapped");
      boolean done = Long.compareUnsigned(last, a.last()) <= 0;
      Piece p = new Piece(a, cur, done ? last : a.last());
      check.check(p, done);
      pieces.add(p);
      if (done) {
        return pieces;
      }
      cur = a.last() + 1;
    }
  }

  /**
   * {@code check_area_prot} and {@code prevent_access}. An area mapped WRITEABLE always has
   * writable pages ({@code iopt_insert_area} refuses a WRITEABLE map or copy of read-only pages
   * with the same {@code EPERM}), so this is also the {@code pages->writable} check of {@code
   * iopt_area_add_access} and {@code iopt_pages_rw_access}.
   */
  private void checkArea(Area a, boolean write) {
    UapiException.check(!ioas.preventAccess.contains(a), Errno.EINVAL, "area is being unmapped");
    UapiException.check(
        (a.prot() & (write ? IommuDomain.IOMMU_WRITE : IommuDomain.IOMMU_READ)) != 0,
        Errno.EPERM,
        "area not mapped for this access");
  }

  /**
   * {@code iommufd_access_pin_pages}: pins the pages under {@code [iova, iova + length - 1]} and
   * returns them, one user address (page aligned) per page.
   *
   * @param iova the first IOVA; its byte in the area must start a page
   * @param length the bytes to pin (unsigned, not 0)
   * @param write {@code IOMMUFD_ACCESS_RW_WRITE}: pin for writing
   * @return the pinned pages' user addresses, in IOVA order
   * @throws UapiException in the kernel's order: {@code EINVAL} if the access was created without
   *     {@code needsPinPages} or {@code length} is 0; {@code EOVERFLOW} if the range wraps; {@code
   *     ENOENT} if the access is detached; for each area in IOVA order, {@code EINVAL} if it is
   *     being unmapped, if the range does not start a page in it or (where the range goes on past
   *     it) it does not end a page, {@code EPERM} if it is not mapped READABLE (WRITEABLE if {@code
   *     write}), {@code EFAULT} if its memory does not exist (in the process that mapped it, or
   *     that process has exited and the pages are not pinned); {@code ENOENT} if the areas stop
   *     before the end
   */
  public long[] pinPages(long iova, long length, boolean write) {
    synchronized (ctx.lock) {
      UapiException.check(needsPinPages, Errno.EINVAL, "access cannot pin pages");
      long page = ctx.pageSize;
      List<Piece> pieces =
          walk(
              iova,
              length,
              (p, done) -> {
                Area a = p.area();
                UapiException.check(
                    p.userVa() % page == 0 && (done || (a.userVa() + a.length()) % page == 0),
                    Errno.EINVAL,
                    "pin not page aligned in the area"); // as prevent_access: same errno
                checkArea(a, write);
                ctx.checkPinnable(
                    new IommufdContext.Pages(
                        p.userVa(), p.length(), a.pagesWritable(), a.pagesId()));
              });
      List<Long> pages = new ArrayList<>();
      for (Piece p : pieces) {
        for (long va = p.userVa(); Long.compareUnsigned(va, p.userVa() + p.length()) < 0; ) {
          pages.add(va);
          va += page;
        }
      }
      ioas.pins.add(new Pin(this, iova, iova + length - 1, List.copyOf(pages)));
      return pages.stream().mapToLong(Long::longValue).toArray();
    }
  }

  /**
   * {@code iommufd_access_unpin_pages}: gives back a pin, with exactly the {@code iova} and {@code
   * length} of its {@link #pinPages}, to the IOAS it was pinned in (during the unmap callback of a
   * replace or destroy, the old one).
   *
   * @param iova the pin's first IOVA
   * @param length the pin's length
   * @throws IllegalStateException if the access was never attached, or holds no such pin (the
   *     kernel's {@code WARN_ON}: a driver bug)
   */
  public void unpinPages(long iova, long length) {
    synchronized (ctx.lock) {
      if (ioasUnpin == null) {
        throw new IllegalStateException("access " + id + " was never attached");
      }
      for (Pin p : ioasUnpin.pins) {
        if (p.access() == this && p.iova() == iova && p.last() == iova + length - 1) {
          ioasUnpin.pins.remove(p);
          return;
        }
      }
      throw new IllegalStateException("no pin at 0x" + Long.toHexString(iova));
    }
  }

  /**
   * {@code iommufd_access_rw} without {@code IOMMUFD_ACCESS_RW_WRITE}: copies the bytes mapped at
   * {@code [iova, iova + dst.remaining() - 1]} into {@code dst}. Any alignment.
   *
   * @param iova the first IOVA
   * @param dst receives the bytes (its position advances by all of them, or not at all)
   * @param user the calling process's memory
   * @throws UapiException as {@link #write}, but {@code EPERM} for an area mapped without READABLE
   */
  public void read(long iova, ByteBuffer dst, UserAccess user) {
    synchronized (ctx.lock) {
      for (RwPiece p : rwPieces(iova, dst.remaining(), false, user)) {
        dst.put(p.memory().read(p.piece().userVa(), (int) p.piece().length()));
      }
    }
  }

  /**
   * {@code iommufd_access_rw} with {@code IOMMUFD_ACCESS_RW_WRITE}: copies {@code src} into the
   * memory mapped at {@code [iova, iova + src.remaining() - 1]}. Any alignment. All checks come
   * first, so a refused write changes nothing (the kernel has copied into the areas before the
   * failing one).
   *
   * @param iova the first IOVA
   * @param src the bytes (its position advances by all of them, or not at all)
   * @param user the calling process's memory
   * @throws UapiException {@code EINVAL} for length 0; {@code EOVERFLOW} if the range wraps; {@code
   *     ENOENT} if the access is detached; for each area in IOVA order {@code EINVAL} if it is
   *     being unmapped, {@code EPERM} if it is not mapped WRITEABLE, {@code EFAULT} if its memory
   *     is not accessible (in the process that mapped it, or, that process gone, not all pinned);
   *     {@code ENOENT} if the areas stop before the end
   */
  public void write(long iova, ByteBuffer src, UserAccess user) {
    synchronized (ctx.lock) {
      for (RwPiece p : rwPieces(iova, src.remaining(), true, user)) {
        ByteBuffer slice = src.duplicate();
        slice.limit(slice.position() + (int) p.piece().length());
        p.memory().write(p.piece().userVa(), slice);
        src.position(slice.limit());
      }
    }
  }

  /** A piece of an access's read or write, and the memory its bytes are moved through. */
  private record RwPiece(Piece piece, UserAccess memory) {}

  private List<RwPiece> rwPieces(long iova, int length, boolean write, UserAccess user) {
    List<RwPiece> out = new ArrayList<>();
    walk(
        iova,
        length,
        (p, done) -> {
          checkArea(p.area(), write);
          out.add(
              new RwPiece(
                  p, ctx.sourceMms.rwMemory(p.area(), p.userVa(), p.length(), user, ctx.pageSize)));
        });
    return out;
  }

  /**
   * Runs {@code action} under the context's lock, which the unmap callback also runs under: a
   * driver records what it pinned here, so that no unmap can come between its pin and its record
   * (the driver mutex of {@code iommufd_test_access_pages} in {@code
   * drivers/iommu/iommufd/selftest.c}).
   *
   * @param action what to run, typically {@link #pinPages} and the driver's bookkeeping
   */
  public void locked(Runnable action) {
    synchronized (ctx.lock) {
      action.run();
    }
  }

  /**
   * {@code iommufd_test_syz_conv_iova}: reads {@code iova} as syzkaller's {@code struct syz_layout}
   * (its low 32 bits the index of an area of the attached IOAS in IOVA order, its high 32 bits an
   * offset) and returns that area's IOVA plus the offset, or 0 if there is no such area or no IOAS.
   *
   * @param iova the packed area index and offset
   * @return the IOVA it names, or 0
   */
  public long syzIova(long iova) {
    synchronized (ctx.lock) {
      long nth = iova & 0xffff_ffffL;
      if (ioas != null) {
        for (Area a : ioas.areas.asMapOfRanges().values()) {
          if (nth-- == 0) {
            return a.iova() + (iova >>> 32);
          }
        }
      }
      return 0;
    }
  }

  // --- called by IommufdContext under its lock ---------------------------------------------------

  /**
   * {@code iommufd_access_notify_unmap} as {@code iopt_unmap_iova_range} uses it: while an access
   * pins a victim area, marks it {@code prevent_access} and calls every attached access's unmap
   * callback with the area's range; {@code EDEADLOCK} if it is still pinned after 101 rounds.
   */
  static void notifyUnmap(Ioas ioas, List<Area> victims) {
    for (Area a : victims) {
      for (int tries = 0; pinned(ioas, a); ) {
        ioas.preventAccess.add(a);
        for (IommufdAccess access : List.copyOf(ioas.accesses)) {
          access.unmap.unmap(a.iova(), a.length());
        }
        tries++;
        UapiException.check(
            tries <= NOTIFY_TRIES, Errno.EDEADLOCK, "an access does not unpin its pages");
      }
    }
  }

  private static boolean pinned(Ioas ioas, Area a) {
    for (Pin p : ioas.pins) {
      if (overlaps(p, a)) {
        return true;
      }
    }
    return false;
  }

  /** Whether pin {@code p} meets the IOVA range of {@code a}. */
  static boolean overlaps(Pin p, Area a) {
    return Long.compareUnsigned(p.iova(), a.last()) <= 0
        && Long.compareUnsigned(a.iova(), p.last()) <= 0;
  }

  /** Whether an access pins the user page {@code page} through {@code area} of {@code ioas}. */
  static boolean pins(Ioas ioas, Area area, long page) {
    for (Pin p : ioas.pins) {
      if (overlaps(p, area) && p.pages().contains(page)) {
        return true;
      }
    }
    return false;
  }

  /** Whether an access has pinned any page of {@code area} ({@code area->num_accesses != 0}). */
  static boolean pinsAny(Ioas ioas, Area area) {
    for (Pin p : ioas.pins) {
      if (overlaps(p, area)) {
        return true;
      }
    }
    return false;
  }
}
