package org.jvfio.core.vfio.pci;

import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FLAGS_PCI;
import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_FLAGS_RESET;
import static org.jvfio.api.vfio.Vfio.VFIO_IRQ_INFO_AUTOMASKED;
import static org.jvfio.api.vfio.Vfio.VFIO_IRQ_INFO_EVENTFD;
import static org.jvfio.api.vfio.Vfio.VFIO_IRQ_INFO_MASKABLE;
import static org.jvfio.api.vfio.Vfio.VFIO_IRQ_INFO_NORESIZE;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_BAR5_REGION_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_CONFIG_REGION_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_ERR_IRQ_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_INTX_IRQ_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_MSIX_IRQ_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_MSI_IRQ_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_NUM_IRQS;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_NUM_REGIONS;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_OFFSET_MASK;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_ROM_REGION_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_PCI_VGA_REGION_INDEX;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_MMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.vfioPciIndexToOffset;
import static org.jvfio.api.vfio.Vfio.vfioPciOffsetToIndex;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.UserAccess;

/**
 * The regions of a vfio-pci device and the kernel's rules for them: {@code VFIO_DEVICE_GET_INFO},
 * {@code VFIO_DEVICE_GET_REGION_INFO}, {@code VFIO_DEVICE_GET_IRQ_INFO}, {@code read}/{@code write}
 * at region offsets of the device fd, the {@code mmap} checks and the reset check, as {@code
 * drivers/vfio/pci/vfio_pci_core.c} ({@code vfio_pci_ioctl_get_info}, {@code
 * vfio_pci_ioctl_get_region_info}, {@code vfio_pci_ioctl_get_irq_info}, {@code vfio_pci_rw}, {@code
 * vfio_pci_core_mmap}) and {@code vfio_pci_rdwr.c} ({@code vfio_pci_bar_rw}, {@code
 * vfio_pci_vga_rw}) answer them.
 *
 * <p>Region {@code i} lives at device-fd offset {@code i << 40}. Its contents are the device's:
 * BARs, ROM, device-specific regions and the VGA windows hold bytes (zero until written; a BAR may
 * be of any size, storage grows with what is written). Config space is virtualised: identification
 * fields read as built, only the {@code PCI_COMMAND} bits I/O, memory, bus master and INTx disable
 * can be written, other writes are dropped (the model has no capability list). Rules a caller sees:
 *
 * <ul>
 *   <li>{@code count == 0} reads or writes nothing and returns 0 before any check; an index beyond
 *       the regions is {@code EINVAL};
 *   <li>BARs and ROM: unimplemented is {@code EINVAL}, an offset at or past the end {@code EINVAL},
 *       an access that crosses the end is short (returns the bytes up to it); a MEM BAR or the ROM
 *       with memory decode off in {@code PCI_COMMAND} is {@code EIO}; ROM writes are {@code
 *       EINVAL}; bytes of the MSI-X table read as {@code 0xff} and writes there vanish (but count);
 *   <li>config space: an access that does not fit entirely is {@code EFAULT} ({@code
 *       vfio_config_do_rw});
 *   <li>VGA (only with one): the I/O ports 0x3b0–0x3bb, 0x3c0–0x3df and MMIO 0xa0000–0xbffff;
 *       anything else {@code EINVAL}; an access is cut at the end of its window;
 *   <li>a bad user buffer is {@code EFAULT}; bytes moved before the fault stay moved.
 * </ul>
 *
 * <p>A variant driver may hide the tail of a BAR ({@link PciDeviceBuilder#userVisibleBarLength}),
 * as hisi_acc hides BAR2's migration registers ({@code
 * drivers/vfio/pci/hisilicon/hisi_acc_vfio_pci.c}, {@code hisi_acc_pci_rw_access_check}):
 * REGION_INFO reports the visible length with {@code READ|WRITE|MMAP} and no capability, an access
 * at or past it is {@code EINVAL} (even of 0 bytes: the check precedes the core's), one that
 * crosses it is short, and an mmap reaching past it is {@code EINVAL}. The driver itself reaches
 * the whole BAR through {@link #ioread32} and friends.
 *
 * <p>Thread-safe: every method is synchronized.
 */
