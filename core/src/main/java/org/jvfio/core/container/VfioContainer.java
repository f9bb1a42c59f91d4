package org.jvfio.core.container;

import static org.jvfio.api.vfio.Vfio.VFIO_DMA_CC_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_ALL;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_UNMAP_FLAG_VADDR;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1v2_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_UNMAP_ALL;
import static org.jvfio.api.vfio.Vfio.VFIO_UPDATE_VADDR;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioBitmap;
import org.jvfio.api.vfio.VfioIommuType1DirtyBitmap;
import org.jvfio.api.vfio.VfioIommuType1DirtyBitmapGet;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.vfio.UserAccess;

/**
 * One open {@code /dev/vfio/vfio}: a VFIO container ({@code struct vfio_container}, {@code
 * drivers/vfio/container.c}) with the type1 IOMMU backend ({@code struct vfio_iommu}, {@code
 * drivers/vfio/vfio_iommu_type1.c}) once {@link #setIommu} has chosen it.
 *
 * <p><b>States.</b> No group (unprivileged: only {@link #checkExtension} and the API version);
 * groups attached ({@link VfioGroup#setContainer(VfioContainer)}); IOMMU set. Every IOMMU operation
 * before {@link #setIommu} fails with {@code EINVAL}, as the container answers ioctls it does not
 * pass to a driver. Removing the last group releases the backend (every mapping and all dirty
 * state) and returns the container to the unset state; there is no other way to unset it.
 *
 * <p><b>Dirty tracking.</b> Type1 reads no IOMMU dirty bit. While tracking, a page counts as dirty
 * when an emulated device pinned it (it stays dirty in every report while pinned), wrote it through
 * {@link GroupDevice#dmaRwWrite}, or when any attached group has never pinned a page (every
 * physical group): then every page of every IOMMU-mapped dma is reported dirty in every report.
 * Detaching such a group while tracking sets every bit once more. After each report a dma's bits
 * are refilled from its still-pinned pages; a plain unmap drops its unreported bits, {@link
 * #dirtyPagesStop} drops everyone's.
 *
 * <p>Each method models one ioctl on the struct the user passed, checks in the kernel's order and
 * throws {@link UapiException} with its errno; a refused call changes nothing, except where the
 * kernel itself stops half-way (an {@code EFAULT} while copying dirty bits).
 *
 * <p><b>Thread-safety.</b> Thread-safe: control-plane calls are serialised on the container (the
 * kernel's {@code group_lock} and {@code iommu->lock}); device DMA ({@link GroupDevice#dmaWrite})
 * runs concurrently from any thread.
 */
public final class VfioContainer {
  final Object lock = new Object();
  private final long pageSize;
  private final List<GuestMemory> memories;
  final DmaEngine engine;
  private final List<VfioGroup> groups = new ArrayList<>(); // guarded by lock
  private Type1Iommu iommu; // guarded by lock; null until SET_IOMMU

  private final boolean addressableLimit;

  private VfioContainer(long pageSize, boolean addressableLimit, List<GuestMemory> memories) {
    if (pageSize != 4096 && pageSize != 16384 && pageSize != 65536) {
      throw new IllegalArgumentException("PAGE_SIZE not 4, 16 or 64 KiB: " + pageSize);
    }
    this.pageSize = pageSize;
    this.addressableLimit = addressableLimit;
    this.memories = List.copyOf(memories);
    this.engine = new DmaEngine(this.memories, 1024);
  }

  /**
   * Opens a container on a host whose kernel's {@code PAGE_SIZE} is {@code pageSize} and whose
   * process owns {@code memories} (the guest RAM that {@code vaddr}s point into).
   *
   * @param pageSize the kernel's {@code PAGE_SIZE}: 4096, 16384 or 65536
   * @param memories the guest memories {@code vaddr}s may point into
   * @return a new container with no group and no IOMMU set
   * @throws IllegalArgumentException unless {@code pageSize} is 4, 16 or 64 KiB
   */
  public static VfioContainer create(long pageSize, GuestMemory... memories) {
    return new VfioContainer(pageSize, false, List.of(memories));
  }

