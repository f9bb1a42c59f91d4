package org.jvfio.sim;

import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DATA_VTD_S1;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_INVALIDATE_DATA_VTD_S1;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.jvfio.api.iommufd.IommuHwptVtdS1;
import org.jvfio.api.iommufd.IommuHwptVtdS1Invalidate;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.nesting.GuestIoPageTable;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.nesting.UserDataArray;
import org.jvfio.core.spi.IommuDriver;

/**
 * A pre-copy migration of a guest whose vIOMMU remaps its device's DMA buffers every round, with
 * the end-to-end check of guest memory, in the two regimes QEMU has:
 *
 * <ul>
 *   <li><b>Shadow</b> (an emulated vIOMMU): the IOAS holds the guest's IOVA-to-RAM mappings, which
 *       the VMM mirrors; a guest unmap is an {@code IOMMU_IOAS_UNMAP}. With {@link Sync#ON} the VMM
 *       first reads the dirty bitmap of the range with {@code NO_CLEAR} and records it by
 *       guest-physical address, as QEMU's iommufd backend does since December 2025 ({@code
 *       hw/vfio/iommufd.c}, {@code iommufd_cdev_unmap}); with {@link Sync#OFF} it unmaps only, as
 *       before that fix, and a page written through a mapping removed between two periodic syncs is
 *       lost (the periodic sync walks only the current mappings).
 *   <li><b>Nested</b> (VT-d): the guest owns stage 1 and remaps with its own tables and {@code
 *       IOMMU_HWPT_INVALIDATE}; the nest parent maps all RAM and is harvested by guest-physical
 *       address. No host unmap happens, so nothing can be lost; the sync setting has no effect. The
 *       guest leaves the accessed and dirty bits of its tables clear, so the IOMMU writes them
 *       through stage 2 and those table pages must be migrated too.
 * </ul>
 *
 * <p>The guest CPU's own writes (its page-table updates) are tracked perfectly (KVM's dirty log is
 * not the subject). Deterministic for a seed. Arm SMMUv3 migrates in shadow mode (the IOAS's paging
 * domain with {@code DIRTY_TRACKING} is a stage-1 table with hardware dirty bits); SMMUv3 nesting
 * cannot be migrated with IOMMU dirty tracking: its nest parent refuses {@code DIRTY_TRACKING}
 * ({@code EOPNOTSUPP}), which {@link #run} throws as the kernel answers and {@link #refusal}
 * explains.
 */
public final class ViommuMigration {
  private static final long HVA = 0x7F00_0000_0000L;
  private static final long PAGE = 4096;
  private static final long IOVA_BASE = 0x1_0000_0000L;

  /** Whether the VMM harvests a range before unmapping it on a guest unmap (shadow mode). */
  public enum Sync {
    /** Read the range's dirty bits (NO_CLEAR) before {@code IOMMU_IOAS_UNMAP}: QEMU today. */
    ON,
    /** Unmap only: QEMU's iommufd backend before the December 2025 fix. */
    OFF
  }

  /** Which translation regime the vIOMMU uses. */
  public enum Regime {
    /** An emulated vIOMMU: the VMM shadows guest mappings into the IOAS. */
    SHADOW,
    /** Hardware nesting: the guest's stage 1 on a nest-parent stage 2. */
    NESTED
  }

  /**
   * The parameters of a run.
   *
   * @param iommu the registered IOMMU driver name ({@code "intel-ss"}, {@code "smmuv3"}, ...)
   * @param regime shadow or nested
   * @param sync the VMM's unmap-time sync (shadow only)
   * @param ramPages guest RAM in 4 KiB pages
   * @param buffers DMA buffers mapped at any time (one 4 KiB page each)
   * @param rounds pre-copy rounds
   * @param writesPerRound device writes per round
   * @param remapsPerRound buffers the guest unmaps and maps elsewhere per round
   * @param seed the random seed
   */
  public record Config(
      String iommu,
      Regime regime,
      Sync sync,
      int ramPages,
      int buffers,
      int rounds,
      int writesPerRound,
      int remapsPerRound,
      long seed) {}