public final class VfioPciDevice {
  private static final int PCI_COMMAND = 4;
  private static final int COMMAND_IO = 0x1;
  private static final int COMMAND_MEMORY = 0x2;
  private static final int COMMAND_WRITABLE = 0x0407; // I/O, memory, bus master, INTx disable
  private static final int CHUNK = 64 * 1024;
  private static final long VGA_SIZE = 0xc0000;

  private final long[] barSize;
  private final boolean[] barIo;
  private final long[] visible; // -1: no variant override
  private final SparseBytes[] bars = new SparseBytes[6];
  private final long romSize;
  private final SparseBytes rom = new SparseBytes();
  private final boolean vga;
  private final SparseBytes vgaMem = new SparseBytes();
  private final int msixBar;
  private final long msixOffset;
  private final long msixSize;
  private final int msixVectors;
  private final int msiVectors;
  private final boolean intx;
  private final boolean resetWorks;
  private final int atomicComp;
  private final List<DeviceRegion> regions;
  private final byte[] config;
  private final int initialCommand;

  VfioPciDevice(PciDeviceBuilder b) {
    barSize = b.barSize.clone();
    barIo = b.barIo.clone();
    visible = b.visible.clone();
    for (int i = 0; i < 6; i++) {
      bars[i] = new SparseBytes();
    }
    romSize = b.romSize;
    vga = b.vga;
    msixBar = b.msixBar;
    msixOffset = b.msixOffset;
    msixVectors = b.msixVectors;
    msixSize = 16L * b.msixVectors;
    msiVectors = b.msiVectors;
    intx = b.intx;
    resetWorks = b.resetWorks;
    atomicComp = b.atomicComp;
    regions = List.copyOf(b.regions);
    config = new byte[b.pcie ? 4096 : 256];
    putLe(config, 0, b.vendorId, 2);
    putLe(config, 2, b.deviceId, 2);
    boolean anyIo = false;
    for (int i = 0; i < 6; i++) {
      anyIo |= barIo[i] && barSize[i] != 0;
      putLe(config, 0x10 + 4 * i, barIo[i] ? 1 : 0, 4);
    }
    initialCommand = COMMAND_MEMORY | (anyIo ? COMMAND_IO : 0);
    putLe(config, PCI_COMMAND, initialCommand, 2);
    putLe(config, 8, b.revision | (b.classCode << 8), 4);
    putLe(config, 0x2c, b.vendorId, 2);
    putLe(config, 0x2e, b.deviceId, 2);
    config[0x3d] = (byte) (intx ? 1 : 0);
  }

  /**
   * Returns a builder of a device with the given PCI vendor and device id and nothing else.
   *
   * @param vendorId the PCI vendor ID (config offset 0x00), low 16 bits kept
   * @param deviceId the PCI device ID (config offset 0x02), low 16 bits kept
   * @return a builder of a PCIe function with INTx and reset but no BAR
   */
  public static PciDeviceBuilder builder(int vendorId, int deviceId) {
    return new PciDeviceBuilder(vendorId, deviceId);
  }

  /**
   * Returns the device a driver without a description of its own has: a PCIe function 1b36:0005 (4
   * KiB config space) with a 16 KiB memory BAR0 holding a 64-vector MSI-X table at 0x2000, one MSI
   * vector, INTx, and reset.
   *
   * @return a new device, 1b36:0005, as described above
   */
  public static VfioPciDevice generic() {
    return builder(0x1b36, 0x0005).memBar(0, 16 * 1024).msix(0, 0x2000, 64).msi(1).build();
  }

  // --- ioctls ------------------------------------------------------------------------------------

