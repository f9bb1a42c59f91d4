package org.jvfio.core.container;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_FIXED_IOVA;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_READABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_MAP_WRITEABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_HUGE_PAGES;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_GET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_OPTION_OP_SET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_GET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_CC_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_ALL;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1v2_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_UNMAP_ALL;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.function.LongConsumer;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuVfioIoas;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.api.vfio.VfioIovaRange;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.iommufd.IovaRange;
import org.jvfio.core.iommufd.IovaRanges;
import org.jvfio.core.spi.IommuDriver;

/**
 * iommufd's emulation of the VFIO type1 container ({@code drivers/iommu/iommufd/vfio_compat.c}):
 * the container ioctls answered by an iommufd context, on {@code /dev/iommu} and on {@code
 * /dev/vfio/vfio} when iommufd provides it ({@code CONFIG_IOMMUFD_VFIO_CONTAINER}).
 *
 * <p>The compatibility IOAS is the context's {@link IommufdContext#vfioCompatIoas}: the first
 * {@code VFIO_GROUP_SET_CONTAINER} with the iommufd creates one if there is none ({@link
 * VfioGroup#setContainer(IommufdVfioCompat)}), and {@code IOMMU_VFIO_IOAS} ({@link #vfioIoas})
 * reads, sets or clears it; every type1 ioctl looks it up anew, so one that {@code
 * IOMMU_VFIO_IOAS_SET} chose is used from the next call on. MAP and UNMAP work on it as soon as it
 * exists, without {@code VFIO_SET_IOMMU}. Differences from type1, modelled: {@code
 * VFIO_IOMMU_DIRTY_PAGES} is unknown ({@code ENOTTY} at the ioctl), {@code GET_DIRTY_BITMAP} and
 * {@code VADDR} are unknown flags ({@code EINVAL}), {@code GET_INFO} has no migration capability
 * and reports {@code U32_MAX} mappings available, {@code SET_IOMMU} answers {@code EINVAL} for a
 * type it does not know and {@code ENODEV} before the IOAS exists (type1's errnos are the other way
 * round) and may be repeated, and unmaps follow the IOAS rules (a range cutting a mapping is {@code
 * ENOENT}) unless the IOAS has huge pages off (after {@code SET_IOMMU} TYPE1), when the unmap
 * range's ends are cut first. Not modelled: the no-IOMMU mode.
 *
 * <p><b>Thread-safety.</b> Thread-safe: each call looks the compatibility IOAS up once and then
 * acts on it by id, each step serialised on the context. (The kernel holds a reference on the IOAS
 * for the whole call; here an {@code IOMMU_DESTROY} of it from another thread in between makes the
 * call fail with {@code ENOENT}.)
 */
public final class IommufdVfioCompat {
  private final IommufdContext ctx;
  private final long pageSize;

  private IommufdVfioCompat(IommufdContext ctx, long pageSize) {
    this.ctx = ctx;
    this.pageSize = pageSize;
  }

  /**
   * Returns the compatibility layer of {@code ctx}, on a host whose PAGE_SIZE is {@code pageSize}.
   *
   * @param ctx the iommufd context opened as {@code /dev/vfio/vfio}
   * @param pageSize the kernel's {@code PAGE_SIZE} in bytes
   * @return a new layer over {@code ctx}
   */
  public static IommufdVfioCompat of(IommufdContext ctx, long pageSize) {
    return new IommufdVfioCompat(ctx, pageSize);
  }

  /**
   * Returns the iommufd context.
   *
   * @return the context the layer serves
   */
  public IommufdContext context() {
    return ctx;
  }

  /**
   * {@code IOMMU_VFIO_IOAS} ({@code iommufd_vfio_ioas}): reads, sets or clears the compatibility
   * IOAS. Only GET has a reply; CLEAR forgets the IOAS without destroying it and always succeeds.
   *
   * @param cmd the {@code struct iommu_vfio_ioas} read from the user
   * @return the compatibility IOAS id for GET (the reply's {@code ioas_id}), 0 for SET and CLEAR
   * @throws UapiException in the kernel's order: {@code EOPNOTSUPP} for a non-zero {@code
   *     __reserved}; GET: {@code ENODEV} without a compatibility IOAS; SET: {@code ENOENT} unless
   *     {@code ioas_id} is an IOAS; {@code EOPNOTSUPP} for any other {@code op}
   */
  public int vfioIoas(IommuVfioIoas cmd) {
    UapiException.check(cmd.reserved() == 0, Errno.EOPNOTSUPP, "__reserved");
    switch (cmd.op()) {
      case IOMMU_VFIO_IOAS_GET:
        return ctx.vfioCompatIoas();
      case IOMMU_VFIO_IOAS_SET:
        ctx.setVfioCompatIoas(cmd.ioasId());
        return 0;
      case IOMMU_VFIO_IOAS_CLEAR:
        ctx.clearVfioCompatIoas();
        return 0;
      default:
        throw new UapiException(Errno.EOPNOTSUPP, "IOMMU_VFIO_IOAS op " + cmd.op());
    }
  }

