package org.jvfio.sim;

/**
 * The simulated time a harvest takes. The simulator runs the real models (page-table walks,
 * bitmaps, device logs) but charges simulated time from these constants, so results do not depend
 * on the machine running the simulation.
 *
 * <ul>
 *   <li>{@link #PTE_NS}: reading and clearing one 8-byte leaf entry, 1.6 ns: a single-threaded Java
 *       measurement (OpenJDK 17 on a 2-vCPU Xeon KVM guest) of a branch-free read-and-clear over a
 *       flat array of 2^27 entries gave 1.58–1.75 ns per entry. A harvest visits every leaf of the
 *       harvested range (the walk's cost follows the entries present), so 4 KiB leaves cost 512
 *       times as much as 2 MiB ones. Also charged per entry written by a split.
 *   <li>{@link #BITMAP_BYTE_NS}: scanning and clearing one byte of a dirty bitmap, 0.18 ns: the
 *       same measurement scanned and cleared a 16 MiB bitmap in 2.7–3.2 ms warm. Charged for every
 *       bitmap a harvest hands over: the IOMMU's and the exact device tracker's (a bit per 4 KiB of
 *       the range), the pds-like tracker's two bitmaps (ack and seq) over its single region, KVM's
 *       dirty log over RAM.
 *   <li>{@link #INVALIDATION_NS}: one IOTLB invalidation with its completion wait, 1 µs. An
 *       assumption (no measured figure in the sources); counted from the domain's {@link
 *       org.jvfio.core.hw.Iotlb} counters, so it follows what the vendor model really issued.
 *   <li>{@link #REPORT_ENTRY_NS}: one dirty address reported by an mlx5-like device, 5 ns. An
 *       assumption: mlx5 reports dirty pages as a list of 8-byte addresses over an RC QP ({@code
 *       drivers/vfio/pci/mlx5/cmd.c}), so its report costs follow the dirty pages, not the tracked
 *       range.
 * </ul>
 *
 * <p>Not charged: the ioctl entry itself, the VMM's scan of its own migration bitmap (the same for
 * every tracker), the destination's load time.
 */
final class CostModel {
  private CostModel() {}

  static final double PTE_NS = 1.6;
  static final double BITMAP_BYTE_NS = 0.18;
  static final double INVALIDATION_NS = 1000;
  static final double REPORT_ENTRY_NS = 5;

  /** Bytes of a bitmap with a bit per 4 KiB of {@code length} bytes. */
  static long bitmapBytes(long length, long pageSize) {
    return (length / pageSize + 7) / 8;
  }
}