  /**
   * Returns what {@code VFIO_DEVICE_GET_INFO} reports ({@code vfio_pci_ioctl_get_info}).
   *
   * @return the flags ({@code VFIO_DEVICE_FLAGS_PCI}, {@code RESET} if supported), {@link
   *     #numRegions}, 5 IRQ indexes and the atomic-completer capability if set
   */
  public DeviceInfo deviceInfo() {
    List<InfoCapability> caps =
        atomicComp != 0 ? List.of(new InfoCapability.PciAtomicComp(atomicComp)) : List.of();
    return new DeviceInfo(
        VFIO_DEVICE_FLAGS_PCI | (resetWorks ? VFIO_DEVICE_FLAGS_RESET : 0),
        numRegions(),
        VFIO_PCI_NUM_IRQS,
        caps);
  }

  /**
   * Returns 9 plus the number of device-specific regions.
   *
   * @return {@code VFIO_PCI_NUM_REGIONS} (9) plus the device-specific regions, the {@code
   *     vfio_device_info.num_regions}
   */
  public int numRegions() {
    return VFIO_PCI_NUM_REGIONS + regions.size();
  }

  /**
   * Returns what {@code VFIO_DEVICE_GET_REGION_INFO} reports for region {@code index} (unsigned):
   * BARs never fail (an unimplemented one is size 0, flags 0), a MEM BAR may be mmapped, the MSI-X
   * BAR carries {@code MSIX_MAPPABLE}, the ROM is read-only (size 0 without one), config space is
   * read-write, a device-specific region carries its type capability and sparse areas.
   *
   * @param index the {@code vfio_region_info.index}, read as unsigned
   * @return the region's flags, size, offset in the device fd ({@code index << 40}) and
   *     capabilities
   * @throws UapiException {@code EINVAL} for VGA on a device without it, or an index beyond {@code
   *     9 + device-specific regions}
   */
  public synchronized RegionInfo regionInfo(long index) {
    UapiException.check(
        Long.compareUnsigned(index, numRegions()) < 0
            && (index != VFIO_PCI_VGA_REGION_INDEX || vga),
        Errno.EINVAL,
        "no region " + index);
    int i = (int) index;
    long offset = vfioPciIndexToOffset(i);
    if (i <= VFIO_PCI_BAR5_REGION_INDEX) {
      if (visible[i] >= 0) {
        int f = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
        return new RegionInfo(i, f | VFIO_REGION_INFO_FLAG_MMAP, visible[i], offset, List.of());
      }
      if (barSize[i] == 0) {
        return new RegionInfo(i, 0, 0, offset, List.of());
      }
      int flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
      List<InfoCapability> caps = List.of();
      if (!barIo[i]) {
        flags |= VFIO_REGION_INFO_FLAG_MMAP;
        if (i == msixBar) {
          caps = List.of(new InfoCapability.MsixMappable());
        }
      }
      return new RegionInfo(i, flags, barSize[i], offset, caps);
    } else if (i == VFIO_PCI_ROM_REGION_INDEX) {
      int flags = romSize != 0 ? VFIO_REGION_INFO_FLAG_READ : 0;
      return new RegionInfo(i, flags, romSize, offset, List.of());
    } else if (i == VFIO_PCI_CONFIG_REGION_INDEX) {
      int flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
      return new RegionInfo(i, flags, config.length, offset, List.of());
    } else if (i == VFIO_PCI_VGA_REGION_INDEX) {
      int flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
      return new RegionInfo(i, flags, VGA_SIZE, offset, List.of());
    }
    DeviceRegion r = regions.get(i - VFIO_PCI_NUM_REGIONS);
    List<InfoCapability> caps = new ArrayList<>();
    caps.add(new InfoCapability.RegionType(r.type(), r.subtype()));
    if (!r.sparse().isEmpty()) {
      caps.add(new InfoCapability.SparseMmap(r.sparse()));
    }
    return new RegionInfo(i, r.flags(), r.size(), offset, caps);
  }

