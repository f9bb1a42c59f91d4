package org.jvfio.core.bitmap;

import java.util.Arrays;
import java.util.function.LongConsumer;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/**
 * A dirty bitmap over an IOVA range: the user buffer that {@code
 * VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT} and {@code IOMMU_HWPT_GET_DIRTY_BITMAP} fill, with the
 * semantics of {@code drivers/iommu/iommufd/iova_bitmap.c}.
 *
 * <p>Bit {@code i} stands for the IOVA page {@code [iova() + i * pageSize(), + pageSize())},
 * counted from this bitmap's own base IOVA (not from IOVA 0), stored in little-endian 64-bit words:
 * bit {@code i} is bit {@code i % 64} of {@code words()[i / 64]}. This is the mapping the kernel
 * implements; the formula in vfio.h's comment is wrong.
 *
 * <p>{@link #set} only ever sets bits (OR semantics); nothing here clears a bit. A recorded range
 * larger than the page size sets every bit it touches (replication, e.g. a 2 MiB IOPTE at 4 KiB
 * sets 512 bits); a smaller one sets the one bit that contains it (coalescing). A record that
 * starts before the base or past the end is dropped silently, as {@code iova_bitmap_set()} does;
 * one that runs past the end is clipped to the range (the kernel may set bits past the logical end
 * inside its last pinned page; jvfio clips; docs/fidelity.md, "Bitmap clipping").
 *
 * <p>Not thread-safe: like the kernel's non-atomic {@code bitmap_set()}, one harvest or report
 * fills a bitmap at a time. The windowing of the kernel's pinned pages (64 GiB of IOVA at 4 KiB per
 * window) has no observable effect since the 2024 fixes and is not modelled.
 */
public final class IovaBitmap {
  private final long iova;
  private final long length;
  private final int pageShift;
  private final long bits;
  private final long[] words;

  private IovaBitmap(long iova, long length, int pageShift, long[] words) {
    this.iova = iova;
    this.length = length;
    this.pageShift = pageShift;
    this.bits = bitCount(length, pageShift);
    this.words = words;
  }

  /**
   * Allocates a zeroed bitmap for {@code [iova, iova + length)} at {@code pageSize} per bit, as
   * {@code iova_bitmap_alloc()}: a page size that is not a power of two is reduced to its lowest
   * set bit ({@code __ffs}), as the kernel does.
   *
   * @param iova the IOVA bit 0 stands for
   * @param length the bytes of IOVA covered (unsigned, non-zero)
   * @param pageSize the bytes of IOVA per bit (a power of two)
   * @return a bitmap with every bit clear
   * @throws UapiException {@code EINVAL} if {@code length} or {@code pageSize} is zero, {@code
   *     EOVERFLOW} if {@code iova + length - 1} wraps, {@code ENOMEM} if the bitmap would need 2^30
   *     words (8 GiB) or more
   */
  public static IovaBitmap allocate(long iova, long length, long pageSize) {
    int shift = validate(iova, length, pageSize);
    long nwords = wordCount(length, shift);
    UapiException.check(nwords >>> 30 == 0, Errno.ENOMEM, "bitmap too large");
    return new IovaBitmap(iova, length, shift, new long[(int) nwords]);
  }

  /**
   * Wraps an existing word array (for example a VMM's reusable buffer) without clearing it: the
   * bitmap ORs into what is there, as the uAPI requires.
   *
   * @param iova the IOVA bit 0 stands for
   * @param length the bytes of IOVA covered (unsigned, non-zero)
   * @param pageSize the bytes of IOVA per bit (a power of two)
   * @param words the backing array, at least {@link #wordCount} long; used, not copied
   * @return a bitmap over {@code words}
   * @throws UapiException as {@link #allocate}, and {@code EINVAL} if {@code words} is shorter than
   *     {@link #wordCount(long, long)} words
   */
  public static IovaBitmap wrap(long iova, long length, long pageSize, long[] words) {
    int shift = validate(iova, length, pageSize);
    UapiException.check(
        words.length >= wordCount(length, shift), Errno.EINVAL, "bitmap buffer too small");
    return new IovaBitmap(iova, length, shift, words);
  }

