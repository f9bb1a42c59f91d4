package org.jvfio.api.iommufd;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;

/**
 * One page fault as {@code read(2)} of a fault queue's fd returns it: a record of an IO page fault
 * request group.
 *
 * <p>Models {@code struct iommu_hwpt_pgfault} of {@code include/uapi/linux/iommufd.h}: {@value
 * #SIZE} bytes on LP64 little-endian, with {@code flags} at 0, {@code dev_id} at 4, {@code pasid}
 * at 8, {@code grpid} at 12, {@code perm} at 16, {@code __reserved} at 20, {@code addr} at 24,
 * {@code length} at 32 and {@code cookie} at 36. Every fault of one group carries the group's
 * {@code cookie}, which the response echoes ({@link IommuHwptPageResponse}).
 *
 * <p>Components are the C fields in C order and carry their raw bits: unsigned values with the top
 * bit set are negative here, so compare them with {@link Integer#compareUnsigned} or {@link
 * Long#compareUnsigned}. Nothing is validated: this is the C struct, not a checked request.
 *
 * @param flags {@link Iommufd#IOMMU_PGFAULT_FLAGS_PASID_VALID}, {@link
 *     Iommufd#IOMMU_PGFAULT_FLAGS_LAST_PAGE} ({@code __u32 flags} at offset 0)
 * @param devId the iommufd id of the faulting device ({@code __u32 dev_id} at offset 4)
 * @param pasid the PASID, valid with {@code PASID_VALID} ({@code __u32 pasid} at offset 8)
 * @param grpid the page request group index ({@code __u32 grpid} at offset 12)
 * @param perm {@code IOMMU_PGFAULT_PERM_*} bits ({@code __u32 perm} at offset 16)
 * @param reserved 0 ({@code __u32 __reserved} at offset 20)
 * @param addr the faulting address ({@code __aligned_u64 addr} at offset 24)
 * @param length a hint of how much the requester will fetch, 0 without one ({@code __u32 length} at
 *     offset 32)
 * @param cookie the kernel's id of the group, echoed in the response ({@code __u32 cookie} at
 *     offset 36)
 */
public record IommuHwptPgfault(
    int flags,
    int devId,
    int pasid,
    int grpid,
    int perm,
    int reserved,
    long addr,
    int length,
    int cookie) {

  /** {@code sizeof(struct iommu_hwpt_pgfault)} on LP64: 40 bytes. */
  public static final int SIZE = 40;

  /**
   * Writes this struct as {@value #SIZE} little-endian bytes at the buffer's position, whatever
   * {@code buf.order()} is, and advances the position by {@value #SIZE}. The buffer's byte order is
   * left unchanged.
   *
   * @param buf the destination
   * @throws BufferOverflowException if fewer than {@value #SIZE} bytes remain (nothing is written)
   * @throws ReadOnlyBufferException if {@code buf} is read-only
   */
  public void encode(ByteBuffer buf) {
    ByteBuffer out = Le.out(buf, SIZE);
    out.putInt(flags);
    out.putInt(devId);
    out.putInt(pasid);
    out.putInt(grpid);
    out.putInt(perm);
    out.putInt(reserved);
    out.putLong(addr);
    out.putInt(length);
    out.putInt(cookie);
  }

  /**
   * Reads a {@code struct iommu_hwpt_pgfault} from {@value #SIZE} little-endian bytes at the
   * buffer's position, whatever {@code buf.order()} is, and advances the position by {@value
   * #SIZE}.
   *
   * @param buf the source
   * @return the decoded struct
   * @throws BufferUnderflowException if fewer than {@value #SIZE} bytes remain (nothing is read)
   */
  public static IommuHwptPgfault decode(ByteBuffer buf) {
    ByteBuffer in = Le.in(buf, SIZE);
    int flags = in.getInt();
    int devId = in.getInt();
    int pasid = in.getInt();
    int grpid = in.getInt();
    int perm = in.getInt();
    int reserved = in.getInt();
    long addr = in.getLong();
    int length = in.getInt();
    int cookie = in.getInt();
    return new IommuHwptPgfault(flags, devId, pasid, grpid, perm, reserved, addr, length, cookie);
  }
}