  /**
   * Returns what {@code VFIO_DEVICE_GET_IRQ_INFO} reports for IRQ {@code index} (unsigned): every
   * index signals an eventfd; INTx (one vector if the function has a pin) is maskable and
   * automasked; MSI and MSI-X have the function's vectors, ERR (PCIe only) and REQ one; all but
   * INTx cannot be resized.
   *
   * @param index the {@code vfio_irq_info.index}, read as unsigned
   * @return the index's flags and count of vectors
   * @throws UapiException {@code EINVAL} for an index of 5 or more, or ERR on conventional PCI
   */
  public IrqInfo irqInfo(long index) {
    UapiException.check(
        Long.compareUnsigned(index, VFIO_PCI_NUM_IRQS) < 0
            && (index != VFIO_PCI_ERR_IRQ_INDEX || config.length == 4096),
        Errno.EINVAL,
        "no IRQ index " + index);
    int i = (int) index;
    int count;
    switch (i) {
      case VFIO_PCI_INTX_IRQ_INDEX:
        count = intx ? 1 : 0;
        break;
      case VFIO_PCI_MSI_IRQ_INDEX:
        count = msiVectors;
        break;
      case VFIO_PCI_MSIX_IRQ_INDEX:
        count = msixVectors;
        break;
      default:
        count = 1;
    }
    int flags =
        VFIO_IRQ_INFO_EVENTFD
            | (i == VFIO_PCI_INTX_IRQ_INDEX
                ? VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED
                : VFIO_IRQ_INFO_NORESIZE);
    return new IrqInfo(i, flags, count);
  }

  /**
   * The check of {@code VFIO_DEVICE_RESET} ({@code vfio_pci_core_ioctl_reset}) and the reset of the
   * virtual config space: {@code PCI_COMMAND} returns to its initial value. Region contents are the
   * device's and are kept.
   *
   * @throws UapiException {@code EINVAL} if the device cannot be reset
   */
  public synchronized void reset() {
    UapiException.check(resetWorks, Errno.EINVAL, "device does not support reset");
    putLe(config, PCI_COMMAND, initialCommand, 2);
  }

  // --- mmap
  // ----------------------------------------------------------------------------------------

  /**
   * Returns what the user may mmap of region {@code index}: its sparse areas if it has them, the
   * whole region (of the visible length, for a variant that hides a BAR's tail) if it has {@code
   * VFIO_REGION_INFO_FLAG_MMAP}, else nothing.
   *
   * @param index the region index, read as unsigned
   * @return the mappable areas as offsets and sizes within the region, empty if none
   * @throws UapiException {@code EINVAL} as {@link #regionInfo}
   */
  public List<MmapArea> mmapAreas(long index) {
    RegionInfo info = regionInfo(index);
    for (InfoCapability c : info.caps()) {
      if (c instanceof InfoCapability.SparseMmap) {
        return ((InfoCapability.SparseMmap) c).areas();
      }
    }
    return (info.flags() & VFIO_REGION_INFO_FLAG_MMAP) != 0
        ? List.of(new MmapArea(0, info.size()))
        : List.of();
  }

  /**
   * The checks of {@code mmap(NULL, length, prot, shared ? MAP_SHARED : MAP_PRIVATE, fd, offset)}
   * on the device fd on a kernel with {@code pageSize} pages ({@code vfio_pci_core_mmap}, after the
   * variant's own check): a page-aligned offset, a region that exists, {@code MAP_SHARED}, a BAR
   * whose mapping is supported (MEM) or a device-specific region with {@code FLAG_MMAP}, and {@code
   * offset + length} within the page-aligned BAR (a variant's visible length, unaligned).
   *
   * @param offset the mmap offset in the device fd, region index in bits 40 and up
   * @param length the mapping length in bytes
   * @param shared whether {@code MAP_SHARED} was passed
   * @param pageSize the kernel page size in bytes, a power of two
   * @throws UapiException {@code EINVAL} where the kernel refuses the mapping
   */
  public synchronized void checkMmap(long offset, long length, boolean shared, long pageSize) {
    UapiException.check(
        length > 0 && (offset & (pageSize - 1)) == 0, Errno.EINVAL, "unaligned or empty mmap");
    long index = vfioPciOffsetToIndex(offset);
    UapiException.check(index < numRegions(), Errno.EINVAL, "mmap beyond the regions");
    UapiException.check(shared, Errno.EINVAL, "mmap of a device region must be MAP_SHARED");
    long start = offset & VFIO_PCI_OFFSET_MASK;
    long end = start + length;
    if (index >= VFIO_PCI_NUM_REGIONS) {
      DeviceRegion r = regions.get((int) index - VFIO_PCI_NUM_REGIONS);
      UapiException.check(
          (r.flags() & VFIO_REGION_INFO_FLAG_MMAP) != 0 && end <= r.size() && end > start,
          Errno.EINVAL,
          "region " + index + " cannot be mapped there");
      return;
    }
    int i = (int) index;
    UapiException.check(
        i < VFIO_PCI_ROM_REGION_INDEX && barSize[i] != 0 && !barIo[i],
        Errno.EINVAL,
        "region " + index + " cannot be mmapped");
    UapiException.check(
        visible[i] < 0 || end <= visible[i], Errno.EINVAL, "mmap reaches the hidden part");
    long physLen = (barSize[i] + pageSize - 1) & -pageSize;
    UapiException.check(end <= physLen && end > start, Errno.EINVAL, "mmap past the BAR");
  }

