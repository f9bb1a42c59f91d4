package org.jvfio.testkit.gen;

import java.util.List;
import java.util.Map;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Source;

/**
 * Generators of {@link IovaRange}s: aligned, unaligned, at the top of the 64-bit IOVA space, and
 * wrapping past it.
 *
 * <p>{@code alignment} is a power of two; lengths count {@code 1..maxUnits} units of it. Ranges
 * shrink toward small lengths at IOVA 0 (or toward the top of the space for {@link #endingAtTop}).
 */
public final class IovaGens {
  private IovaGens() {}

  /** The "low" part of the space where most ranges start, so that ranges often meet. */
  private static final int LOW_UNITS_LOG2 = 20;

  /**
   * Returns ranges aligned to {@code alignment} whose end {@code iova + length} fits in 64 bits:
   * mostly in the low part of the space, sometimes anywhere below the top.
   *
   * @param alignment the alignment in bytes, a power of two
   * @param maxUnits the longest length, in units of {@code alignment}
   * @return ranges aligned to {@code alignment} whose end {@code iova + length} fits in 64 bits:
   *     mostly in the low part of the space, sometimes anywhere below the top
   * @throws IllegalArgumentException unless {@code alignment} is a power of two below 2^63 and
   *     {@code maxUnits >= 1}
   */
  public static Gen<IovaRange> aligned(long alignment, long maxUnits) {
    check(alignment, maxUnits);
    long unitsInSpace = Long.divideUnsigned(-1L, alignment); // floor((2^64 - 1) / alignment)
    return src -> {
      long n = src.nextLong(1, Math.min(maxUnits, unitsInSpace - 1));
      long maxK = unitsInSpace - 1 - n; // (k + n) * alignment <= 2^64 - 2 * alignment
      long k =
          src.nextBoolean()
              ? src.nextLong(0, maxK)
              : src.nextLong(0, Math.min(maxK, (1L << LOW_UNITS_LOG2) - 1));
      return new IovaRange(k * alignment, n * alignment);
    };
  }

  /**
   * Returns ranges whose {@code iova} or {@code length} (or both) is not a multiple of {@code
   * alignment}, with an end that fits in 64 bits.
   *
   * @param alignment the alignment in bytes, a power of two
   * @param maxUnits the longest length, in units of {@code alignment}
   * @return ranges whose {@code iova} or {@code length} (or both) is not a multiple of {@code
   *     alignment}, with an end that fits in 64 bits
   * @throws IllegalArgumentException unless {@code alignment} is a power of two in {@code [2,
   *     2^62]} and {@code maxUnits >= 1}
   */
  public static Gen<IovaRange> unaligned(long alignment, long maxUnits) {
    check(alignment, maxUnits);
    if (alignment < 2) {
      throw new IllegalArgumentException("every range is aligned to 1");
    }
    Gen<IovaRange> base = aligned(alignment, maxUnits);
    return src -> {
      IovaRange r = base.generate(src);
      int which = src.nextInt(0, 2); // 0: length, 1: iova, 2: both
      long iovaOff = which == 0 ? 0 : src.nextLong(1, alignment - 1);
      long lengthOff = which == 1 ? 0 : src.nextLong(1, alignment - 1);
      // Moving iova up by iovaOff and shortening the length by lengthOff keeps the range inside r.
      return new IovaRange(r.iova() + iovaOff, r.length() - lengthOff);
    };
  }

  /**
   * Returns aligned ranges whose last IOVA is {@code 2^64 - 1 - j * alignment} for {@code j} in
   * {@code [0, 2]}: the last byte of the space itself ({@code j == 0}; then {@code iova + length}
   * overflows, see {@link IovaRange#endOverflows}) or just below it. The last IOVA never wraps.
   *
   * @param alignment the alignment in bytes, a power of two
   * @param maxUnits the longest length, in units of {@code alignment}
   * @return aligned ranges whose last IOVA is {@code 2^64 - 1 - j * alignment} for {@code j} in
   *     {@code [0, 2]}: the last byte of the space itself ({@code j == 0}; then {@code iova +
   *     length} overflows, see {@link IovaRange#endOverflows}) or just below it
   * @throws IllegalArgumentException unless {@code alignment} is a power of two below 2^63 and
   *     {@code maxUnits >= 1}
   */
  public static Gen<IovaRange> endingAtTop(long alignment, long maxUnits) {
    check(alignment, maxUnits);
    long unitsInSpace = Long.divideUnsigned(-1L, alignment);
    return src -> {
      int j = src.nextInt(0, 2);
      long n = src.nextLong(1, Math.min(maxUnits, unitsInSpace - j));
      return new IovaRange(-((n + j) * alignment), n * alignment);
    };
  }

  /**
   * Returns aligned ranges whose last IOVA {@code iova + length - 1} wraps past {@code 2^64 - 1}.
   *
   * @param alignment the alignment in bytes, a power of two
   * @param maxUnits the longest length, in units of {@code alignment}
   * @return aligned ranges whose last IOVA {@code iova + length - 1} wraps past {@code 2^64 - 1}
   * @throws IllegalArgumentException unless {@code alignment} is a power of two below 2^63 and
   *     {@code maxUnits >= 2}
   */
  public static Gen<IovaRange> wrapping(long alignment, long maxUnits) {
    check(alignment, maxUnits);
    if (maxUnits < 2) {
      throw new IllegalArgumentException("a wrapping range needs at least 2 units");
    }
    long unitsInSpace = Long.divideUnsigned(-1L, alignment);
    return src -> {
      long n = src.nextLong(2, Math.min(maxUnits, unitsInSpace));
      long m = src.nextLong(1, n - 1); // units between iova and 2^64
      return new IovaRange(-(m * alignment), n * alignment);
    };
  }

  /**
   * Returns aligned ranges that fit (neither {@code iova + length} nor the last IOVA overflows):
   * {@link #aligned} ones, and ones ending just below the top of the space.
   *
   * @param alignment the alignment in bytes, a power of two
   * @param maxUnits the longest length, in units of {@code alignment}
   * @return aligned ranges that fit (neither {@code iova + length} nor the last IOVA overflows):
   *     {@link #aligned} ones, and ones ending just below the top of the space
   * @throws IllegalArgumentException unless {@code alignment} is a power of two below 2^63 and
   *     {@code maxUnits >= 1}
   */
  public static Gen<IovaRange> fitting(long alignment, long maxUnits) {
    Gen<IovaRange> top = endingAtTop(alignment, maxUnits).filter(r -> !r.endOverflows());
    return Gen.frequency(Map.entry(4, aligned(alignment, maxUnits)), Map.entry(1, top));
  }

  static void check(long alignment, long maxUnits) {
    if (alignment <= 0 || Long.bitCount(alignment) != 1) {
      throw new IllegalArgumentException("alignment must be a power of two below 2^63");
    }
    if (maxUnits < 1) {
      throw new IllegalArgumentException("maxUnits must be positive: " + maxUnits);
    }
  }

  /** Draws a Fisher-Yates shuffle of {@code a} in place; shrinks toward the original order. */
  static <T> void shuffle(List<T> a, Source src) {
    for (int i = 0; i < a.size() - 1; i++) {
      int j = src.nextInt(i, a.size() - 1);
      T t = a.get(i);
      a.set(i, a.get(j));
      a.set(j, t);
    }
  }
}
