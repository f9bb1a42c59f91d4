package org.jvfio.testkit;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

/**
 * A generator of values of type {@code T} that shrinks without a hand-written shrinker.
 *
 * <p>A {@code Gen} is a function from a {@link Source} of recorded choices to a value. The property
 * runner ({@link Property}) explores with random choices and, on failure, shrinks by replaying
 * simpler choice sequences (shorter, or with smaller choices) through the same generator, keeping
 * each one for which the property still fails. Since the combinators below draw only through the
 * {@code Source}, every composed generator shrinks: lists lose elements, numbers move toward zero
 * or their lower bound, {@link #choose} and {@link #oneOf} move toward their first option.
 *
 * <p>A custom generator is a lambda that draws from the source or calls other generators:
 *
 * <pre>{@code
 * Gen<Range> ranges = src -> {
 *   long iova = Gen.longs(0, 1 << 20).generate(src) << 12;
 *   return new Range(iova, src.nextLong(1, 16) << 12);
 * };
 * }</pre>
 *
 * <p>Engine-neutral: {@link #sample(RandomGenerator)} draws one value from any random generator, so
 * another property engine can use a {@code Gen} in one line (values are then shrunk by that engine,
 * if at all). For jqwik: {@code Arbitraries.randomValue(gen::sample)} ({@code java.util.Random} is
 * a {@code RandomGenerator}).
 *
 * <p>Generators must be deterministic functions of the choices they draw (no other randomness, no
 * shared mutable state), and are then safe to share between threads.
 *
 * @param <T> the type of the generated values
 */
@FunctionalInterface
public interface Gen<T> {
  /** How many consecutive values {@link #filter} may reject before it gives up. */
  int FILTER_ATTEMPTS = 100;

  /**
   * Generates one value, drawing every random decision from {@code source}.
   *
   * @param source the source of randomness
   * @return the value
   * @throws IllegalStateException if the generator cannot produce a value (e.g. an exhausted {@link
   *     #filter})
   */
  T generate(Source source);

  /**
   * Draws one value from {@code random}, for one-shot use or another test engine.
   *
   * @param random the random generator to draw from
   * @return the value
   * @throws IllegalStateException if the generator cannot produce a value
   */
  default T sample(RandomGenerator random) {
    return generate(Source.random(random));
  }

  /**
   * Returns a generator applying {@code f} to this one's values; shrinks as this one does.
   *
   * @param <R> the type of the result
   * @param f the function applied
   * @return a generator applying {@code f} to this one's values; shrinks as this one does
   */
  default <R> Gen<R> map(Function<? super T, ? extends R> f) {
    Objects.requireNonNull(f, "f");
    return src -> f.apply(generate(src));
  }

  /**
   * Returns a generator that draws a value from this one, then a value from the generator {@code f}
   * makes of it; both parts shrink.
   *
   * @param <R> the type of the result
   * @param f the function applied
   * @return a generator that draws a value from this one, then a value from the generator {@code f}
   *     makes of it; both parts shrink
   */
  default <R> Gen<R> flatMap(Function<? super T, ? extends Gen<? extends R>> f) {
    Objects.requireNonNull(f, "f");
    return src -> f.apply(generate(src)).generate(src);
  }

  /**
   * Returns a generator of this one's values that satisfy {@code predicate}, drawing again when one
   * does not. Prefer constructing valid values: a predicate that rejects most values is slow.
   *
   * @param predicate the condition the values must meet
   * @return a generator of this one's values that satisfy {@code predicate}, drawing again when one
   *     does not
   * @throws IllegalStateException from {@code generate} after {@value #FILTER_ATTEMPTS} rejections
   *     in a row, naming the last rejected value
   */
  default Gen<T> filter(Predicate<? super T> predicate) {
    Objects.requireNonNull(predicate, "predicate");
    return src -> {
      T value = null;
      for (int i = 0; i < FILTER_ATTEMPTS; i++) {
        value = generate(src);
        if (predicate.test(value)) {
          return value;
        }
      }
      throw new IllegalStateException(
          "filter rejected "
              + FILTER_ATTEMPTS
              + " values in a row (last: "
              + Property.describe(value)
              + "); generate valid values instead of filtering");
    };
  }

  /**
   * Returns a generator always producing {@code value}.
   *
   * @param <T> the type of the values
   * @param value the value every draw returns
   * @return a generator always producing {@code value}
   */
  static <T> Gen<T> constant(T value) {
    return src -> value;
  }

