package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IotlbTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);

  private static Translation leaf(long iova, long size) {
    return new Translation(iova, size, 0x1000_0000L + iova, true, true, false, 0, 0);
  }

  @Test
  void lookup_findsEntriesOfEverySizeThatCoverTheIova() {
    Iotlb tlb = new Iotlb(64);
    Iotlb.Entry small = tlb.insert(leaf(0x5000, 4096), tlb.generation());
    Iotlb.Entry huge = tlb.insert(leaf(0x4000_0000, 1L << 30), tlb.generation());
    assertSame(small, tlb.lookup(0x5FFF, 0));
    assertSame(huge, tlb.lookup(0x4000_0000L + 123_456_789, 0));
    assertNull(tlb.lookup(0x6000, 0));
    assertEquals(2, tlb.size());
  }

  @Test
  void invalidateRange_dropsOnlyOverlappingEntries() {
    Iotlb tlb = new Iotlb(64);
    tlb.insert(leaf(0x1000, 4096), tlb.generation());
    tlb.insert(leaf(0x2000, 4096), tlb.generation());
    tlb.insert(leaf(0x20_0000, 2L << 20), tlb.generation());
    tlb.invalidateRange(0x2000, 0x20_0000); // [0x2000, 0x201FFF]: hits the 4K at 0x2000 and the 2M
    assertNotNull(tlb.lookup(0x1000, 0));
    assertNull(tlb.lookup(0x2000, 0));
    assertNull(tlb.lookup(0x30_0000, 0));
    assertEquals(1, tlb.rangeInvalidations());
    tlb.invalidateAll();
    assertEquals(0, tlb.size());
  }

  @Test
  void invalidateRange_endingOnALeafsFirstByteOrStartingOnItsLast_dropsIt() {
    Iotlb tlb = new Iotlb(64);
    tlb.insert(leaf(0x2000, 4096), tlb.generation());
    tlb.insert(leaf(0x3000, 4096), tlb.generation());
    tlb.insert(leaf(0x5000, 4096), tlb.generation());
    tlb.insert(leaf(0x6000, 4096), tlb.generation());
    tlb.invalidateRange(0x1000, 0x1001); // [0x1000, 0x2000]: the leaf at 0x2000's first byte
    tlb.invalidateRange(0x5FFF, 1); // the leaf at 0x5000's last byte
    assertNull(tlb.lookup(0x2000, 0));
    assertNull(tlb.lookup(0x5000, 0));
    assertNotNull(tlb.lookup(0x3000, 0));
    assertNotNull(tlb.lookup(0x6000, 0));
  }

  @Test
  void insert_walkedBeforeAnInvalidation_doesNotStayCached() {
    Iotlb tlb = new Iotlb(64);
    long gen = tlb.generation(); // the walk starts
    tlb.invalidateRange(0, 1L << 40); // an invalidation completes meanwhile
    Iotlb.Entry e = tlb.insert(leaf(0x1000, 4096), gen);
    assertNotNull(e); // the in-flight access may still use it ...
    assertNull(tlb.lookup(0x1000, 0)); // ... but it is not cached
  }

  @Test
  void entry_cachesDirtyStateUntilDropped() {
    Iotlb tlb = new Iotlb(64);
    Iotlb.Entry e = tlb.insert(leaf(0x1000, 4096), tlb.generation());
    e.dirty = true;
    assertSame(e, tlb.lookup(0x1000, 0));
    tlb.drop(e);
    assertNull(tlb.lookup(0x1000, 0));
  }

  @Test
  void misses_everyRequesterStripeAndEpoch_areAllCounted() {
    Iotlb tlb = new Iotlb(64);
    tlb.insert(leaf(0x1000, 4096), tlb.generation());
    long want = 0;
    for (int epoch = 0; epoch < 3; epoch++) {
      for (int requester = 0; requester < 11; requester++) {
        int ticket = tlb.enter(requester);
        for (int k = 0; k <= requester; k++) {
          assertNull(tlb.lookup(0x2000 + 4096L * k, ticket));
          want++;
        }
        assertNotNull(tlb.lookup(0x1000, ticket)); // a hit counts nothing
        tlb.exit(ticket);
        assertEquals(want, tlb.misses(), "requester " + requester + ", epoch " + epoch);
      }
      tlb.invalidateRange(0x9000, 4096); // the next epoch's tickets use the other parity
    }
  }

  @Test
  void constructor_setsNotAPositivePowerOfTwo_isRefused() {
    for (int sets : new int[] {0, -1, -64, 3, 96}) {
      assertThrows(IllegalArgumentException.class, () -> new Iotlb(sets));
    }
    Iotlb one = new Iotlb(1);
    one.insert(leaf(0x1000, 4096), one.generation());
    one.insert(leaf(0x2000, 4096), one.generation()); // one slot per size: replaces the first
    assertNull(one.lookup(0x1000, 0));
    assertEquals(1, one.size());
  }

  @Test
  void invalidateAll_emptiesEverySizeAndCountsOnce() {
    Iotlb tlb = new Iotlb(8);
    tlb.insert(leaf(0x1000, 4096), tlb.generation());
    tlb.insert(leaf(1L << 30, 1L << 30), tlb.generation());
    tlb.invalidateAll();
    assertEquals(0, tlb.size());
    assertEquals(1, tlb.fullInvalidations());
    assertEquals(0, tlb.rangeInvalidations());
  }

  @Test
  void invalidateRange_lengthZero_isNoInvalidation() {
    Iotlb tlb = new Iotlb(8);
    tlb.insert(leaf(0x1000, 4096), tlb.generation());
    long gen = tlb.generation();
    tlb.invalidateRange(0x1000, 0);
    assertNotNull(tlb.lookup(0x1000, 0));
    assertEquals(0, tlb.rangeInvalidations());
    assertEquals(gen, tlb.generation());
  }

  /**
   * Property against a reference model (a map of the slot each leaf size and index holds): after
   * random inserts of 4 KiB, 2 MiB and 1 GiB leaves, some colliding in a small set count, and
   * random range invalidations (a few pages, a huge range, ranges ending at the top of the address
   * space), exactly the cached entries that overlap each range are gone.
   */
  @Test
  void invalidateRange_randomRanges_dropExactlyTheOverlappingEntries() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    long[] sizes = {4096, 2L << 20, 1L << 30};
    for (int trial = 0; trial < TRIES; trial++) {
      int sets = 1 << rnd.nextInt(1, 5);
      Iotlb tlb = new Iotlb(sets);
      Map<String, Translation> model = new HashMap<>();
      List<Translation> inserted = new ArrayList<>();
      long window = rnd.nextBoolean() ? 0 : -(4L << 30); // low addresses, or the top 4 GiB
      for (int n = rnd.nextInt(1, 24); n > 0; n--) {
        long size = sizes[rnd.nextInt(sizes.length)];
        long iova = window + rnd.nextLong((4L << 30) / size) * size;
        Translation t = leaf(iova, size);
        tlb.insert(t, tlb.generation());
        int shift = Long.numberOfTrailingZeros(size);
        model.put(shift + ":" + ((iova >>> shift) & (sets - 1)), t);
        inserted.add(t);
      }
      long first;
      long length;
      switch (rnd.nextInt(3)) {
        case 0 -> {
          first = window + rnd.nextLong(1L << 32) & -4096L;
          length = rnd.nextLong(1, 16) * 4096;
        }
        case 1 -> {
          first = window + (rnd.nextLong(1L << 32) & -(2L << 20));
          length = rnd.nextLong(1, 2048) * (2L << 20) - rnd.nextLong(2) * 4096;
        }
        default -> {
          first = -(rnd.nextLong(1, 1L << 20) * 4096); // up to the last byte of the space
          length = -first;
        }
      }
      // Half of the ranges one byte wider at each end (unless that wraps): they start on a leaf's
      // last byte and end on a leaf's first.
      boolean widen = first != 0 && first + length != 0 && rnd.nextBoolean();
      long start = widen ? first - 1 : first;
      length += widen ? 2 : 0;
      first = start;
      long last = first + length - 1;
      String where =
          String.format(
              "seed=0x%x trial=%d sets=%d invalidateRange(0x%x, 0x%x)",
              SEED, trial, sets, first, length);
      model
          .values()
          .removeIf(
              t ->
                  Long.compareUnsigned(t.iova(), last) <= 0
                      && Long.compareUnsigned(t.iova() + t.size() - 1, start) >= 0);
      tlb.invalidateRange(first, length);
      assertEquals(model.size(), tlb.size(), where);
      for (Translation t : inserted) {
        for (long a : new long[] {t.iova(), t.iova() + t.size() - 1}) {
          boolean cached = model.values().stream().anyMatch(m -> m.covers(a));
          assertEquals(cached, tlb.lookup(a, 0) != null, where + " at 0x" + Long.toHexString(a));
        }
      }
    }
  }

  @Test
  void drop_removesThatEntryAtEverySlotAndSize() {
    Iotlb tlb = new Iotlb(64);
    List<Iotlb.Entry> entries = new ArrayList<>();
    for (long iova = 0x1000; iova <= 0x9000; iova += 0x1000) {
      entries.add(tlb.insert(leaf(iova, 4096), tlb.generation()));
    }
    entries.add(tlb.insert(leaf(3L << 21, 2L << 20), tlb.generation()));
    for (Iotlb.Entry e : entries) {
      assertSame(e, tlb.lookup(e.translation.iova(), 0));
      tlb.drop(e);
      assertNull(tlb.lookup(e.translation.iova(), 0));
    }
    assertEquals(0, tlb.size());
  }
}