  // --- read and write
  // ------------------------------------------------------------------------------

  /**
   * {@code pread(fd, buf, count, offset)} on the device fd: reads up to {@code count} (unsigned)
   * bytes of the region at {@code offset} into user memory at {@code addr}, by the rules of the
   * class comment.
   *
   * @param offset the device-fd offset, region index in bits 40 and up
   * @param count the bytes to read, unsigned
   * @param user the user address space written to
   * @param addr the user address of the buffer
   * @return the bytes read (fewer than {@code count} where the access crosses the region's end)
   * @throws UapiException {@code EINVAL}, {@code EFAULT}, {@code EIO} as the class comment says
   */
  public synchronized long read(long offset, long count, UserAccess user, long addr) {
    return transfer(offset, count, false, user, addr);
  }

  /**
   * {@code pwrite(fd, buf, count, offset)} on the device fd: writes up to {@code count} (unsigned)
   * bytes from user memory at {@code addr} into the region at {@code offset}.
   *
   * @param offset the device-fd offset, region index in bits 40 and up
   * @param count the bytes to write, unsigned
   * @param user the user address space read from
   * @param addr the user address of the buffer
   * @return the bytes written
   * @throws UapiException as {@link #read}; {@code EINVAL} for the ROM
   */
  public synchronized long write(long offset, long count, UserAccess user, long addr) {
    return transfer(offset, count, true, user, addr);
  }

  /**
   * Reads {@code count} bytes at device-fd {@code offset} as {@link #read}, into a new array.
   *
   * @param offset the device-fd offset, region index in bits 40 and up
   * @param count the bytes to read, non-negative
   * @return the bytes read, fewer than {@code count} where the access crosses the region's end
   */
  public byte[] read(long offset, int count) {
    ArrayAccess a = new ArrayAccess(new byte[count]);
    long n = read(offset, count, a, 0);
    return Arrays.copyOf(a.bytes, (int) n);
  }

  /**
   * Writes {@code bytes} at device-fd {@code offset} as {@link #write}; returns the count.
   *
   * @param offset the device-fd offset, region index in bits 40 and up
   * @param bytes the bytes to write, copied first
   * @return the bytes written
   */
  public long write(long offset, byte[] bytes) {
    return write(offset, bytes.length, new ArrayAccess(bytes.clone()), 0);
  }

