package org.jvfio.sim;

import com.google.common.base.Preconditions;

/**
 * The inputs of one simulated pre-copy live migration: the source VM, its devices' workloads, the
 * tracker, the link and the stop policy. Build one with {@link #builder()} (which starts from the
 * command line's defaults) and run it with {@link Simulation#run(Scenario)}.
 *
 * <p>Units: sizes in bytes, rates in bytes per second, durations in nanoseconds of simulated time.
 *
 * @param memory guest RAM; a multiple of 2 MiB. Laid out as on x86: the first 3 GiB at guest
 *     physical address 0, the rest at 4 GiB (above the PCI hole), so larger guests have two RAM
 *     ranges
 * @param ioPageSize the host page size backing guest RAM, which bounds the IOPTE leaves: 4 KiB, 2
 *     MiB or 1 GiB (the IOMMU maps the largest leaves it supports up to that size; a vendor with
 *     larger leaves may use them where the alignment allows)
 * @param devices the number of devices, at least 1
 * @param dmaRate DMA write rate of each device, in bytes per second (4 KiB writes)
 * @param workingSet the bytes of guest RAM each device writes into (at most {@code memory})
 * @param locality where in the working set the writes land
 * @param cpuDirtyRate the vCPUs' write rate in bytes per second, uniform over all of RAM (tracked
 *     exactly, as KVM's dirty log does)
 * @param tracker how device DMA is tracked
 * @param split what to do with large IOPTEs while the IOMMU tracks
 * @param harvestChunk the IOVA one IOMMU harvest call ({@code IOMMU_HWPT_GET_DIRTY_BITMAP}) covers:
 *     0 for each RAM range in one call, else a multiple of 4 KiB, the calls starting at the range's
 *     first IOVA. Chunks that split IOPTE leaves lose dirty pages, as on the kernel: a harvest of
 *     part of a leaf cleans all of it, and Arm's walk carries an unaligned start's offset
 * @param bandwidth the migration link's bandwidth in bytes per second; sending all of RAM must take
 *     at most {@link #MAX_ROUND_SECONDS}
 * @param downtimeLimit the largest acceptable downtime in nanoseconds: pre-copy stops when the
 *     estimated stop-and-copy time is within it
 * @param maxRounds the most pre-copy rounds (the first, which sends all of RAM, included) before a
 *     forced stop-and-copy
 * @param deviceState the bytes of each device's internal state (its migration stream carries them)
 * @param deviceDirtyRate how fast each running device changes its internal state, in bytes per
 *     second (4 KiB at a time); changed parts are re-sent
 * @param deviceModel the devices' migration driver; {@link DeviceModel#HISI_ACC} has no DMA
 *     logging, so it cannot be tracked by a device tracker
 * @param seed the seed of every random choice: the same scenario gives the same result
 */
