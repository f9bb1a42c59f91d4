package org.jvfio.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;

class StateMachineTest {
  /** A counter whose third increment adds two. */
  static final class BuggyCounter {
    private int increments;
    private long value;

    void inc() {
      increments++;
      value += increments == 3 ? 2 : 1;
    }

    void dec() {
      value--;
    }

    long get() {
      return value;
    }
  }

  private static final Action<BuggyCounter, AtomicLong> GET =
      Action.named("get", (c, m) -> assertEquals(m.get(), c.get()));
  private static final Action<BuggyCounter, AtomicLong> DEC =
      Action.named(
          "dec",
          (c, m) -> {
            c.dec();
            m.decrementAndGet();
          });
  private static final Action<BuggyCounter, AtomicLong> INC =
      Action.named(
          "inc",
          (c, m) -> {
            c.inc();
            m.incrementAndGet();
          });

  @Test
  void check_buggyCounter_shrinksToThreeIncrementsAndAGet() {
    for (long i = 0; i < 10; i++) {
      long seed = i;
      AssertionFailedError e =
          assertThrows(
              AssertionFailedError.class,
              () ->
                  StateMachine.of(BuggyCounter::new, AtomicLong::new)
                      .check(
                          Property.named("counter").withSeed(seed), Gen.oneOf(GET, DEC, INC), 40));
      assertTrue(
          e.getMessage().contains("evaluations): [inc, inc, inc, get]\n"),
          "seed " + seed + ": " + e.getMessage());
    }
  }

  @Test
  void check_invariant_runsAfterEveryStep_andShrinksToThreeIncrements() {
    AssertionFailedError e =
        assertThrows(
            AssertionFailedError.class,
            () ->
                StateMachine.of(BuggyCounter::new, AtomicLong::new)
                    .withInvariant((c, m) -> assertEquals(m.get(), c.get()))
                    .check(Property.named("counter invariant"), Gen.oneOf(DEC, INC), 40));
    assertTrue(e.getMessage().contains("evaluations): [inc, inc, inc]\n"), e.getMessage());
  }

  @Test
  void check_correctSystem_passes_andSeesFreshStateEachSequence() {
    List<Integer> lengths = new ArrayList<>();
    StateMachine.of(AtomicLong::new, AtomicLong::new)
        .withInvariant((s, m) -> assertEquals(m.get(), s.get()))
        .check(
            Property.named("correct").withTries(50),
            Gen.oneOf(
                Action.<AtomicLong, AtomicLong>named(
                    "inc",
                    (s, m) -> {
                      s.incrementAndGet();
                      m.incrementAndGet();
                    })),
            10);
    StateMachine.of(AtomicLong::new, AtomicLong::new)
        .check(
            Property.named("fresh").withTries(50),
            Gen.oneOf(Action.<AtomicLong, AtomicLong>named("len", (s, m) -> s.incrementAndGet()))
                .map(
                    a ->
                        Action.<AtomicLong, AtomicLong>named(
                            "record",
                            (s, m) -> {
                              a.run(s, m);
                              lengths.add((int) s.get());
                            })),
            10);
    // Every sequence starts from zero, so the recorded counts restart at 1.
    assertTrue(lengths.stream().filter(x -> x == 1).count() > 10);
  }
}
