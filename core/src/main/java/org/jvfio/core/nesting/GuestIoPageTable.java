package org.jvfio.core.nesting;

import com.google.common.base.Preconditions;
import java.util.OptionalLong;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.jvfio.core.hw.GuestTables;

/**
 * A guest IOMMU driver's stage-1 page table with 4 KiB leaves, written into {@link GuestTables} as
 * a guest kernel writes it: the x86-64 first-stage format of a VT-d guest (4 levels, 48-bit) or the
 * Arm LPAE stage-1 format of an SMMUv3 guest (4 KiB granule, T0SZ 16, 4 levels, behind a context
 * descriptor). It is what the two-stage walk reads; the model of the guest side of nesting for
 * tests and simulations.
 *
 * <p>Like Linux, a guest may pre-set the x86-64 accessed and dirty bits ({@code presetAccessed}),
 * so the IOMMU never writes its tables; with them clear, the hardware sets them on first use, which
 * writes the guest's table pages through stage 2. Arm leaves are always written with AF set
 * (hardware access-flag updates are off when nesting). Not thread-safe: one guest CPU maps.
 */
public final class GuestIoPageTable {
  private static final long X86_TABLE = 0x7; // P | RW | U/S
  private static final long X86_AD = (1L << 5) | (1L << 6);
  private static final long X86_ADDR = 0x000F_FFFF_FFFF_F000L;
  private static final long ARM_TABLE = 0x3;
  private static final long ARM_PAGE =
      0x3 | (1L << 10) | (3L << 8); // valid, page, AF, inner-shareable
  private static final long ARM_RDONLY = 1L << 7;
  private static final long ARM_ADDR = 0x0000_FFFF_FFFF_F000L;
  private static final int LEVELS = 4;

  private final GuestTables tables;
  private final boolean x86;
  private final LongSupplier allocatePage;
  private final LongConsumer cpuWrite;
  private final boolean presetAccessed;
  private final long root;
  private final long contextDescriptor;

  private GuestIoPageTable(
      GuestTables tables,
      boolean x86,
      LongSupplier allocatePage,
      LongConsumer cpuWrite,
      boolean presetAccessed) {
    this.tables = tables;
    this.x86 = x86;
    this.allocatePage = allocatePage;
    this.cpuWrite = cpuWrite;
    this.presetAccessed = presetAccessed;
    this.root = allocatePage.getAsLong();
    if (x86) {
      this.contextDescriptor = 0;
    } else {
      this.contextDescriptor = allocatePage.getAsLong();
      // CD word 0: T0SZ 16, TG0 4 KiB, EPD1, V, AA64, ASID 1; word 1: TTB0.
      store(contextDescriptor, 16 | (1L << 30) | (1L << 31) | (1L << 41) | (1L << 48));
      store(contextDescriptor + 8, root);
    }
  }

  /**
   * Returns an empty x86-64 first-stage table (VT-d).
   *
   * @param tables the guest's table words, where the table is written
   * @param allocatePage returns the guest-physical address of a free 4 KiB page for a table
   * @param cpuWrite told of the guest-physical address of every word the guest writes
   * @param presetAccessed whether leaves and tables are written with A and D already set
   * @return a table whose root is a page taken from {@code allocatePage}
   */
  public static GuestIoPageTable x86(
      GuestTables tables,
      LongSupplier allocatePage,
      LongConsumer cpuWrite,
      boolean presetAccessed) {
    return new GuestIoPageTable(tables, true, allocatePage, cpuWrite, presetAccessed);
  }

  /**
   * Returns an empty Arm stage-1 table with its context descriptor (SMMUv3).
   *
   * @param tables the guest's table words, where the table and descriptor are written
   * @param allocatePage returns the guest-physical address of a free 4 KiB page
   * @param cpuWrite told of the guest-physical address of every word the guest writes
   * @return a table whose context descriptor and root are pages taken from {@code allocatePage}
   */
  public static GuestIoPageTable arm(
      GuestTables tables, LongSupplier allocatePage, LongConsumer cpuWrite) {
    return new GuestIoPageTable(tables, false, allocatePage, cpuWrite, true);
  }

  /**
   * Returns the guest-physical address of the root table (VT-d {@code pgtbl_addr}).
   *
   * @return the root table's guest-physical address, 4 KiB aligned
   */
  public long root() {
    return root;
  }

  /**
   * Returns the guest-physical address of the context descriptor (the vSTE's S1ContextPtr), or 0
   * for an x86-64 table.
   *
   * @return the context descriptor's guest-physical address, or 0
   */
  public long contextDescriptor() {
    return contextDescriptor;
  }

  /**
   * Maps the 4 KiB page at {@code iova} to {@code gpa}, replacing any mapping there (the guest then
   * invalidates).
   *
   * @param iova the IOVA of the page, 4 KiB aligned, below 2^48
   * @param gpa the guest-physical address of the page, 4 KiB aligned
   * @param writable whether the leaf permits writes
   * @throws IllegalArgumentException if an address is not 4 KiB aligned or {@code iova} is beyond
   *     48 bits
   */
  public void map(long iova, long gpa, boolean writable) {
    Preconditions.checkArgument(((iova | gpa) & 0xFFF) == 0, "not 4 KiB aligned");
    Preconditions.checkArgument((iova >>> 48) == 0, "IOVA beyond 48 bits");
    long table = root;
    for (int level = LEVELS - 1; level > 0; level--) {
      long slot = slot(table, iova, level);
      long e = tables.read(slot);
      if (e == 0) {
        long child = allocatePage.getAsLong();
        e = x86 ? child | X86_TABLE | (presetAccessed ? 1L << 5 : 0) : child | ARM_TABLE;
        store(slot, e);
      }
      table = e & (x86 ? X86_ADDR : ARM_ADDR);
    }
    long leaf =
        x86
            ? gpa | 0x5 | (writable ? 0x2 : 0) | (presetAccessed ? X86_AD : 0)
            : gpa | ARM_PAGE | (writable ? 0 : ARM_RDONLY);
    store(slot(table, iova, 0), leaf);
  }

  /**
   * Clears the leaf of {@code iova} and returns the guest-physical page it mapped, if any; tables
   * are kept.
   *
   * @param iova an IOVA in the page to unmap
   * @return the guest-physical page address the leaf held, or empty if none
   */
  public OptionalLong unmap(long iova) {
    long table = root;
    for (int level = LEVELS - 1; level > 0; level--) {
      long e = tables.read(slot(table, iova, level));
      if (e == 0) {
        return OptionalLong.empty();
      }
      table = e & (x86 ? X86_ADDR : ARM_ADDR);
    }
    long slot = slot(table, iova, 0);
    long e = tables.read(slot);
    if (e == 0) {
      return OptionalLong.empty();
    }
    store(slot, 0);
    return OptionalLong.of(e & (x86 ? X86_ADDR : ARM_ADDR));
  }

  private void store(long gpa, long value) {
    tables.write(gpa, value);
    cpuWrite.accept(gpa);
  }

  private static long slot(long table, long iova, int level) {
    return table + (((iova >>> (12 + 9 * level)) & 511) << 3);
  }
}
