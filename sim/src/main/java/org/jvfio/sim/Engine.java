package org.jvfio.sim;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1v2_IOMMU;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.jvfio.api.Errno;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.container.GroupDevice;
import org.jvfio.core.container.VfioContainer;
import org.jvfio.core.container.VfioGroup;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.vfio.DmaLoggingControl;
import org.jvfio.core.vfio.DmaLoggingRange;
import org.jvfio.core.vfio.DmaLoggingReport;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationDataStream;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.VfioDevice;

/*
 * One simulated pre-copy migration, built on the library's models rather than beside them.
 *
 * Source side: a GuestMemory (the VMM's RAM block) mapped into an iommufd IOAS at IOVA = guest
 * physical address (RamLayout), from a user address aligned to exactly the IO page size so that the
 * domain's largest-leaf mapping yields leaves of that size; devices are VfioDevices over
 * the drivers of the scenario's DeviceModel (DevicePair), bound to the iommufd with their DMA-logging listener and attached to a
 * dirty-tracking HWPT (IOMMU tracker) or to the IOAS (auto domain). Device DMA goes through
 * IommufdContext.dmaWrite (IOTLB, page walk, A/D update, guest write, device log); vCPU writes go straight
 * to GuestMemory and into an exact bitmap, as KVM's dirty log. Destination side: a second
 * GuestMemory and one VfioDevice per device in RESUMING, fed from the source streams.
 *
 * Type1 trackers: a VfioContainer with the same RAM mapped (one dma per RAM range) holds the
 * devices' group: physical devices DMA through the container's domain (the iommufd side stays
 * idle), emulated ones pin each page, write through the pin and unpin; each harvest is a
 * VFIO_IOMMU_DIRTY_PAGES GET_BITMAP per RAM range.
 *
 * Time: a simulated clock in nanoseconds. A transfer of B bytes takes B / bandwidth; it is cut into
 * SLICES slices, and in each slice the workload first issues the writes due in that slice's time,
 * then the slice's share of the pages (in RAM order) and of the device data is sent. So a page can
 * be written after it was sent in the same round, and only the next harvest can save it: this is
 * what makes a lost dirty bit visible at the end. A harvest charges CostModel time, during which
 * the workload runs too (those writes belong to the next harvest).
 *
 * Migration: round 1 sends all RAM and the device data available; each later harvest gives the
 * next round's pages. After each harvest the estimated downtime (harvest cost + (dirty pages +
 * the devices' MIG_DATA_SIZE) / bandwidth) is compared with the limit; when it fits, or after the
 * last allowed round, the VM stops: devices go PRE_COPY -> STOP_COPY, a final harvest collects the
 * writes since the last one, the rest is sent, the destination devices go RESUMING -> RUNNING, and
 * both sides are compared.
 *
 * Cost: memory ~ 8 bytes per written 4 KiB page on each side (GuestMemory is sparse) plus the IO
 * page table (8 bytes per 4 KiB of RAM at 4 KiB leaves: 2 GiB of tables per TiB) and two copies of
 * each device state; time ~ leaves walked per harvest plus writes issued plus pages sent.
 */
final class Engine {
  static final long PAGE = GuestMemory.PAGE_SIZE;
  private static final int SLICES = 64;
  private static final long USER_VA_BASE = 1L << 40;

  /** Faults a test can inject to check that verification catches them. */
  enum Fault {
    NONE,
    /** At stop-and-copy, drop one harvested page whose destination copy is stale. */
    DROP_STALE_PAGE_AT_STOP
  }