  private long transfer(
      long offset, long unsignedCount, boolean write, UserAccess user, long addr) {
    long count = unsignedCount < 0 ? Long.MAX_VALUE : unsignedCount; // no region is that large
    long index = vfioPciOffsetToIndex(offset);
    long pos = offset & VFIO_PCI_OFFSET_MASK;
    if (index <= VFIO_PCI_BAR5_REGION_INDEX && visible[(int) index] >= 0) {
      long end = visible[(int) index];
      UapiException.check(pos < end, Errno.EINVAL, "access to the hidden part of the BAR");
      count = Math.min(count, end - pos);
    }
    if (count == 0) {
      return 0;
    }
    UapiException.check(index < numRegions(), Errno.EINVAL, "offset beyond the regions");
    Window w = window((int) index, pos, count, write);
    for (long done = 0; done < w.length; ) {
      int k = (int) Math.min(CHUNK, w.length - done);
      if (write) {
        ByteBuffer src = user.read(addr + done, k);
        for (int j = 0; j < k; j++) {
          w.put(pos + done + j, src.get());
        }
      } else {
        byte[] chunk = new byte[k];
        for (int j = 0; j < k; j++) {
          chunk[j] = w.get(pos + done + j);
        }
        user.write(addr + done, ByteBuffer.wrap(chunk));
      }
      done += k;
    }
    return w.length;
  }

  /** Validates an access to region {@code index} and returns where its bytes go. */
  private Window window(int index, long pos, long count, boolean write) {
    if (index <= VFIO_PCI_ROM_REGION_INDEX) {
      boolean romRegion = index == VFIO_PCI_ROM_REGION_INDEX;
      UapiException.check(!(romRegion && write), Errno.EINVAL, "the ROM cannot be written");
      long end = romRegion ? romSize : barSize[index];
      UapiException.check(
          end != 0,
          Errno.EINVAL,
          "region " + index + " has size 0 (a BAR the device does not have)");
      UapiException.check(pos < end, Errno.EINVAL, "offset past the end of region " + index);
      boolean mem = romRegion || !barIo[index];
      UapiException.check(
          !mem || (config[PCI_COMMAND] & COMMAND_MEMORY) != 0,
          Errno.EIO,
          "memory decode disabled in PCI_COMMAND");
      SparseBytes bytes = romRegion ? rom : bars[index];
      long xStart = index == msixBar ? msixOffset : 0;
      long xEnd = index == msixBar ? msixOffset + msixSize : 0;
      return new Window(Math.min(count, end - pos)) {
        @Override
        byte get(long p) {
          return p >= xStart && p < xEnd ? (byte) 0xff : bytes.get(p);
        }

        @Override
        void put(long p, byte v) {
          if (p < xStart || p >= xEnd) {
            bytes.set(p, v);
          }
        }
      };
    } else if (index == VFIO_PCI_CONFIG_REGION_INDEX) {
      UapiException.check(
          pos < config.length && count <= config.length - pos,
          Errno.EFAULT,
          "config access outside config space");
      return new Window(count) {
        @Override
        byte get(long p) {
          return config[(int) p];
        }

        @Override
        void put(long p, byte v) {
          int mask =
              p == PCI_COMMAND ? COMMAND_WRITABLE & 0xff : p == 5 ? COMMAND_WRITABLE >> 8 : 0;
          config[(int) p] = (byte) ((config[(int) p] & ~mask) | (v & mask));
        }
      };
    } else if (index == VFIO_PCI_VGA_REGION_INDEX) {
      UapiException.check(vga, Errno.EINVAL, "device has no VGA");
      long end;
      if (pos >= 0xa0000 && pos < 0xc0000) {
        end = 0xc0000;
      } else if (pos >= 0x3b0 && pos < 0x3bc) {
        end = 0x3bc;
      } else if (pos >= 0x3c0 && pos < 0x3e0) {
        end = 0x3e0;
      } else {
        throw new UapiException(Errno.EINVAL, "offset outside the VGA ranges");
      }
      return new SparseWindow(vgaMem, Math.min(count, end - pos));
    }
    DeviceRegion r = regions.get(index - VFIO_PCI_NUM_REGIONS);
    int need = write ? VFIO_REGION_INFO_FLAG_WRITE : VFIO_REGION_INFO_FLAG_READ;
    UapiException.check((r.flags() & need) != 0, Errno.EINVAL, "region access not supported");
    UapiException.check(pos < r.size(), Errno.EINVAL, "offset past the end of the region");
    return new SparseWindow(r.bytes(), Math.min(count, r.size() - pos));
  }

  // --- the driver's view
  // -----------------------------------------------------------------------------