  /**
   * Returns the number of 64-bit words a bitmap of {@code length} bytes of IOVA at {@code pageSize}
   * needs: {@code ceil(ceil(length / pageSize) / 64)}.
   *
   * @param length the bytes of IOVA covered (unsigned)
   * @param pageSize the bytes of IOVA per bit (a power of two)
   * @return the number of {@code long} words needed (unsigned)
   */
  public static long wordCount(long length, long pageSize) {
    return wordCount(length, Long.numberOfTrailingZeros(pageSize));
  }

  private static long wordCount(long length, int shift) {
    // ceil(bits / 64) for an unsigned bit count of at least 1 (2^64 - 1 bits at a 1-byte page).
    return ((bitCount(length, shift) - 1) >>> 6) + 1;
  }

  private static long bitCount(long length, int shift) {
    // ceil(length / 2^shift) for unsigned length, without overflow: (length - 1) >>> shift + 1.
    return ((length - 1) >>> shift) + 1;
  }

  private static int validate(long iova, long length, long pageSize) {
    UapiException.check(length != 0, Errno.EINVAL, "length is 0");
    UapiException.check(pageSize != 0, Errno.EINVAL, "page_size is 0");
    UapiException.check(
        Long.compareUnsigned(iova, iova + length - 1) <= 0, Errno.EOVERFLOW, "iova + length wraps");
    return Long.numberOfTrailingZeros(pageSize);
  }

  /**
   * Returns the base IOVA: bit 0 stands for the page at this address.
   *
   * @return the IOVA of bit 0
   */
  public long iova() {
    return iova;
  }

  /**
   * Returns the length of the covered IOVA range in bytes (unsigned).
   *
   * @return the covered length in bytes, unsigned
   */
  public long length() {
    return length;
  }

  /**
   * Returns the bytes of IOVA one bit stands for (a power of two).
   *
   * @return the bytes of IOVA per bit
   */
  public long pageSize() {
    return 1L << pageShift;
  }

  /**
   * Returns {@code log2(pageSize())}.
   *
   * @return the base-2 logarithm of the page size
   */
  public int pageShift() {
    return pageShift;
  }

  /**
   * Returns the number of meaningful bits, {@code ceil(length / pageSize)}.
   *
   * @return the number of bits that stand for IOVA in the range
   */
  public long bitCount() {
    return bits;
  }

  /**
   * Records that {@code [iova, iova + length)} is dirty, as {@code iova_bitmap_set()}: sets every
   * bit whose page intersects the range. Marks whole words at a time for long runs.
   *
   * <p>A record with {@code length == 0}, or starting below {@link #iova()} or past the end, is
   * dropped; one running past the end is clipped.
   *
   * @param iova the first dirty IOVA
   * @param length the dirty bytes (unsigned)
   */
  public void set(long iova, long length) {
    long rel = iova - this.iova; // below the base, rel wraps past the length
    long first = rel >>> pageShift;
    if (length == pageSize() && first << pageShift == rel) {
      // One page from a page boundary: one bit.
      if (Long.compareUnsigned(first, bits) < 0) {
        words[(int) (first >>> 6)] |= 1L << first;
      }
      return;
    }
    if (length == 0 || Long.compareUnsigned(rel, this.length) >= 0) {
      return; // nothing, or a start below the base or past the end
    }
    long relLast = rel + (length - 1);
    long last =
        (Long.compareUnsigned(relLast, rel) < 0 || Long.compareUnsigned(relLast, this.length) >= 0)
            ? bits - 1
            : relLast >>> pageShift;
    setBits(first, last);
  }