  /**
   * Opens a container as {@link #create(long, GuestMemory...)}, with the checks of the 2025 series
   * "vfio/type1: handle DMA map/unmap up to the addressable limit" if {@code addressableLimit}: a
   * range that wraps past 2^64 is {@code EOVERFLOW} instead of {@code EINVAL}, and MAP_DMA and
   * GET_BITMAP refuse a zero size ({@code EINVAL}) before their other checks.
   *
   * @param pageSize the kernel's {@code PAGE_SIZE}: 4096, 16384 or 65536
   * @param addressableLimit whether the addressable-limit checks apply
   * @param memories the guest memories {@code vaddr}s may point into
   * @return a new container with no group and no IOMMU set
   * @throws IllegalArgumentException unless {@code pageSize} is 4, 16 or 64 KiB
   */
  public static VfioContainer create(
      long pageSize, boolean addressableLimit, GuestMemory... memories) {
    return new VfioContainer(pageSize, addressableLimit, List.of(memories));
  }

  /**
   * Opens a container on a 4 KiB-page host, as {@link #create(long, GuestMemory...)}.
   *
   * @param memories the guest memories {@code vaddr}s may point into
   * @return a new container with no group and no IOMMU set
   */
  public static VfioContainer create(GuestMemory... memories) {
    return create(4096, memories);
  }

  // --- container ioctls -----------------------------------------------------------------------

  /**
   * {@code VFIO_CHECK_EXTENSION}: without an IOMMU driver the answer of the first registered driver
   * that supports {@code extension} (type1: {@code TYPE1}, {@code TYPE1v2} and {@code UNMAP_ALL}
   * are 1, everything else 0; jvfio registers no no-IOMMU driver); with one, type1's answer for
   * this container: also {@code UPDATE_VADDR} (1 unless an emulated group is attached) and {@code
   * DMA_CC_IOMMU} (1: every jvfio domain enforces cache coherency).
   *
   * @param extension the extension number, unsigned
   * @return 1 if supported, else 0
   */
  public int checkExtension(long extension) {
    synchronized (lock) {
      if (extension == VFIO_TYPE1_IOMMU
          || extension == VFIO_TYPE1v2_IOMMU
          || extension == VFIO_UNMAP_ALL) {
        return 1;
      }
      if (iommu == null) {
        return 0;
      }
      if (extension == VFIO_UPDATE_VADDR) {
        return iommu.emulatedGroups.isEmpty() ? 1 : 0;
      }
      return extension == VFIO_DMA_CC_IOMMU ? 1 : 0;
    }
  }

  /**
   * {@code VFIO_SET_IOMMU}: opens the type1 backend of {@code type} and attaches every group of the
   * container to it ({@code vfio_ioctl_set_iommu}).
   *
   * @param type the IOMMU type, unsigned: {@code VFIO_TYPE1v2_IOMMU} (or {@code VFIO_TYPE1_IOMMU})
   * @throws UapiException {@code EINVAL} if no group is attached or an IOMMU is already set; {@code
   *     ENODEV} if no driver claims {@code type}; {@code EINVAL} for {@code VFIO_UNMAP_ALL}
   *     (claimed by type1, refused by its open); a group's attach errno ({@code EBUSY}, {@code
   *     EINVAL}, {@code EFAULT})
   */
  public void setIommu(long type) {
    synchronized (lock) {
      UapiException.check(
          !groups.isEmpty() && iommu == null, Errno.EINVAL, "no group, or an IOMMU is set");
      UapiException.check(
          type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU || type == VFIO_UNMAP_ALL,
          Errno.ENODEV,
          "no IOMMU driver claims type " + type);
      UapiException.check(type != VFIO_UNMAP_ALL, Errno.EINVAL, "type1 cannot open UNMAP_ALL");
      Type1Iommu fresh =
          new Type1Iommu(type == VFIO_TYPE1v2_IOMMU, addressableLimit, pageSize, memories);
      try {
        for (VfioGroup g : groups) {
          fresh.attachGroup(g);
        }
      } catch (UapiException e) {
        fresh.release();
        throw e;
      }
      iommu = fresh;
    }
  }

