package org.jvfio.core.bitmap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

class IovaBitmapTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));

  @Test
  void set_workedExampleOfSpec64_setsWord1Bit6() {
    // iova_bitmap.c's mapping: base 0x10000, 4 KiB pages, dirty page 70 -> data[1] bit 6.
    IovaBitmap b = IovaBitmap.allocate(0x10000, 128 * 4096L, 4096);
    b.set(0x10000 + 70 * 4096L, 4096);
    assertArrayEquals(new long[] {0, 1L << 6}, b.words());
    assertTrue(b.isDirty(0x10000 + 70 * 4096L + 123));
    assertFalse(b.isDirty(0x10000 + 69 * 4096L));
  }

  @Test
  void set_hugeGranule_replicatesIntoEverySmallBit() {
    IovaBitmap b = IovaBitmap.allocate(0, 1L << 30, 4096);
    b.set(2L << 20, 2L << 20); // one 2 MiB IOPTE at 4 KiB: 512 bits, words 8..15
    assertEquals(512, b.cardinality());
    for (int w = 0; w < b.words().length; w++) {
      assertEquals(w >= 8 && w < 16 ? -1L : 0L, b.words()[w], "word " + w);
    }
  }

  @Test
  void set_smallGranule_coalescesIntoOneBit() {
    IovaBitmap b = IovaBitmap.allocate(0, 1L << 30, 2L << 20);
    b.set((2L << 20) + 4096, 4096);
    b.set((2L << 20) + 8192, 4096);
    assertEquals(1, b.cardinality());
    assertTrue(b.isDirty(2L << 20));
  }

  @Test
  void set_straddlingWords_setsBitsInBoth() {
    IovaBitmap b = IovaBitmap.allocate(0x1000, 256 * 4096L, 4096);
    b.set(0x1000 + 60 * 4096L, 8 * 4096L); // bits 60..67
    assertArrayEquals(new long[] {0xFL << 60, 0xF, 0, 0}, b.words());
  }

  @Test
  void set_outsideRange_isDroppedAndPastEndIsClipped() {
    IovaBitmap b = IovaBitmap.allocate(0x100000, 64 * 4096L, 4096);
    b.set(0xFF000, 8192); // starts below base: dropped like iova_bitmap_set
    b.set(0x100000 + 64 * 4096L, 4096); // past the end: dropped
    assertEquals(0, b.cardinality());
    b.set(0x100000 + 62 * 4096L, 16 * 4096L); // runs past the end: clipped to bits 62, 63
    assertArrayEquals(new long[] {3L << 62}, b.words());
  }

  @Test
  void set_neverClearsExistingBits() {
    long[] words = {0x8000_0000_0000_0001L};
    IovaBitmap b = IovaBitmap.wrap(0, 64 * 4096L, 4096, words);
    b.set(4096, 4096);
    assertEquals(0x8000_0000_0000_0003L, words[0]);
  }

  @Test
  void allocate_topOfAddressSpace_doesNotOverflow() {
    // The last 4 GiB of the 64-bit space at 1 GiB pages, and pgshift 63 (syzbot 093a8a8b8594).
    IovaBitmap b = IovaBitmap.allocate(-(4L << 30), 4L << 30, 1L << 30);
    b.set(-1L - 4095, 4096);
    assertEquals(1, b.cardinality());
    assertTrue(b.isDirty(-1L));
    IovaBitmap huge = IovaBitmap.allocate(0, -1L, 1L << 63);
    assertEquals(2, huge.bitCount());
    huge.set(-4096L, 4096);
    assertArrayEquals(new long[] {2}, huge.words());
  }

  @Test
  void allocate_nonPowerOfTwoPageSize_usesLowestSetBit() {
    IovaBitmap b = IovaBitmap.allocate(0, 1L << 20, 0x3000); // __ffs(0x3000) = 12
    assertEquals(4096, b.pageSize());
  }

  @Test
  void allocate_badArguments_refusedWithErrno() {
    assertEquals(
        Errno.EINVAL,
        assertThrows(UapiException.class, () -> IovaBitmap.allocate(0, 0, 4096)).errno());
    assertEquals(
        Errno.EINVAL,
        assertThrows(UapiException.class, () -> IovaBitmap.allocate(0, 4096, 0)).errno());
    assertEquals(
        Errno.EOVERFLOW,
        assertThrows(UapiException.class, () -> IovaBitmap.allocate(-4096L, 8192, 4096)).errno());
    assertEquals(
        Errno.EINVAL,
        assertThrows(UapiException.class, () -> IovaBitmap.wrap(0, 65 * 4096L, 4096, new long[1]))
            .errno());
  }

  /** Property: set() agrees with a bit-by-bit oracle for random records. */
  @Test
  void set_randomRecords_matchBitOracle() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    for (int trial = 0; trial < 300; trial++) {
      int shift = 12 + rnd.nextInt(10);
      long page = 1L << shift;
      long base = rnd.nextLong(1L << 40) & -page;
      long nbits = 1 + rnd.nextInt(700);
      long length = nbits * page - (rnd.nextBoolean() ? 0 : rnd.nextLong(page - 1) + 1) + 1;
      IovaBitmap b = IovaBitmap.allocate(base, length, page);
      BitSet oracle = new BitSet();
      StringBuilder log = new StringBuilder();
      for (int r = 0; r < 20; r++) {
        long iova = base - 3 * page + rnd.nextLong((nbits + 6) * page);
        long len = 1 + rnd.nextLong(rnd.nextBoolean() ? page * 2 : page * 200);
        log.append(String.format(" set(0x%x,0x%x)", iova, len));
        b.set(iova, len);
        if (iova >= base && iova - base < length) {
          long last = Math.min(iova + len - 1, base + length - 1);
          oracle.set((int) ((iova - base) >>> shift), (int) ((last - base) >>> shift) + 1);
        }
      }
      long[] expected = java.util.Arrays.copyOf(oracle.toLongArray(), b.words().length);
      assertArrayEquals(
          expected,
          b.words(),
          "seed=0x"
              + Long.toHexString(SEED)
              + " trial="
              + trial
              + " base=0x"
              + Long.toHexString(base)
              + " length=0x"
              + Long.toHexString(length)
              + " page=0x"
              + Long.toHexString(page)
              + log);
    }
  }

  /**
   * Property: setLeaves() sets exactly what one set() per mask bit sets, for leaves smaller than,
   * equal to and larger than the bitmap page, aligned or not, inside, straddling or outside the
   * range.
   */
  @Test
  void setLeaves_randomMasks_matchOneSetPerLeaf() {
    SplittableRandom rnd = new SplittableRandom(SEED);
    int tries = Integer.getInteger("jvfio.tries", 200);
    for (int trial = 0; trial < tries; trial++) {
      int shift = 12 + rnd.nextInt(4);
      long page = 1L << shift;
      long base = rnd.nextLong(1L << 40) & -page;
      long nbits = 1 + rnd.nextInt(4000);
      long length = nbits * page - (rnd.nextBoolean() ? 0 : rnd.nextLong(page - 1) + 1) + 1;
      long leaf = 1L << (shift - 2 + rnd.nextInt(10));
      long iova =
          rnd.nextInt(4) == 0
              ? base - 3 * page + rnd.nextLong((nbits + 6) * page)
              : base + (rnd.nextLong(nbits) << shift & -leaf);
      long mask = rnd.nextInt(8) == 0 ? -1L : rnd.nextLong();
      IovaBitmap fast = IovaBitmap.allocate(base, length, page);
      IovaBitmap slow = IovaBitmap.allocate(base, length, page);
      fast.setLeaves(iova, leaf, mask);
      for (int k = 0; k < 64; k++) {
        if ((mask & (1L << k)) != 0) {
          slow.set(iova + k * leaf, leaf);
        }
      }
      assertArrayEquals(
          slow.words(),
          fast.words(),
          String.format(
              "seed=0x%x trial=%d base=0x%x length=0x%x page=0x%x setLeaves(0x%x, 0x%x, 0x%x)",
              SEED, trial, base, length, page, iova, leaf, mask));
    }
  }

  /** Fast paths of setLeaves (one shifted OR, whole-word fills) agree with one set per leaf. */
  @Test
  void setLeaves_fewLargeLeaves_fastPathsMatchOneSetPerLeaf() {
    SplittableRandom rnd = new SplittableRandom(SEED ^ 0x1EAF);
    int tries = Integer.getInteger("jvfio.tries", 200);
    for (int trial = 0; trial < tries; trial++) {
      long page = 4096;
      long base =
          (rnd.nextLong(1L << 30) & -page) + (rnd.nextBoolean() ? 0 : page * rnd.nextInt(64));
      long nbits = 64L * (1 + rnd.nextInt(600));
      long length = nbits * page;
      long leaf = page << rnd.nextInt(12);
      long iova = base + (rnd.nextLong(nbits) * page & -leaf) + (rnd.nextInt(8) == 0 ? page : 0);
      long mask = rnd.nextLong(1, 1L << (1 + rnd.nextInt(6)));
      IovaBitmap fast = IovaBitmap.allocate(base, length, page);
      IovaBitmap slow = IovaBitmap.allocate(base, length, page);
      fast.setLeaves(iova, leaf, mask);
      for (int k = 0; k < 64; k++) {
        if ((mask & (1L << k)) != 0) {
          slow.set(iova + k * leaf, leaf);
        }
      }
      assertArrayEquals(
          slow.words(),
          fast.words(),
          String.format(
              "seed=0x%x trial=%d base=0x%x length=0x%x setLeaves(0x%x, 0x%x, 0x%x)",
              SEED, trial, base, length, iova, leaf, mask));
    }
  }

  /** Boundaries of set, isDirty and allocate that a one-off error would move. */
  @Test
  void set_boundaries_exactBits() {
    long page = 4096;
    long base = 1L << 20;
    IovaBitmap b = IovaBitmap.allocate(base, 64 * page, page);
    b.set(base + 5 * page, 1); // one byte: one bit, not to the end
    assertEquals(1, b.cardinality());
    assertTrue(b.isDirty(base + 5 * page));
    b.set(base + 63 * page, page + 1); // ends one byte past the range: clipped to bit 63
    assertEquals(2, b.cardinality());
    b.set(base, 2 * page); // starts exactly at the base
    assertTrue(b.isDirty(base) && b.isDirty(base + page));
    assertFalse(b.isDirty(base - 1));
    assertFalse(b.isDirty(base + 64 * page));
    assertEquals(4, b.cardinality());
    assertEquals(12, b.pageShift());
    assertTrue(b.toString().startsWith("IovaBitmap[iova=0x100000"), b.toString());
    IovaBitmap one = IovaBitmap.allocate(base, 1, page); // iova == last: no overflow
    one.set(base, 1);
    assertEquals(1, one.cardinality());
  }

  @Test
  void set_pageSizedRecordOffThePageBoundary_setsBothPages() {
    IovaBitmap b = IovaBitmap.allocate(0x10000, 128 * 4096L, 4096);
    b.set(0x10000 + 0x800, 4096); // [0x10800, 0x11800): pages 0 and 1
    b.set(0x10000 + 65 * 4096L + 0x400, 4096); // pages 65 and 66
    assertArrayEquals(new long[] {3, 3L << 1}, b.words());
  }

  @Test
  void set_emptyRecord_setsNothing() {
    IovaBitmap b = IovaBitmap.allocate(0x10000, 64 * 4096L, 4096);
    b.set(0x10000, 0);
    b.set(0x10000 + 4096, 0);
    b.set(0x10000 + 100, 0);
    assertEquals(0, b.cardinality());
  }

  @Test
  void set_startingAtTheEnd_isDropped() {
    long page = 4096;
    IovaBitmap full = IovaBitmap.allocate(0, 64 * page, page); // the end is a word boundary
    full.set(64 * page, page);
    full.set(64 * page, 2 * page);
    full.set(64 * page + 1, page);
    assertArrayEquals(new long[] {0}, full.words());
    IovaBitmap odd = IovaBitmap.allocate(0, 65 * page + 100, page); // 66 bits, the last partial
    odd.set(65 * page + 100, page);
    odd.set(65 * page + 100, 2 * page);
    odd.set(66 * page, page);
    assertArrayEquals(new long[] {0, 0}, odd.words());
    odd.set(65 * page + 99, 2 * page); // the last byte: bit 65 only
    assertArrayEquals(new long[] {0, 2}, odd.words());
  }

  @Test
  void allocate_moreThan2To30Words_refusedWithEnomem() {
    for (long length : new long[] {1L << 36, 1L << 40, 1L << 63, -1L}) {
      assertEquals(
          Errno.ENOMEM,
          assertThrows(UapiException.class, () -> IovaBitmap.allocate(0, length, 1)).errno(),
          "length 0x" + Long.toHexString(length));
    }
    assertEquals(1L << 58, IovaBitmap.wordCount(-1L, 1)); // 2^64 - 1 bits, unsigned
    assertEquals(1L << 57, IovaBitmap.wordCount(1L << 63, 1));
    assertEquals(1, IovaBitmap.wordCount(1, 4096));
    assertEquals(1, IovaBitmap.wordCount(64 * 4096L, 4096));
    assertEquals(2, IovaBitmap.wordCount(64 * 4096L + 1, 4096));
    assertEquals(1L << 14, IovaBitmap.allocate(0, 1L << 20, 1).words().length);
  }

  @Test
  void setLeaves_pageLeavesAtTheEnd_areClippedOrDropped() {
    long page = 4096;
    IovaBitmap b = IovaBitmap.allocate(0, 100 * page, page); // 100 bits
    b.setLeaves(90 * page, page, 0x3FF); // leaves 90..99: the last bit exactly
    assertArrayEquals(new long[] {0, 0x3FFL << 26}, b.words());
    IovaBitmap past = IovaBitmap.allocate(0, 100 * page, page);
    past.setLeaves(90 * page, page, 0x401); // leaf 100 is past the end: dropped
    assertArrayEquals(new long[] {0, 1L << 26}, past.words());
    IovaBitmap full = IovaBitmap.allocate(0, 64 * page, page);
    full.setLeaves(64 * page, page, 0); // an empty mask at the end
    full.setLeaves(64 * page, page, 1);
    full.setLeaves(60 * page, page, 0x1F); // leaf 64 is past the end
    assertArrayEquals(new long[] {0xFL << 60}, full.words());
  }

  @Test
  void setLeaves_pageLeavesAcrossAWord_spillIntoTheNext() {
    long page = 4096;
    IovaBitmap b = IovaBitmap.allocate(0, 128 * page, page);
    b.setLeaves(60 * page, page, 0xFF); // bits 60..67
    b.setLeaves(70 * page, page, 0xFF); // bits 70..77: no spill out of the last word
    b.setLeaves(0, page, 1L << 63); // bit 63 from bit 0: no spill
    assertArrayEquals(new long[] {0xFL << 60 | 1L << 63, 0xF | 0xFFL << 6}, b.words());
  }

  @Test
  void setLeaves_offThePageBoundaryOrBelowTheBase_matchesOneSetPerLeaf() {
    IovaBitmap b = IovaBitmap.allocate(0x1000, 64 * 4096L, 4096);
    b.setLeaves(0x1800, 4096, 0b11); // each leaf straddles two pages
    assertArrayEquals(new long[] {0b111}, b.words());
    IovaBitmap bytes = IovaBitmap.allocate(100, 64, 1); // one byte per bit
    bytes.setLeaves(99, 1, 0b11); // the leaf at 99 is below the base: dropped
    bytes.setLeaves(100 + 63, 1, 0b11); // the leaf at 164 is past the end
    assertArrayEquals(new long[] {1L | 1L << 63}, bytes.words());
  }
}
