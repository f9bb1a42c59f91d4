package org.jvfio.core.hw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The guest's page-table words: sparse 4 KiB pages of 8-byte words, read, written and CASed. */
class GuestTablesTest {
  @Test
  void words_areKeptPerPage_andCompareAndSetSwapsOnlyTheExpectedWord() {
    GuestTables t = new GuestTables();
    assertEquals(0, t.read(0x1008), "an unwritten word reads 0");
    t.write(0x1008, 0xABCL);
    t.write(0x3FF8, 7);
    assertEquals(0xABCL, t.read(0x1008));
    assertEquals(0, t.read(0x1010), "the next word is its own");
    assertFalse(t.compareAndSet(0x1008, 1, 2), "a stale expected value");
    assertEquals(0xABCL, t.read(0x1008));
    assertTrue(t.compareAndSet(0x1008, 0xABCL, 0xDEF));
    assertEquals(0xDEFL, t.read(0x1008));
    assertEquals(Set.of(0x1000L, 0x3000L), t.pages(), "the pages written, 4 KiB aligned");
  }

  @Test
  void aWordAddressNotEightByteAligned_isRefused() {
    GuestTables t = new GuestTables();
    assertThrows(IllegalArgumentException.class, () -> t.read(0x1004));
    assertThrows(IllegalArgumentException.class, () -> t.write(0x1001, 1));
    assertThrows(IllegalArgumentException.class, () -> t.compareAndSet(0x1002, 0, 1));
    assertEquals(Set.of(), t.pages(), "nothing was allocated for a refused address");
  }
}