public record Scenario(
    long memory,
    long ioPageSize,
    int devices,
    double dmaRate,
    long workingSet,
    Locality locality,
    double cpuDirtyRate,
    Tracker tracker,
    SplitPolicy split,
    long harvestChunk,
    double bandwidth,
    long downtimeLimit,
    int maxRounds,
    long deviceState,
    double deviceDirtyRate,
    DeviceModel deviceModel,
    long seed) {
  /** The largest guest the simulator accepts: 16 TiB. */
  public static final long MAX_MEMORY = 1L << 44;

  /** The largest device state: 256 MiB (the destination buffers the whole stream). */
  public static final long MAX_DEVICE_STATE = 256L << 20;

  /** The longest first round, sending all of RAM, in simulated seconds: one day. */
  public static final long MAX_ROUND_SECONDS = 86_400;

  /** The most devices: 64. */
  public static final int MAX_DEVICES = 64;

  /**
   * Checks every parameter.
   *
   * @param memory guest RAM; a multiple of 2 MiB. Laid out as on x86: the first 3 GiB at guest
   *     physical address 0, the rest at 4 GiB (above the PCI hole), so larger guests have two RAM
   *     ranges
   * @param ioPageSize the host page size backing guest RAM, which bounds the IOPTE leaves: 4 KiB, 2
   *     MiB or 1 GiB (the IOMMU maps the largest leaves it supports up to that size; a vendor with
   *     larger leaves may use them where the alignment allows)
   * @param devices the number of devices, at least 1
   * @param dmaRate DMA write rate of each device, in bytes per second (4 KiB writes)
   * @param workingSet the bytes of guest RAM each device writes into (at most {@code memory})
   * @param locality where in the working set the writes land
   * @param cpuDirtyRate the vCPUs' write rate in bytes per second, uniform over all of RAM (tracked
   *     exactly, as KVM's dirty log does)
   * @param tracker how device DMA is tracked
   * @param split what to do with large IOPTEs while the IOMMU tracks
   * @param harvestChunk the IOVA one IOMMU harvest call ({@code IOMMU_HWPT_GET_DIRTY_BITMAP})
   *     covers: 0 for each RAM range in one call, else a multiple of 4 KiB, the calls starting at
   *     the range's first IOVA. Chunks that split IOPTE leaves lose dirty pages, as on the kernel:
   *     a harvest of part of a leaf cleans all of it, and Arm's walk carries an unaligned start's
   *     offset
   * @param bandwidth the migration link's bandwidth in bytes per second; sending all of RAM must
   *     take at most {@link #MAX_ROUND_SECONDS}
   * @param downtimeLimit the largest acceptable downtime in nanoseconds: pre-copy stops when the
   *     estimated stop-and-copy time is within it
   * @param maxRounds the most pre-copy rounds (the first, which sends all of RAM, included) before
   *     a forced stop-and-copy
   * @param deviceState the bytes of each device's internal state (its migration stream carries
   *     them)
   * @param deviceDirtyRate how fast each running device changes its internal state, in bytes per
   *     second (4 KiB at a time); changed parts are re-sent
   * @param deviceModel the devices' migration driver: the reference driver, or a hisi_acc-like one
   *     without DMA logging
   * @param seed the seed of every random choice: the same scenario gives the same result
   * @throws IllegalArgumentException naming the first bad parameter and why
   */
  public Scenario {
    Preconditions.checkArgument(
        memory > 0 && memory % (2L << 20) == 0 && memory <= MAX_MEMORY,
        "memory must be a multiple of 2 MiB up to 16 TiB: %s",
        memory);
    Preconditions.checkArgument(
        ioPageSize == 4096 || ioPageSize == 2L << 20 || ioPageSize == 1L << 30,
        "IO page size must be 4K, 2M or 1G: %s",
        ioPageSize);
    Preconditions.checkArgument(
        devices >= 1 && devices <= MAX_DEVICES, "devices must be 1 to 64: %s", devices);
    Preconditions.checkArgument(
        dmaRate >= 0 && Double.isFinite(dmaRate), "bad DMA rate: %s", dmaRate);
    Preconditions.checkArgument(
        workingSet >= 4096 && workingSet <= memory,
        "working set must be 4K to the memory size: %s",
        workingSet);
    Preconditions.checkNotNull(locality, "locality");
    Preconditions.checkArgument(
        cpuDirtyRate >= 0 && Double.isFinite(cpuDirtyRate), "bad CPU dirty rate: %s", cpuDirtyRate);
    Preconditions.checkNotNull(tracker, "tracker");
    Preconditions.checkNotNull(split, "split");
    Preconditions.checkArgument(
        harvestChunk >= 0 && harvestChunk % 4096 == 0,
        "harvest chunk must be 0 or a multiple of 4K: %s",
        harvestChunk);
    Preconditions.checkArgument(
        bandwidth > 0 && Double.isFinite(bandwidth), "bandwidth must be positive: %s", bandwidth);
    Preconditions.checkArgument(
        memory / bandwidth <= MAX_ROUND_SECONDS,
        "bandwidth too low: sending the memory once would take more than a simulated day");
    Preconditions.checkArgument(downtimeLimit >= 0, "bad downtime limit: %s", downtimeLimit);
    Preconditions.checkArgument(maxRounds >= 1, "max rounds must be at least 1: %s", maxRounds);
    Preconditions.checkArgument(
        deviceState >= 0 && deviceState <= MAX_DEVICE_STATE,
        "device state must be 0 to 256M: %s",
        deviceState);
    Preconditions.checkArgument(
        deviceDirtyRate >= 0 && Double.isFinite(deviceDirtyRate),
        "bad device dirty rate: %s",
        deviceDirtyRate);
    Preconditions.checkNotNull(deviceModel, "deviceModel");
    Preconditions.checkArgument(
        deviceModel != DeviceModel.HISI_ACC || tracker.kind() != Tracker.Kind.DEVICE,
        "hisi devices have no DMA logging: track them with the IOMMU (or none), not %s",
        tracker);
  }

  /**
   * Returns a builder holding the command line's defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns a builder holding this scenario's values.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    return new Builder()
        .memory(memory)
        .ioPageSize(ioPageSize)
        .devices(devices)
        .dmaRate(dmaRate)
        .workingSet(workingSet)
        .locality(locality)
        .cpuDirtyRate(cpuDirtyRate)
        .tracker(tracker)
        .split(split)
        .harvestChunk(harvestChunk)
        .bandwidth(bandwidth)
        .downtimeLimit(downtimeLimit)
        .maxRounds(maxRounds)
        .deviceState(deviceState)
        .deviceDirtyRate(deviceDirtyRate)
        .deviceModel(deviceModel)
        .seed(seed);
  }

  /**
   * A mutable builder of {@link Scenario}s. Its initial values are the command line's defaults: a 4
   * GiB guest on 4 KiB pages, 2 devices writing 200 MB/s each, uniformly, into 1 GiB working sets,
   * no CPU dirtying, IOMMU tracking with the default vendor, no split, a 25 Gbit/s link, a 300 ms
   * downtime limit, at most 30 rounds, 64 MiB of device state changing at 4 MB/s, seed 1.
   */
  public static final class Builder {
    private long memory = 4L << 30;
    private long ioPageSize = 4096;
    private int devices = 2;
    private double dmaRate = 400e6;
    private long workingSet = 1L << 30;
    private Locality locality = Locality.UNIFORM;
    private double cpuDirtyRate;
    private Tracker tracker = Tracker.iommu(Tracker.AUTO);
    private SplitPolicy split = SplitPolicy.NONE;
    private long harvestChunk;
    private double bandwidth = 25e9 / 8;
    private long downtimeLimit = 50_000_000L;
    private int maxRounds = 30;
    private long deviceState = 64L << 20;
    private double deviceDirtyRate = 4e6;
    private DeviceModel deviceModel = DeviceModel.REFERENCE;
    private long seed = 1;

    private Builder() {}

    /**
     * Sets {@link Scenario#memory()}.
     *
     * @param bytes the size in bytes
     * @return this builder
     */
    public Builder memory(long bytes) {
      this.memory = bytes;
      return this;
    }

    /**
     * Sets {@link Scenario#ioPageSize()}.
     *
     * @param bytes the size in bytes
     * @return this builder
     */
    public Builder ioPageSize(long bytes) {
      this.ioPageSize = bytes;
      return this;
    }

    /**
     * Sets {@link Scenario#devices()}.
     *
     * @param count the number of devices
     * @return this builder
     */
    public Builder devices(int count) {
      this.devices = count;
      return this;
    }

    /**
     * Sets {@link Scenario#dmaRate()}.
     *
     * @param bytesPerSecond the rate in bytes per second
     * @return this builder
     */
    public Builder dmaRate(double bytesPerSecond) {
      this.dmaRate = bytesPerSecond;
      return this;
    }

    /**
     * Sets {@link Scenario#workingSet()}.
     *
     * @param bytes the size in bytes
     * @return this builder
     */
    public Builder workingSet(long bytes) {
      this.workingSet = bytes;
      return this;
    }

    /**
     * Sets {@link Scenario#locality()}.
     *
     * @param locality where device writes land
     * @return this builder
     */
    public Builder locality(Locality locality) {
      this.locality = locality;
      return this;
    }

    /**
     * Sets {@link Scenario#cpuDirtyRate()}.
     *
     * @param bytesPerSecond the rate in bytes per second
     * @return this builder
     */
    public Builder cpuDirtyRate(double bytesPerSecond) {
      this.cpuDirtyRate = bytesPerSecond;
      return this;
    }

    /**
     * Sets {@link Scenario#tracker()}.
     *
     * @param tracker how device DMA is tracked
     * @return this builder
     */
    public Builder tracker(Tracker tracker) {
      this.tracker = tracker;
      return this;
    }

    /**
     * Sets {@link Scenario#split()}.
     *
     * @param split what happens to large IOPTEs while the IOMMU tracks
     * @return this builder
     */
    public Builder split(SplitPolicy split) {
      this.split = split;
      return this;
    }

    /**
     * Sets {@link Scenario#harvestChunk()}.
     *
     * @param bytes the size in bytes
     * @return this builder
     */
    public Builder harvestChunk(long bytes) {
      this.harvestChunk = bytes;
      return this;
    }

    /**
     * Sets {@link Scenario#bandwidth()}.
     *
     * @param bytesPerSecond the rate in bytes per second
     * @return this builder
     */
    public Builder bandwidth(double bytesPerSecond) {
      this.bandwidth = bytesPerSecond;
      return this;
    }

    /**
     * Sets {@link Scenario#downtimeLimit()}.
     *
     * @param nanos the duration in nanoseconds of simulated time
     * @return this builder
     */
    public Builder downtimeLimit(long nanos) {
      this.downtimeLimit = nanos;
      return this;
    }

    /**
     * Sets {@link Scenario#maxRounds()}.
     *
     * @param rounds the most pre-copy rounds
     * @return this builder
     */
    public Builder maxRounds(int rounds) {
      this.maxRounds = rounds;
      return this;
    }

    /**
     * Sets {@link Scenario#deviceState()}.
     *
     * @param bytes the size in bytes
     * @return this builder
     */
    public Builder deviceState(long bytes) {
      this.deviceState = bytes;
      return this;
    }

    /**
     * Sets {@link Scenario#deviceDirtyRate()}.
     *
     * @param bytesPerSecond the rate in bytes per second
     * @return this builder
     */
    public Builder deviceDirtyRate(double bytesPerSecond) {
      this.deviceDirtyRate = bytesPerSecond;
      return this;
    }

    /**
     * Sets {@link Scenario#deviceModel()}.
     *
     * @param model the devices' migration driver model
     * @return this builder
     */
    public Builder deviceModel(DeviceModel model) {
      this.deviceModel = model;
      return this;
    }

    /**
     * Sets {@link Scenario#seed()}.
     *
     * @param seed the seed of every random choice
     * @return this builder
     */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /**
     * Returns the scenario.
     *
     * @return the scenario with this builder's values
     * @throws IllegalArgumentException as {@link Scenario}'s constructor
     */
    public Scenario build() {
      return new Scenario(
          memory,
          ioPageSize,
          devices,
          dmaRate,
          workingSet,
          locality,
          cpuDirtyRate,
          tracker,
          split,
          harvestChunk,
          bandwidth,
          downtimeLimit,
          maxRounds,
          deviceState,
          deviceDirtyRate,
          deviceModel,
          seed);
    }
  }
}
