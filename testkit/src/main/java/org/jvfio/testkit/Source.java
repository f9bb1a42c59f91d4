package org.jvfio.testkit;

import java.util.Arrays;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * The stream of choices a {@link Gen} draws from: random while a property explores, replayed from a
 * recorded (and possibly simplified) sequence while it shrinks.
 *
 * <p>Every draw is recorded as one unsigned 64-bit <em>choice</em> in {@code [0, bound]}; zero is
 * the simplest choice and every method below maps smaller choices to simpler values (closer to the
 * lower bound, or to zero when the range contains it). Because generators draw only through a
 * {@code Source}, the runner can shrink any composed generator by simplifying the recorded choices
 * and generating again (integrated shrinking, as in Hypothesis); no generator needs a hand-written
 * shrinker.
 *
 * <p>When a replayed sequence runs out, further draws return the simplest choice (zero). A replayed
 * choice larger than the current bound is reduced modulo {@code bound + 1}. Not thread-safe: one
 * {@code Source} produces one value on one thread.
 */
public final class Source {
  /** Draws a replay may make beyond its recorded choices before it is abandoned. */
  private static final int MAX_EXTRA_DRAWS = 100_000;

  private final RandomGenerator random;
  private final long[] prefix;
  private final long maxDraws;
  private long[] record = new long[16];
  private int size;

  private Source(RandomGenerator random, long[] prefix, long maxDraws) {
    this.random = random;
    this.prefix = prefix;
    this.maxDraws = maxDraws;
  }

  /** A source drawing from {@code random} (exploring), recording its choices. */
  static Source random(RandomGenerator random) {
    return new Source(Objects.requireNonNull(random, "random"), new long[0], Long.MAX_VALUE);
  }

  /** A source replaying {@code choices}, then answering zero. */
  static Source replay(long[] choices) {
    return new Source(null, choices.clone(), (long) choices.length + MAX_EXTRA_DRAWS);
  }

  /**
   * Draws a signed {@code long} in {@code [min, max]} (inclusive). Shrinks toward zero if the range
   * contains it (non-negative values first, then {@code -1, -2, ...}), else toward the bound nearer
   * zero.
   *
   * @param min the smallest value, inclusive
   * @param max the largest value, inclusive
   * @return the value
   * @throws IllegalArgumentException if {@code min > max}
   */
  public long nextLong(long min, long max) {
    if (min > max) {
      throw new IllegalArgumentException("min " + min + " > max " + max);
    }
    if (min >= 0) {
      return min + draw(max - min);
    }
    if (max <= 0) {
      return max - draw(max - min);
    }
    // Choices 0..max are the non-negative values, then max+1.. are -1, -2, ... down to min.
    long c = draw(max - min);
    return Long.compareUnsigned(c, max) <= 0 ? c : max - c;
  }

  /**
   * Draws an unsigned 64-bit value in {@code [min, max]} (inclusive, compared unsigned). Shrinks
   * toward {@code min}.
   *
   * @param min the smallest value, inclusive
   * @param max the largest value, inclusive
   * @return the value
   * @throws IllegalArgumentException if {@code min} is unsigned-greater than {@code max}
   */
  public long nextUnsignedLong(long min, long max) {
    if (Long.compareUnsigned(min, max) > 0) {
      throw new IllegalArgumentException(
          "min " + Long.toUnsignedString(min) + " > max " + Long.toUnsignedString(max));
    }
    return min + draw(max - min);
  }

  /**
   * Draws an {@code int} in {@code [min, max]}; shrinks like {@link #nextLong}.
   *
   * @param min the smallest value, inclusive
   * @param max the largest value, inclusive
   * @return the value
   * @throws IllegalArgumentException if {@code min > max}
   */
  public int nextInt(int min, int max) {
    return (int) nextLong(min, max);
  }

  /**
   * Draws a boolean; shrinks toward {@code false}.
   *
   * @return the boolean
   */
  public boolean nextBoolean() {
    return draw(1) != 0;
  }

  /**
   * Draws one choice in {@code [0, bound]} (unsigned). While exploring, the bounds themselves are
   * favoured a little, since edge values find more bugs than uniform ones.
   */
  long draw(long bound) {
    long choice;
    if (size < prefix.length) {
      choice = prefix[size];
      if (bound != -1L && Long.compareUnsigned(choice, bound) > 0) {
        choice = Long.remainderUnsigned(choice, bound + 1);
      }
    } else if (random != null) {
      choice = randomChoice(bound);
    } else {
      choice = 0;
    }
    return append(choice);
  }

  /**
   * Draws one choice in {@code [0, bound]} whose value, while exploring, is {@code explored}
   * instead of random; when replaying it is read from the sequence like any other. Lets a generator
   * steer exploration (for example toward a target list length) without giving up replay.
   */
  long draw(long bound, long explored) {
    return random == null ? draw(bound) : append(explored);
  }

  /** Returns the random generator while exploring, or {@code null} while replaying. */
  RandomGenerator randomOrNull() {
    return random;
  }

  /** Returns the choices drawn so far. */
  long[] choices() {
    return Arrays.copyOf(record, size);
  }

  private long append(long choice) {
    if (size >= maxDraws) {
      throw new Overrun();
    }
    if (size == record.length) {
      record = Arrays.copyOf(record, size * 2);
    }
    record[size++] = choice;
    return choice;
  }

  private long randomChoice(long bound) {
    int pick = random.nextInt(32);
    if (pick == 0) {
      return 0;
    }
    if (pick == 1) {
      return bound;
    }
    if (bound == -1L) {
      return random.nextLong();
    }
    if (bound >= 0 && bound != Long.MAX_VALUE) {
      return random.nextLong(bound + 1);
    }
    // Unsigned bound of 2^63 or more: rejection sampling accepts at least half the draws.
    long c;
    do {
      c = random.nextLong();
    } while (Long.compareUnsigned(c, bound) > 0);
    return c;
  }

  /** Thrown when a replay draws far more than it recorded (a generator that never ends). */
  static final class Overrun extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Overrun() {
      super("replay drew too many choices", null, false, false);
    }
  }
}
