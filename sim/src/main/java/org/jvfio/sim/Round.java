package org.jvfio.sim;

/**
 * One row of a simulated migration: a pre-copy round, or the final stop-and-copy.
 *
 * <p>A pre-copy round sends the pages the previous harvest found dirty (all of RAM in round 1) and
 * the device data available then, while the workload keeps running, and ends with the harvest that
 * decides what the next round sends. The stop-and-copy row sends what is left with the VM stopped;
 * its duration is the downtime.
 *
 * @param index 1 for the first round; the stop-and-copy row follows the last round
 * @param stopCopy whether this is the stop-and-copy row
 * @param dirtyPages the 4 KiB guest pages sent
 * @param bytesSent guest pages plus device migration data sent, in bytes
 * @param harvestNanos simulated time of the harvest (dirty bitmap reads and device reports)
 * @param durationNanos simulated time of the whole round: transfer plus harvest
 * @param dirtyRate bytes per second the harvest at the end of the round found dirtied during it; 0
 *     for the stop-and-copy row (the VM is stopped)
 */
public record Round(
    int index,
    boolean stopCopy,
    long dirtyPages,
    long bytesSent,
    long harvestNanos,
    long durationNanos,
    double dirtyRate) {}
