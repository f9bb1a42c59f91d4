package org.jvfio.core.iommufd;

import com.google.common.collect.Range;
import com.google.common.primitives.UnsignedLong;

/*
 * Unsigned 64-bit IOVA ranges as Guava ranges. Every range is half-open [start, last + 1), except
 * one that ends at ULONG_MAX, which is [start, +inf): so adjacent ranges merge in a RangeSet (as the
 * kernel's span iterators treat touching intervals) and the top of the space needs no 2^64.
 */
final class Iovas {
  static final long ULONG_MAX = -1L;

  private Iovas() {}

  static UnsignedLong u(long v) {
    return UnsignedLong.fromLongBits(v);
  }

  /** Returns {@code [start, last]} (inclusive, unsigned; {@code start <= last}). */
  static Range<UnsignedLong> span(long start, long last) {
    return last == ULONG_MAX ? Range.atLeast(u(start)) : Range.closedOpen(u(start), u(last + 1));
  }

  /** Returns the whole 64-bit space. */
  static Range<UnsignedLong> all() {
    return Range.atLeast(u(0));
  }

  static long startOf(Range<UnsignedLong> r) {
    return r.hasLowerBound() ? r.lowerEndpoint().longValue() : 0;
  }

  static long lastOf(Range<UnsignedLong> r) {
    return r.hasUpperBound() ? r.upperEndpoint().longValue() - 1 : ULONG_MAX;
  }

  /** Returns whether {@code a + length - 1} wraps past {@code ULONG_MAX} (length > 0). */
  static boolean lastWraps(long a, long length) {
    return Long.compareUnsigned(a + (length - 1), a) < 0;
  }
}
