package org.jvfio.testkit.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.pt.PageTable;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.pt.PtFormatBuilder;

/**
 * The format contract over a small format with per-item contiguous runs, independent of any vendor:
 * a 4 KiB granule with pages (level 0) and 2 MiB blocks (level 1), each also as runs of 16 entries
 * (64 KiB, 32 MiB) marked by bit 52, every entry carrying its own output address, as Arm's
 * contiguous hint (Arm ARM, chapter D8, "The Contiguous bit"). Type bits 1:0 as LPAE (0b11 page or
 * table, 0b01 block); R, W and D are plain bits 2, 3 and 4. Besides the contract, example tables
 * for the engine's handling of such runs (iommupt's {@code __unmap_range} for unmaps).
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

  private static final long RUN = 0x1_0000L;
  private static final long PAGE = 0x1000L;

  private static PageTable tableWithOneRun() {
    PageTable pt = new PageTable(format4k(), new PageTableMemory(), new Iotlb(), (r, top) -> {});
    pt.map(RUN, 0x50_0000L, RUN, 3);
    return pt;
  }

  private static long[] leafEntries(PageTable pt) {
    long[] e = new long[16];
    for (int j = 0; j < 16; j++) {
      long[] w = pt.walk(RUN + j * PAGE);
      e[j] = w[w.length - 1];
    }
    return e;
  }

  @Test
  void map_alignedRange_writesOneRunWhoseEntriesCarryTheirOwnAddresses() {
    PageTable pt = tableWithOneRun();
    long[] e = leafEntries(pt);
    for (int j = 0; j < 16; j++) {
      assertTrue((e[j] & CONTIGUOUS) != 0, "entry " + j);
      assertEquals(0x50_0000L + j * PAGE, e[j] & 0x0000_FFFF_FFFF_F000L, "entry " + j);
      assertEquals(RUN, pt.format().leafSize(e[j], 0), "entry " + j);
    }
  }

  @Test
  void unmap_startingInsideARun_unmapsNothing() {
    PageTable pt = tableWithOneRun();
    assertEquals(0, pt.unmap(RUN + PAGE, PAGE, null));
    assertTrue(pt.iovaToPhys(RUN + PAGE).isPresent());
  }

  @Test
  void unmap_fromTheStartOfARunShorterThanIt_removesTheWholeRunAndCountsIt() {
    PageTable pt = tableWithOneRun();
    assertEquals(RUN, pt.unmap(RUN, PAGE, null));
    for (int j = 0; j < 16; j++) {
      assertFalse(pt.iovaToPhys(RUN + j * PAGE).isPresent(), "page " + j);
    }
  }

  @Test
  void splitThenCollapse_runBecomesPagesAndPagesBecomeTheRunAgain() {
    PageTable pt = tableWithOneRun();
    long[] before = leafEntries(pt);
    pt.split(RUN, RUN, PAGE);
    for (long e : leafEntries(pt)) {
      assertEquals(0, e & CONTIGUOUS);
    }
    pt.collapse(RUN, RUN);
    assertEquals(Arrays.toString(before), Arrays.toString(leafEntries(pt)));
  }
}
