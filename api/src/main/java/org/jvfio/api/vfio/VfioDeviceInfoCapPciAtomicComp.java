package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.util.Objects;

/**
 * The PCIe AtomicOp completer capability of a device ({@link
 * Vfio#VFIO_DEVICE_INFO_CAP_PCI_ATOMIC_COMP}): which atomic operation sizes the root port completes
 * for it.
 *
 * <p>Models {@code struct vfio_device_info_cap_pci_atomic_comp} of {@code
 * include/uapi/linux/vfio.h}: {@value #SIZE} bytes on LP64 little-endian, with {@code header} at 0,
 * {@code flags} at 8, {@code reserved} at 12.
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param header the capability header: {@code id}, {@code version}, {@code next} ({@code struct
 *     vfio_info_cap_header header} at offset 0)
 * @param flags {@code VFIO_PCI_ATOMIC_COMP32/64/128} ({@code __u32 flags} at offset 8)
 * @param reserved reserved, 0 ({@code __u32 reserved} at offset 12)
 */
public record VfioDeviceInfoCapPciAtomicComp(VfioInfoCapHeader header, int flags, int reserved) {

  /** {@code sizeof(struct vfio_device_info_cap_pci_atomic_comp)} on LP64: 16 bytes. */
  public static final int SIZE = 16;

  /**
   * Creates the struct.
   *
   * @param header the capability header
   * @param flags the {@code VFIO_PCI_ATOMIC_COMP*} bits
   * @param reserved reserved, 0
   * @throws NullPointerException if {@code header} is null
   */
  public VfioDeviceInfoCapPciAtomicComp {
    Objects.requireNonNull(header, "header");
  }

  /**
   * Writes this struct as {@value #SIZE} little-endian bytes at the buffer's position and advances
   * the position by {@value #SIZE}; the buffer's byte order is left unchanged.
   *
   * @param buf the destination
   * @throws BufferOverflowException if fewer than {@value #SIZE} bytes remain (nothing is written)
   * @throws ReadOnlyBufferException if {@code buf} is read-only
   */
  public void encode(ByteBuffer buf) {
    ByteBuffer out = Le.out(buf, SIZE);
    header.encode(out);
    out.putInt(flags);
    out.putInt(reserved);
  }

  /**
   * Reads a {@code struct vfio_device_info_cap_pci_atomic_comp} from {@value #SIZE} little-endian
   * bytes at the buffer's position and advances the position by {@value #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static VfioDeviceInfoCapPciAtomicComp decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    VfioInfoCapHeader header = VfioInfoCapHeader.decode(in);
    int flags = in.getInt();
    int reserved = in.getInt();
    return new VfioDeviceInfoCapPciAtomicComp(header, flags, reserved);
  }
}
