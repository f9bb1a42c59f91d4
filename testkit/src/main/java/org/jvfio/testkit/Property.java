package org.jvfio.testkit;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import org.junit.jupiter.api.function.ThrowingConsumer;
import org.opentest4j.AssertionFailedError;

/**
 * A property-based test run for JUnit 5: checks a property against many generated values and, on
 * failure, shrinks the counterexample and reports how to reproduce it.
 *
 * <pre>{@code
 * Property.check("a START with valid ranges succeeds", DmaLoggingGens.validStarts(256),
 *     c -> assertEquals(0, device.start(c)));
 * }</pre>
 *
 * <p>Runs are deterministic. The seed comes from {@code -Djvfio.seed} ({@code Long.decode} syntax,
 * hexadecimal above {@code Long.MAX_VALUE} allowed; default {@value #DEFAULT_SEED}) and the number
 * of tries from {@code -Djvfio.tries} (default {@value #DEFAULT_TRIES}); try {@code i} draws from
 * the {@code i}-th {@link SplittableRandom#split() split} of a {@code SplittableRandom(seed)}, so
 * the same seed reproduces the same values whatever the number of tries. Rerunning with the seed
 * printed in a failure reproduces it.
 *
 * <p>On the first failing try the runner shrinks the choices behind the value (see {@link Gen}) for
 * at most {@link #withMaxShrinks maxShrinks} evaluations of the property, keeping only simpler
 * cases that fail with the same exception class, then throws an {@link AssertionFailedError} whose
 * message gives the property's name, the seed, the try, the shrunk and the original
 * counterexamples, the shrink steps, the original failure and the {@code -Djvfio.seed=...} flag to
 * rerun with; its cause is the shrunk case's failure.
 *
 * <p>Immutable; the property itself must not depend on state left by earlier tries.
 */
public final class Property {
  /** The seed used when {@code jvfio.seed} is not set. */
  public static final String DEFAULT_SEED = "0x5EEDF00D";

  /** The number of tries used when {@code jvfio.tries} is not set. */
  public static final int DEFAULT_TRIES = 200;

  /** The default bound on property evaluations spent shrinking one failure. */
  public static final int DEFAULT_MAX_SHRINKS = 2000;

  private final String name;
  private final long seed;
  private final int tries;
  private final int maxShrinks;

  private Property(String name, long seed, int tries, int maxShrinks) {
    this.name = Objects.requireNonNull(name, "name");
    if (tries < 1) {
      throw new IllegalArgumentException("tries must be positive: " + tries);
    }
    if (maxShrinks < 0) {
      throw new IllegalArgumentException("maxShrinks must not be negative: " + maxShrinks);
    }
    this.seed = seed;
    this.tries = tries;
    this.maxShrinks = maxShrinks;
  }

  /**
   * Returns a property run named {@code name} with the seed and tries of the system properties
   * {@code jvfio.seed} and {@code jvfio.tries}.
   *
   * @param name the name shown in reports and failures
   * @return a property run named {@code name} with the seed and tries of the system properties
   *     {@code jvfio.seed} and {@code jvfio.tries}
   * @throws IllegalArgumentException if a system property is malformed or {@code jvfio.tries < 1}
   */
  public static Property named(String name) {
    String tries = System.getProperty("jvfio.tries", Integer.toString(DEFAULT_TRIES));
    try {
      return new Property(
          name,
          parseSeed(System.getProperty("jvfio.seed", DEFAULT_SEED)),
          Integer.parseInt(tries.trim()),
          DEFAULT_MAX_SHRINKS);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("malformed -Djvfio.seed or -Djvfio.tries", e);
    }
  }

  /**
   * Checks {@code property} for values of {@code gen} with the settings of {@link #named}.
   *
   * @param <T> the type of the values
   * @param name the name shown in reports and failures
   * @param gen the generator of the values to check
   * @param property the property; it fails by throwing
   * @throws AssertionFailedError if the property fails for some value (shrunk, see above), or a
   *     value cannot be generated
   */
  public static <T> void check(String name, Gen<T> gen, ThrowingConsumer<? super T> property) {
    named(name).forAll(gen, property);
  }

  /**
   * Returns this run with a fixed seed, overriding {@code -Djvfio.seed} (which then no longer
   * reproduces or varies it; prefer the system property).
   *
   * @param seed the seed of the random choices
   * @return this run with a fixed seed, overriding {@code -Djvfio.seed} (which then no longer
   *     reproduces or varies it; prefer the system property)
   */
  public Property withSeed(long seed) {
    return new Property(name, seed, tries, maxShrinks);
  }

