package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class IotlbTest {
  private static Translation leaf(long iova, long size) {
    return new Translation(iova, size, 0x1000_0000L + iova, true, true, false, 0, 0);
  }

  @Test
  void lookup_findsEntriesOfEverySizeThatCoverTheIova() {
    Iotlb tlb = new Iotlb(64);
    Iotlb.Entry small = tlb.insert(leaf(0x5000, 4096), tlb.generation());
    Iotlb.Entry huge = tlb.insert(leaf(0x4000_0000, 1L << 30), tlb.generation());
    assertSame(small, tlb.lookup(0x5FFF));
    assertSame(huge, tlb.lookup(0x4000_0000L + 123_456_789));
    assertNull(tlb.lookup(0x6000));
    assertEquals(2, tlb.size());
  }

  @Test
  void invalidateRange_dropsOnlyOverlappingEntries() {
    Iotlb tlb = new Iotlb(64);
    tlb.insert(leaf(0x1000, 4096), tlb.generation());
    tlb.insert(leaf(0x2000, 4096), tlb.generation());
    tlb.insert(leaf(0x20_0000, 2L << 20), tlb.generation());
    tlb.invalidateRange(0x2000, 0x20_0000); // [0x2000, 0x201FFF]: hits the 4K at 0x2000 and the 2M
    assertNotNull(tlb.lookup(0x1000));
    assertNull(tlb.lookup(0x2000));
    assertNull(tlb.lookup(0x30_0000));
    assertEquals(1, tlb.rangeInvalidations());
    tlb.invalidateAll();
    assertEquals(0, tlb.size());
  }

  @Test
  void insert_walkedBeforeAnInvalidation_doesNotStayCached() {
    Iotlb tlb = new Iotlb(64);
    long gen = tlb.generation(); // the walk starts
    tlb.invalidateRange(0, 1L << 40); // an invalidation completes meanwhile
    Iotlb.Entry e = tlb.insert(leaf(0x1000, 4096), gen);
    assertNotNull(e); // the in-flight access may still use it ...
    assertNull(tlb.lookup(0x1000)); // ... but it is not cached
  }

  @Test
  void entry_cachesDirtyStateUntilDropped() {
    Iotlb tlb = new Iotlb(64);
    Iotlb.Entry e = tlb.insert(leaf(0x1000, 4096), tlb.generation());
    e.dirty = true;
    assertSame(e, tlb.lookup(0x1000));
    tlb.drop(e);
    assertNull(tlb.lookup(0x1000));
  }
}
