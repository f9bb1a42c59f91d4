package org.jvfio.core.vfio.pci;

import static org.jvfio.api.vfio.Vfio.VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_CAP_MSIX_MAPPABLE;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_CAP_SPARSE_MMAP;
import static org.jvfio.api.vfio.Vfio.VFIO_REGION_INFO_CAP_TYPE;

import java.nio.ByteBuffer;
import java.util.List;
import org.jvfio.api.vfio.VfioDeviceInfoCapPciAtomicComp;
import org.jvfio.api.vfio.VfioInfoCapHeader;
import org.jvfio.api.vfio.VfioRegionInfoCapSparseMmap;
import org.jvfio.api.vfio.VfioRegionInfoCapType;
import org.jvfio.api.vfio.VfioRegionSparseMmapArea;

/**
 * One capability of a {@code VFIO_DEVICE_GET_INFO} or {@code VFIO_DEVICE_GET_REGION_INFO} reply: an
 * element of the chain that {@code vfio_info_add_capability} builds ({@code
 * drivers/vfio/vfio_main.c}).
 *
 * <p>Each capability knows its {@code struct vfio_info_cap_header} id and version and its size; the
 * chain places each at an 8-byte aligned offset and links them with {@code next} (see {@link
 * #encodeChain}).
 */
public sealed interface InfoCapability {
  /**
   * Returns the capability id ({@code header.id}).
   *
   * @return the {@code vfio_info_cap_header.id}, e.g. {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP}
   */
  int id();

  /**
   * Returns the capability version ({@code header.version}).
   *
   * @return the {@code vfio_info_cap_header.version}
   */
  int version();

  /**
   * Returns the size in bytes, header included.
   *
   * @return the bytes {@link #encode} writes, the 8-byte header included, before padding
   */
  int size();

  /**
   * Writes the capability with {@code next} in its header at {@code buf}'s position.
   *
   * @param buf the buffer written from its position on; {@link #size} bytes must remain
   * @param next the header's {@code next}: the offset of the following capability, 0 for the last
   */
  void encode(ByteBuffer buf, int next);

  /**
   * {@code VFIO_REGION_INFO_CAP_SPARSE_MMAP} version 1: the parts of a region the user may mmap.
   *
   * @param areas the mmappable areas, offsets within the region
   */
  record SparseMmap(List<MmapArea> areas) implements InfoCapability {
    /**
     * Copies the areas.
     *
     * @param areas the mmappable areas, offsets within the region, copied
     */
    public SparseMmap {
      areas = List.copyOf(areas);
    }

    @Override
    public int id() {
      return VFIO_REGION_INFO_CAP_SPARSE_MMAP;
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public int size() {
      return VfioRegionInfoCapSparseMmap.SIZE + areas.size() * VfioRegionSparseMmapArea.SIZE;
    }

    @Override
    public void encode(ByteBuffer buf, int next) {
      new VfioRegionInfoCapSparseMmap(new VfioInfoCapHeader(id(), version(), next), areas.size(), 0)
          .encode(buf);
      for (MmapArea a : areas) {
        new VfioRegionSparseMmapArea(a.offset(), a.size()).encode(buf);
      }
    }
  }

  /**
   * {@code VFIO_REGION_INFO_CAP_TYPE} version 1: what a device-specific region holds.
   *
   * @param type the region type
   * @param subtype the type-specific subtype
   */
  record RegionType(int type, int subtype) implements InfoCapability {
    @Override
    public int id() {
      return VFIO_REGION_INFO_CAP_TYPE;
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public int size() {
      return VfioRegionInfoCapType.SIZE;
    }

    @Override
    public void encode(ByteBuffer buf, int next) {
      new VfioRegionInfoCapType(new VfioInfoCapHeader(id(), version(), next), type, subtype)
          .encode(buf);
    }
  }

  /**
   * {@code VFIO_REGION_INFO_CAP_MSIX_MAPPABLE} version 1, header only: the MSI-X BAR's table may be
   * mmapped ({@code msix_mmappable_cap} in {@code drivers/vfio/pci/vfio_pci_core.c}).
   */
  record MsixMappable() implements InfoCapability {
    @Override
    public int id() {
      return VFIO_REGION_INFO_CAP_MSIX_MAPPABLE;
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public int size() {
      return VfioInfoCapHeader.SIZE;
    }

    @Override
    public void encode(ByteBuffer buf, int next) {
      new VfioInfoCapHeader(id(), version(), next).encode(buf);
    }
  }

  /**
   * {@code VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP} version 1: the AtomicOp sizes the root port
   * completes; reported only when at least one is enabled.
   *
   * @param flags {@code VFIO_PCI_ATOMIC_COMP32/64/128}
   */
  record PciAtomicComp(int flags) implements InfoCapability {
    @Override
    public int id() {
      return VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP;
    }

    @Override
    public int version() {
      return 1;
    }

    @Override
    public int size() {
      return VfioDeviceInfoCapPciAtomicComp.SIZE;
    }

    @Override
    public void encode(ByteBuffer buf, int next) {
      new VfioDeviceInfoCapPciAtomicComp(new VfioInfoCapHeader(id(), version(), next), flags, 0)
          .encode(buf);
    }
  }

  /**
   * Returns the byte size of the chain of {@code caps}: each capability starts 8-byte aligned, as
   * {@code vfio_info_cap_add} allocates them.
   *
   * @param caps the capabilities, in chain order
   * @return the sum of their sizes, each but the last padded to 8 bytes
   */
  static int chainSize(List<? extends InfoCapability> caps) {
    int size = 0;
    for (InfoCapability c : caps) {
      size = align8(size) + c.size();
    }
    return size;
  }

  /**
   * Returns the chain of {@code caps} as the kernel copies it behind the info struct: {@code base}
   * is the offset of the chain from the start of the info struct ({@code vfio_info_cap_shift}), so
   * each {@code next} is an offset from the start of the info struct, 0 for the last.
   *
   * @param caps the capabilities, in chain order
   * @param base the chain's offset from the start of the info struct
   * @return a buffer of {@link #chainSize} bytes, positioned at 0
   */
  static ByteBuffer encodeChain(List<? extends InfoCapability> caps, int base) {
    ByteBuffer buf = ByteBuffer.allocate(chainSize(caps));
    int pos = 0;
    for (int i = 0; i < caps.size(); i++) {
      int end = pos + caps.get(i).size();
      int next = i + 1 < caps.size() ? base + align8(end) : 0;
      buf.position(pos);
      caps.get(i).encode(buf, next);
      pos = align8(end);
    }
    return buf.clear();
  }

  private static int align8(int n) {
    return (n + 7) & -8;
  }
}