  /**
   * Returns this run with a fixed number of tries, overriding {@code -Djvfio.tries}.
   *
   * @param tries how many values to draw
   * @return this run with a fixed number of tries, overriding {@code -Djvfio.tries}
   * @throws IllegalArgumentException if {@code tries < 1}
   */
  public Property withTries(int tries) {
    return new Property(name, seed, tries, maxShrinks);
  }

  /**
   * Returns this run with at most {@code maxShrinks} property evaluations spent shrinking (0 turns
   * shrinking off).
   *
   * @param maxShrinks the most shrinking steps
   * @return this run with at most {@code maxShrinks} property evaluations spent shrinking (0 turns
   *     shrinking off)
   * @throws IllegalArgumentException if {@code maxShrinks < 0}
   */
  public Property withMaxShrinks(int maxShrinks) {
    return new Property(name, seed, tries, maxShrinks);
  }

  /**
   * Returns the seed of this run.
   *
   * @return the seed of this run
   */
  public long seed() {
    return seed;
  }

  /**
   * Returns the number of tries of this run.
   *
   * @return the number of tries of this run
   */
  public int tries() {
    return tries;
  }

  /**
   * Checks {@code property} for {@link #tries()} values of {@code gen}; passes if it returns
   * normally for each.
   *
   * @param <T> the type of the values
   * @param gen the generator of the values to check
   * @param property the property; it fails by throwing
   * @throws AssertionFailedError if the property throws for some value (after shrinking it), or if
   *     {@code gen} cannot generate a value
   */
  public <T> void forAll(Gen<T> gen, ThrowingConsumer<? super T> property) {
    Objects.requireNonNull(gen, "gen");
    Objects.requireNonNull(property, "property");
    SplittableRandom root = new SplittableRandom(seed);
    for (int i = 0; i < tries; i++) {
      Source source = Source.random(root.split());
      T value;
      try {
        value = gen.generate(source);
      } catch (RuntimeException e) {
        throw new AssertionFailedError(
            header(i) + " could not generate a value: " + e.getMessage() + reproduce(), e);
      }
      Throwable error = run(property, value);
      if (error != null) {
        fail(gen, property, i, new Shrinker.Failure(source.choices(), error));
      }
    }
  }

  private <T> void fail(
      Gen<T> gen, ThrowingConsumer<? super T> property, int tryIndex, Shrinker.Failure original) {
    Class<?> kind = original.error().getClass();
    Shrinker.Result shrunk =
        Shrinker.shrink(
            choices -> {
              Source replay = Source.replay(choices);
              T value;
              try {
                value = gen.generate(replay);
              } catch (RuntimeException e) {
                return null; // not a value this generator can make
              }
              Throwable error = run(property, value);
              return error != null && error.getClass() == kind
                  ? new Shrinker.Failure(replay.choices(), error)
                  : null;
            },
            original,
            maxShrinks);
    Shrinker.Failure best = shrunk.failure();
    String message =
        header(tryIndex)
            + " failed.\n  Shrunk counterexample ("
            + shrunk.steps()
            + " shrink steps, "
            + shrunk.evaluations()
            + " evaluations): "
            + describe(gen.generate(Source.replay(best.choices())))
            + "\n  Original counterexample: "
            + describe(gen.generate(Source.replay(original.choices())))
            + "\n  Original failure: "
            + original.error()
            + "\n  Shrunk failure: "
            + best.error()
            + reproduce();
    throw new AssertionFailedError(message, best.error());
  }

  private String header(int tryIndex) {
    return "Property '"
        + name
        + "' (seed "
        + formatSeed(seed)
        + ", try "
        + (tryIndex + 1)
        + " of "
        + tries
        + ")";
  }

  private String reproduce() {
    return "\n  Reproduce with: -Djvfio.seed=" + formatSeed(seed);
  }

  private static <T> Throwable run(ThrowingConsumer<? super T> property, T value) {
    try {
      property.accept(value);
      return null;
    } catch (Throwable t) {
      if (t instanceof VirtualMachineError) {
        throw (VirtualMachineError) t;
      }
      return t;
    }
  }

  /** Parses a seed: {@code Long.decode} syntax, or unsigned hexadecimal up to 64 bits. */
  static long parseSeed(String s) {
    String t = s.trim();
    if (t.startsWith("0x") || t.startsWith("0X")) {
      return Long.parseUnsignedLong(t.substring(2), 16);
    }
    return Long.decode(t);
  }

  static String formatSeed(long seed) {
    return "0x" + Long.toHexString(seed).toUpperCase(Locale.ROOT);
  }

  /** A readable form of a generated value (arrays by content). */
  static String describe(Object value) {
    String s = Arrays.deepToString(new Object[] {value});
    return s.substring(1, s.length() - 1);
  }
}
