package org.jvfio.testkit.oracle;

import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/*
 * A set of IOVAs as disjoint, coalesced closed intervals [first, last] in unsigned order, kept in a
 * TreeMap from first to last. Closed intervals let a range end at 2^64 - 1. add and remove touch
 * only the intervals next to the range, so a model of a 1 GiB leaf costs one entry.
 */
final class Intervals {
  private final TreeMap<Long, Long> map = new TreeMap<>(Long::compareUnsigned);

  /** Adds [first, last]. */
  void add(long first, long last) {
    Map.Entry<Long, Long> below = map.floorEntry(first);
    if (below != null && (gtEq(below.getValue(), first) || below.getValue() + 1 == first)) {
      first = below.getKey();
      if (gtEq(below.getValue(), last)) {
        last = below.getValue();
      }
    }
    while (true) {
      Map.Entry<Long, Long> next = map.ceilingEntry(first);
      if (next == null
          || (Long.compareUnsigned(next.getKey(), last) > 0 && next.getKey() != last + 1)) {
        break;
      }
      if (gtEq(next.getValue(), last)) {
        last = next.getValue();
      }
      map.remove(next.getKey());
    }
    map.put(first, last);
  }

  /** Removes [first, last]. */
  void remove(long first, long last) {
    Map.Entry<Long, Long> below = map.lowerEntry(first);
    if (below != null && gtEq(below.getValue(), first)) {
      map.put(below.getKey(), first - 1);
      if (Long.compareUnsigned(below.getValue(), last) > 0) {
        map.put(last + 1, below.getValue());
        return;
      }
    }
    while (true) {
      Map.Entry<Long, Long> next = map.ceilingEntry(first);
      if (next == null || Long.compareUnsigned(next.getKey(), last) > 0) {
        return;
      }
      map.remove(next.getKey());
      if (Long.compareUnsigned(next.getValue(), last) > 0) {
        map.put(last + 1, next.getValue());
        return;
      }
    }
  }

  /** Calls {@code action(first, last)} for every interval, in order. */
  void forEach(BiConsumer<Long, Long> action) {
    map.forEach(action);
  }

  /** Returns whether some IOVA of [first, last] is in the set. */
  boolean intersects(long first, long last) {
    Map.Entry<Long, Long> e = map.floorEntry(last);
    return e != null && gtEq(e.getValue(), first);
  }

  boolean isEmpty() {
    return map.isEmpty();
  }

  void clear() {
    map.clear();
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder("{");
    map.forEach(
        (f, l) -> {
          if (b.length() > 1) {
            b.append(", ");
          }
          b.append("[0x").append(Long.toHexString(f)).append(", 0x");
          b.append(Long.toHexString(l)).append(']');
        });
    return b.append('}').toString();
  }

  private static boolean gtEq(long a, long b) {
    return Long.compareUnsigned(a, b) >= 0;
  }
}