  /**
   * The outcome: whether the destination equals the source, and the guest-physical addresses of the
   * pages that differ (the lost ones).
   *
   * @param config what ran
   * @param passed whether every page is equal
   * @param lostPages the guest-physical addresses of the differing pages, ascending
   * @param pagesCopied pages sent over all rounds
   * @param remaps guest remaps performed
   * @param pagesSentPerRound the pages each round sent: the first sends all RAM, the last is the
   *     stop-and-copy
   */
  public record Result(
      Config config,
      boolean passed,
      List<Long> lostPages,
      long pagesCopied,
      long remaps,
      List<Long> pagesSentPerRound) {
    /**
     * Returns the rounds as the simulator's report and chart draw them: 4 KiB pages and their bytes
     * per round, the last the stop-and-copy; no simulated time.
     *
     * @return one row per round
     */
    List<Round> rounds() {
      List<Round> rounds = new ArrayList<>();
      for (int i = 0; i < pagesSentPerRound.size(); i++) {
        long pages = pagesSentPerRound.get(i);
        rounds.add(
            new Round(i + 1, i + 1 == pagesSentPerRound.size(), pages, pages * PAGE, 0, 0, 0));
      }
      return rounds;
    }

    /**
     * Returns a one-line summary naming up to eight lost pages.
     *
     * @return the summary
     */
    public String summary() {
      String lost =
          lostPages.isEmpty()
              ? "no page lost"
              : lostPages.size()
                  + " page(s) lost, e.g. GPA "
                  + lostPages.stream()
                      .limit(8)
                      .map(p -> "0x" + Long.toHexString(p))
                      .reduce((a, b) -> a + ", " + b)
                      .orElse("");
      return String.format(
          "%s %s sync=%s: %s after %d remaps, %d pages copied",
          config.iommu(),
          config.regime(),
          config.sync(),
          passed ? "PASS" : "FAIL: " + lost,
          remaps,
          pagesCopied);
    }
  }

  private final Config c;
  private final SplittableRandom rnd;
  private final GuestMemory src;
  private final GuestMemory dst;
  private final IommufdContext ctx;
  private final int dev;
  private final int ioas;
  private final TreeSet<Long> vmmDirty = new TreeSet<>(); // GPAs to send next
  private final long[] bufferIova;
  private final long[] bufferGpa;
  private long nextIova = IOVA_BASE;
  private final List<Long> sentPerRound = new ArrayList<>();
  private long copied;
  private long remaps;

  private ViommuMigration(Config c) {
    this.c = c;
    this.rnd = new SplittableRandom(c.seed());
    long ram = c.ramPages() * PAGE;
    this.src = GuestMemory.create(HVA, ram, c.seed());
    this.dst = GuestMemory.create(HVA, ram, c.seed() + 1);
    this.ctx = IommufdContext.create(src);
    this.dev = ctx.bindDevice(IommuDriver.named(c.iommu()), DmaWriteListener.NONE);
    this.ioas = ctx.ioasAlloc(0);
    this.bufferIova = new long[c.buffers()];
    this.bufferGpa = new long[c.buffers()];
  }

  /**
   * Returns one line saying why the kernel refused the setup of {@code c}: for SMMUv3 nesting, that
   * Linux gives an SMMUv3 nest parent no dirty tracking ({@code arm_smmu_domain_alloc_paging_flags}
   * in {@code drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c} accepts {@code NEST_PARENT} alone and
   * makes {@code DIRTY_TRACKING} a stage-1 domain), so nothing can harvest the guest's DMA.
   *
   * @param c the refused configuration
   * @param e the refusal {@link #run} threw
   * @return the line, naming the IOMMU, the regime, the errno and why
   */
  public static String refusal(Config c, UapiException e) {
    String head = c.iommu() + " " + c.regime() + ": refused, " + e.getMessage();
    if (c.regime() == Regime.NESTED && c.iommu().startsWith("smmuv3")) {
      return head
          + " (IOMMU_HWPT_ALLOC with NEST_PARENT | DIRTY_TRACKING: Linux has no dirty tracking on"
          + " an SMMUv3 nest parent, and QEMU does not migrate a guest with an accelerated vSMMU;"
          + " --regime shadow migrates an emulated one)";
    }
    return head;
  }

  /**
   * Runs a migration and checks it.
   *
   * @param c the guest, its vIOMMU and the VMM's sync policy
   * @return whether the destination equals the source, and the pages lost if not
   * @throws org.jvfio.core.UapiException as the kernel refuses the setup (e.g. {@code EOPNOTSUPP}
   *     for dirty tracking on an SMMUv3 nest parent)
   * @throws IllegalArgumentException if the RAM cannot hold the guest's tables and buffers
   */
  public static Result run(Config c) {
    if (c.ramPages() < 64 + 2 * c.buffers()) {
      throw new IllegalArgumentException("RAM too small for the buffers and the guest's tables");
    }
    return new ViommuMigration(c).migrate();
  }

  private Result migrate() {
    return c.regime() == Regime.SHADOW ? shadow() : nested();
  }

  /** A random data page, outside the first 64 pages (the guest's table pool). */
  private long randomGpa() {
    return (64 + rnd.nextLong(c.ramPages() - 64)) * PAGE;
  }

  // --- shadow ---------------------------------------------------------------------------------

