package org.jvfio.sim;

import java.util.function.Consumer;
import org.jvfio.core.UapiException;

/**
 * Runs simulated pre-copy live migrations on the jvfio models: guest memory mapped through an
 * iommufd IOAS, devices that DMA through the IOMMU model, a dirty tracker (IOMMU HWPT, device DMA
 * logging, or none), device state saved and resumed through VFIO migration streams, and an
 * end-to-end comparison of destination and source (docs/architecture.md, "Guest memory tokens").
 *
 * <p>The clock is simulated: harvests cost what {@code CostModel} charges for the entries, bitmap
 * bytes and invalidations they really touched, transfers take their bytes over the bandwidth. The
 * run is deterministic: the same scenario gives the same result, on any machine.
 *
 * <p>Cost of a run: memory about 8 bytes per 4 KiB of RAM for the IO page table at 4 KiB leaves,
 * plus 8 bytes per written page on each side and two copies of each device's state; time about
 * linear in the leaves walked per round, the writes issued and the pages sent. A 4 GiB guest at 4
 * KiB pages takes about a second; a 256 GiB guest is better simulated at 2 MiB or 1 GiB pages.
 */
public final class Simulation {
  private Simulation() {}

  /**
   * Runs {@code scenario} and returns its result.
   *
   * @param scenario what to simulate
   * @return the rounds, the totals and the verdict
   * @throws UapiException {@code ENODEV} if the tracker names an IOMMU vendor that is not
   *     registered
   * @throws IllegalArgumentException if the scenario asks for something the models cannot do (a
   *     split on an IOMMU without split support)
   */
  public static MigrationResult run(Scenario scenario) {
    return run(scenario, r -> {});
  }

  /**
   * Runs {@code scenario}, telling {@code progress} of each round as it completes (pre-copy rounds,
   * then the stop-and-copy), and returns the result.
   *
   * @param scenario what to simulate
   * @param progress told of each round as it completes
   * @return the rounds, the totals and the verdict
   * @throws UapiException as {@link #run(Scenario)}
   * @throws IllegalArgumentException as {@link #run(Scenario)}
   */
  public static MigrationResult run(Scenario scenario, Consumer<Round> progress) {
    return new Engine(scenario, Engine.Fault.NONE, progress).run();
  }

  /** Runs {@code scenario} with an injected fault, for tests of the verification. */
  static MigrationResult run(Scenario scenario, Engine.Fault fault) {
    return new Engine(scenario, fault, r -> {}).run();
  }

  /**
   * Returns the IOMMU model {@code iommu} stands for: {@code amd-v1} if it is registered, else
   * {@code mock}.
   *
   * @return the IOMMU driver's name
   */
  public static String defaultIommu() {
    return Engine.resolve(Tracker.AUTO).name();
  }
}
