package org.jvfio.core.kernel;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.IoPageFault;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.vfio.VfioDevice;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * A fake Linux kernel with a syscall-shaped surface: an fd table, {@link #open}, {@link #close},
 * {@link #ioctl}, {@link #read} and {@link #write} returning what the system call returns (a value
 * {@code >= 0}, or {@code -errno}), over byte-exact structs in the calling process's {@link
 * UserMemory}. A VMM prototype programs against it as against the kernel, and the kernel's own
 * selftests port to it almost line for line (docs/architecture.md, "The front doors").
 *
 * <p><b>Files.</b>
 *
 * <ul>
 *   <li>{@value #IOMMU_PATH}: each open is a new iommufd context ({@link IommufdContext}) over the
 *       kernel's guest memories, with the IOAS, HWPT and dirty-tracking operations of {@code
 *       include/uapi/linux/iommufd.h}. The size rules are the kernel's ({@code
 *       iommufd_fops_ioctl()} and {@code copy_struct_from_user()}): a {@code size} below the
 *       command's minimum is {@code EINVAL}, a larger struct with a non-zero tail {@code E2BIG}, a
 *       shorter one is zero-extended, and the reply is copied back in {@code min(user size, kernel
 *       size)} bytes; an unknown or unmodelled request (the VFIO type1 compatibility ioctls,
 *       OPTION, VFIO_IOAS, vIOMMU objects, ...) is {@code ENOTTY}. Dirty bitmaps are ORed into user
 *       memory at {@code data} byte by byte (no alignment needed); a bitmap the kernel could not
 *       pin makes the call succeed with nothing harvested (docs/fidelity.md, "Silent successes of
 *       GET_DIRTY_BITMAP"; see {@code IOMMU_HWPT_GET_DIRTY_BITMAP} below).
 *   <li>{@value #VFIO_DEVICE_PATH_PREFIX}{@code N}: the cdev of the N-th device installed by the
 *       builder. {@code VFIO_DEVICE_BIND_IOMMUFD} (its {@code iommufd} is an fd number of this
 *       kernel) must come first: every other ioctl, read and write before it is {@code EINVAL}.
 *       Then {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT} and {@code DETACH} (PASID: {@code EOPNOTSUPP}),
 *       {@code VFIO_DEVICE_FEATURE} with the migration and DMA-logging features of {@code
 *       include/uapi/linux/vfio.h} ({@code argsz} checks, PROBE, payload at {@code data}, user
 *       pointers followed into user memory) and {@code VFIO_DEVICE_RESET}. Several files may be
 *       open on one cdev but only one can bind it. Closing the bound file resets the device (its
 *       migration session ends, its DMA logging stops) and unbinds it from the iommufd.
 *   <li>A migration {@code data_fd}, installed as a new fd by a {@code MIG_DEVICE_STATE} SET whose
 *       last arc starts a data transfer: {@code read} (saving) or {@code write} (resuming), at most
 *       1 MiB per call, {@code ENOMSG} at the pre-copy temporary end, 0 at the end of STOP_COPY,
 *       and {@code VFIO_MIG_GET_PRECOPY_INFO} on a saving stream. Closing it does not affect the
 *       device.
 * </ul>
 *
 * <p>File descriptors are the lowest free numbers from 3 (0–2 stand for the standard streams and
 * are never open here). A bad fd is {@code EBADF}; an unknown path {@code ENOENT}. An iommufd
 * context lives while its fd is open or a device is bound to it, as the kernel's file reference
 * does: closing {@value #IOMMU_PATH} with a bound device leaves the device attached and working.
 *
 * <p><b>Memory.</b> {@link #userMemory()} holds the buffers that ioctl arguments point to (structs,
 * range arrays, bitmaps, migration data); any access outside one of its allocations is {@code
 * EFAULT}, as {@code copy_from_user}/{@code copy_to_user}. Guest RAM is separate: {@link
 * GuestMemory} regions created by the builder at user virtual addresses from {@link
 * #GUEST_MEMORY_BASE} (below {@link UserMemory#BASE}, so the two never collide), which {@code
 * IOMMU_IOAS_MAP}'s {@code user_va} must point into and which device DMA writes.
 *
 * <p><b>Hardware hooks.</b> {@link #dmaWrite} and {@link #dmaRead} make a device DMA through its
 * IOMMU (translation, permission checks, A/D bits, its own DMA-logging tracker); {@link
 * #ioPageFaults} lists the faults it took. A device that is not bound reaches nothing: every page
 * faults (and is not recorded).
 *
 * <p><b>Thread-safety.</b> Thread-safe. The fd table is synchronised; a call on an fd runs outside
 * it, serialised where the kernel serialises (the iommufd context's lock, the device set lock of a
 * cdev for bind/attach/detach/close, the device's lock for features and its data streams). The DMA
 * hooks may run from many threads at once, concurrently with everything else. A call that looked up
 * an fd before another thread closed it completes against the closed file.
 */
public final class FakeKernel {
  /** The path of the iommufd character device. */
  public static final String IOMMU_PATH = "/dev/iommu";

  /** The path of VFIO device cdev {@code N} is this prefix followed by {@code N}. */
  public static final String VFIO_DEVICE_PATH_PREFIX = "/dev/vfio/devices/vfio";

  /**
   * The user virtual address of the first guest memory, 0x2000_0000_0000: guest memories are laid
   * out upwards from here, each 1 GiB-aligned with a 1 GiB gap, below {@link UserMemory#BASE}.
   */
  public static final long GUEST_MEMORY_BASE = 0x2000_0000_0000L;

  private static final long GUEST_ALIGN = 1L << 30;
  private static final int FIRST_FD = 3;

  private final long pageSize; // the kernel's PAGE_SIZE
  private final UserMemory memory = new UserMemory();
  private final ImmutableList<GuestMemory> guestMemories;
  private final ImmutableList<Cdev> cdevs;
  private final Map<String, Cdev> cdevsByPath = new HashMap<>();
  private final TreeMap<Integer, OpenFile> files = new TreeMap<>(); // guarded by itself

  private FakeKernel(long pageSize, List<GuestMemory> guestMemories, List<Cdev> cdevs) {
    this.pageSize = pageSize;
    this.guestMemories = ImmutableList.copyOf(guestMemories);
    this.cdevs = ImmutableList.copyOf(cdevs);
    for (Cdev c : cdevs) {
      cdevsByPath.put(c.path(), c);
    }
  }

  /**
   * Returns a builder of a kernel with no IOMMU, no device and no guest memory.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the path of VFIO device cdev {@code index}: {@code /dev/vfio/devices/vfio<index>}.
   *
   * @param index the device's index, from 0
   * @return the cdev path, e.g. {@code /dev/vfio/devices/vfio0}
   */
  public static String devicePath(int index) {
    return VFIO_DEVICE_PATH_PREFIX + index;
  }

  // --- system calls -----------------------------------------------------------------------------

  /**
   * {@code open(path, O_RDWR)}: opens {@value #IOMMU_PATH} (a new iommufd context) or a VFIO device
   * cdev and returns the new fd, or {@code -ENOENT} for any other path.
   *
   * @param path the path to open
   * @return a new file descriptor (3 or more), or {@code -ENOENT}
   */
  public int open(String path) {
    OpenFile file;
    if (IOMMU_PATH.equals(path)) {
      file =
          new IommuFile(
              IommufdContext.create(pageSize, guestMemories.toArray(new GuestMemory[0])), memory);
    } else {
      Cdev cdev = cdevsByPath.get(path);
      if (cdev == null) {
        return -Errno.ENOENT.code();
      }
      file = new DeviceFile(this, cdev, memory);
    }
    return install(file);
  }

  /**
   * {@code close(fd)}: removes the fd and releases its file (see the class comment); returns 0, or
   * {@code -EBADF}.
   *
   * @param fd a file descriptor from {@link #open} or a data fd
   * @return 0, or {@code -EBADF}
   */
  public int close(int fd) {
    OpenFile file;
    synchronized (files) {
      file = files.remove(fd);
    }
    if (file == null) {
      return -Errno.EBADF.code();
    }
    file.release();
    return 0;
  }

  /**
   * {@code ioctl(fd, request, arg)}: {@code arg} is the user address of the request's struct.
   * Returns 0 (or the request's non-negative result) or {@code -errno}: {@code EBADF} for a bad fd,
   * {@code ENOTTY} for a request the file does not know, the request's errnos otherwise.
   *
   * @param fd a file descriptor
   * @param request the ioctl number, e.g. {@code IOMMU_IOAS_ALLOC}
   * @param arg the user address of the request's struct in {@link #userMemory()}
   * @return 0 or the request's non-negative result, or {@code -errno}
   */
  public int ioctl(int fd, int request, long arg) {
    OpenFile file = lookup(fd);
    if (file == null) {
      return -Errno.EBADF.code();
    }
    try {
      return file.ioctl(request, arg);
    } catch (UapiException e) {
      return -e.errno().code();
    }
  }

  /**
   * {@code read(fd, addr, count)}: reads into user memory at {@code addr}; {@code count} is
   * unsigned. Returns the bytes read (0 at end of stream) or {@code -errno}: {@code EBADF} for a
   * bad fd or a resuming data fd, {@code EFAULT} for a bad buffer, {@code EINVAL} for a file that
   * cannot be read, {@code ENOMSG} at the pre-copy temporary end of a saving stream, {@code ENODEV}
   * once its session has ended.
   *
   * @param fd a file descriptor
   * @param addr the user address of the buffer to fill
   * @param count the bytes to read (unsigned)
   * @return the bytes read (0 at the end of a stream), or {@code -errno}
   */
  public long read(int fd, long addr, long count) {
    OpenFile file = lookup(fd);
    if (file == null) {
      return -Errno.EBADF.code();
    }
    try {
      return file.read(addr, count);
    } catch (UapiException e) {
      return -e.errno().code();
    }
  }

  /**
   * {@code write(fd, addr, count)}: writes from user memory at {@code addr}; {@code count} is
   * unsigned. Returns the bytes written or {@code -errno}: {@code EBADF} for a bad fd or a saving
   * data fd, {@code EFAULT} for a bad buffer, {@code EINVAL} for a file that cannot be written,
   * {@code ENODEV} once the session has ended, the driver's errno.
   *
   * @param fd a file descriptor
   * @param addr the user address of the bytes to write
   * @param count the bytes to write (unsigned)
   * @return the bytes written, or {@code -errno}
   */
  public long write(int fd, long addr, long count) {
    OpenFile file = lookup(fd);
    if (file == null) {
      return -Errno.EBADF.code();
    }
    try {
      return file.write(addr, count);
    } catch (UapiException e) {
      return -e.errno().code();
    }
  }

  // --- memory and devices -----------------------------------------------------------------------

  /**
   * Returns the calling process's memory, where ioctl arguments and buffers live.
   *
   * @return the user memory shared by every fd of this kernel
   */
  public UserMemory userMemory() {
    return memory;
  }

  /**
   * Returns the guest memories, in the order the builder created them.
   *
   * @return the guest memories, in creation order
   */
  public List<GuestMemory> guestMemories() {
    return guestMemories;
  }

  /**
   * Returns guest memory {@code index}.
   *
   * @param index the memory's index, from 0
   * @return the guest memory
   * @throws IndexOutOfBoundsException if there is no such memory
   */
  public GuestMemory guestMemory(int index) {
    return guestMemories.get(index);
  }

  /**
   * Returns the number of VFIO devices; their cdevs are {@code vfio0} to {@code vfio<n-1>}.
   *
   * @return the number of devices installed by the builder
   */
  public int deviceCount() {
    return cdevs.size();
  }

  /**
   * Returns the model of device {@code index}, for inspection (state, tracker) by tests and tools.
   *
   * @param index the device's index, from 0
   * @return the device model
   * @throws IndexOutOfBoundsException if there is no such device
   */
  public VfioDevice device(int index) {
    return cdevs.get(index).device;
  }

  // --- hardware hooks ---------------------------------------------------------------------------

  /**
   * Makes device {@code index} write {@code [iova, iova + length)} by DMA through its IOMMU (see
   * {@link org.jvfio.core.hw.DmaEngine}): translated pages are written in guest memory, dirty
   * tracking and the device's DMA-logging tracker record them, the rest fault. A device not bound
   * to an iommufd, or bound and not attached, faults on every page. Safe from any thread.
   *
   * @param index the device's index, from 0
   * @param iova the first IOVA written
   * @param length the bytes written (positive)
   * @return the bytes written and the number of 4 KiB pages that faulted
   * @throws IndexOutOfBoundsException if there is no such device
   * @throws IllegalArgumentException if {@code length} is not positive or the range wraps
   */
  public DmaResult dmaWrite(int index, long iova, long length) {
    Cdev.Binding b = binding(index, iova, length);
    return b == null ? blocked(iova, length) : b.ctx().dmaWrite(b.devId(), iova, length);
  }

  /**
   * Makes device {@code index} read {@code [iova, iova + length)} by DMA (permission checks only),
   * as {@link #dmaWrite}. Safe from any thread.
   *
   * @param index the device's index, from 0
   * @param iova the first IOVA read
   * @param length the bytes read (positive)
   * @return the bytes read and the number of 4 KiB pages that faulted
   * @throws IndexOutOfBoundsException if there is no such device
   * @throws IllegalArgumentException if {@code length} is not positive or the range wraps
   */
  public DmaResult dmaRead(int index, long iova, long length) {
    Cdev.Binding b = binding(index, iova, length);
    return b == null ? blocked(iova, length) : b.ctx().dmaRead(b.devId(), iova, length);
  }

  /**
   * Returns the most recent IO page faults of device {@code index} in the iommufd it is bound to
   * (empty if it is not bound), oldest first.
   *
   * @param index the device's index, from 0
   * @return the device's recent faults, oldest first
   * @throws IndexOutOfBoundsException if there is no such device
   */
  public List<IoPageFault> ioPageFaults(int index) {
    Cdev.Binding b = cdevs.get(index).binding;
    if (b == null) {
      return List.of();
    }
    List<IoPageFault> out = new ArrayList<>();
    for (IoPageFault f : b.ctx().ioPageFaults()) {
      if (f.deviceId() == b.devId()) {
        out.add(f);
      }
    }
    return out;
  }

  private Cdev.Binding binding(int index, long iova, long length) {
    Preconditions.checkArgument(
        length > 0 && Long.compareUnsigned(iova + length - 1, iova) >= 0, "bad DMA range");
    return cdevs.get(index).binding;
  }

  private static DmaResult blocked(long iova, long length) {
    long pages = ((iova + length - 1) >>> 12) - (iova >>> 12) + 1;
    return new DmaResult(0, (int) Math.min(pages, Integer.MAX_VALUE));
  }

  // --- the fd table -----------------------------------------------------------------------------

  private OpenFile lookup(int fd) {
    synchronized (files) {
      return files.get(fd);
    }
  }

  /** Returns the file open as {@code fd} ({@code EBADF} if none): {@code fget}. */
  OpenFile file(int fd) {
    OpenFile file = lookup(fd);
    UapiException.check(file != null, Errno.EBADF, "fd " + fd + " is not open");
    return file;
  }

  /** Installs {@code file} at the lowest free fd and returns it. */
  int install(OpenFile file) {
    synchronized (files) {
      int fd = FIRST_FD;
      for (int used : files.keySet()) {
        if (used != fd) {
          break;
        }
        fd++;
      }
      files.put(fd, file);
      return fd;
    }
  }

  /** Removes {@code fd} if it still holds {@code file} and releases the file. */
  void uninstall(int fd, OpenFile file) {
    synchronized (files) {
      files.remove(fd, file);
    }
    file.release();
  }

  /**
   * A builder of a {@link FakeKernel}: guest memories, IOMMUs and the VFIO devices behind them.
   * Device {@code N} (counting from 0 in the order of the {@code device} calls) appears as {@code
   * /dev/vfio/devices/vfioN}. Not thread-safe.
   */
  public static final class Builder {
    private final List<GuestMemory> memories = new ArrayList<>();
    private final List<Cdev> cdevs = new ArrayList<>();
    private long nextGuestBase = GUEST_MEMORY_BASE;
    private IommuDriver current;
    private long pageSize = 4096;

    private Builder() {}

    /**
     * Makes the kernel's {@code PAGE_SIZE} {@code pageSize}: 4 KiB (the default, x86 and arm64), 16
     * or 64 KiB (arm64 built with {@code CONFIG_ARM64_16K_PAGES} or {@code _64K_PAGES}). It bounds
     * the IO page size an IOAS accepts ({@link IommufdContext#create(long, GuestMemory...)}) and
     * sets VFIO's {@code LOG_MAX_RANGES} ({@link VfioDevice#create(VfioDeviceDriver, long)}).
     *
     * @param pageSize the kernel's {@code PAGE_SIZE}: 4096, 16384 or 65536
     * @return this builder
     * @throws IllegalArgumentException unless {@code pageSize} is 4, 16 or 64 KiB
     * @throws IllegalStateException once guest memory or a device was added
     */
    public Builder pageSize(long pageSize) {
      Preconditions.checkArgument(
          pageSize == 4096 || pageSize == 16384 || pageSize == 65536,
          "PAGE_SIZE not 4, 16 or 64 KiB: %s",
          pageSize);
      Preconditions.checkState(
          memories.isEmpty() && cdevs.isEmpty(), "set PAGE_SIZE before memory and devices");
      this.pageSize = pageSize;
      return this;
    }

    /**
     * Creates guest RAM of {@code size} bytes at the next guest address, with {@code tokenSeed}
     * distinguishing its page tokens from another memory's (see {@link GuestMemory#create}).
     *
     * @param size the RAM size in bytes, a positive multiple of the kernel's {@code PAGE_SIZE}
     * @param tokenSeed distinguishes this memory's page tokens from other memories'
     * @return this builder
     * @throws IllegalArgumentException if {@code size} is not a positive multiple of the kernel's
     *     {@code PAGE_SIZE} or the guest region is exhausted
     */
    public Builder guestMemory(long size, long tokenSeed) {
      Preconditions.checkArgument(
          size > 0 && size % pageSize == 0, "size %s not a positive multiple of PAGE_SIZE", size);
      long base = nextGuestBase;
      long next = ((base + size + GUEST_ALIGN) + GUEST_ALIGN - 1) & -GUEST_ALIGN;
      Preconditions.checkArgument(
          next > base && next <= UserMemory.BASE, "guest memory region exhausted");
      memories.add(GuestMemory.create(base, size, tokenSeed));
      nextGuestBase = next;
      return this;
    }

    /**
     * Creates guest RAM of {@code size} bytes with its index as token seed.
     *
     * @param size the RAM size in bytes, a positive multiple of the kernel's {@code PAGE_SIZE}
     * @return this builder
     */
    public Builder guestMemory(long size) {
      return guestMemory(size, memories.size());
    }

    /**
     * Installs a new instance of the IOMMU driver registered as {@code name} (e.g. {@code "mock"},
     * {@code "amd-v1"}) and makes it the one {@link #device(VfioDeviceDriver)} puts devices behind.
     *
     * @param name a registered driver name, e.g. {@code "amd-v1"}
     * @return this builder
     * @throws UapiException {@code ENODEV} if no driver has that name
     */
    public Builder iommu(String name) {
      return iommu(IommuDriver.named(name));
    }

    /**
     * Installs {@code iommu} (one IOMMU unit) and makes it the one {@link
     * #device(VfioDeviceDriver)} puts devices behind.
     *
     * @param iommu the IOMMU unit to install
     * @return this builder
     */
    public Builder iommu(IommuDriver iommu) {
      current = Objects.requireNonNull(iommu);
      return this;
    }

    /**
     * Installs a VFIO device driven by {@code driver} behind the IOMMU installed last.
     *
     * @param driver the variant driver of the new device
     * @return this builder
     * @throws IllegalStateException if no IOMMU was installed
     * @throws IllegalArgumentException as {@link VfioDevice#create(VfioDeviceDriver)}
     */
    public Builder device(VfioDeviceDriver driver) {
      Preconditions.checkState(current != null, "install an IOMMU before its devices");
      return device(driver, current);
    }

    /**
     * Installs a VFIO device driven by {@code driver} behind {@code behind}.
     *
     * @param driver the variant driver of the new device
     * @param behind the IOMMU unit the device sits behind, installed with {@link
     *     #iommu(IommuDriver)}
     * @return this builder
     * @throws IllegalArgumentException as {@link VfioDevice#create(VfioDeviceDriver)}
     */
    public Builder device(VfioDeviceDriver driver, IommuDriver behind) {
      cdevs.add(
          new Cdev(
              cdevs.size(), VfioDevice.create(driver, pageSize), Objects.requireNonNull(behind)));
      return this;
    }

    /**
     * Returns the kernel.
     *
     * @return a new kernel with the configured memories, IOMMUs and devices
     */
    public FakeKernel build() {
      return new FakeKernel(pageSize, memories, cdevs);
    }
  }
}
