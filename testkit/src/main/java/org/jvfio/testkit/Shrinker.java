package org.jvfio.testkit;

import java.util.Arrays;
import java.util.function.Function;

/*
 * Shrinking on choice sequences (the "internal shrinking" of Hypothesis).
 *
 * A failing test case is identified by the sequence of choices its value was generated from. The
 * shrinker proposes simpler sequences and asks `test` whether the value generated from each still
 * fails; `test` answers with the sequence the replay actually consumed (normalised: unused trailing
 * choices dropped, missing ones filled with zero, out-of-range ones reduced), or null if the
 * candidate does not fail the same way. A candidate is kept only if that normalised sequence is
 * strictly simpler in shortlex order (shorter, or as long and lexicographically smaller, unsigned),
 * so shrinking always terminates; a budget of evaluations bounds its cost.
 *
 * Passes, repeated until a whole round makes no progress:
 *  1. delete chunks of 8, 4, 2 and 1 consecutive choices, from the end (drops list elements,
 *     actions of a stateful test, rejected filter attempts);
 *  2. zero chunks of 8, 4 and 2 choices (resets composite values at once);
 *  3. minimise each choice: try zero, then binary-search the smallest value that still fails
 *     (assumes monotonicity, and is merely less effective where it does not hold).
 */
final class Shrinker {
  /** A failing case: the normalised choices and what the property threw. */
  record Failure(long[] choices, Throwable error) {}

  private final Function<long[], Failure> test;
  private final int maxEvaluations;
  private Failure best;
  private int evaluations;
  private int steps;

  private Shrinker(Function<long[], Failure> test, int maxEvaluations, Failure initial) {
    this.test = test;
    this.maxEvaluations = maxEvaluations;
    this.best = initial;
  }

  /** The shrunk failure and what shrinking cost. */
  record Result(Failure failure, int steps, int evaluations) {}

  static Result shrink(Function<long[], Failure> test, Failure initial, int maxEvaluations) {
    Shrinker s = new Shrinker(test, maxEvaluations, initial);
    boolean progress = true;
    while (progress && s.evaluations < maxEvaluations) {
      progress = s.deleteChunks();
      progress |= s.zeroChunks();
      progress |= s.minimiseChoices();
    }
    return new Result(s.best, s.steps, s.evaluations);
  }

  private boolean deleteChunks() {
    boolean progress = false;
    for (int k = 8; k >= 1; k /= 2) {
      for (int i = best.choices().length - k; i >= 0; i--) {
        long[] c = best.choices();
        if (i + k > c.length) {
          continue;
        }
        long[] candidate = new long[c.length - k];
        System.arraycopy(c, 0, candidate, 0, i);
        System.arraycopy(c, i + k, candidate, i, c.length - i - k);
        progress |= tryCandidate(candidate);
      }
    }
    return progress;
  }

  private boolean zeroChunks() {
    boolean progress = false;
    for (int k = 8; k >= 2; k /= 2) {
      for (int i = best.choices().length - k; i >= 0; i--) {
        long[] c = best.choices();
        if (i + k > c.length || isZero(c, i, i + k)) {
          continue;
        }
        long[] candidate = c.clone();
        Arrays.fill(candidate, i, i + k, 0);
        progress |= tryCandidate(candidate);
      }
    }
    return progress;
  }

  private boolean minimiseChoices() {
    boolean progress = false;
    for (int i = 0; i < best.choices().length; i++) {
      long hi = best.choices()[i];
      if (hi == 0) {
        continue;
      }
      if (tryChoice(i, 0)) {
        progress = true;
        continue;
      }
      // Invariant: value lo does not fail, value hi (the current one) does.
      long lo = 0;
      while (Long.compareUnsigned(hi - lo, 1) > 0 && evaluations < maxEvaluations) {
        long mid = lo + ((hi - lo) >>> 1);
        if (tryChoice(i, mid)) {
          progress = true;
          if (i >= best.choices().length) {
            break;
          }
          hi = best.choices()[i];
          if (Long.compareUnsigned(hi, lo) <= 0) {
            break;
          }
        } else {
          lo = mid;
        }
      }
    }
    return progress;
  }

  private boolean tryChoice(int i, long value) {
    long[] candidate = best.choices().clone();
    candidate[i] = value;
    return tryCandidate(candidate);
  }

  private boolean tryCandidate(long[] candidate) {
    if (evaluations >= maxEvaluations) {
      return false;
    }
    evaluations++;
    Failure f = test.apply(candidate);
    if (f != null && simpler(f.choices(), best.choices())) {
      best = f;
      steps++;
      return true;
    }
    return false;
  }

  /** Shortlex order on choice sequences, comparing choices unsigned. */
  static boolean simpler(long[] a, long[] b) {
    if (a.length != b.length) {
      return a.length < b.length;
    }
    return Arrays.compareUnsigned(a, b) < 0;
  }

  private static boolean isZero(long[] c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (c[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
