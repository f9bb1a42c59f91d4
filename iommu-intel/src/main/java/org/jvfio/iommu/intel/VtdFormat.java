package org.jvfio.iommu.intel;

import static org.jvfio.iommu.intel.VtdPte.ADDRESS_MASK;

import org.jvfio.core.spi.IommuDomain;

/*
 * The two VT-d entry formats, as the page-table engine (VtdDomain) sees them: how to tell present
 * from empty and leaf from table, how to encode a table pointer and a leaf, and which bits the
 * hardware updates. Levels: 1 = PTE ... 5 = PML5E; leaves only at levels 1..3 (PS at 2 and 3).
 *
 * Second stage (spec §3.2): no present bit, R = W = 0 means not present (trap T5); table entries
 * are R | W | address; leaves address | R? | W? | PS (level >= 2), A and D start clear and are set
 * by the hardware (A on the walk, D on a write) when SSADE is on.
 *
 * First stage (spec §3.3, x86_64.h): P bit; table entries P | RW | U | A | address; leaves
 * P | U | A | (RW | D if writable) | PS. A and D are pre-set by software, so the hardware never
 * updates them and the format has no dirty bit to harvest (trap T6).
 */
enum VtdFormat {
  SECOND_STAGE(VtdPte.SS_A, VtdPte.SS_D, "SS") {
    @Override
    boolean present(long e) {
      return (e & (VtdPte.SS_R | VtdPte.SS_W)) != 0;
    }

    @Override
    long tableEntry(long pa) {
      return (pa & ADDRESS_MASK) | VtdPte.SS_R | VtdPte.SS_W;
    }

    @Override
    long leafEntry(long pa, int level, int prot) {
      long e = pa & ADDRESS_MASK;
      if ((prot & IommuDomain.IOMMU_READ) != 0) {
        e |= VtdPte.SS_R;
      }
      if ((prot & IommuDomain.IOMMU_WRITE) != 0) {
        e |= VtdPte.SS_W;
      }
      return level > 1 ? e | VtdPte.SS_PS : e;
    }

    @Override
    boolean readable(long e) {
      return (e & VtdPte.SS_R) != 0;
    }

    @Override
    boolean writable(long e) {
      return (e & VtdPte.SS_W) != 0;
    }

    @Override
    String flags(long e) {
      StringBuilder b = new StringBuilder();
      append(b, e, VtdPte.SS_R, "R");
      append(b, e, VtdPte.SS_W, "W");
      append(b, e, VtdPte.SS_PS, "PS");
      append(b, e, VtdPte.SS_A, "A");
      append(b, e, VtdPte.SS_D, "D");
      append(b, e, VtdPte.SS_SNP, "SNP");
      return b.toString();
    }
  },

  FIRST_STAGE(VtdPte.FS_A, VtdPte.FS_D, "FS") {
    @Override
    boolean present(long e) {
      return (e & VtdPte.FS_P) != 0;
    }

    @Override
    long tableEntry(long pa) {
      return (pa & ADDRESS_MASK) | VtdPte.FS_P | VtdPte.FS_RW | VtdPte.FS_US | VtdPte.FS_A;
    }

    @Override
    long leafEntry(long pa, int level, int prot) {
      long e = (pa & ADDRESS_MASK) | VtdPte.FS_P | VtdPte.FS_US | VtdPte.FS_A;
      if ((prot & IommuDomain.IOMMU_WRITE) != 0) {
        e |= VtdPte.FS_RW | VtdPte.FS_D;
      }
      return level > 1 ? e | VtdPte.FS_PS : e;
    }

    @Override
    boolean readable(long e) {
      return true; // x86-64 paging has no read permission bit: present means readable
    }

    @Override
    boolean writable(long e) {
      return (e & VtdPte.FS_RW) != 0;
    }

    @Override
    String flags(long e) {
      StringBuilder b = new StringBuilder();
      append(b, e, VtdPte.FS_P, "P");
      append(b, e, VtdPte.FS_RW, "RW");
      append(b, e, VtdPte.FS_US, "U");
      append(b, e, VtdPte.FS_A, "A");
      append(b, e, VtdPte.FS_D, "D");
      append(b, e, VtdPte.FS_PS, "PS");
      append(b, e, VtdPte.FS_XD, "XD");
      return b.toString();
    }
  };

  /** PS, bit 7 in both formats. */
  static final long PS = 1L << 7;

  /** The accessed bit. */
  final long accessed;

  /** The dirty bit. */
  final long dirty;

  private final String prefix;

  VtdFormat(long accessed, long dirty, String prefix) {
    this.accessed = accessed;
    this.dirty = dirty;
    this.prefix = prefix;
  }

  abstract boolean present(long e);

  abstract long tableEntry(long pa);

  abstract long leafEntry(long pa, int level, int prot);

  abstract boolean readable(long e);

  abstract boolean writable(long e);

  abstract String flags(long e);

  /** Returns whether a present entry at {@code level} is a leaf (PTE, or PS at PDE/PDPTE). */
  static boolean isLeaf(long e, int level) {
    return level == 1 || (level <= 3 && (e & PS) != 0);
  }

  /** Returns the address field, bits 51:12. */
  static long address(long e) {
    return e & ADDRESS_MASK;
  }

  /** Returns the bits that identify a leaf: everything but the hardware-updated A and D. */
  long identity(long e) {
    return e & ~(accessed | dirty);
  }

  private static final String[] LEVEL_NAMES = {"?", "PTE", "PDE", "PDPTE", "PML4E", "PML5E"};

  String describe(long e, int level) {
    String name = prefix + "-" + (level >= 1 && level <= 5 ? LEVEL_NAMES[level] : "L" + level);
    String head = String.format("%s %#018x", name, e);
    if (!present(e)) {
      return head + " not present";
    }
    boolean leaf = level >= 1 && level <= 5 && isLeaf(e, level);
    String kind =
        leaf
            ? String.format("leaf %s -> %#x", sizeName(level), address(e))
            : String.format("table -> %#x", address(e));
    return head + " " + kind + " " + flags(e);
  }

  private static String sizeName(int level) {
    switch (level) {
      case 1:
        return "4K";
      case 2:
        return "2M";
      default:
        return "1G";
    }
  }

  private static void append(StringBuilder b, long e, long bit, String name) {
    if ((e & bit) != 0) {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(name);
    }
  }
}
