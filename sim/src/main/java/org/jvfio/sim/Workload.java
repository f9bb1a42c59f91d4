package org.jvfio.sim;

import java.util.SplittableRandom;

/*
 * A writer's stream of 4 KiB page writes on the simulated clock: `due(nanos)` says how many writes
 * fall into the next `nanos` of simulated time at `rate` bytes per second (the fraction carries
 * over, so the long-run count is exact), `nextPage()` which page each goes to. The working set is
 * `wsPages` consecutive pages from `start`, wrapping around a space of `spacePages` pages. Locality:
 * uniform over the working set; hot (90 % of writes into its first tenth, the rest uniform); or
 * sequential (a cursor that walks the working set and wraps). Not thread-safe.
 */
final class Workload {
  private final SplittableRandom random;
  private final long start;
  private final long wsPages;
  private final long hotPages;
  private final long spacePages;
  private final Locality locality;
  private final double pagesPerNano;
  private double owed;
  private long cursor;

  Workload(
      SplittableRandom random,
      long start,
      long wsPages,
      long spacePages,
      Locality locality,
      double rate) {
    this.random = random;
    this.start = start;
    this.wsPages = wsPages;
    this.hotPages = Math.max(1, wsPages / 10);
    this.spacePages = spacePages;
    this.locality = locality;
    this.pagesPerNano = rate / Engine.PAGE / 1e9;
  }

  /** Returns how many writes are due in the next {@code nanos} of simulated time. */
  long due(long nanos) {
    owed += pagesPerNano * nanos;
    long n = (long) owed;
    owed -= n;
    return n;
  }

  /** Returns the page index of the next write. */
  long nextPage() {
    long offset =
        switch (locality) {
          case HOT -> random.nextInt(10) < 9 ? random.nextLong(hotPages) : random.nextLong(wsPages);
          case SEQUENTIAL -> {
            long c = cursor;
            cursor = c + 1 == wsPages ? 0 : c + 1;
            yield c;
          }
          default -> random.nextLong(wsPages);
        };
    return (start + offset) % spacePages;
  }
}
