package org.jvfio.core.container;

import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/*
 * The bitmap arithmetic of drivers/vfio/vfio_iommu_type1.c, word for word.
 *
 * A vfio_dma's bitmap has one bit per smallest IOMMU page plus one spare u64 word, because
 * update_user_bitmap() shifts the dma's bits left in place by the dma's bit offset within the
 * user's first u64 word. The report of one dma (userBitmap below) is, in order: if any group is
 * not pinned-page scoped and the dma is IOMMU-mapped, set all nbits bits; if shift != 0, shift
 * the kernel bitmap left by shift over nbits + shift bits (bitmap_shift_left does not mask the
 * last word), read the user's first word and OR it into the kernel's first word (bitmap_or over
 * `shift` bits works on whole words, so the whole user word is ORed); then write
 * DIRTY_BITMAP_BYTES(nbits + shift) bytes from word copy_offset. The last word written carries
 * zeros above bit nbits + shift, so whatever the user had there is overwritten (hence "the user
 * must provide zeroed memory"). After the report, vfio_iova_dirty_bitmap() clears the first
 * nbits bits only and re-sets the pinned pages: bits the shift moved to [nbits, nbits + shift)
 * stay in the kernel bitmap and reappear, shifted again, in a later report with a non-zero
 * shift. This model keeps that residue, as the kernel does.
 */
final class DirtyBitmaps {
  /** {@code DIRTY_BITMAP_PAGES_MAX}: {@code INT_MAX} pages. */
  static final long PAGES_MAX = Integer.MAX_VALUE;

  /** {@code DIRTY_BITMAP_SIZE_MAX}: {@code DIRTY_BITMAP_BYTES(INT_MAX)} = 256 MiB. */
  static final long SIZE_MAX = bytes(PAGES_MAX);

  private DirtyBitmaps() {}

  /** Word-addressed user memory: the u64 words of a user bitmap. */
  interface Words {
    /** {@code copy_from_user} of word {@code index} ({@code EFAULT}). */
    long read(long index);

    /** {@code copy_to_user} of {@code count} words of {@code src} at word {@code index}. */
    void write(long index, long[] src, int count);
  }

  /** {@code DIRTY_BITMAP_BYTES(n)}: {@code n} bits rounded up to whole u64 words, in bytes. */
  static long bytes(long nbits) {
    return ((nbits + 63) >>> 6) << 3;
  }

  /** {@code verify_bitmap_size}: EINVAL unless both are non-zero and the size fits the bits. */
  static void verifySize(long npages, long bitmapSize) {
    UapiException.check(
        npages != 0
            && bitmapSize != 0
            && Long.compareUnsigned(bitmapSize, SIZE_MAX) <= 0
            && Long.compareUnsigned(bitmapSize, bytes(npages)) >= 0,
        Errno.EINVAL,
        "bitmap size does not fit the pages");
  }

  /** Allocates a zeroed dma bitmap for {@code npages} pages plus the spare word. */
  static long[] allocate(long npages) {
    return new long[(int) (bytes(npages) >>> 3) + 1];
  }

  /** {@code bitmap_set(map, start, n)}. */
  static void set(long[] map, long start, long n) {
    for (long b = start; b < start + n; ) {
      int w = (int) (b >>> 6);
      int lo = (int) (b & 63);
      long run = Math.min(64 - lo, start + n - b);
      map[w] |= (run == 64 ? -1L : ((1L << run) - 1)) << lo;
      b += run;
    }
  }

  /** {@code bitmap_clear(map, 0, n)}. */
  static void clearPrefix(long[] map, long n) {
    int full = (int) (n >>> 6);
    java.util.Arrays.fill(map, 0, full, 0);
    int rem = (int) (n & 63);
    if (rem != 0) {
      map[full] &= -1L << rem;
    }
  }

  /** {@code __bitmap_shift_left(map, map, shift, nbits)} in place, {@code 0 < shift < 64}. */
  static void shiftLeft(long[] map, int shift, long nbits) {
    int lim = (int) ((nbits + 63) >>> 6);
    for (int k = lim - 1; k >= 0; k--) {
      long lower = k > 0 ? map[k - 1] >>> (64 - shift) : 0;
      map[k] = (map[k] << shift) | lower;
    }
  }

  /**
   * {@code update_user_bitmap}: reports one dma of {@code nbits} pages at bit offset {@code
   * bitOffset} from the user bitmap's first bit.
   *
   * @param allDirty whether every page counts as dirty (an unscoped group and an IOMMU-mapped dma)
   * @throws UapiException {@code EFAULT} if a user word cannot be read or written
   */
  static void report(long[] map, long nbits, long bitOffset, boolean allDirty, Words user) {
    long copyOffset = bitOffset >>> 6;
    int shift = (int) (bitOffset & 63);
    if (allDirty) {
      set(map, 0, nbits);
    }
    if (shift != 0) {
      shiftLeft(map, shift, nbits + shift);
      map[0] |= user.read(copyOffset);
    }
    user.write(copyOffset, map, (int) (bytes(nbits + shift) >>> 3));
  }
}
