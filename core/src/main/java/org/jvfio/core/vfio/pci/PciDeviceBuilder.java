package org.jvfio.core.vfio.pci;

import com.google.common.base.Preconditions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A builder of a {@link VfioPciDevice}. Without calls it describes a conventional PCI function with
 * no BAR, no ROM, no VGA, no interrupts but INTx, and reset. Not thread-safe.
 */
public final class PciDeviceBuilder {
  final int vendorId;
  final int deviceId;
  final long[] barSize = new long[6];
  final boolean[] barIo = new boolean[6];
  final long[] visible = {-1, -1, -1, -1, -1, -1};
  final List<VfioPciDevice.DeviceRegion> regions = new ArrayList<>();
  int classCode = 0x120000; // processing accelerator
  int revision;
  long romSize;
  boolean vga;
  boolean pcie = true;
  int msixBar = -1;
  long msixOffset;
  int msixVectors;
  int msiVectors;
  boolean intx = true;
  boolean resetWorks = true;
  int atomicComp;

  PciDeviceBuilder(int vendorId, int deviceId) {
    this.vendorId = vendorId & 0xffff;
    this.deviceId = deviceId & 0xffff;
  }

  /**
   * Makes BAR {@code bar} a memory BAR of {@code size} bytes (a power of two).
   *
   * @param bar the BAR index, 0 to 5 (VFIO_PCI_BAR0_REGION_INDEX to BAR5)
   * @param size the BAR size in bytes, a power of two
   * @return this builder
   */
  public PciDeviceBuilder memBar(int bar, long size) {
    return bar(bar, size, false);
  }

  /**
   * Makes BAR {@code bar} an I/O-port BAR of {@code size} bytes (never mmappable).
   *
   * @param bar the BAR index, 0 to 5
   * @param size the BAR size in bytes, a power of two
   * @return this builder
   */
  public PciDeviceBuilder ioBar(int bar, long size) {
    return bar(bar, size, true);
  }

  private PciDeviceBuilder bar(int bar, long size, boolean io) {
    Objects.checkIndex(bar, 6);
    Preconditions.checkArgument(
        size > 0 && Long.bitCount(size) == 1, "BAR size not a power of two: %s", size);
    barSize[bar] = size;
    barIo[bar] = io;
    return this;
  }

  /**
   * Has the variant driver report and serve only the first {@code length} bytes of memory BAR
   * {@code bar} (hisi_acc's half of BAR2); the driver still reaches all of it.
   *
   * @param bar the index of a memory BAR already set by {@link #memBar}
   * @param length the bytes reported in {@code vfio_region_info.size}, 1 to the BAR size
   * @return this builder
   */
  public PciDeviceBuilder userVisibleBarLength(int bar, long length) {
    Preconditions.checkArgument(
        barSize[bar] != 0 && !barIo[bar] && length > 0 && length <= barSize[bar],
        "bad visible length");
    visible[bar] = length;
    return this;
  }

  /**
   * Gives the function an expansion ROM of {@code size} bytes (a power of two).
   *
   * @param size the ROM size in bytes, a power of two
   * @return this builder
   */
  public PciDeviceBuilder rom(long size) {
    Preconditions.checkArgument(size > 0 && Long.bitCount(size) == 1);
    romSize = size;
    return this;
  }

  /**
   * Gives the function the legacy VGA ranges (region 8).
   *
   * @return this builder
   */
  public PciDeviceBuilder vga() {
    vga = true;
    return this;
  }

  /**
   * Makes the function conventional PCI: 256 bytes of config space and no ERR interrupt.
   *
   * @return this builder
   */
  public PciDeviceBuilder conventionalPci() {
    pcie = false;
    return this;
  }

  /**
   * Sets the 24-bit class code (class, subclass, programming interface) and the revision.
   *
   * @param classCode the class code, low 24 bits kept (config offset 0x09)
   * @param revision the revision ID, low 8 bits kept (config offset 0x08)
   * @return this builder
   */
  public PciDeviceBuilder classCode(int classCode, int revision) {
    this.classCode = classCode & 0xffffff;
    this.revision = revision & 0xff;
    return this;
  }

  /**
   * Places an MSI-X table of {@code vectors} 16-byte entries at {@code offset} of BAR {@code bar}.
   *
   * @param bar the index of the BAR holding the table, already sized
   * @param offset the table's byte offset in that BAR; the table must fit in it
   * @param vectors the number of vectors, at least 1
   * @return this builder
   */
  public PciDeviceBuilder msix(int bar, long offset, int vectors) {
    Preconditions.checkArgument(
        barSize[bar] != 0 && vectors > 0 && offset + 16L * vectors <= barSize[bar]);
    msixBar = bar;
    msixOffset = offset;
    msixVectors = vectors;
    return this;
  }

  /**
   * Gives the function MSI with {@code vectors} vectors.
   *
   * @param vectors the number of MSI vectors (0 for none)
   * @return this builder
   */
  public PciDeviceBuilder msi(int vectors) {
    msiVectors = vectors;
    return this;
  }

  /**
   * Removes the INTx pin.
   *
   * @return this builder
   */
  public PciDeviceBuilder noIntx() {
    intx = false;
    return this;
  }

  /**
   * Makes {@code VFIO_DEVICE_RESET} unsupported ({@code reset_works} false).
   *
   * @return this builder
   */
  public PciDeviceBuilder noReset() {
    resetWorks = false;
    return this;
  }

  /**
   * Reports the AtomicOp completer capability with {@code VFIO_PCI_ATOMIC_COMP*} flags.
   *
   * @param flags {@code VFIO_PCI_ATOMIC_COMP32}, {@code COMP64} and/or {@code COMP128}; low 3 bits
   *     kept
   * @return this builder
   */
  public PciDeviceBuilder atomicComp(int flags) {
    atomicComp = flags & 7;
    return this;
  }

  /**
   * Adds a device-specific region (index 9 onwards, in call order) of {@code size} bytes with
   * {@code VFIO_REGION_INFO_FLAG_*} {@code flags}, its type capability, and {@code sparse} mmap
   * areas (a sparse capability if non-empty).
   *
   * @param type the {@code vfio_region_info_cap_type.type}
   * @param subtype the {@code vfio_region_info_cap_type.subtype}
   * @param size the region size in bytes, positive
   * @param flags the {@code VFIO_REGION_INFO_FLAG_*} flags reported
   * @param sparse the areas of the {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP} capability, possibly
   *     empty
   * @return this builder
   */
  public PciDeviceBuilder deviceRegion(
      int type, int subtype, long size, int flags, List<MmapArea> sparse) {
    Preconditions.checkArgument(size > 0, "region size %s", size);
    regions.add(
        new VfioPciDevice.DeviceRegion(
            type, subtype, size, flags, List.copyOf(sparse), new SparseBytes()));
    return this;
  }

  /**
   * Returns the device.
   *
   * @return a new device with the configured BARs, ROM, interrupts and regions
   */
  public VfioPciDevice build() {
    return new VfioPciDevice(this);
  }
}
