package org.jvfio.core.pt;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.jvfio.core.hw.NestedFault;
import org.jvfio.core.hw.Stage1Format;
import org.jvfio.core.hw.Translation;

/**
 * The stage-1 half of a nested (two-stage) walk: a guest's table in a vendor's {@link PtFormat},
 * walked from its root with every entry read through stage 2 (VT-d 3.8, "Nested Translation";
 * SMMUv3 3.3.2). The format classifies and decodes each entry, as it does for the host's own
 * tables; this walk adds what nesting changes: the table words are guest-physical and reached
 * through the {@link Stage2} port, and the input address check is the architecture's.
 *
 * <p>Two kinds, as the hardware has them:
 *
 * <ul>
 *   <li><b>x86-64</b> (the VT-d first stage, {@link #x86}): the IOVA must be canonical (sign
 *       extended from the top bit the format translates); a write needs write permission at every
 *       level ({@link PtFormatBuilder#permissions} along the walk); the IOMMU sets the accessed bit
 *       in every entry it uses and the dirty bit in a leaf written through (VT-d 3.6, "First-Stage
 *       Translation"), each a locked update of the guest's table, i.e. a write through stage 2.
 *   <li><b>Arm LPAE stage 1</b> behind an SMMUv3 context descriptor ({@link
 *       #armContextDescriptor}): every walk first reads the descriptor (SMMUv3 5.4, "Context
 *       Descriptor"): V, AA64, a 4 KiB TG0 and T0SZ 16 to 39 or the walk fails with {@link
 *       NestedFault.Cause#BAD_CONTEXT}; EPD0 makes every walk a translation fault; the input size
 *       {@code 64 - T0SZ} picks the format's geometry and the IOVA must be zero above it. Linux
 *       does not offer hardware access-flag or dirty updates to a nested guest, so nothing is ever
 *       written: a leaf with AF clear is an access-flag fault.
 * </ul>
 *
 * <p>Immutable and thread-safe; a walk allocates nothing but its result.
 */
public final class NestedWalk extends Stage1Format {
  /** Context descriptor word 0: T0SZ bits 5:0, TG0 bits 7:6, EPD0 bit 14, V bit 31, AA64 41. */
  private static final long CD0_T0SZ = 0x3F;

  private static final int CD0_TG0_SHIFT = 6;
  private static final long CD0_EPD0 = 1L << 14;
  private static final long CD0_V = 1L << 31;
  private static final long CD0_AA64 = 1L << 41;

  /** Context descriptor word 1: TTB0 bits 51:4. */
  private static final long CD1_TTB0 = 0x000F_FFFF_FFFF_FFF0L;

  private static final int MIN_T0SZ = 16;
  private static final int MAX_T0SZ = 39;

  /**
   * What the stage-1 walk needs from stage 2 and the IOMMU around it; the nested translator
   * implements it for one access (it knows the device, the IOVA and how to report a fault).
   */
  public interface Stage2 {
    /**
     * Translates the guest-physical address of a stage-1 table word (or context descriptor) for a
     * read, setting stage-2 accessed bits where the vendor does.
     *
     * @param gpa the word's guest-physical address
     * @return the stage-2 leaf, or null after a stage-2 fault of the table walk was reported
     */
    Translation tableRead(long gpa);

    /**
     * Returns the guest's table word at {@code gpa}.
     *
     * @param gpa the word's guest-physical address, 8-byte aligned
     * @return the word
     */
    long word(long gpa);

    /**
     * The IOMMU's locked update of a stage-1 entry: a write through stage 2, so it needs stage-2
     * write permission and sets the stage-2 dirty bit of the table page.
     *
     * @param gpa the entry's guest-physical address
     * @param expected the entry as read
     * @param update the entry with the accessed or dirty bits set
     * @param t the stage-2 leaf {@link #tableRead} returned for {@code gpa}
     * @return 1 when written, 0 if the entry changed meanwhile (read it again), -1 after a stage-2
     *     fault was reported
     */
    int update(long gpa, long expected, long update, Translation t);

    /**
     * Reports a stage-1 fault.
     *
     * @param cause why stage 1 refused
     * @param gpa the guest-physical address of the entry (or descriptor) that refused, or 0
     */
    void fault(NestedFault.Cause cause, long gpa);
  }

  /** Supplies the stage-1 format of a given input size (Arm: {@code 64 - T0SZ}). */
  @FunctionalInterface
  public interface Formats {
    /**
     * Returns the format for {@code inputBits}.
     *
     * @param inputBits the input address size in bits
     * @return the format, or empty if the vendor has none of that size
     */
    Optional<PtFormat> of(int inputBits);
  }

  /**
   * The leaf a stage-1 walk resolved for one 4 KiB page.
   *
   * @param gpa the guest-physical address of the page
   * @param writable whether every entry of the walk permits writes
   * @param dirty whether a write needs no stage-1 dirty update: the leaf was dirty, is not
   *     writable, or the format is walked without hardware updates
   * @param leafIova the first IOVA of the leaf
   * @param leafSize the leaf's size in bytes
   */
  public record Leaf(long gpa, boolean writable, boolean dirty, long leafIova, long leafSize) {}

  private final PtFormat x86;
  private final Formats arm;
  private final AtomicReferenceArray<PtFormat> armByInputBits;
  private final long address;

