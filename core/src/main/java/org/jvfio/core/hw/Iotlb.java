package org.jvfio.core.hw;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * An IOTLB: a bounded cache of leaf {@link Translation}s with their cached dirty state
 * (docs/architecture.md, "IOTLB with an invalidation drain"). One per domain.
 *
 * <p>Organisation: per leaf size a direct-mapped array of {@value #DEFAULT_SETS} slots indexed by
 * the leaf number, like the separate per-size arrays of real IOTLBs; a new entry evicts the slot's
 * occupant. A lookup probes each size present.
 *
 * <p>The cached dirty state is the point of the model: a write through an entry already cached
 * dirty leaves no trace in the page table until the entry is invalidated, so software that clears
 * dirty bits without invalidating loses writes, as on hardware (docs/fidelity.md, "Stale IOTLB").
 *
 * <p><b>Thread-safety.</b> Lookups and inserts come from many DMA threads, invalidations from the
 * control plane. An invalidation bumps a generation counter before it clears slots; an insert made
 * with a translation walked under an older generation removes itself again, so no translation
 * walked before an invalidation can survive it (an invalidation "completes" when the call returns,
 * and any walk that started earlier is then either evicted or was never cached).
 *
 * <p><b>Drain.</b> An invalidation also waits, before it returns, for every DMA read or write that
 * was already under way when it started: the completion wait of an invalidation with draining
 * (VT-d's IOTLB invalidation with DR/DW and its invalidation-wait descriptor, SMMUv3's CMD_SYNC
 * after a TLBI, AMD's COMPLETION_WAIT after INVALIDATE_IOMMU_PAGES, in the AMD IOMMU
 * specification's command-buffer chapter). So when a harvest's flush returns, every write whose
 * dirty state that harvest reported has reached guest memory: a VMM that copies the reported pages
 * after the flush copies the data that made them dirty; and no DMA walk still reads a table that
 * the invalidation's caller frees afterwards. The {@link DmaEngine} brackets each read and write
 * with {@code enter}/{@code exit}; a DMA holds a ticket of the current epoch, and an invalidation
 * moves to the next epoch and waits until no ticket of the previous one is held. Entering costs two
 * atomic operations on a striped counter.
 */
public final class Iotlb {
  /** Slots per leaf size. */
  public static final int DEFAULT_SETS = 1024;

  private static final int MAX_SHIFT = 64;
  private static final int STRIPES = 8; // drain counters per epoch parity, by requester
  private static final int PAD = 8; // longs per drain counter: one 64-byte line each
  private static final int MISSES = 1; // a stripe's miss count, next to its drain counter

  private final int sets;
  private final AtomicReferenceArray<AtomicReferenceArray<Entry>> bySize =
      new AtomicReferenceArray<>(MAX_SHIFT);
  private volatile long sizesPresent; // bit s set: some entry of size 2^s may be cached
  private final AtomicLong generation = new AtomicLong();
  private final AtomicLong rangeInvalidations = new AtomicLong();
  private final AtomicLong fullInvalidations = new AtomicLong();

  private final AtomicLongArray inFlight = new AtomicLongArray(2 * STRIPES * PAD);
  private volatile long epoch;
  private final Object drainLock = new Object();

  /** Creates an empty IOTLB with {@link #DEFAULT_SETS} slots per leaf size. */
  public Iotlb() {
    this(DEFAULT_SETS);
  }

  /**
   * Creates an empty IOTLB with {@code sets} slots per leaf size.
   *
   * @param sets the slots per leaf size, a power of two
   * @throws IllegalArgumentException unless {@code sets} is a positive power of two
   */
  public Iotlb(int sets) {
    if (sets <= 0 || Integer.bitCount(sets) != 1) {
      throw new IllegalArgumentException("sets must be a power of two: " + sets);
    }
    this.sets = sets;
  }

  /** A cached translation and its mutable cached-dirty state. */
  static final class Entry {
    final Translation translation;
    volatile boolean dirty;

    Entry(Translation translation) {
      this.translation = translation;
      this.dirty = translation.dirty();
    }
  }

  /**
   * Marks the start of a DMA by device {@code requester} that may use this IOTLB's translations;
   * returns the ticket to pass to {@link #exit} when its last memory access is done. Requesters
   * spread over striped counters, so devices on different threads do not share a cache line.
   */
  int enter(int requester) {
    int stripe = (requester & (STRIPES - 1)) * PAD;
    while (true) {
      long e = epoch;
      int ticket = (int) (e & 1) * STRIPES * PAD + stripe;
      inFlight.getAndIncrement(ticket);
      if (epoch == e) {
        return ticket; // counted before any invalidation that moves past e can look
      }
      inFlight.getAndDecrement(ticket); // an invalidation moved on meanwhile: join the new epoch
    }
  }

  /** Marks the end of the DMA that {@link #enter} returned {@code ticket} to. */
  void exit(int ticket) {
    inFlight.getAndDecrement(ticket);
  }

  /** Waits until every DMA that entered before this call has exited (see the class comment). */
  private void drain() {
    synchronized (drainLock) {
      long e = epoch;
      epoch = e + 1;
      int base = (int) (e & 1) * STRIPES * PAD;
      for (int s = 0; s < STRIPES; s++) {
        for (int spins = 0; inFlight.get(base + s * PAD) != 0; spins++) {
          if (spins < 64) {
            Thread.onSpinWait();
          } else {
            Thread.yield();
          }
        }
      }
    }
  }

  /** Returns the current generation; pass it to {@link #insert} with a translation walked after. */
  long generation() {
    return generation.get();
  }

  /**
   * Returns the cached entry covering {@code iova}, or null on a miss, for the DMA that {@link
   * #enter} returned {@code ticket} to. A miss is counted in the ticket's stripe, on the cache line
   * its drain counter already holds, by a plain increment (see {@link #misses}).
   */
  Entry lookup(long iova, int ticket) {
    long sizes = sizesPresent;
    while (sizes != 0) {
      int shift = Long.numberOfTrailingZeros(sizes);
      sizes &= sizes - 1;
      AtomicReferenceArray<Entry> slots = bySize.get(shift);
      Entry e = slots.get((int) ((iova >>> shift) & (sets - 1)));
      if (e != null && e.translation.covers(iova)) {
        return e;
      }
    }
    inFlight.setOpaque(ticket + MISSES, inFlight.getPlain(ticket + MISSES) + 1);
    return null;
  }

  /**
   * Caches {@code t}, walked under generation {@code gen}, and returns its entry. If an
   * invalidation started since {@code gen}, the entry is not left in the cache (but is returned, so
   * the in-flight access can complete with it).
   */
  Entry insert(Translation t, long gen) {
    Entry e = new Entry(t);
    int shift = Long.numberOfTrailingZeros(t.size());
    AtomicReferenceArray<Entry> slots = slotsFor(shift);
    int index = (int) ((t.iova() >>> shift) & (sets - 1));
    slots.set(index, e);
    if (generation.get() != gen) {
      slots.compareAndSet(index, e, null);
    }
    return e;
  }

  /** Drops {@code e} if it is still cached (a stale entry found by the hardware update). */
  void drop(Entry e) {
    int shift = Long.numberOfTrailingZeros(e.translation.size());
    AtomicReferenceArray<Entry> slots = bySize.get(shift);
    if (slots != null) {
      slots.compareAndSet((int) ((e.translation.iova() >>> shift) & (sets - 1)), e, null);
    }
  }

  private AtomicReferenceArray<Entry> slotsFor(int shift) {
    AtomicReferenceArray<Entry> slots = bySize.get(shift);
    if (slots == null) {
      AtomicReferenceArray<Entry> fresh = new AtomicReferenceArray<>(sets);
      slots = bySize.compareAndExchange(shift, null, fresh);
      if (slots == null) {
        slots = fresh;
      }
    }
    // Every inserter publishes the size bit before its entry, not only the thread that created
    // the array: otherwise an invalidation could scan without this size and miss the entry.
    if ((sizesPresent & (1L << shift)) == 0) {
      synchronized (this) {
        sizesPresent |= 1L << shift;
      }
    }
    return slots;
  }

  /**
   * Invalidates every cached translation that overlaps {@code [iova, iova + length)}, as a range
   * (page-selective) IOTLB invalidation followed by its completion wait, which drains the DMA under
   * way (see the class comment). Cost is bounded by the cache size, not by the length: per leaf
   * size, only the slots the range's leaves map to are examined (all of them once the range has as
   * many leaves of that size as there are slots).
   *
   * @param iova the first IOVA to invalidate
   * @param length the bytes to invalidate
   */
  public void invalidateRange(long iova, long length) {
    if (length == 0) {
      return;
    }
    rangeInvalidations.incrementAndGet();
    generation.incrementAndGet();
    long last = iova + length - 1;
    long sizes = sizesPresent;
    while (sizes != 0) {
      int shift = Long.numberOfTrailingZeros(sizes);
      sizes &= sizes - 1;
      AtomicReferenceArray<Entry> slots = bySize.get(shift);
      long firstLeaf = iova >>> shift;
      long leaves = (last >>> shift) - firstLeaf + 1; // 0 if the range is the whole 2^64
      int count = leaves == 0 || Long.compareUnsigned(leaves, sets) > 0 ? sets : (int) leaves;
      for (int k = 0; k < count; k++) {
        int i = (int) ((firstLeaf + k) & (sets - 1));
        Entry e = slots.get(i);
        if (e != null) {
          long eLast = e.translation.iova() + e.translation.size() - 1;
          if (Long.compareUnsigned(e.translation.iova(), last) <= 0
              && Long.compareUnsigned(eLast, iova) >= 0) {
            slots.compareAndSet(i, e, null);
          }
        }
      }
    }
    drain();
  }

  /**
   * Invalidates every cached translation (a domain-selective invalidation and its completion wait,
   * which drains the DMA under way).
   */
  public void invalidateAll() {
    fullInvalidations.incrementAndGet();
    generation.incrementAndGet();
    forEachSlot((slots, i, e) -> slots.compareAndSet(i, e, null));
    drain();
  }

  private interface SlotVisitor {
    void visit(AtomicReferenceArray<Entry> slots, int index, Entry entry);
  }

  private void forEachSlot(SlotVisitor visitor) {
    long sizes = sizesPresent;
    while (sizes != 0) {
      int shift = Long.numberOfTrailingZeros(sizes);
      sizes &= sizes - 1;
      AtomicReferenceArray<Entry> slots = bySize.get(shift);
      for (int i = 0; i < sets; i++) {
        Entry e = slots.get(i);
        if (e != null) {
          visitor.visit(slots, i, e);
        }
      }
    }
  }

  /**
   * Returns the number of translations currently cached.
   *
   * @return the number of cached translations
   */
  public int size() {
    int[] n = {0};
    forEachSlot((slots, i, e) -> n[0]++);
    return n[0];
  }

  /**
   * Returns how many range invalidations were issued (a cost-model input).
   *
   * @return the number of range invalidations since creation
   */
  public long rangeInvalidations() {
    return rangeInvalidations.get();
  }

  /**
   * Returns how many whole-domain invalidations were issued.
   *
   * @return the number of whole-domain invalidations since creation
   */
  public long fullInvalidations() {
    return fullInvalidations.get();
  }

  /**
   * Returns how many lookups missed (each miss costs a page walk), a statistic: exact unless two
   * DMAs whose requester ids are equal modulo 8 miss at the same moment, which may count once. No
   * walk, invalidation or drain depends on it.
   *
   * @return the number of lookup misses since creation
   */
  public long misses() {
    long sum = 0;
    for (int i = MISSES; i < inFlight.length(); i += PAD) {
      sum += inFlight.getOpaque(i);
    }
    return sum;
  }
}
