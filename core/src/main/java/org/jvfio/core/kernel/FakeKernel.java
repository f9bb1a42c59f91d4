package org.jvfio.core.kernel;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.container.GroupDevice;
import org.jvfio.core.container.VfioContainer;
import org.jvfio.core.container.VfioGroup;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.HostMemory;
import org.jvfio.core.hw.IoPageFault;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.iommufd.UserFiles;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.core.vfio.VfioDevice;
import org.jvfio.core.vfio.VfioDeviceDriver;

/**
 * A fake Linux kernel with a syscall-shaped surface: an fd table, {@link #open}, {@link #close},
 * {@link #ioctl}, {@link #read}, {@link #write}, {@link #pread}, {@link #pwrite}, the {@code dup}s
 * and {@link #poll} returning what the system call returns (a value {@code >= 0}, or {@code
 * -errno}), over byte-exact structs in the calling process's {@link UserMemory}. A VMM prototype
 * programs against it as against the kernel, and the kernel's own selftests port to it almost line
 * for line (docs/architecture.md, "The front doors").
 *
 * <p><b>Files.</b>
 *
 * <ul>
 *   <li>{@value #IOMMU_PATH}: each open is a new iommufd context ({@link IommufdContext}) over the
 *       kernel's guest memories, with the iommufd operations of {@code
 *       drivers/iommu/iommufd/main.c}'s ioctl table. The size rules are {@code
 *       iommufd_fops_ioctl}'s: a {@code size} below the command's minimum is {@code EINVAL}, a
 *       larger struct with a non-zero tail {@code E2BIG}, a shorter one is zero-extended, and the
 *       reply is copied back in {@code min(user size, kernel size)} bytes; the VFIO type1 ioctls go
 *       to iommufd's VFIO compatibility ({@link org.jvfio.core.container.IommufdVfioCompat}), on
 *       the IOAS that {@code IOMMU_VFIO_IOAS} chose; an unknown or unmodelled request
 *       (FAULT_QUEUE_ALLOC, {@code VFIO_IOMMU_DIRTY_PAGES}, ...) is {@code ENOTTY}. Dirty bitmaps
 *       are ORed into user memory at {@code data} byte by byte (no alignment needed); a bitmap the
 *       kernel could not pin makes the call succeed with nothing harvested (docs/fidelity.md,
 *       "Silent successes of GET_DIRTY_BITMAP"; see {@code IOMMU_HWPT_GET_DIRTY_BITMAP} below).
 *   <li>{@value #VFIO_DEVICE_PATH_PREFIX}{@code N}: the cdev of the N-th device installed by the
 *       builder. {@code VFIO_DEVICE_BIND_IOMMUFD} (its {@code iommufd} is an fd number of this
 *       kernel) must come first: every other ioctl, read and write before it is {@code EINVAL}.
 *       Then {@code VFIO_DEVICE_ATTACH_IOMMUFD_PT} and {@code DETACH} (PASID: {@code EOPNOTSUPP}),
 *       {@code VFIO_DEVICE_FEATURE} with the features of {@code vfio_ioctl_device_feature} ({@code
 *       argsz} checks, PROBE, payload at {@code data}, user pointers followed into user memory),
 *       {@code VFIO_DEVICE_GET_INFO}, {@code GET_REGION_INFO} and {@code GET_IRQ_INFO} with their
 *       {@code argsz} and capability-chain rules, {@code read}/{@code write} (at the file position)
 *       and {@link #pread}/{@link #pwrite} of the device's regions, and {@code VFIO_DEVICE_RESET}.
 *       Several files may be open on one cdev but only one can bind it. Closing the bound file
 *       resets the device (its migration session ends, its DMA logging stops) and unbinds it from
 *       the iommufd.
 *   <li>{@value #VFIO_CONTAINER_PATH}: a VFIO container with the type1 backend ({@link
 *       org.jvfio.core.container.VfioContainer}), or an iommufd like {@value #IOMMU_PATH} when the
 *       builder says iommufd provides it.
 *   <li>{@value #VFIO_GROUP_PATH_PREFIX}{@code N}: IOMMU group N (every device has its own group,
 *       numbered in builder order; {@link Builder#emulatedDevice} adds a group whose mdev-like
 *       device has no cdev): one open file at a time ({@code EBUSY}), and not while a cdev file of
 *       its device is open (nor the cdev while the group is); {@code GET_STATUS}, {@code
 *       SET_CONTAINER} (a container or an iommufd fd), {@code UNSET_CONTAINER}, {@code
 *       GET_DEVICE_FD} by name ({@link #groupDeviceName}), whose fd serves the device's features.
 *       The group leaves its container when the group file and its device fds are all closed.
 *   <li>A migration {@code data_fd}, installed as a new fd by a {@code MIG_DEVICE_STATE} SET whose
 *       last arc starts a data transfer: {@code read} (saving) or {@code write} (resuming), at most
 *       1 MiB per call, {@code ENOMSG} at the pre-copy temporary end, 0 at the end of STOP_COPY,
 *       and {@code VFIO_MIG_GET_PRECOPY_INFO} on a saving stream. Closing it does not affect the
 *       device.
 * </ul>
 *
 * <p>File descriptors are the lowest free numbers from 3 (0–2 stand for the standard streams and
 * are never open here), unless the builder's {@link Builder#unusedFd} numbers them. {@link #dup},
 * {@link #dup2} and {@link #dup3} make another fd refer to the same open file; a file is released
 * when its last fd is closed, as the kernel's {@code fput} of the last reference. A bad fd is
 * {@code EBADF}; an unknown path {@code ENOENT}. An iommufd context lives while its fd is open or a
 * device is bound to it, as the kernel's file reference does: closing {@value #IOMMU_PATH} with a
 * bound device leaves the device attached and working.
 *
 * <p>With {@link Builder#iommufdTest()} (the kernel's {@code CONFIG_IOMMUFD_TEST}), {@value
 * #IOMMU_PATH} also answers the selftest's {@code IOMMU_TEST_CMD}.
 *
 * <p><b>Memory.</b> {@link #userMemory()} (or the builder's {@link Builder#userAddressSpace}) holds
 * the buffers that ioctl arguments point to (structs, range arrays, bitmaps, migration data); any
 * access outside one of its allocations is {@code EFAULT}, as {@code copy_from_user}/{@code
 * copy_to_user}. Guest RAM is separate: {@link GuestMemory} regions created by the builder at user
 * virtual addresses from {@link #GUEST_MEMORY_BASE} (below {@link UserMemory#BASE}, so the two
 * never collide). {@code IOMMU_IOAS_MAP}'s {@code user_va} may point into either: guest memory is
 * always pinnable; user memory is pinned as {@code pin_user_pages} would ({@code EFAULT} for an
 * unmapped page, or a read-only one in a {@code WRITEABLE} map), and device DMA through it lands in
 * {@link #hostMemory()}.
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

  /** The path of the VFIO container (served by VFIO, or by iommufd if the builder says so). */
  public static final String VFIO_CONTAINER_PATH = "/dev/vfio/vfio";

  /** The path of IOMMU group {@code N} is this prefix followed by {@code N}. */
  public static final String VFIO_GROUP_PATH_PREFIX = "/dev/vfio/";

  /** The path of VFIO device cdev {@code N} is this prefix followed by {@code N}. */
  public static final String VFIO_DEVICE_PATH_PREFIX = "/dev/vfio/devices/vfio";

  /**
   * The user virtual address of the first guest memory, 0x2000_0000_0000: guest memories are laid
   * out upwards from here, each 1 GiB-aligned with a 1 GiB gap, below {@link UserMemory#BASE}.
   */
  public static final long GUEST_MEMORY_BASE = 0x2000_0000_0000L;

  private static final long GUEST_ALIGN = 1L << 30;

  private final long pageSize; // the kernel's PAGE_SIZE
  private final UserAddressSpace memory;
  private final IommufdSelftest.MockIommus selftestIommus; // null unless CONFIG_IOMMUFD_TEST
  private final ImmutableList<GuestMemory> guestMemories;
  private final GuestTables guestTables = new GuestTables();
  private final HostMemory hostMemory = new HostMemory();
  private final ImmutableList<Cdev> cdevs;
  private final ImmutableList<GroupSlot> groups;
  private final boolean iommufdContainer; // CONFIG_IOMMUFD_VFIO_CONTAINER
  private final boolean addressableLimit; // type1 with the 2025 overflow checks
  private final Map<String, Cdev> cdevsByPath = new HashMap<>();
  private final FdTable fds;
  private final UserFiles userFiles;

  private FakeKernel(Builder b) {
    this.pageSize = b.pageSize;
    this.memory = b.addressSpace;
    this.fds = new FdTable(b.unusedFd);
    this.userFiles =
        b.userFiles != null
            ? b.userFiles
            : memory instanceof UserMemory ? new MemFds((UserMemory) memory) : UserFiles.NONE;
    this.selftestIommus =
        b.iommufdTest
            ? new IommufdSelftest.MockIommus(
                MockIommuDriver.createSelftest(true), MockIommuDriver.createSelftest(false))
            : null;
    this.guestMemories = ImmutableList.copyOf(b.memories);
    this.cdevs = ImmutableList.copyOf(b.cdevs);
    this.groups = ImmutableList.copyOf(b.groups);
    this.iommufdContainer = b.iommufdContainer;
    this.addressableLimit = b.addressableLimit;
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

  /**
   * Returns the path of IOMMU group {@code group}: {@code /dev/vfio/<group>}.
   *
   * @param group the IOMMU group number, from 0
   * @return the group's path, e.g. {@code /dev/vfio/0}
   */
  public static String groupPath(int group) {
    return VFIO_GROUP_PATH_PREFIX + group;
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
    GuestMemory[] ram = guestMemories.toArray(new GuestMemory[0]);
    if (IOMMU_PATH.equals(path) || (iommufdContainer && VFIO_CONTAINER_PATH.equals(path))) {
      IommufdContext ctx =
          IommufdContext.create(
              pageSize, guestTables, new ProcessPages(memory), userFiles, hostMemory, ram);
      IommufdSelftest selftest =
          selftestIommus == null
              ? null
              : new IommufdSelftest(
                  this, ctx, memory, selftestIommus, pageSize, this::pinCount, this::pageExists);
      file = new IommuFile(this, ctx, pageSize, memory, selftest);
    } else if (VFIO_CONTAINER_PATH.equals(path)) {
      file = new ContainerFile(VfioContainer.create(pageSize, addressableLimit, ram), memory);
    } else if (cdevsByPath.containsKey(path)) {
      Cdev cdev = cdevsByPath.get(path);
      if (!cdev.slot.openCdev()) {
        return -Errno.EBUSY.code();
      }
      file = new DeviceFile(this, cdev, memory);
    } else {
      GroupSlot slot = groupSlot(path);
      if (slot == null) {
        return -Errno.ENOENT.code();
      }
      if (!slot.openGroup()) {
        return -Errno.EBUSY.code();
      }
      file = new GroupFile(this, slot, memory, pageSize);
    }
    try {
      return install(file);
    } catch (UapiException e) {
      file.release();
      return -e.errno().code();
    }
  }

  private GroupSlot groupSlot(String path) {
    for (GroupSlot g : groups) {
      if (g.path().equals(path)) {
        return g;
      }
    }
    return null;
  }

  /**
   * {@code close(fd)}: removes the fd and, if it was the file's last fd ({@link #dup}), releases
   * the file (see the class comment); returns 0, or {@code -EBADF}.
   *
   * @param fd a file descriptor from {@link #open} or a data fd
   * @return 0, or {@code -EBADF}
   */
  public int close(int fd) {
    return fds.close(fd);
  }

  /**
   * {@code dup(oldfd)}: installs the file open as {@code oldfd} at a new fd (the lowest free one,
   * or the builder's {@link Builder#unusedFd}), as {@code fs/file.c}'s {@code dup} does. Both fds
   * refer to the same open file: the same device state, data-stream position and iommufd objects.
   * The file is released when its last fd is closed.
   *
   * @param oldfd an open file descriptor
   * @return the new fd, or {@code -EBADF} ({@code oldfd} not open), {@code -EMFILE}
   */
  public int dup(int oldfd) {
    return fds.dup(oldfd);
  }

  /**
   * {@code dup2(oldfd, newfd)}: makes {@code newfd} refer to the file open as {@code oldfd},
   * closing the file {@code newfd} referred to first (released if that was its last fd), as {@code
   * fs/file.c}'s {@code dup2} and {@code do_dup2} do. With {@code oldfd == newfd} it returns {@code
   * newfd} if it is open and changes nothing. The kernel's {@code RLIMIT_NOFILE} is not modelled:
   * any {@code newfd >= 0} is a valid number.
   *
   * @param oldfd an open file descriptor
   * @param newfd the fd number to make refer to the same file
   * @return {@code newfd}, or {@code -EBADF} ({@code oldfd} not open, {@code newfd} negative)
   */
  public int dup2(int oldfd, int newfd) {
    return fds.dup2(oldfd, newfd);
  }

  /**
   * {@code dup3(oldfd, newfd, flags)}: {@link #dup2} with the checks of {@code fs/file.c}'s {@code
   * ksys_dup3}, in its order: a flag other than {@code O_CLOEXEC} (02000000) is {@code EINVAL},
   * {@code oldfd == newfd} is {@code EINVAL}, a negative {@code newfd} (a huge unsigned number in
   * C) is {@code EBADF}, then {@code oldfd} not open is {@code EBADF}. {@code O_CLOEXEC} is
   * accepted and has no effect (nothing here executes a program).
   *
   * @param oldfd an open file descriptor
   * @param newfd the fd number to make refer to the same file
   * @param flags 0 or {@code O_CLOEXEC}
   * @return {@code newfd}, or {@code -EINVAL}, {@code -EBADF}
   */
  public int dup3(int oldfd, int newfd, int flags) {
    return fds.dup3(oldfd, newfd, flags);
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
   * cannot be read, {@code ENOMSG} at the pre-copy temporary end of a saving stream (0 for a driver
   * that ends it so, as hisi_acc), {@code ENODEV} once its session has ended.
   *
   * @param fd a file descriptor
   * @param addr the user address of the buffer read into
   * @param count the bytes to read (unsigned)
   * @return the bytes read, 0 at end of stream, or {@code -errno}
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

  /**
   * {@code pread(fd, addr, count, offset)}: reads at file offset {@code offset} without moving the
   * file position; on a device fd, region {@code i} lives at {@code i << 40} (take the offset from
   * {@code VFIO_DEVICE_GET_REGION_INFO}). Returns the bytes read or {@code -errno}: {@code EINVAL}
   * for a negative offset (before the fd is looked up) or one whose end overflows, {@code EBADF},
   * {@code ESPIPE} on a stream (a migration data, fault queue or vEVENTQ fd), the region's errnos
   * on a device fd.
   *
   * @param fd a file descriptor
   * @param addr the user address of the buffer read into
   * @param count the bytes to read (unsigned)
   * @param offset the file offset; on a device fd the region index is in bits 40 and up
   * @return the bytes read, or {@code -errno}
   */
  public long pread(int fd, long addr, long count, long offset) {
    return positioned(fd, addr, count, offset, false);
  }

  /**
   * {@code pwrite(fd, addr, count, offset)}: writes at file offset {@code offset}, as {@link
   * #pread}.
   *
   * @param fd a file descriptor
   * @param addr the user address of the bytes to write
   * @param count the bytes to write (unsigned)
   * @param offset the file offset; on a device fd the region index is in bits 40 and up
   * @return the bytes written, or {@code -errno}
   */
  public long pwrite(int fd, long addr, long count, long offset) {
    return positioned(fd, addr, count, offset, true);
  }

  /** {@code POLLIN} ({@code include/uapi/asm-generic/poll.h}): there is data to read. */
  public static final int POLLIN = 0x0001;

  /** {@code POLLOUT}: writing will not block. */
  public static final int POLLOUT = 0x0004;

  /** {@code POLLERR}: an error condition; reported whether asked for or not. */
  public static final int POLLERR = 0x0008;

  /** {@code POLLHUP}: hang up; reported whether asked for or not. */
  public static final int POLLHUP = 0x0010;

  /** {@code POLLNVAL}: the fd is not open. */
  public static final int POLLNVAL = 0x0020;

  /** {@code POLLRDNORM}: normal data to read. */
  public static final int POLLRDNORM = 0x0040;

  /** {@code POLLWRNORM}: normal data can be written. */
  public static final int POLLWRNORM = 0x0100;

  /**
   * One entry of {@code poll(2)}, without waiting: the {@code revents} that {@code do_pollfd}
   * ({@code fs/select.c}) computes for {@code struct pollfd {fd, events}}. A negative fd is ignored
   * (0); an fd that is not open is {@link #POLLNVAL}; otherwise the file's ready mask ({@code
   * vfs_poll}) masked with {@code events} plus {@link #POLLERR} and {@link #POLLHUP}. A fault queue
   * fd is always ready for {@link #POLLOUT} and ready for {@link #POLLIN}|{@link #POLLRDNORM} when
   * a fault waits to be read; a vEVENTQ fd is ready for {@link #POLLIN}|{@link #POLLRDNORM} when an
   * event waits and never for output ({@code iommufd_eventq_fops_poll}); the other files have no
   * poll method and are always ready ({@code DEFAULT_POLLMASK}: in, out, rdnorm, wrnorm).
   *
   * <p>Waiting is the caller's: nothing here blocks or reads a clock. Poll again after the call or
   * DMA that may have queued an event (the bridge's {@code poll}/{@code ppoll} do so in steps).
   *
   * @param fd a file descriptor
   * @param events the events asked for (the u16 {@code events} of {@code struct pollfd})
   * @return {@code revents}
   */
  public int poll(int fd, int events) {
    if (fd < 0) {
      return 0;
    }
    OpenFile file = lookup(fd);
    if (file == null) {
      return POLLNVAL;
    }
    return file.poll() & ((events & 0xffff) | POLLERR | POLLHUP);
  }

  private long positioned(int fd, long addr, long count, long offset, boolean write) {
    if (offset < 0) {
      return -Errno.EINVAL.code();
    }
    OpenFile file = lookup(fd);
    if (file == null) {
      return -Errno.EBADF.code();
    }
    try {
      UapiException.check(file.seekable(), Errno.ESPIPE, "the file is a stream");
      return write ? file.pwrite(addr, count, offset) : file.pread(addr, count, offset);
    } catch (UapiException e) {
      return -e.errno().code();
    }
  }

  // --- memory and devices -----------------------------------------------------------------------

  /**
   * Returns the calling process's memory, where ioctl arguments and buffers live.
   *
   * @return the user memory the kernel was built over
   * @throws IllegalStateException if the kernel was built over another {@link UserAddressSpace}
   *     ({@link Builder#userAddressSpace})
   */
  public UserMemory userMemory() {
    Preconditions.checkState(
        memory instanceof UserMemory, "the kernel runs over another user address space");
    return (UserMemory) memory;
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
   * Returns the guest's IO page tables (stage 1 of nested translation) by guest-physical address,
   * which every iommufd context of this kernel walks through its nest parents.
   *
   * @return the kernel's one {@link GuestTables}, shared by all its iommufd contexts
   */
  public GuestTables guestTables() {
    return guestTables;
  }

  /**
   * Returns the host pages behind user memory that is not guest memory: where device DMA through an
   * {@code IOMMU_IOAS_MAP} of a {@link UserMemory} buffer (or of a bridged process's own buffer)
   * lands. A page's address is its user address, as for guest memory; a write changes its token.
   *
   * @return the kernel's one {@link HostMemory}, shared by all its iommufd contexts
   */
  public HostMemory hostMemory() {
    return hostMemory;
  }

  /**
   * Returns the caller's memfds and other files that {@code IOMMU_IOAS_MAP_FILE} can name, with
   * their mappings in {@link #userMemory()}.
   *
   * @return the kernel's {@link MemFds}
   * @throws IllegalStateException if the builder plugged in other user files or another address
   *     space ({@link Builder#userFiles}, {@link Builder#userAddressSpace})
   */
  public MemFds memFds() {
    if (!(userFiles instanceof MemFds)) {
      throw new IllegalStateException("the user's files are not MemFds");
    }
    return (MemFds) userFiles;
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

  /**
   * Returns the number of IOMMU groups; their files are {@code /dev/vfio/0} to {@code n-1}.
   *
   * @return the number of groups, one per device installed by the builder
   */
  public int groupCount() {
    return groups.size();
  }

  /**
   * Returns IOMMU group {@code group}, for inspection and to make a host driver claim it.
   *
   * @param group the group number, from 0
   * @return the group's model
   * @throws IndexOutOfBoundsException if there is no such group
   */
  public VfioGroup group(int group) {
    return groups.get(group).group;
  }

  /**
   * Returns the name of group {@code group}'s device, what {@code VFIO_GROUP_GET_DEVICE_FD} takes:
   * {@code 0000:NN:00.0} for a physical device, an mdev-style UUID for an emulated one.
   *
   * @param group the group number, from 0
   * @return the device name, {@code 0000:NN:00.0} or a UUID
   * @throws IndexOutOfBoundsException if there is no such group
   */
  public String groupDeviceName(int group) {
    return groups.get(group).deviceName;
  }

  /**
   * Returns the model of group {@code group}'s device (an emulated one has no cdev).
   *
   * @param group the group number, from 0
   * @return the device model
   * @throws IndexOutOfBoundsException if there is no such group
   */
  public VfioDevice groupDeviceModel(int group) {
    return groups.get(group).device;
  }

  /**
   * Returns the device of group {@code group} while a device fd is open through the group: the
   * hooks of an emulated device's driver (pin, unpin, write through a pin, {@code vfio_dma_rw}).
   *
   * @param group the group number, from 0
   * @return the open device, or empty while no device fd is open through the group
   * @throws IndexOutOfBoundsException if there is no such group
   */
  public Optional<GroupDevice> groupDevice(int group) {
    return groups.get(group).openDevice();
  }

  // --- hardware hooks ---------------------------------------------------------------------------

  /**
   * Makes device {@code index} write {@code [iova, iova + length)} by DMA through its IOMMU (see
   * {@link org.jvfio.core.hw.DmaEngine}): translated pages are written in guest memory, dirty
   * tracking and the device's DMA-logging tracker record them, the rest fault. A device opened
   * through its group DMAs through the group's type1 domain or compatibility IOAS. A device neither
   * bound to an iommufd nor open through its group, or bound and not attached, faults on every
   * page. Safe from any thread.
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
    if (b == null) {
      GroupDevice viaGroup = cdevs.get(index).groupDevice;
      return viaGroup == null ? blocked(iova, length) : viaGroup.dmaWrite(iova, length);
    }
    return b.ctx().dmaWrite(b.devId(), iova, length);
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
    if (b == null) {
      GroupDevice viaGroup = cdevs.get(index).groupDevice;
      return viaGroup == null ? blocked(iova, length) : viaGroup.dmaRead(iova, length);
    }
    return b.ctx().dmaRead(b.devId(), iova, length);
  }

  /**
   * Returns the most recent IO page faults of device {@code index} in the iommufd it is bound to,
   * or through its group's container while it is open there (empty otherwise), oldest first.
   *
   * @param index the device's index, from 0
   * @return the device's recent faults, oldest first
   * @throws IndexOutOfBoundsException if there is no such device
   */
  public List<IoPageFault> ioPageFaults(int index) {
    Cdev.Binding b = cdevs.get(index).binding;
    if (b == null) {
      GroupDevice viaGroup = cdevs.get(index).groupDevice;
      return viaGroup == null ? List.of() : viaGroup.ioPageFaults();
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

  /** Whether the byte at {@code userVa} exists: in guest RAM or in user memory. */
  private boolean pageExists(long userVa) {
    for (GuestMemory m : guestMemories) {
      if (m.contains(userVa, 1)) {
        return true;
      }
    }
    return memory.isAccessible(userVa, 1);
  }

  /** The pins on the user page at {@code userVa} held by every live iommufd context. */
  private int pinCount(long userVa) {
    Set<IommufdContext> live = Collections.newSetFromMap(new IdentityHashMap<>());
    for (OpenFile f : fds.openFiles()) {
      if (f instanceof IommuFile) {
        live.add(((IommuFile) f).ctx);
      } else if (f instanceof SelftestAccess) {
        live.add(((SelftestAccess) f).ctx); // an access holds its context
      } else if (f instanceof FaultFile) {
        live.add(((FaultFile) f).ctx); // so does a fault queue's fd
      }
    }
    for (Cdev c : cdevs) {
      Cdev.Binding b = c.binding;
      if (b != null) {
        live.add(b.ctx());
      }
    }
    int pins = 0;
    for (IommufdContext ctx : live) {
      pins += ctx.pinCount(userVa);
    }
    return pins;
  }

  // --- the fd table -----------------------------------------------------------------------------

  private OpenFile lookup(int fd) {
    return fds.get(fd);
  }

  /** Returns the file open as {@code fd} ({@code EBADF} if none): {@code fget}. */
  OpenFile file(int fd) {
    OpenFile file = lookup(fd);
    UapiException.check(file != null, Errno.EBADF, "fd " + fd + " is not open");
    return file;
  }

  /** {@link FdTable#install}. */
  int install(OpenFile file) {
    return fds.install(file);
  }

  /** {@link FdTable#uninstall}. */
  void uninstall(int fd, OpenFile file) {
    fds.uninstall(fd, file);
  }

  /**
   * A builder of a {@link FakeKernel}: guest memories, IOMMUs and the VFIO devices behind them.
   * Device {@code N} (counting from 0 in the order of the {@code device} calls) appears as {@code
   * /dev/vfio/devices/vfioN}. Not thread-safe.
   */
  public static final class Builder {
    private final List<GuestMemory> memories = new ArrayList<>();
    private final List<Cdev> cdevs = new ArrayList<>();
    private final List<GroupSlot> groups = new ArrayList<>();
    private boolean iommufdContainer;
    private boolean addressableLimit;
    private long nextGuestBase = GUEST_MEMORY_BASE;
    private IommuDriver current;
    private long pageSize = 4096;
    private UserAddressSpace addressSpace = new UserMemory();
    private boolean iommufdTest;
    private IntSupplier unusedFd;
    private UserFiles userFiles;

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
     * Installs a VFIO device driven by {@code driver} behind the IOMMU installed last, with its own
     * IOMMU group (the next group number).
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
      Cdev cdev =
          new Cdev(
              cdevs.size(), VfioDevice.create(driver, pageSize), Objects.requireNonNull(behind));
      int id = groups.size();
      String name = String.format(Locale.ROOT, "0000:%02x:00.0", id + 1);
      cdev.slot = new GroupSlot(VfioGroup.physical(id, behind, name), cdev.device, name, cdev);
      cdevs.add(cdev);
      groups.add(cdev.slot);
      return this;
    }

    /**
     * Installs an emulated (mdev-like) VFIO device driven by {@code driver} in a group of its own:
     * it has no IOMMU and no cdev, and reaches guest memory only by pinning pages through a type1
     * container ({@link FakeKernel#groupDevice}).
     *
     * @param driver the variant driver of the new device
     * @return this builder
     * @throws IllegalArgumentException as {@link VfioDevice#create(VfioDeviceDriver)}
     */
    public Builder emulatedDevice(VfioDeviceDriver driver) {
      int id = groups.size();
      String name = String.format(Locale.ROOT, "00000000-0000-0000-0000-%012x", id);
      groups.add(
          new GroupSlot(
              VfioGroup.emulated(id, name), VfioDevice.create(driver, pageSize), name, null));
      return this;
    }

    /**
     * Chooses what serves {@value #VFIO_CONTAINER_PATH}: VFIO's own container with the type1
     * backend (the default), or iommufd, as a kernel built with {@code
     * CONFIG_IOMMUFD_VFIO_CONTAINER} does. iommufd's file is the same as {@value #IOMMU_PATH}'s.
     *
     * @param iommufd true to serve the container path with iommufd, false for VFIO type1
     * @return this builder
     */
    public Builder iommufdVfioContainer(boolean iommufd) {
      this.iommufdContainer = iommufd;
      return this;
    }

    /**
     * Gives type1 the checks of the 2025 series "vfio/type1: handle DMA map/unmap up to the
     * addressable limit" (see {@link VfioContainer#create(long, boolean, GuestMemory...)}): a wrap
     * is {@code EOVERFLOW}. Off by default.
     *
     * @param addressableLimit true for the addressable-limit checks, false for the older ones
     * @return this builder
     */
    public Builder type1AddressableLimit(boolean addressableLimit) {
      this.addressableLimit = addressableLimit;
      return this;
    }

    /**
     * Makes the kernel reach user pointers through {@code space} instead of a new {@link
     * UserMemory}: how a server plugs in the memory of a process that calls it over a socket. The
     * kernel's {@link FakeKernel#userMemory()} then throws.
     *
     * @param space the address space user pointers are read and written in
     * @return this builder
     */
    public Builder userAddressSpace(UserAddressSpace space) {
      this.addressSpace = Objects.requireNonNull(space);
      return this;
    }

    /**
     * Makes the kernel number new files as {@code unusedFd} says: {@code get_unused_fd_flags} of
     * the calling process, whose fd table is not the kernel's to choose (a server numbers them as
     * its client's own fds). A negative number fails the call with {@code EMFILE}; a number already
     * open in this kernel is a bug of the supplier ({@link IllegalStateException}). By default the
     * lowest number from 3 that is free here.
     *
     * @param unusedFd the supplier of the next fd number, negative for {@code EMFILE}
     * @return this builder
     */
    public Builder unusedFd(IntSupplier unusedFd) {
      this.unusedFd = Objects.requireNonNull(unusedFd);
      return this;
    }

    /**
     * Makes {@code IOMMU_IOAS_MAP_FILE} find the caller's files through {@code files} (how a server
     * plugs in the fds of a process that calls it over a socket). By default the kernel's {@link
     * FakeKernel#memFds()} over its {@link UserMemory}, or no files with another address space.
     *
     * @param files the caller's files, as {@code fget} finds them
     * @return this builder
     */
    public Builder userFiles(UserFiles files) {
      this.userFiles = Objects.requireNonNull(files);
      return this;
    }

    /**
     * Builds the kernel with {@code CONFIG_IOMMUFD_TEST}: {@value IOMMU_PATH} also answers {@code
     * IOMMU_TEST_CMD} ({@link org.jvfio.api.iommufd.IommufdTest}) as {@code
     * drivers/iommu/iommufd/selftest.c} does, with mock devices behind one dirty-tracking mock
     * IOMMU ({@code IommuDriver.named("mock")}) and, for {@code MOCK_FLAGS_DEVICE_NO_DIRTY}, one
     * that cannot track. See {@code docs/bridge.md} for the operations modelled.
     *
     * @return this builder
     */
    public Builder iommufdTest() {
      this.iommufdTest = true;
      return this;
    }

    /**
     * Returns the kernel.
     *
     * @return a new kernel with the configured memories, IOMMUs and devices
     */
    public FakeKernel build() {
      return new FakeKernel(this);
    }
  }
}