  /**
   * Returns whether {@link #setIommu} has succeeded (and the last group has not left since).
   *
   * @return true while a type1 IOMMU is set
   */
  public boolean isIommuSet() {
    synchronized (lock) {
      return iommu != null;
    }
  }

  /**
   * {@code VFIO_IOMMU_GET_INFO} ({@code vfio_iommu_type1_get_info}).
   *
   * @param argsz the user's {@code argsz}, unsigned
   * @return the page sizes and capabilities of {@code struct vfio_iommu_type1_info}
   * @throws UapiException {@code EINVAL} before {@link #setIommu} or if {@code argsz} is below 16
   */
  public Type1Info getInfo(int argsz) {
    synchronized (lock) {
      Type1Iommu t = requireIommu();
      UapiException.check(Integer.toUnsignedLong(argsz) >= 16, Errno.EINVAL, "argsz below 16");
      return new Type1Info(t.pgsizeBitmap, OptionalLong.of(t.pgsize()), t.dmaAvail, t.iovaRanges());
    }
  }

  /**
   * {@code VFIO_IOMMU_MAP_DMA}: maps {@code size} bytes at {@code vaddr} (an address in guest
   * memory) to {@code iova}, or with {@code VFIO_DMA_MAP_FLAG_VADDR} gives an invalidated dma its
   * new {@code vaddr}. Each map is its own dma (no merging); while tracking it starts clean.
   *
   * @param map the {@code struct vfio_iommu_type1_dma_map} read from the user
   * @throws UapiException in this order: {@code EINVAL} before {@link #setIommu}; {@code EINVAL}
   *     for {@code argsz} below 32 or an unknown flag; {@code EINVAL} for VADDR with READ/WRITE or
   *     for neither; {@code EINVAL} for size 0 or {@code size}, {@code iova} or {@code vaddr} not a
   *     multiple of the smallest IOMMU page; {@code EINVAL} if either range wraps (with the 2025
   *     checks of {@link #create(long, boolean, GuestMemory...)}, size 0 is {@code EINVAL} and a
   *     wrap {@code EOVERFLOW} before the flag checks); VADDR: {@code ENOENT} without an
   *     overlapping dma, {@code EINVAL} unless it is exactly one invalidated dma; otherwise {@code
   *     EEXIST} on overlap, {@code ENOSPC} after 65535 dmas, {@code EINVAL} outside the usable IOVA
   *     ranges, {@code EFAULT} for memory that cannot be pinned (with an IOMMU domain), {@code
   *     EINVAL} for a dma of more than {@code INT_MAX} pages while tracking
   */
  public void mapDma(VfioIommuType1DmaMap map) {
    synchronized (lock) {
      requireIommu().mapDma(map);
    }
  }

