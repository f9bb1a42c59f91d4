package org.jvfio.core.hw;

import com.google.common.base.Preconditions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The guest's own IO page tables (stage 1 of nested translation) and SMMUv3 context descriptors: 4
 * KiB pages of 512 little-endian 64-bit words, stored by guest-physical address.
 *
 * <p>{@link GuestMemory} keeps one content token per page, not bytes, so the words a walker reads
 * live here. The guest (a simulated driver) writes them with {@link #write}; the IOMMU reads them
 * through stage 2 and, for the x86-64 first-stage format, sets accessed and dirty bits in them with
 * {@link #compareAndSet} (VT-d 3.6, "First-Stage Translation"). A page never written reads as
 * zeros. Storage grows with the pages written.
 *
 * <p>Thread-safe: words are read and written with volatile semantics, so DMA walks may run while
 * the guest rewrites its tables (a walk then sees the old or the new word, never a torn one).
 */
public final class GuestTables {
  private static final int WORDS = 512;

  private final ConcurrentHashMap<Long, AtomicLongArray> pages = new ConcurrentHashMap<>();

  /** Creates an empty store. */
  public GuestTables() {}

  /**
   * Returns the word at guest-physical address {@code gpa} (0 if its page was never written).
   *
   * @param gpa the word's guest-physical address, 8-byte aligned
   * @return the 64-bit word
   * @throws IllegalArgumentException if {@code gpa} is not 8-byte aligned
   */
  public long read(long gpa) {
    AtomicLongArray page = pages.get(pageOf(gpa));
    return page == null ? 0 : page.get(index(gpa));
  }

  /**
   * Stores {@code value} at {@code gpa}: a guest CPU writing its tables. Does not touch {@link
   * GuestMemory}; the caller models the CPU write there (KVM tracks it, not the IOMMU).
   *
   * @param gpa the word's guest-physical address, 8-byte aligned
   * @param value the 64-bit word to store
   * @throws IllegalArgumentException if {@code gpa} is not 8-byte aligned
   */
  public void write(long gpa, long value) {
    pageFor(gpa).set(index(gpa), value);
  }

  /**
   * Atomically replaces the word at {@code gpa} with {@code update} if it is {@code expected}: the
   * IOMMU's locked update of an accessed or dirty bit.
   *
   * @param gpa the word's guest-physical address, 8-byte aligned
   * @param expected the word the caller read
   * @param update the word to store
   * @return whether the word was replaced
   * @throws IllegalArgumentException if {@code gpa} is not 8-byte aligned
   */
  public boolean compareAndSet(long gpa, long expected, long update) {
    return pageFor(gpa).compareAndSet(index(gpa), expected, update);
  }

  /**
   * Returns the guest-physical addresses of the pages written so far.
   *
   * @return an immutable snapshot of the addresses of the 4 KiB pages written or compared-and-set
   */
  public Set<Long> pages() {
    return Set.copyOf(pages.keySet());
  }

  private AtomicLongArray pageFor(long gpa) {
    return pages.computeIfAbsent(pageOf(gpa), p -> new AtomicLongArray(WORDS));
  }

  private static long pageOf(long gpa) {
    Preconditions.checkArgument((gpa & 7) == 0, "word address not 8-byte aligned");
    return gpa & ~(GuestMemory.PAGE_SIZE - 1);
  }

  private static int index(long gpa) {
    return (int) ((gpa >>> 3) & (WORDS - 1));
  }
}
