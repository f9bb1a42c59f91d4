/**
 * The pre-copy live-migration simulator: a {@link org.jvfio.sim.Scenario} (VM, device workloads,
 * tracker, split policy, link, stop policy) run by {@link org.jvfio.sim.Simulation} on the jvfio
 * models into a {@link org.jvfio.sim.MigrationResult} (rounds, stop-and-copy, {@link
 * org.jvfio.sim.Verdict}), and the {@code jvfio-sim} command line ({@link
 * org.jvfio.sim.SimCommand}). Sizes, rates and durations are parsed by {@link org.jvfio.sim.Units}.
 */
package org.jvfio.sim;