  private NestedWalk(PtFormat x86, Formats arm, long address) {
    this.x86 = x86;
    this.arm = arm;
    this.armByInputBits = arm == null ? null : new AtomicReferenceArray<>(65);
    this.address = address;
  }

  /**
   * Returns the x86-64 walk of the table at {@code root} in {@code format} (a VT-d first stage).
   *
   * @param format the first-stage format; its IOVA width is the canonical width
   * @param root the guest-physical address of the root table, masked to the address field
   * @return the walk
   */
  public static NestedWalk x86(PtFormat format, long root) {
    return new NestedWalk(format, null, root & format.addressMask());
  }

  /**
   * Returns the Arm stage-1 walk of the context descriptor at {@code cd}.
   *
   * @param formats the LPAE stage-1 format (4 KiB granule, no hardware updates) per input size
   * @param cd the guest-physical address of the context descriptor
   * @return the walk
   */
  public static NestedWalk armContextDescriptor(Formats formats, long cd) {
    return new NestedWalk(null, formats, cd);
  }

  /**
   * Walks stage 1 for the page of {@code iova}.
   *
   * @param iova the guest IOVA the device emitted
   * @param write whether the access is a write (sets the x86-64 dirty bit of a writable leaf)
   * @param s2 the stage-2 port: table reads, hardware updates, fault reports
   * @return the leaf, or null after a fault was reported (at either stage)
   */
  public Leaf walk(long iova, boolean write, Stage2 s2) {
    if (x86 != null) {
      long top = iova >> (x86.vaBits - 1);
      if (top != 0 && top != -1) {
        s2.fault(NestedFault.Cause.ADDRESS_SIZE, 0);
        return null;
      }
      return walk(x86, true, address, iova, write, s2);
    }
    if (s2.tableRead(address) == null) {
      return null;
    }
    long w0 = s2.word(address);
    long w1 = s2.word(address + 8);
    int t0sz = (int) (w0 & CD0_T0SZ);
    PtFormat f = null;
    if ((w0 & CD0_V) != 0
        && (w0 & CD0_AA64) != 0
        && ((w0 >>> CD0_TG0_SHIFT) & 3) == 0
        && t0sz >= MIN_T0SZ
        && t0sz <= MAX_T0SZ) {
      f = armFormat(64 - t0sz);
    }
    if (f == null) {
      s2.fault(NestedFault.Cause.BAD_CONTEXT, address);
      return null;
    }
    if ((w0 & CD0_EPD0) != 0) {
      s2.fault(NestedFault.Cause.NOT_PRESENT, address);
      return null;
    }
    if ((iova >>> f.vaBits) != 0) {
      s2.fault(NestedFault.Cause.ADDRESS_SIZE, 0);
      return null;
    }
    return walk(f, false, w1 & CD1_TTB0 & ~7L, iova, write, s2);
  }

  private PtFormat armFormat(int inputBits) {
    PtFormat f = armByInputBits.get(inputBits);
    if (f == null) {
      f = arm.of(inputBits).orElse(null);
      if (f != null) {
        armByInputBits.compareAndSet(inputBits, null, f);
      }
    }
    return f;
  }

  /**
   * The walk proper: top to leaf, each word read through stage 2; with {@code updates}, the
   * accessed bit set in every entry and the dirty bit in a leaf written through, each by a locked
   * update that is retried from a fresh read if the guest changed the entry meanwhile.
   */
  private static Leaf walk(
      PtFormat f, boolean updates, long table, long iova, boolean write, Stage2 s2) {
    boolean writable = true;
    for (int level = f.startTop(); level >= 0; level--) {
      long slot = table + (((iova >>> f.shift(level)) & ((1L << f.indexBits(level)) - 1)) << 3);
      while (true) {
        Translation ts = s2.tableRead(slot);
        if (ts == null) {
          return null;
        }
        long e = s2.word(slot);
        boolean leaf = f.isLeaf(e, level) && f.possibleSizes(level) != 0;
        if (f.isEmpty(e) || (!leaf && !f.isTable(e, level))) {
          s2.fault(NestedFault.Cause.NOT_PRESENT, slot);
          return null;
        }
        boolean w = writable && (!(leaf || f.permsAlongWalk) || f.isWritable(e));
        long want = e;
        if (updates) {
          want |= f.accessBit;
          if (leaf && write && w) {
            want = f.dirty(want);
          }
        } else if (leaf && (e & f.accessBit) != f.accessBit) {
          s2.fault(NestedFault.Cause.ACCESS_FLAG, slot);
          return null;
        }
        if (want != e) {
          int r = s2.update(slot, e, want, ts);
          if (r < 0) {
            return null;
          }
          if (r == 0) {
            continue; // the guest changed the entry meanwhile: read it again
          }
        }
        if (leaf) {
          long size = f.leafSize(want, level);
          long gpa = (f.leafAddress(want, level) | (iova & (size - 1))) & -4096L;
          boolean dirty = !updates || !w || f.isDirty(want);
          return new Leaf(gpa, w, dirty, iova & -size, size);
        }
        writable = w;
        table = f.tableAddress(e);
        break;
      }
    }
    throw new AssertionError(f + ": a walk ended without a leaf");
  }

  @Override
  public String toString() {
    return x86 != null
        ? "x86-64 " + x86 + " root 0x" + Long.toHexString(address)
        : "Arm context descriptor 0x" + Long.toHexString(address);
  }
}
