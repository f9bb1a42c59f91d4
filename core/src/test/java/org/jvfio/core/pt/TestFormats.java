package org.jvfio.core.pt;

/** Small formats for the engine's example tables. */
final class TestFormats {
  static final long NL = 7L << 9;

  private TestFormats() {}

  /**
   * A format of replicated runs in the AMD v1 style: level 0 holds 4 KiB pages and runs of up to
   * 256 of them (bits 11:9 are 7 in a run's entries, the size encoded in the address field), level
   * 1 only 2 MiB leaves, level 2 (the top, 39-bit IOVA) only 1 GiB leaves. P is bit 0, R bit 1, W
   * bit 2, D bit 6; PS (bit 7) marks a leaf at levels 1 and 2.
   */
  static PtFormatBuilder replicas() {
    long p = 1;
    long ps = 1L << 7;
    long d = 1L << 6;
    return PtFormat.builder("replicas")
        .geometry(12, 9, 2, 2, 39)
        .presentBit(p)
        .leaf(0, NL, 0, p, 0x1000L | 0x1_0000L | 0x10_0000L)
        .leaf(1, NL | ps, ps, p | ps, 1L << 21)
        .leaf(2, NL | ps, ps, p | ps, 1L << 30)
        .table(1, ps, 0, p)
        .table(2, ps, 0, p)
        .replicas(NL, NL)
        .protections(2, 4, 6)
        .permissions(2, 0, 4, 0, false)
        .dirty(d, d, ~d, 0, -1L, d)
        .attributes(6)
        .describer((e, level) -> "L" + level + " 0x" + Long.toHexString(e));
  }

  /**
   * A format of contiguous-hint runs in the Arm style (every item of a run carries its own output
   * address, bit 52 set): level 0 holds 4 KiB pages and runs of 16 of them, level 1 2 MiB leaves
   * and runs of 16 of them, level 2 (the top, 39-bit IOVA) 1 GiB leaves. P is bit 0, R bit 1, W bit
   * 2, D bit 6; PS (bit 7) marks a leaf at levels 1 and 2.
   */
  static PtFormatBuilder contiguousHint() {
    long p = 1;
    long ps = 1L << 7;
    long d = 1L << 6;
    return PtFormat.builder("contiguous-hint")
        .geometry(12, 9, 2, 2, 39)
        .presentBit(p)
        .addressMask(0x000F_FFFF_FFFF_F000L)
        .leaf(0, 0, 0, p, 0x1000L | 0x1_0000L)
        .leaf(1, ps, ps, p | ps, (1L << 21) | (1L << 25))
        .leaf(2, ps, ps, p | ps, 1L << 30)
        .table(1, ps, 0, p)
        .table(2, ps, 0, p)
        .contiguousHint(1L << 52)
        .protections(2, 4, 6)
        .permissions(2, 0, 4, 0, false)
        .dirty(d, d, ~d, 0, -1L, d)
        .attributes(6)
        .describer((e, level) -> "L" + level + " 0x" + Long.toHexString(e));
  }
}