  /**
   * Returns a generator of signed longs in {@code [min, max]}; shrinks toward zero, or toward the
   * bound nearer zero when the range does not contain it.
   *
   * @param min the smallest value, inclusive
   * @param max the largest value, inclusive
   * @return a generator of signed longs in {@code [min, max]}; shrinks toward zero, or toward the
   *     bound nearer zero when the range does not contain it
   * @throws IllegalArgumentException if {@code min > max}
   */
  static Gen<Long> longs(long min, long max) {
    if (min > max) {
      throw new IllegalArgumentException("min " + min + " > max " + max);
    }
    return src -> src.nextLong(min, max);
  }

  /**
   * Returns a generator of unsigned 64-bit values in {@code [min, max]} (compared unsigned);
   * shrinks toward {@code min}.
   *
   * @param min the smallest value, inclusive
   * @param max the largest value, inclusive
   * @return a generator of unsigned 64-bit values in {@code [min, max]} (compared unsigned);
   *     shrinks toward {@code min}
   * @throws IllegalArgumentException if {@code min} is unsigned-greater than {@code max}
   */
  static Gen<Long> unsignedLongs(long min, long max) {
    if (Long.compareUnsigned(min, max) > 0) {
      throw new IllegalArgumentException(
          "min " + Long.toUnsignedString(min) + " > max " + Long.toUnsignedString(max));
    }
    return src -> src.nextUnsignedLong(min, max);
  }

  /**
   * Returns a generator of all unsigned 64-bit values ({@code 0 .. 2^64-1}); shrinks toward 0.
   *
   * @return a generator of all unsigned 64-bit values
   */
  static Gen<Long> unsignedLongs() {
    return unsignedLongs(0, -1L);
  }

  /**
   * Returns a generator of ints in {@code [min, max]}; shrinks like {@link #longs}.
   *
   * @param min the smallest value, inclusive
   * @param max the largest value, inclusive
   * @return a generator of ints in {@code [min, max]}; shrinks like {@link #longs}
   * @throws IllegalArgumentException if {@code min > max}
   */
  static Gen<Integer> ints(int min, int max) {
    if (min > max) {
      throw new IllegalArgumentException("min " + min + " > max " + max);
    }
    return src -> src.nextInt(min, max);
  }

  /**
   * Returns a generator of booleans; shrinks toward {@code false}.
   *
   * @return a generator of booleans; shrinks toward {@code false}
   */
  static Gen<Boolean> booleans() {
    return Source::nextBoolean;
  }

  /**
   * Returns a generator of {@code 2^k} for {@code k} in {@code [minLog2, maxLog2]} (as unsigned
   * 64-bit values, so {@code maxLog2 == 63} gives {@code 2^63}); shrinks toward {@code 2^minLog2}.
   *
   * @param minLog2 the log2 of the smallest value
   * @param maxLog2 the log2 of the largest value
   * @return a generator of {@code 2^k} for {@code k} in {@code [minLog2, maxLog2]} (as unsigned
   *     64-bit values, so {@code maxLog2 == 63} gives {@code 2^63}); shrinks toward {@code
   *     2^minLog2}
   * @throws IllegalArgumentException unless {@code 0 <= minLog2 <= maxLog2 <= 63}
   */
  static Gen<Long> powersOfTwo(int minLog2, int maxLog2) {
    if (minLog2 < 0 || maxLog2 > 63 || minLog2 > maxLog2) {
      throw new IllegalArgumentException("bad log2 range [" + minLog2 + ", " + maxLog2 + "]");
    }
    return src -> 1L << src.nextInt(minLog2, maxLog2);
  }