  /**
   * Reads the little-endian u32 at {@code offset} of BAR {@code bar} as the driver does through its
   * own mapping ({@code readl} on the {@code ioremap}ped BAR): the whole BAR, hidden part included,
   * no decode check.
   *
   * @param bar the BAR index, 0 to 5
   * @param offset the byte offset in the BAR
   * @return the u32 read
   * @throws IndexOutOfBoundsException outside the BAR
   */
  public synchronized int ioread32(int bar, long offset) {
    Objects.checkFromIndexSize(offset, 4, barSize[bar]);
    int v = 0;
    for (int j = 3; j >= 0; j--) {
      v = (v << 8) | (bars[bar].get(offset + j) & 0xff);
    }
    return v;
  }

  /**
   * Writes the little-endian u32 {@code value} at {@code offset} of BAR {@code bar} ({@code
   * writel}).
   *
   * @param bar the BAR index, 0 to 5
   * @param offset the byte offset in the BAR; the 4 bytes must lie within it
   * @param value the u32 to write
   */
  public synchronized void iowrite32(int bar, long offset, int value) {
    Objects.checkFromIndexSize(offset, 4, barSize[bar]);
    for (int j = 0; j < 4; j++) {
      bars[bar].set(offset + j, (byte) (value >>> (8 * j)));
    }
  }

  /**
   * Reads a little-endian u64 at {@code offset} of BAR {@code bar}, as two {@link #ioread32}.
   *
   * @param bar the BAR index, 0 to 5
   * @param offset the byte offset in the BAR; the 8 bytes must lie within it
   * @return the u64 read, low word from {@code offset}
   */
  public synchronized long ioread64(int bar, long offset) {
    return (ioread32(bar, offset) & 0xffff_ffffL) | ((long) ioread32(bar, offset + 4) << 32);
  }

  /**
   * Writes a little-endian u64 at {@code offset} of BAR {@code bar}, as two {@link #iowrite32}.
   *
   * @param bar the BAR index, 0 to 5
   * @param offset the byte offset in the BAR; the 8 bytes must lie within it
   * @param value the u64 to write, low word at {@code offset}
   */
  public synchronized void iowrite64(int bar, long offset, long value) {
    iowrite32(bar, offset, (int) value);
    iowrite32(bar, offset + 4, (int) (value >>> 32));
  }

  /**
   * Returns the physical length of BAR {@code bar} ({@code pci_resource_len}).
   *
   * @param bar the BAR index, 0 to 5
   * @return the BAR size in bytes, 0 for a BAR the device does not have (size 0, as PCI reports an
   *     absent BAR)
   */
  public long barLength(int bar) {
    return barSize[bar];
  }

  private static void putLe(byte[] a, int off, int value, int width) {
    for (int j = 0; j < width; j++) {
      a[off + j] = (byte) (value >>> (8 * j));
    }
  }

  /** Where the bytes of one validated access go: {@code length} bytes from the access's start. */
  private abstract static class Window {
    final long length;

    Window(long length) {
      this.length = length;
    }

    abstract byte get(long pos);

    abstract void put(long pos, byte value);
  }

  private static final class SparseWindow extends Window {
    private final SparseBytes bytes;

    SparseWindow(SparseBytes bytes, long length) {
      super(length);
      this.bytes = bytes;
    }

    @Override
    byte get(long pos) {
      return bytes.get(pos);
    }

    @Override
    void put(long pos, byte value) {
      bytes.set(pos, value);
    }
  }

  /** A byte array as user memory at address 0, for the array forms of read and write. */
  private static final class ArrayAccess implements UserAccess {
    final byte[] bytes;

    ArrayAccess(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public ByteBuffer read(long address, int length) {
      return ByteBuffer.wrap(bytes, (int) address, length).slice();
    }

    @Override
    public void write(long address, ByteBuffer source) {
      source.get(bytes, (int) address, source.remaining());
    }
  }

  /** A device-specific region: its type, flags, size, sparse areas and contents. */
  record DeviceRegion(
      int type, int subtype, long size, int flags, List<MmapArea> sparse, SparseBytes bytes) {}
}