  /** {@code iommufd_vfio_compat_ioas_create}: keeps the IOAS or allocates one. */
  void ioasCreate() {
    ctx.vfioCompatIoasCreate();
  }

  /** Binds a physical device and attaches it to the IOAS; 0 for an emulated one (no IOMMU). */
  int bindAndAttach(IommuDriver iommu, DmaWriteListener tracker) {
    if (iommu == null) {
      return 0;
    }
    int ioas = ctx.vfioCompatIoas();
    int devId = ctx.bindDevice(iommu, tracker);
    try {
      ctx.attach(devId, ioas);
    } catch (UapiException e) {
      ctx.unbindDevice(devId);
      throw e;
    }
    return devId;
  }

  void unbind(int devId) {
    if (devId != 0) {
      ctx.unbindDevice(devId);
    }
  }

  /**
   * {@code iommufd_vfio_check_extension}: TYPE1, TYPE1v2 and UNMAP_ALL are 1; DMA_CC_IOMMU needs
   * the IOAS (1: jvfio's domains enforce coherency); everything else, including UPDATE_VADDR and
   * nesting, is 0.
   *
   * @param type the {@code VFIO_CHECK_EXTENSION} argument, e.g. {@code VFIO_TYPE1v2_IOMMU}
   * @return 1 if supported, 0 if not
   * @throws UapiException {@code ENODEV} for DMA_CC_IOMMU before the IOAS exists
   */
  public int checkExtension(long type) {
    if (type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU || type == VFIO_UNMAP_ALL) {
      return 1;
    }
    if (type == VFIO_DMA_CC_IOMMU) {
      ctx.vfioCompatIoas();
      return 1;
    }
    return 0;
  }