  /**
   * {@code VFIO_IOMMU_UNMAP_DMA}: unmaps every dma inside {@code [iova, iova + size)} (all of them
   * with {@code VFIO_DMA_UNMAP_FLAG_ALL}, or invalidates their {@code vaddr} with {@code
   * VFIO_DMA_UNMAP_FLAG_VADDR}) and returns the bytes unmapped, which the ioctl copies back in
   * {@code size}; 0 when nothing is mapped there is not an error. With {@code
   * VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP} the {@code struct vfio_bitmap} is read from {@code user}
   * at {@code bitmapAddr} ({@code data[]}, offset 24 of the argument) and each removed dma is
   * reported into the user bitmap relative to {@code iova} before it goes. Emulated devices are
   * told to unpin first.
   *
   * @param unmap the struct the user passed
   * @param user the process memory holding the bitmap struct and the bitmap
   * @param bitmapAddr the user address of the {@code struct vfio_bitmap}
   * @return the bytes unmapped
   * @throws UapiException in this order: {@code EINVAL} before {@link #setIommu}; {@code EINVAL}
   *     for {@code argsz} below 24 or an unknown flag, for GET_DIRTY_BITMAP with ALL or VADDR, for
   *     GET_DIRTY_BITMAP with {@code argsz} below 48; {@code EFAULT} if the bitmap struct cannot be
   *     read; {@code EINVAL} if the bitmap is beyond the user address space, its page size is 0 or
   *     its size does not fit ({@code verify_bitmap_size}); {@code EBUSY} for VADDR with an
   *     emulated group; {@code EINVAL} for an unaligned {@code iova}, ALL with a non-zero {@code
   *     iova} or {@code size}, a zero, unaligned or wrapping {@code size} (a wrap is {@code
   *     EOVERFLOW} with the 2025 checks), GET_DIRTY_BITMAP while not tracking or with a page size
   *     other than the smallest IOMMU page, a range that cuts a dma (v2), VADDR on an already
   *     invalidated dma; {@code EFAULT} copying dirty bits (the dmas before stay removed)
   */
  public long unmapDma(VfioIommuType1DmaUnmap unmap, UserAccess user, long bitmapAddr) {
    synchronized (lock) {
      Type1Iommu t = requireIommu();
      int flags = unmap.flags();
      int known =
          VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP
              | VFIO_DMA_UNMAP_FLAG_ALL
              | VFIO_DMA_UNMAP_FLAG_VADDR;
      long argsz = Integer.toUnsignedLong(unmap.argsz());
      UapiException.check(
          argsz >= VfioIommuType1DmaUnmap.SIZE && (flags & ~known) == 0,
          Errno.EINVAL,
          "argsz or flags");
      boolean dirty = (flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) != 0;
      UapiException.check(
          !dirty || (flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)) == 0,
          Errno.EINVAL,
          "GET_DIRTY_BITMAP with ALL or VADDR");
      VfioBitmap bitmap = null;
      if (dirty) {
        UapiException.check(
            argsz >= VfioIommuType1DmaUnmap.SIZE + VfioBitmap.SIZE,
            Errno.EINVAL,
            "argsz without the bitmap");
        bitmap = VfioBitmap.decode(user.read(bitmapAddr, VfioBitmap.SIZE));
        checkUserBitmap(bitmap, unmap.size());
      }
      return t.unmapDma(
          flags, unmap.iova(), unmap.size(), bitmap, dirty ? words(user, bitmap.data()) : null);
    }
  }

  /**
   * {@code VFIO_IOMMU_DIRTY_PAGES} ({@code vfio_iommu_type1_dirty_pages}) with its argument at
   * {@code arg} in {@code user}: START, STOP or GET_BITMAP. For GET_BITMAP the {@code struct
   * vfio_iommu_type1_dirty_bitmap_get} follows the 8-byte header and the range's dmas are reported
   * into its user bitmap: whole u64 words, the first word of each dma read, ORed and written back,
   * the bits of the last word above the dma's end written as zeros; a range without dmas leaves the
   * buffer alone. START and STOP are idempotent.
   *
   * @param user the process memory holding the argument and the bitmap
   * @param arg the user address of the {@code struct vfio_iommu_type1_dirty_bitmap}
   * @throws UapiException in this order: {@code EINVAL} before {@link #setIommu}; {@code EACCES}
   *     for a TYPE1 (v1) container; {@code EFAULT} if the header cannot be read; {@code EINVAL} for
   *     {@code argsz} below 8, unknown flags, or not exactly one flag; START: {@code EINVAL} for a
   *     dma of more than {@code INT_MAX} pages. GET_BITMAP: {@code EINVAL} for {@code argsz} below
   *     48; {@code EFAULT} if the range struct cannot be read; {@code EINVAL} if the range wraps
   *     (with the 2025 checks: {@code EINVAL} for size 0, then {@code EOVERFLOW} for a wrap), the
   *     bitmap lies beyond the user address space, its page size is 0 or its size does not fit, the
   *     page size is not the smallest IOMMU page, {@code iova} or {@code size} is unaligned or
   *     {@code size} is 0, tracking is off, or the range cuts a dma; {@code EFAULT} copying dirty
   *     bits
   */
  public void dirtyPages(UserAccess user, long arg) {
    synchronized (lock) {
      Type1Iommu t = requireV2();
      VfioIommuType1DirtyBitmap header =
          VfioIommuType1DirtyBitmap.decode(user.read(arg, VfioIommuType1DirtyBitmap.SIZE));
      int flags = header.flags();
      int known =
          VFIO_IOMMU_DIRTY_PAGES_FLAG_START
              | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP
              | VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
      long argsz = Integer.toUnsignedLong(header.argsz());
      UapiException.check(
          argsz >= VfioIommuType1DirtyBitmap.SIZE && (flags & ~known) == 0,
          Errno.EINVAL,
          "argsz or flags");
      UapiException.check(Integer.bitCount(flags) == 1, Errno.EINVAL, "not exactly one flag");
      if (flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
        t.startDirty();
      } else if (flags == VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
        t.stopDirty();
      } else {
        UapiException.check(
            argsz - VfioIommuType1DirtyBitmap.SIZE >= VfioIommuType1DirtyBitmapGet.SIZE,
            Errno.EINVAL,
            "argsz without the range");
        VfioIommuType1DirtyBitmapGet range =
            VfioIommuType1DirtyBitmapGet.decode(
                user.read(arg + VfioIommuType1DirtyBitmap.SIZE, VfioIommuType1DirtyBitmapGet.SIZE));
        getBitmap(t, range, words(user, range.bitmap().data()));
      }
    }
  }

  /**
   * START dirty tracking, as {@link #dirtyPages} with {@code VFIO_IOMMU_DIRTY_PAGES_FLAG_START}.
   */
  public void dirtyPagesStart() {
    synchronized (lock) {
      requireV2().startDirty();
    }
  }

  /** STOP dirty tracking, as {@link #dirtyPages} with {@code VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP}. */
  public void dirtyPagesStop() {
    synchronized (lock) {
      requireV2().stopDirty();
    }
  }

  /**
   * GET_BITMAP into {@code words} instead of user memory, with every check of {@link #dirtyPages}
   * (the bitmap's {@code data} is taken to be a valid user address): the words the kernel would
   * read and write are those of {@code words}, which must hold {@code size} bytes of bitmap.
   *
   * @param iova the first IOVA of the range, a multiple of {@code pgsize}
   * @param size the bytes of the range, a multiple of {@code pgsize}
   * @param words the bitmap, one bit per {@code pgsize} page, bit 0 of word 0 for {@code iova}
   * @param pgsize the bitmap's page size: the smallest IOMMU page
   * @throws UapiException as {@link #dirtyPages}; {@code EFAULT} if {@code words} is too short
   */
  public void dirtyPagesGetBitmap(long iova, long size, long pgsize, long[] words) {
    synchronized (lock) {
      Type1Iommu t = requireV2();
      VfioBitmap bitmap = new VfioBitmap(pgsize, (long) words.length * 8, 0x1000);
      getBitmap(t, new VfioIommuType1DirtyBitmapGet(iova, size, bitmap), arrayWords(words));
    }
  }

  /**
   * Returns whether dirty tracking is started.
   *
   * @return true between {@code VFIO_IOMMU_DIRTY_PAGES_FLAG_START} and {@code _STOP} while the
   *     IOMMU is set
   */
  public boolean isDirtyTracking() {
    synchronized (lock) {
      return iommu != null && iommu.dirtyTracking;
    }
  }

  private void getBitmap(Type1Iommu t, VfioIommuType1DirtyBitmapGet range, DirtyBitmaps.Words w) {
    t.checkBitmapRange(range.iova(), range.size());
    checkUserBitmap(range.bitmap(), range.size());
    long pgsize = t.pgsize();
    UapiException.check(
        range.bitmap().pgsize() == pgsize, Errno.EINVAL, "not the smallest IOMMU page");
    UapiException.check((range.iova() & (pgsize - 1)) == 0, Errno.EINVAL, "iova unaligned");
    UapiException.check(
        range.size() != 0 && (range.size() & (pgsize - 1)) == 0, Errno.EINVAL, "size");
    UapiException.check(t.dirtyTracking, Errno.EINVAL, "dirty tracking not started");
    t.reportDirty(range.iova(), range.size(), pgsize, w);
  }

  /** {@code access_ok} and {@code verify_bitmap_size} of a user bitmap for {@code size} bytes. */
  private static void checkUserBitmap(VfioBitmap bitmap, long size) {
    UapiException.check(
        UserAccess.accessOk(bitmap.data(), bitmap.size()), Errno.EINVAL, "bitmap not user");
    // __ffs(0) is undefined; the later page-size check fails such a call with EINVAL anyway
    UapiException.check(bitmap.pgsize() != 0, Errno.EINVAL, "bitmap pgsize 0");
    DirtyBitmaps.verifySize(size >>> Long.numberOfTrailingZeros(bitmap.pgsize()), bitmap.size());
  }

  private static DirtyBitmaps.Words words(UserAccess user, long data) {
    return new DirtyBitmaps.Words() {
      @Override
      public long read(long index) {
        return user.read(data + index * 8, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
      }

      @Override
      public void write(long index, long[] src, int count) {
        ByteBuffer buf = ByteBuffer.allocate(count * 8).order(ByteOrder.LITTLE_ENDIAN);
        buf.asLongBuffer().put(src, 0, count);
        user.write(data + index * 8, buf);
      }
    };
  }

  private static DirtyBitmaps.Words arrayWords(long[] words) {
    return new DirtyBitmaps.Words() {
      @Override
      public long read(long index) {
        UapiException.check(index < words.length, Errno.EFAULT, "beyond the bitmap");
        return words[(int) index];
      }

      @Override
      public void write(long index, long[] src, int count) {
        UapiException.check(index + count <= words.length, Errno.EFAULT, "beyond the bitmap");
        System.arraycopy(src, 0, words, (int) index, count);
      }
    };
  }

  // --- groups (called by VfioGroup under its own monitor) -------------------------------------

  /** {@code vfio_container_attach_group}: the type1 attach runs now if the IOMMU is set. */
  void attachGroup(VfioGroup group) {
    synchronized (lock) {
      if (iommu != null) {
        iommu.attachGroup(group);
      }
      groups.add(group);
    }
  }

  /** {@code vfio_group_detach_container}: the last group out releases the backend. */
  void detachGroup(VfioGroup group) {
    synchronized (lock) {
      if (iommu != null) {
        iommu.detachGroup(group);
      }
      groups.remove(group);
      if (groups.isEmpty() && iommu != null) {
        iommu.release();
        iommu = null;
      }
    }
  }

  /** The backend of a TYPE1v2 container: EINVAL before SET_IOMMU, EACCES for TYPE1. */
  private Type1Iommu requireV2() {
    Type1Iommu t = requireIommu();
    UapiException.check(t.v2, Errno.EACCES, "dirty pages need TYPE1v2");
    return t;
  }

  /** The backend, for group devices; EINVAL before SET_IOMMU. Call under {@link #lock}. */
  Type1Iommu requireIommu() {
    UapiException.check(iommu != null, Errno.EINVAL, "no IOMMU set (VFIO_SET_IOMMU)");
    return iommu;
  }

  /** The backend or null. Call under {@link #lock}. */
  Type1Iommu iommu() {
    return iommu;
  }

  long pageSize() {
    return pageSize;
  }
}