  private Result shadow() {
    int hwpt = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
    ctx.attach(dev, hwpt);
    for (int b = 0; b < c.buffers(); b++) {
      shadowMap(b, randomGpa());
    }
    ctx.hwptSetDirtyTracking(hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    sendAll();
    for (int round = 0; round < c.rounds(); round++) {
      deviceWrites();
      for (int r = 0; r < c.remapsPerRound(); r++) {
        int b = rnd.nextInt(c.buffers());
        if (c.sync() == Sync.ON) {
          harvest(hwpt, bufferIova[b], PAGE, bufferGpa[b], IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
        }
        ctx.ioasUnmap(ioas, bufferIova[b], PAGE);
        shadowMap(b, randomGpa());
        remaps++;
      }
      shadowPeriodicSync(hwpt);
    }
    shadowPeriodicSync(hwpt); // stop-and-copy: the device is stopped
    return verdict();
  }

  private void shadowMap(int b, long gpa) {
    long iova = nextIova;
    nextIova += PAGE;
    ctx.ioasMap(ioas, IoasMap.fixed(HVA + gpa, PAGE, iova));
    bufferIova[b] = iova;
    bufferGpa[b] = gpa;
  }

  /** QEMU's periodic sync of an IOMMU section: the current mappings only, translated to GPA. */
  private void shadowPeriodicSync(int hwpt) {
    for (int b = 0; b < c.buffers(); b++) {
      harvest(hwpt, bufferIova[b], PAGE, bufferGpa[b], 0);
    }
    send();
  }

  // --- nested ---------------------------------------------------------------------------------

  private Result nested() {
    long ram = c.ramPages() * PAGE;
    ctx.ioasMap(ioas, IoasMap.fixed(HVA, ram, 0));
    int parent =
        ctx.hwptAlloc(
            HwptAlloc.paging(
                IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
    long[] nextTable = {0};
    GuestIoPageTable s1 =
        GuestIoPageTable.x86(
            ctx.nesting().guestTables(),
            () -> {
              long p = nextTable[0];
              nextTable[0] += PAGE;
              return p;
            },
            this::cpuWrite,
            false);
    ByteBuffer vtd = ByteBuffer.allocate(IommuHwptVtdS1.SIZE);
    new IommuHwptVtdS1(0, s1.root(), 48, 0).encode(vtd);
    UserData data = UserData.of(IOMMU_HWPT_DATA_VTD_S1, vtd.array());
    int nested =
        ctx.hwptAlloc(new HwptAlloc(0, dev, parent, 0, IOMMU_HWPT_DATA_VTD_S1, 24, 0), data);
    for (int b = 0; b < c.buffers(); b++) {
      bufferIova[b] = IOVA_BASE + b * PAGE;
      bufferGpa[b] = randomGpa();
      s1.map(bufferIova[b], bufferGpa[b], true);
    }
    ctx.attach(dev, nested);
    ctx.hwptSetDirtyTracking(parent, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    sendAll();
    for (int round = 0; round < c.rounds(); round++) {
      deviceWrites();
      for (int r = 0; r < c.remapsPerRound(); r++) {
        int b = rnd.nextInt(c.buffers());
        bufferGpa[b] = randomGpa();
        s1.map(bufferIova[b], bufferGpa[b], true); // replaces the old leaf
        ByteBuffer inv = ByteBuffer.allocate(IommuHwptVtdS1Invalidate.SIZE);
        new IommuHwptVtdS1Invalidate(bufferIova[b], 1, 0, 0).encode(inv);
        ctx.nesting()
            .hwptInvalidate(
                nested, UserDataArray.of(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 24, 1, inv.array()), 0)
            .orThrow();
        remaps++;
      }
      harvest(parent, 0, ram, 0, 0);
      send();
    }
    harvest(parent, 0, ram, 0, 0);
    send();
    return verdict();
  }

  private void cpuWrite(long gpa) {
    src.write(HVA + (gpa & -PAGE), PAGE);
    vmmDirty.add(gpa & -PAGE); // KVM's dirty log
  }

  // --- common ---------------------------------------------------------------------------------

  private void deviceWrites() {
    for (int w = 0; w < c.writesPerRound(); w++) {
      int b = rnd.nextInt(c.buffers());
      ctx.dmaWrite(dev, bufferIova[b], 1 + rnd.nextInt((int) PAGE));
    }
  }

  /** {@code IOMMU_HWPT_GET_DIRTY_BITMAP} of an IOVA range whose first page is at {@code gpa}. */
  private void harvest(int hwpt, long iova, long length, long gpa, int flags) {
    long[] words = new long[(int) IovaBitmap.wordCount(length, PAGE)];
    ctx.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, flags, iova, length, PAGE), words);
    IovaBitmap.wrap(iova, length, PAGE, words).forEachDirty(i -> vmmDirty.add(gpa + (i - iova)));
  }

  private void sendAll() {
    dst.copyFrom(src, HVA, c.ramPages() * PAGE);
    copied += c.ramPages();
    sentPerRound.add((long) c.ramPages());
  }

  private void send() {
    for (long gpa : vmmDirty) {
      dst.copyFrom(src, HVA + gpa, PAGE);
    }
    copied += vmmDirty.size();
    sentPerRound.add((long) vmmDirty.size());
    vmmDirty.clear();
  }

  private Result verdict() {
    List<Long> lost = new ArrayList<>();
    for (long p = 0; p < c.ramPages(); p++) {
      if (src.token(HVA + p * PAGE) != dst.token(HVA + p * PAGE)) {
        lost.add(p * PAGE);
      }
    }
    return new Result(c, lost.isEmpty(), lost, copied, remaps, List.copyOf(sentPerRound));
  }
}