  /**
   * {@code iommufd_vfio_set_iommu}: accepts TYPE1 and TYPE1v2 once the IOAS exists, any number of
   * times. TYPE1 turns the IOAS's huge pages off ({@code iopt_disable_large_pages}, as {@code
   * IOMMU_OPTION_HUGE_PAGES} 0 does), so that every mapping is made of PAGE_SIZE IOPTEs that an
   * unmap can cut; TYPE1v2 leaves them as they are.
   *
   * @param type the {@code VFIO_SET_IOMMU} argument
   * @throws UapiException {@code EINVAL} for any other type; {@code ENODEV} without the IOAS; for
   *     TYPE1, {@code EINVAL} if the IOAS has a domain and a mapping and {@code EADDRINUSE} if a
   *     mapping is not PAGE_SIZE aligned (unless huge pages are off already)
   */
  public void setIommu(long type) {
    UapiException.check(
        type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU, Errno.EINVAL, "not TYPE1");
    int ioas = ctx.vfioCompatIoas();
    if (type == VFIO_TYPE1_IOMMU) {
      ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_SET, 0, ioas, 0);
    }
  }

  /**
   * {@code iommufd_vfio_iommu_get_info}: the domains' page sizes (sub-PAGE_SIZE hidden as type1
   * does, then at least the IOAS alignment), DMA_AVAIL {@code U32_MAX} and the IOAS's usable
   * ranges; no migration capability.
   *
   * @param argsz the user's {@code argsz}, unsigned
   * @return the page sizes, DMA_AVAIL and IOVA ranges, with no migration capability
   * @throws UapiException {@code EINVAL} if {@code argsz} is below 16; {@code ENODEV} without the
   *     IOAS
   */
  public Type1Info getInfo(int argsz) {
    UapiException.check(Integer.toUnsignedLong(argsz) >= 16, Errno.EINVAL, "argsz below 16");
    int ioas = ctx.vfioCompatIoas();
    long bitmap = ctx.ioasPageSizes(ioas);
    if ((bitmap & (pageSize - 1)) != 0) {
      bitmap = (bitmap & -pageSize) | pageSize;
    }
    IovaRanges ranges = ctx.ioasIovaRanges(ioas, 0);
    bitmap =
        Long.compareUnsigned(bitmap, ranges.iovaAlignment()) >= 0 ? bitmap : ranges.iovaAlignment();
    List<VfioIovaRange> out = new ArrayList<>();
    for (IovaRange r : ranges.ranges()) {
      out.add(new VfioIovaRange(r.start(), r.last()));
    }
    return new Type1Info(bitmap, OptionalLong.empty(), -1, out);
  }

  /**
   * {@code iommufd_vfio_map_dma}: a fixed-IOVA map of the IOAS with the IOAS's rules.
   *
   * @param map the {@code struct vfio_iommu_type1_dma_map} read from the user
   * @throws UapiException {@code EINVAL} for {@code argsz} below 32 or a flag other than READ and
   *     WRITE (VADDR included); {@code ENODEV} without the IOAS; then as {@link
   *     IommufdContext#ioasMap} ({@code EINVAL} without READ and WRITE, {@code EEXIST}, ...)
   */
  public void mapDma(VfioIommuType1DmaMap map) {
    UapiException.check(
        Integer.toUnsignedLong(map.argsz()) >= VfioIommuType1DmaMap.SIZE
            && (map.flags() & ~(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)) == 0,
        Errno.EINVAL,
        "argsz or flags");
    int ioas = ctx.vfioCompatIoas();
    int flags =
        IOMMU_IOAS_MAP_FIXED_IOVA
            | ((map.flags() & VFIO_DMA_MAP_FLAG_READ) != 0 ? IOMMU_IOAS_MAP_READABLE : 0)
            | ((map.flags() & VFIO_DMA_MAP_FLAG_WRITE) != 0 ? IOMMU_IOAS_MAP_WRITEABLE : 0);
    ctx.ioasMap(ioas, IoasMap.of(flags, map.vaddr(), map.size(), map.iova()));
  }

  /**
   * {@code iommufd_vfio_unmap_dma}: unmaps with the IOAS's rules and gives {@code copyBack} the
   * bytes unmapped, as the kernel copies them to {@code size}: once the unmap itself has run, also
   * when it fails (0 then), and not when an earlier check fails. With the IOAS's huge pages off
   * (TYPE1) the areas are first cut after {@code iova + size - 1} and, unless {@code iova} is 0,
   * after {@code iova - 1} ({@link IommufdContext#ioasCutIova}), so that a range inside a mapping
   * unmaps; the cuts stay when the unmap then fails.
   *
   * @param unmap the {@code struct vfio_iommu_type1_dma_unmap} read from the user
   * @param copyBack writes the unmapped byte count to the user's {@code size}; what it throws (the
   *     copy's {@code EFAULT}) replaces the unmap's result
   * @return the bytes unmapped
   * @throws UapiException {@code EINVAL} for {@code argsz} below 24 or a flag other than ALL
   *     (GET_DIRTY_BITMAP and VADDR included); {@code ENODEV} without the IOAS; {@code EINVAL} for
   *     ALL with a non-zero {@code iova} or {@code size}; then as {@link
   *     IommufdContext#ioasCutIova} and {@link IommufdContext#ioasUnmap}
   */
  public long unmapDma(VfioIommuType1DmaUnmap unmap, LongConsumer copyBack) {
    UapiException.check(
        Integer.toUnsignedLong(unmap.argsz()) >= VfioIommuType1DmaUnmap.SIZE
            && (unmap.flags() & ~VFIO_DMA_UNMAP_FLAG_ALL) == 0,
        Errno.EINVAL,
        "argsz or flags");
    int ioas = ctx.vfioCompatIoas();
    boolean all = (unmap.flags() & VFIO_DMA_UNMAP_FLAG_ALL) != 0;
    if (all) {
      UapiException.check(
          unmap.iova() == 0 && unmap.size() == 0, Errno.EINVAL, "ALL with iova or size");
    } else if (ctx.option(IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET, 0, ioas, 0) == 0) {
      long last = unmap.iova() + unmap.size() - 1;
      if (unmap.iova() != 0) {
        ctx.ioasCutIova(ioas, last, unmap.iova() - 1);
      } else {
        ctx.ioasCutIova(ioas, last);
      }
    }
    long unmapped = 0;
    try {
      unmapped =
          all ? ctx.ioasUnmap(ioas, 0, -1L) : ctx.ioasUnmap(ioas, unmap.iova(), unmap.size());
    } finally {
      copyBack.accept(unmapped);
    }
    return unmapped;
  }
}