  /**
   * Returns a generator picking one of {@code values} uniformly; shrinks toward the first.
   *
   * @param <T> the type of the values
   * @param values the values to pick from
   * @return a generator picking one of {@code values} uniformly; shrinks toward the first
   * @throws IllegalArgumentException if {@code values} is empty
   */
  static <T> Gen<T> oneOf(List<? extends T> values) {
    List<T> copy = List.copyOf(values);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("no values");
    }
    return src -> copy.get(src.nextInt(0, copy.size() - 1));
  }

  /**
   * Returns a generator picking one of {@code values} uniformly; shrinks toward the first.
   *
   * @param <T> the type of the values
   * @param values the values to pick from
   * @return a generator picking one of {@code values} uniformly; shrinks toward the first
   * @throws IllegalArgumentException if {@code values} is empty
   */
  @SafeVarargs
  static <T> Gen<T> oneOf(T... values) {
    return oneOf(List.of(values));
  }

  /**
   * Returns a generator that picks one of {@code gens} uniformly and draws from it; shrinks toward
   * the first generator, and within the picked one.
   *
   * @param <T> the type of the values
   * @param gens the generators to pick from
   * @return a generator that picks one of {@code gens} uniformly and draws from it; shrinks toward
   *     the first generator, and within the picked one
   * @throws IllegalArgumentException if {@code gens} is empty
   */
  @SafeVarargs
  static <T> Gen<T> choose(Gen<? extends T>... gens) {
    List<Gen<? extends T>> copy = List.of(gens);
    if (copy.isEmpty()) {
      throw new IllegalArgumentException("no generators");
    }
    return src -> copy.get(src.nextInt(0, copy.size() - 1)).generate(src);
  }

  /**
   * Returns a generator that picks one of the generators with probability proportional to its
   * weight (the entry's key), e.g. {@code frequency(Map.entry(9, small), Map.entry(1, huge))};
   * shrinks toward the first entry.
   *
   * @param <T> the type of the values
   * @param weighted the generators, each keyed by its weight
   * @return a generator that picks by weight
   * @throws IllegalArgumentException if there is no entry, a weight is negative, or all are zero
   */
  @SafeVarargs
  static <T> Gen<T> frequency(Map.Entry<Integer, ? extends Gen<? extends T>>... weighted) {
    List<Map.Entry<Integer, ? extends Gen<? extends T>>> entries = List.of(weighted);
    long total = 0;
    for (Map.Entry<Integer, ? extends Gen<? extends T>> e : entries) {
      if (e.getKey() < 0) {
        throw new IllegalArgumentException("negative weight " + e.getKey());
      }
      total += e.getKey();
    }
    if (total == 0) {
      throw new IllegalArgumentException("no positive weight");
    }
    long last = total - 1;
    return src -> {
      long pick = src.nextLong(0, last);
      for (Map.Entry<Integer, ? extends Gen<? extends T>> e : entries) {
        if (pick < e.getKey()) {
          return e.getValue().generate(src);
        }
        pick -= e.getKey();
      }
      throw new AssertionError("unreachable");
    };
  }

  /**
   * Returns a generator of immutable lists of {@code minSize..maxSize} elements drawn from {@code
   * element}; shrinks by removing elements and by shrinking them.
   *
   * @param <T> the type of the values
   * @param element the generator of the elements
   * @param minSize the fewest elements
   * @param maxSize the most elements
   * @return a generator of immutable lists of {@code minSize..maxSize} elements drawn from {@code
   *     element}; shrinks by removing elements and by shrinking them
   * @throws IllegalArgumentException unless {@code 0 <= minSize <= maxSize}
   */
  static <T> Gen<List<T>> lists(Gen<? extends T> element, int minSize, int maxSize) {
    Objects.requireNonNull(element, "element");
    if (minSize < 0 || minSize > maxSize) {
      throw new IllegalArgumentException("bad size range [" + minSize + ", " + maxSize + "]");
    }
    // Each optional element is preceded by a "more" choice (1 = one more element, 0 = stop), so
    // deleting an element's choices from the sequence deletes the element, and zeroing a "more"
    // choice truncates the list. While exploring, the length is uniform in [minSize, maxSize].
    return src -> {
      RandomGenerator r = src.randomOrNull();
      int target = r == null ? minSize : minSize + r.nextInt(maxSize - minSize + 1);
      List<T> out = new ArrayList<>();
      while (out.size() < maxSize
          && (out.size() < minSize || src.draw(1, out.size() < target ? 1 : 0) != 0)) {
        out.add(element.generate(src));
      }
      return Collections.unmodifiableList(out);
    };
  }

  /**
   * Returns a generator combining a value of {@code a} and one of {@code b} with {@code f}.
   *
   * @param <A> the type of the first values
   * @param <B> the type of the second values
   * @param <R> the type of the result
   * @param a the generator of the first values
   * @param b the generator of the second values
   * @param f the function applied
   * @return a generator combining a value of {@code a} and one of {@code b} with {@code f}
   */
  static <A, B, R> Gen<R> zip(
      Gen<? extends A> a, Gen<? extends B> b, BiFunction<? super A, ? super B, ? extends R> f) {
    Objects.requireNonNull(a, "a");
    Objects.requireNonNull(b, "b");
    Objects.requireNonNull(f, "f");
    return src -> f.apply(a.generate(src), b.generate(src));
  }
}
