package org.jvfio.testkit.contract;

import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.pt.PtFormatBuilder;

/**
 * The format contract over a small format with per-item contiguous runs, independent of any vendor:
 * a 4 KiB granule with pages (level 0) and 2 MiB blocks (level 1), each also as runs of 16 entries
 * (64 KiB, 32 MiB) marked by bit 52, every entry carrying its own output address, as Arm's
 * contiguous hint (Arm ARM, chapter D8, "The Contiguous bit"). Type bits 1:0 as LPAE (0b11 page or
 * table, 0b01 block); R, W and D are plain bits 2, 3 and 4.
 */
class ContiguousFormatContractTest extends PtFormatContract {
  static final long CONTIGUOUS = 1L << 52;
  static final long PAGE_SIZES = 0x1000L | 0x1_0000L | 0x20_0000L | 0x200_0000L;

  /** Returns the format. */
  static PtFormat format4k() {
    long r = 1L << 2;
    long w = 1L << 3;
    long d = 1L << 4;
    PtFormatBuilder b =
        PtFormat.builder("contiguous-4k")
            .geometry(12, 9, 3, 3, 48)
            .presentBit(1)
            .addressMask(0x0000_FFFF_FFFF_F000L)
            .leaf(0, 3, 3, 3, 0x1000L | 0x1_0000L)
            .leaf(1, 3, 1, 1, 0x20_0000L | 0x200_0000L)
            .contiguousHint(CONTIGUOUS)
            .protections(r, w, r | w)
            .permissions(r, 0, w, 0, false)
            .dirty(d, d, ~d, 0, -1L, d)
            .attributes(r | w)
            .describer((e, level) -> "L" + level + " 0x" + Long.toHexString(e));
    for (int level = 1; level <= 3; level++) {
      b.table(level, 3, 3, 3);
    }
    return b.build();
  }

  @Override
  protected PtFormat format() {
    return format4k();
  }

  @Override
  protected long expectedPageSizes() {
    return PAGE_SIZES;
  }
}