  private final Scenario s;
  private final Fault fault;
  private final Consumer<Round> listener;
  private final RamLayout layout;
  private final RamPair ram;
  private final IommufdContext iommufd;
  private final IommuDriver iommu;
  private final Tracker tracker;
  private final int hwpt;
  private final IommuDomain domain;
  private final int[] devIds;
  private final VfioDevice[] srcDevices;
  private final VfioDevice[] dstDevices;
  private final DevicePair[] pairs;
  private final MigrationDataStream[] srcStreams;
  private final MigrationDataStream[] dstStreams;
  private final VfioContainer container; // type1 trackers only
  private final GroupDevice[] groupDevices; // type1 trackers only
  private final Workload[] dma;
  private final Workload cpu;
  private final Workload[] stateChanges;
  private final SplittableRandom stateRandom;
  private final long[] cpuDirty;
  private final long[][] areaWords;
  private final long[] leafCounts = new long[64];
  private final ByteBuffer pump = ByteBuffer.allocate(1 << 20);
  private long leavesHarvested;
  private long now;
  private long deviceBytes;

  Engine(Scenario s, Fault fault, Consumer<Round> listener) {
    this.s = s;
    this.fault = fault;
    this.listener = listener;
    this.layout = RamLayout.x86(s.memory());
    // Aligned to exactly the IO page size: the host backing (4 KiB pages, 2 MiB THP, 1 GiB
    // hugetlbfs) bounds how large an IOPTE the physically contiguous pages allow.
    this.ram = new RamPair(USER_VA_BASE + s.ioPageSize(), s.memory(), s.seed());
    this.iommufd = IommufdContext.create(ram.src);
    String vendor = s.tracker().kind() == Tracker.Kind.IOMMU ? s.tracker().profile() : Tracker.AUTO;
    this.iommu = resolve(vendor);
    this.tracker =
        s.tracker().kind() == Tracker.Kind.IOMMU ? Tracker.iommu(iommu.name()) : s.tracker();

    int n = s.devices();
    SplittableRandom random = new SplittableRandom(s.seed());
    devIds = new int[n];
    srcDevices = new VfioDevice[n];
    dstDevices = new VfioDevice[n];
    pairs = new DevicePair[n];
    srcStreams = new MigrationDataStream[n];
    dstStreams = new MigrationDataStream[n];
    dma = new Workload[n];
    stateChanges = new Workload[n];
    long wsPages = s.workingSet() / PAGE;
    long statePages = Math.max(1, s.deviceState() / PAGE);
    for (int d = 0; d < n; d++) {
      byte[] state = randomBytes(random.split(), (int) s.deviceState());
      pairs[d] = DevicePair.create(s, state, deviceTracker(), s.seed() * 31 + d);
      srcDevices[d] = pairs[d].src;
      dstDevices[d] = pairs[d].dst;
      devIds[d] = iommufd.bindDevice(iommu, srcDevices[d].dmaListener());
      dma[d] =
          new Workload(
              random.split(), ram.pages * d / n, wsPages, ram.pages, s.locality(), s.dmaRate());
      stateChanges[d] =
          new Workload(
              random.split(), 0, statePages, statePages, Locality.UNIFORM, s.deviceDirtyRate());
    }
    cpu = new Workload(random.split(), 0, ram.pages, ram.pages, Locality.UNIFORM, s.cpuDirtyRate());
    stateRandom = random.split();
    cpuDirty = new long[ram.words];

    int ioas = iommufd.ioasAlloc(0);
    for (RamLayout.Area a : layout.areas()) {
      iommufd.ioasMap(ioas, IoasMap.fixed(ram.userVa + a.ramOffset(), a.length(), a.iova()));
    }
    int pt = ioas;
    if (tracker.kind() == Tracker.Kind.IOMMU) {
      pt = iommufd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, devIds[0], ioas));
    }
    int attached = 0;
    for (int id : devIds) {
      attached = iommufd.attach(id, pt);
    }
    this.hwpt = attached;
    this.domain = iommufd.domain(hwpt);
    this.container = tracker.kind() == Tracker.Kind.TYPE1 ? VfioContainer.create(ram.src) : null;
    this.groupDevices = new GroupDevice[n];
    if (container != null) {
      setUpType1();
    }
    areaWords = new long[layout.areas().size()][];
    for (int a = 0; a < areaWords.length; a++) {
      RamLayout.Area area = layout.areas().get(a);
      areaWords[a] = new long[(int) IovaBitmap.wordCount(area.length(), PAGE)];
      countLeaves(area);
    }
    leavesHarvested = Arrays.stream(leafCounts).sum();
  }

  /** One group holding every device, TYPE1v2, and one dma per RAM range. */
  private void setUpType1() {
    String[] names = new String[srcDevices.length];
    for (int d = 0; d < names.length; d++) {
      names[d] = "dev" + d;
    }
    boolean pinned = tracker.profile().equals("pinned");
    VfioGroup group = pinned ? VfioGroup.emulated(0, names) : VfioGroup.physical(0, iommu, names);
    group.setContainer(container);
    container.setIommu(VFIO_TYPE1v2_IOMMU);
    for (RamLayout.Area a : layout.areas()) {
      container.mapDma(
          new VfioIommuType1DmaMap(
              VfioIommuType1DmaMap.SIZE,
              VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
              ram.userVa + a.ramOffset(),
              a.iova(),
              a.length()));
    }
    for (int d = 0; d < names.length; d++) {
      groupDevices[d] = group.openDevice(names[d], srcDevices[d].dmaListener());
    }
  }

  private static byte[] randomBytes(SplittableRandom random, int length) {
    byte[] bytes = new byte[length];
    ByteBuffer b = ByteBuffer.wrap(bytes);
    while (b.remaining() >= 8) {
      b.putLong(random.nextLong());
    }
    while (b.hasRemaining()) {
      b.put((byte) random.nextInt());
    }
    return bytes;
  }

  /** Returns the driver called {@code name}, or for {@link Tracker#AUTO} amd-v1 or else mock. */
  static IommuDriver resolve(String name) {
    List<IommuDriver> available = IommuDriver.available();
    String wanted = name;
    if (name.equals(Tracker.AUTO)) {
      wanted = available.stream().anyMatch(d -> d.name().equals("amd-v1")) ? "amd-v1" : "mock";
    }
    for (IommuDriver d : available) {
      if (d.name().equals(wanted)) {
        return d;
      }
    }
    return IommuDriver.named(wanted); // throws ENODEV listing what is available
  }

  private Optional<DmaTracker> deviceTracker() {
    if (s.tracker().kind() != Tracker.Kind.DEVICE) {
      return Optional.empty();
    }
    return Optional.of(
        switch (s.tracker().profile()) {
          // Assumed firmware caps: 4 ranges, 4 KiB to 2 MiB pages, 2^12 to 2^42 bytes (QEMU's
          // figure for current hardware).
          case "mlx5" -> DmaTracker.mlx5Like(4, 12, 21, 12, 42);
          case "pds" -> DmaTracker.pdsLike();
          default -> DmaTracker.exact();
        });
  }

  /**
   * Counts the leaves the domain maps for {@code area}: the largest supported size that the
   * alignment of IOVA and physical address and the remaining length allow, leaf after leaf, as
   * {@code iommu_map} chooses them (IommuDomain#map's contract); checked against a walk of the
   * first leaf.
   */
  private void countLeaves(RamLayout.Area area) {
    long bitmap = domain.pageSizeBitmap();
    long iova = area.iova();
    long pa = ram.userVa + area.ramOffset();
    long rem = area.length();
    long first = 0;
    while (rem > 0) {
      long merged = iova | pa;
      long limit = Long.highestOneBit(rem);
      if (merged != 0) {
        limit = Math.min(limit, Long.lowestOneBit(merged));
      }
      long size = Long.highestOneBit(bitmap & (limit | (limit - 1)));
      if (first == 0) {
        first = size;
      }
      leafCounts[Long.numberOfTrailingZeros(size)]++;
      iova += size;
      pa += size;
      rem -= size;
    }
    long walked = domain.translate(area.iova()).map(Translation::size).orElse(0L);
    if (walked != first) {
      throw new IllegalStateException(
          String.format(
              Locale.ROOT,
              "IOMMU %s mapped a %d-byte leaf at 0x%x where %d bytes were expected",
              iommu.name(),
              walked,
              area.iova(),
              first));
    }
  }

  /** Describes the leaves, e.g. {@code 786432 x 4 KiB + 256 x 2 MiB}. */
  private String describeLeaves() {
    List<String> parts = new ArrayList<>();
    for (int shift = 0; shift < 64; shift++) {
      if (leafCounts[shift] > 0) {
        parts.add(leafCounts[shift] + " x " + Report.size(1L << shift));
      }
    }
    return String.join(" + ", parts);
  }

  // --- the migration --------------------------------------------------------------------------

  MigrationResult run() {
    String leaves = describeLeaves();
    startTracking();
    for (int d = 0; d < srcDevices.length; d++) {
      srcStreams[d] = srcDevices[d].setState(MigrationState.PRE_COPY).orElseThrow();
      dstStreams[d] = dstDevices[d].setState(MigrationState.RESUMING).orElseThrow();
    }
    List<Round> rounds = new ArrayList<>();
    long[] pending = ram.allPages();
    long bytesSent = 0;
    boolean converged = false;
    Harvest harvest;
    while (true) {
      long start = now;
      long pages = RamPair.cardinality(pending);
      long sent = transfer(pending, pages, precopyBudget());
      harvest = harvest();
      run(harvest.nanos);
      bytesSent += sent;
      long duration = now - start;
      long dirtyPages = RamPair.cardinality(harvest.dirty);
      Round r =
          new Round(
              rounds.size() + 1,
              false,
              pages,
              sent,
              harvest.nanos,
              duration,
              duration == 0 ? 0 : dirtyPages * PAGE * 1e9 / duration);
      rounds.add(r);
      listener.accept(r);
      long estimate = harvest.nanos + nanos(dirtyPages * PAGE + stopCopyBytes());
      if (estimate <= s.downtimeLimit()) {
        converged = true;
        break;
      }
      if (rounds.size() >= s.maxRounds()) {
        break;
      }
      pending = harvest.dirty;
    }

    // Stop-and-copy: the VM and its devices stop; nothing writes any more.
    long stopStart = now;
    for (VfioDevice d : srcDevices) {
      d.setState(MigrationState.STOP_COPY);
    }
    Harvest last = harvest();
    long[] remaining = harvest.dirty;
    for (int i = 0; i < ram.words; i++) {
      remaining[i] |= last.dirty[i];
    }
    if (fault == Fault.DROP_STALE_PAGE_AT_STOP) {
      ram.dropOneStalePage(remaining);
    }
    long pages = RamPair.cardinality(remaining);
    long sent = transfer(remaining, pages, null);
    now += last.nanos;
    bytesSent += sent;
    List<Integer> failedResume = new ArrayList<>();
    for (int d = 0; d < srcDevices.length; d++) {
      srcStreams[d].close();
      dstStreams[d].close();
      try {
        dstDevices[d].setState(MigrationState.RUNNING);
      } catch (UapiException e) {
        failedResume.add(d);
      }
      srcDevices[d].setState(MigrationState.STOP);
    }
    long downtime = now - stopStart;
    Round stop = new Round(rounds.size() + 1, true, pages, sent, last.nanos, downtime, 0);
    listener.accept(stop);
    stopTracking();
    return new MigrationResult(
        s,
        tracker,
        iommu.name(),
        leaves,
        rounds,
        stop,
        converged,
        now,
        downtime,
        bytesSent,
        deviceBytes,
        verdict(failedResume));
  }

  private void startTracking() {
    switch (tracker.kind()) {
      case IOMMU -> {
        iommufd.hwptSetDirtyTracking(hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
        if (s.split() == SplitPolicy.EAGER) {
          split();
        }
      }
      case DEVICE -> {
        List<DmaLoggingRange> ranges = new ArrayList<>();
        for (RamLayout.Area a : layout.areas()) {
          ranges.add(new DmaLoggingRange(a.iova(), a.length()));
        }
        for (VfioDevice d : srcDevices) {
          d.startDmaLogging(new DmaLoggingControl(PAGE, ranges));
        }
      }
      case TYPE1 -> container.dirtyPagesStart();
      default -> {}
    }
  }

  /**
   * Splits every leaf to 4 KiB (docs/fidelity.md, "Split and collapse"), charging each entry
   * written.
   */
  private void split() {
    if (!iommu.capabilities().contains(IommuCapability.SPLIT_COLLAPSE)) {
      throw new IllegalArgumentException("IOMMU " + iommu.name() + " cannot split IOPTEs");
    }
    long invalidations = invalidations();
    long written = 0;
    for (int shift = 13; shift < 64; shift++) {
      written += leafCounts[shift] << (shift - 12);
      leafCounts[shift] = 0;
    }
    leafCounts[12] = ram.pages;
    leavesHarvested = ram.pages;
    for (RamLayout.Area a : layout.areas()) {
      domain.split(a.iova(), a.length(), PAGE);
    }
    now +=
        Math.round(
            written * CostModel.PTE_NS
                + (invalidations() - invalidations) * CostModel.INVALIDATION_NS);
  }

  private void stopTracking() {
    switch (tracker.kind()) {
      case IOMMU -> {
        iommufd.hwptSetDirtyTracking(hwpt, 0);
        if (s.split() == SplitPolicy.EAGER) {
          for (RamLayout.Area a : layout.areas()) {
            domain.collapse(a.iova(), a.length());
          }
        }
      }
      case DEVICE -> {
        for (VfioDevice d : srcDevices) {
          d.stopDmaLogging();
        }
      }
      case TYPE1 -> container.dirtyPagesStop();
      default -> {}
    }
  }

  private long invalidations() {
    return domain.iotlb().rangeInvalidations() + domain.iotlb().fullInvalidations();
  }

  /** Returns each device's pre-copy data available now (initial plus dirty bytes). */
  private long[] precopyBudget() {
    long[] budget = new long[srcStreams.length];
    for (int d = 0; d < budget.length; d++) {
      var info = srcStreams[d].precopyInfo();
      budget[d] = info.initialBytes() + info.dirtyBytes();
    }
    return budget;
  }

  private long stopCopyBytes() {
    long total = 0;
    for (VfioDevice d : srcDevices) {
      total += d.migDataSize().stopCopyLength();
    }
    return total;
  }

  private long nanos(long bytes) {
    return Math.round(bytes * 1e9 / s.bandwidth());
  }

  /**
   * Sends {@code pages} (a RAM bitmap with {@code count} bits) and the devices' data: in pre-copy
   * {@code budget[d]} bytes of device d, interleaved with the workload; at stop-and-copy ({@code
   * budget == null}) every device's stream to its end, with nothing running. Returns the bytes sent
   * and advances the clock by their transfer time.
   */
  private long transfer(long[] pages, long count, long[] budget) {
    RamPair.Sender sender = ram.sender(pages);
    long devBytes = 0;
    if (budget == null) {
      for (int d = 0; d < srcStreams.length; d++) {
        devBytes += pumpDevice(d, Long.MAX_VALUE);
      }
      sender.sendUpTo(count);
    } else {
      long total = count * PAGE;
      for (long b : budget) {
        total += b;
      }
      long duration = nanos(total);
      long elapsed = 0;
      long[] pumped = new long[budget.length];
      for (int j = 1; j <= SLICES; j++) {
        long t = duration * j / SLICES;
        run(t - elapsed);
        elapsed = t;
        sender.sendUpTo(count * j / SLICES);
        for (int d = 0; d < budget.length; d++) {
          pumped[d] += pumpDevice(d, budget[d] * j / SLICES - pumped[d]);
        }
      }
      for (long p : pumped) {
        devBytes += p;
      }
    }
    deviceBytes += devBytes;
    long bytes = count * PAGE + devBytes;
    now += budget == null ? nanos(bytes) : 0;
    return bytes;
  }

  /** Moves up to {@code max} bytes from device d's saving stream into its resuming stream. */
  private long pumpDevice(int d, long max) {
    long moved = 0;
    while (moved < max) {
      pump.clear().limit((int) Math.min(pump.capacity(), max - moved));
      int n;
      try {
        n = srcStreams[d].read(pump);
      } catch (UapiException e) {
        if (e.errno() == Errno.ENOMSG) {
          break; // the temporary end of the pre-copy data
        }
        throw e;
      }
      if (n == 0) {
        break;
      }
      pump.flip();
      dstStreams[d].write(pump);
      moved += n;
    }
    return moved;
  }

  /** Runs the workload for {@code nanos} of simulated time and advances the clock. */
  private void run(long nanos) {
    if (nanos <= 0) {
      return;
    }
    for (int d = 0; d < dma.length; d++) {
      for (long k = dma[d].due(nanos); k > 0; k--) {
        long iova = layout.iovaOf(dma[d].nextPage() * PAGE);
        GroupDevice g = groupDevices[d];
        if (g != null && g.isEmulated()) {
          g.pinPages(iova, 1, IommuDomain.IOMMU_WRITE);
          g.writePinned(iova, PAGE);
          g.unpinPages(iova, 1);
          continue;
        }
        DmaResult r = g != null ? g.dmaWrite(iova, PAGE) : iommufd.dmaWrite(devIds[d], iova, PAGE);
        if (r.faults() != 0) {
          throw new IllegalStateException("DMA fault at mapped IOVA 0x" + Long.toHexString(iova));
        }
      }
      if (s.deviceState() > 0) {
        for (long k = stateChanges[d].due(nanos); k > 0; k--) {
          int offset = (int) (stateChanges[d].nextPage() * PAGE);
          int length = (int) Math.min(PAGE, s.deviceState() - offset);
          pairs[d].changeState(offset, randomBytes(stateRandom, length));
        }
      }
    }
    for (long k = cpu.due(nanos); k > 0; k--) {
      long page = cpu.nextPage();
      ram.src.write(ram.userVa + page * PAGE, PAGE);
      cpuDirty[(int) (page >>> 6)] |= 1L << page;
    }
    now += nanos;
  }

  // --- harvest --------------------------------------------------------------------------------

  /** The pages a harvest found dirty (a RAM bitmap) and its simulated cost. */
  private static final class Harvest {
    final long[] dirty;
    long nanos;

    Harvest(long[] dirty) {
      this.dirty = dirty;
    }
  }

  /**
   * Collects every page written since the last harvest: the DMA tracker's bitmaps (IOMMU HWPT or
   * each device's log, per RAM range) or every page for {@code none}, plus the vCPU dirty log.
   */
  private Harvest harvest() {
    Harvest h = new Harvest(new long[ram.words]);
    double cost = 0;
    List<RamLayout.Area> areas = layout.areas();
    switch (tracker.kind()) {
      case IOMMU -> {
        long invalidations = invalidations();
        for (int a = 0; a < areas.size(); a++) {
          RamLayout.Area area = areas.get(a);
          if (s.harvestChunk() == 0) {
            Arrays.fill(areaWords[a], 0);
            iommufd.hwptGetDirtyBitmap(
                GetDirtyBitmap.of(hwpt, 0, area.iova(), area.length(), PAGE), areaWords[a]);
            orInto(h.dirty, area, areaWords[a]);
          } else {
            harvestInChunks(h.dirty, area);
          }
          cost += CostModel.bitmapBytes(area.length(), PAGE) * CostModel.BITMAP_BYTE_NS;
        }
        cost += leavesHarvested * CostModel.PTE_NS;
        cost += (invalidations() - invalidations) * CostModel.INVALIDATION_NS;
      }
      case DEVICE -> {
        for (VfioDevice d : srcDevices) {
          for (int a = 0; a < areas.size(); a++) {
            RamLayout.Area area = areas.get(a);
            Arrays.fill(areaWords[a], 0);
            d.reportDmaLogging(
                new DmaLoggingReport(area.iova(), area.length(), PAGE),
                IovaBitmap.wrap(area.iova(), area.length(), PAGE, areaWords[a]));
            orInto(h.dirty, area, areaWords[a]);
            if (tracker.profile().equals("mlx5")) {
              cost += RamPair.cardinality(areaWords[a]) * CostModel.REPORT_ENTRY_NS;
            }
          }
          cost += deviceBitmapBytes(d.dmaTracker().orElseThrow()) * CostModel.BITMAP_BYTE_NS;
        }
      }
      case TYPE1 -> {
        for (int a = 0; a < areas.size(); a++) {
          RamLayout.Area area = areas.get(a);
          Arrays.fill(areaWords[a], 0);
          container.dirtyPagesGetBitmap(area.iova(), area.length(), PAGE, areaWords[a]);
          orInto(h.dirty, area, areaWords[a]);
          cost += CostModel.bitmapBytes(area.length(), PAGE) * CostModel.BITMAP_BYTE_NS;
        }
      }
      default -> {
        Arrays.fill(h.dirty, -1L);
        ram.maskTail(h.dirty);
      }
    }
    if (s.cpuDirtyRate() > 0) {
      for (int i = 0; i < ram.words; i++) {
        h.dirty[i] |= cpuDirty[i];
      }
      Arrays.fill(cpuDirty, 0);
      cost += CostModel.bitmapBytes(s.memory(), PAGE) * CostModel.BITMAP_BYTE_NS;
    }
    h.nanos = Math.round(cost);
    return h;
  }

  /**
   * Returns the bitmap bytes a device tracker hands over per report: none for mlx5 (a list of
   * addresses), two bitmaps over the single region for pds (ack and seq), one over the ranges for
   * exact.
   */
  private long deviceBitmapBytes(DmaTracker t) {
    long tracked = 0;
    for (DmaLoggingRange r : t.effectiveRanges()) {
      tracked += CostModel.bitmapBytes(r.length(), t.pageSize());
    }
    return switch (tracker.profile()) {
      case "mlx5" -> 0;
      case "pds" -> 2 * tracked;
      default -> tracked;
    };
  }

  /** Harvests {@code area} in calls of {@link Scenario#harvestChunk()} bytes from its start. */
  private void harvestInChunks(long[] ram, RamLayout.Area area) {
    for (long off = 0; off < area.length(); off += s.harvestChunk()) {
      long length = Math.min(s.harvestChunk(), area.length() - off);
      long[] words = new long[(int) IovaBitmap.wordCount(length, PAGE)];
      iommufd.hwptGetDirtyBitmap(
          GetDirtyBitmap.of(hwpt, 0, area.iova() + off, length, PAGE), words);
      long first = area.iova() + off;
      long firstPage = (area.ramOffset() + off) / PAGE;
      IovaBitmap.wrap(first, length, PAGE, words)
          .forEachDirty(
              iova -> {
                long page = firstPage + (iova - first) / PAGE;
                ram[(int) (page >>> 6)] |= 1L << page;
              });
    }
  }

  private static void orInto(long[] ram, RamLayout.Area area, long[] words) {
    int base = (int) (area.ramOffset() / PAGE / 64); // RAM ranges start on 256 KiB boundaries
    for (int i = 0; i < words.length; i++) {
      ram[base + i] |= words[i];
    }
  }

  private Verdict verdict(List<Integer> failedResume) {
    List<Integer> devices = new ArrayList<>(failedResume);
    for (int d = 0; d < pairs.length; d++) {
      if (!failedResume.contains(d)
          && (dstDevices[d].state() != MigrationState.RUNNING || !pairs[d].sameState())) {
        devices.add(d);
      }
    }
    return ram.verdict(layout, devices, pairs.length);
  }
}