  /**
   * Records up to 64 consecutive leaves at once: for every bit {@code k} set in {@code mask}, the
   * range {@code [iova + k * leafSize, + leafSize)}, exactly as that many calls of {@link #set}.
   * This is how a harvest walk records the mask a {@link org.jvfio.core.hw.DirtyLeafScanner}
   * returns: when the leaves are as large as the bitmap's pages, start on a page boundary and lie
   * inside the range, it is one shifted OR into at most two words; larger leaves fill whole words
   * through {@link #set}.
   *
   * @param iova the IOVA of the leaf that bit 0 of {@code mask} stands for
   * @param leafSize a power of two
   * @param mask bit {@code k} set: the leaf at {@code iova + k * leafSize} is dirty
   */
  public void setLeaves(long iova, long leafSize, long mask) {
    long rel = iova - this.iova;
    long bit = rel >>> pageShift;
    int top = 63 - Long.numberOfLeadingZeros(mask); // -1 for an empty mask
    if (leafSize == pageSize()
        && bit << pageShift == rel
        && Long.compareUnsigned(bit, bits) < 0
        && top < bits - bit) {
      orWord(bit, mask); // leaf k is bit bit + k, the last one inside the range
      return;
    }
    int leafShift = Long.numberOfTrailingZeros(leafSize);
    for (long m = mask; m != 0; m &= m - 1) {
      set(iova + ((long) Long.numberOfTrailingZeros(m) << leafShift), leafSize);
    }
  }

  /** ORs 64 bits starting at bit {@code bit} (which, with the highest set bit, is in range). */
  private void orWord(long bit, long mask) {
    int w = (int) (bit >>> 6);
    int s = (int) (bit & 63);
    words[w] |= mask << s;
    long spill = mask >>> (64 - s); // the bits that cross into the next word, unless s is 0
    if (s != 0 && spill != 0) { // (a Java shift by 64 is a shift by 0)
      words[w + 1] |= spill;
    }
  }

  /** Sets bits {@code first..last} inclusive (0 ≤ first ≤ last < bits). */
  private void setBits(long first, long last) {
    int w0 = (int) (first >>> 6);
    int w1 = (int) (last >>> 6);
    long m0 = -1L << first; // shifts use the low 6 bits
    long m1 = -1L >>> (63 - (last & 63));
    if (w0 == w1) {
      words[w0] |= m0 & m1;
      return;
    }
    words[w0] |= m0;
    Arrays.fill(words, w0 + 1, w1, -1L);
    words[w1] |= m1;
  }

  /**
   * Returns whether the bit of the page containing {@code iova} is set; false outside the range.
   *
   * @param iova any IOVA
   * @return true if the page containing {@code iova} is marked dirty
   */
  public boolean isDirty(long iova) {
    long rel = iova - this.iova;
    if (Long.compareUnsigned(iova, this.iova) < 0 || Long.compareUnsigned(rel, length) >= 0) {
      return false;
    }
    long i = rel >>> pageShift;
    return (words[(int) (i >>> 6)] & (1L << i)) != 0;
  }

  /**
   * Returns the number of set bits.
   *
   * @return the number of dirty pages recorded
   */
  public long cardinality() {
    long n = 0;
    for (long w : words) {
      n += Long.bitCount(w);
    }
    return n;
  }

  /**
   * Calls {@code action} with the base IOVA of every dirty page, in increasing order.
   *
   * @param action called with each dirty page's base IOVA
   */
  public void forEachDirty(LongConsumer action) {
    for (int w = 0; w < words.length; w++) {
      long word = words[w];
      while (word != 0) {
        long i = ((long) w << 6) + Long.numberOfTrailingZeros(word);
        action.accept(iova + (i << pageShift));
        word &= word - 1;
      }
    }
  }

  /**
   * Returns the backing words (little-endian bit order), not a copy: writing to the array changes
   * the bitmap. Its length is at least {@link #wordCount(long, long)}.
   *
   * @return the live backing array
   */
  public long[] words() {
    return words;
  }

  @Override
  public String toString() {
    return "IovaBitmap[iova=0x"
        + Long.toHexString(iova)
        + ", length=0x"
        + Long.toHexString(length)
        + ", pageSize=0x"
        + Long.toHexString(pageSize())
        + ", dirty="
        + cardinality()
        + "]";
  }
}
