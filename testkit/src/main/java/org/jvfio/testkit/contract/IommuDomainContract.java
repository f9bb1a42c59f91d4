package org.jvfio.testkit.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_DIRTY_TRACKING_ENABLE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;
import org.jvfio.testkit.contract.DomainPlan.Region;
import org.jvfio.testkit.gen.DmaWrite;
import org.jvfio.testkit.oracle.ReferenceDirtyModel;
import org.jvfio.testkit.oracle.ReferencePageTable;
import org.jvfio.testkit.oracle.ReferencePageTable.Leaf;

/**
 * The properties every {@link IommuDomain} must satisfy, as an abstract JUnit 5 class in the style
 * of guava-testlib: a vendor module's test extends it, supplies its {@link IommuDriver}, and
 * inherits every test (docs/architecture.md, "The front doors").
 *
 * <pre>{@code
 * class AmdV1DomainContractTest extends IommuDomainContract {
 *   @Override protected IommuDriver driver() { return new AmdV1Driver(); }
 * }
 * }</pre>
 *
 * <p>Features are read from {@link IommuDriver#capabilities()} and {@link
 * IommuDriver#pageSizeBitmap()}; tests of a feature the driver does not claim are skipped with
 * JUnit assumptions. The properties: map, unmap and translation agree with a {@link
 * org.jvfio.testkit.oracle.ReferencePageTable} for every leaf size under test; DMA writes through
 * the {@link DmaEngine} are all reported by the next clearing harvest, at whole-leaf granularity,
 * and nothing else is (a {@link org.jvfio.testkit.oracle.ReferenceDirtyModel}; a format that {@link
 * IommuCapability#DIRTY_TRACKING_ALWAYS_ON maps writable leaves dirty} may also report those);
 * {@code NO_CLEAR} reads change nothing; a write after a clearing harvest and its flush is reported
 * again (the flush dropped the cached dirty translation); enabling tracking starts clean and
 * re-arms translations cached while it was off; split and collapse keep translations and dirty
 * state, also for a translation walked before them; holes in a harvest are skipped or, with {@link
 * IommuCapability#HOLE_ABORTS_HARVEST}, refused with {@code EINVAL}; concurrent writers racing
 * harvests lose no write; and {@link IommuDomain#walk} and {@link IommuDomain#describeEntry} work
 * for every IOVA looked at.
 *
 * <p>Each property runs through the testkit's {@link Property} runner: seeded ({@code
 * -Djvfio.seed}), shrunk on failure, with a number of tries scaled by {@code -Djvfio.tries}
 * (default 200 gives each property its base count). The test methods are public and take no
 * arguments, so they can also be called directly, e.g. to check that the suite fails for a
 * deliberately broken domain.
 */
public abstract class IommuDomainContract {
  private static final long PAGE = DomainPlan.PAGE;
  private static final int MAX_SHRINKS = 100;

  /** Creates the suite; a subclass supplies the driver. */
  protected IommuDomainContract() {}

  /**
   * Returns the driver under test. Called once per try; it may return a new instance each time or
   * the same one (domains must then be independent).
   *
   * @return the driver under test
   */
  protected abstract IommuDriver driver();

  /**
   * Returns the leaf sizes the generated mappings use: by default every size of the driver's
   * page-size bitmap from 4 KiB to 1 GiB.
   *
   * @return the leaf sizes the generated mappings use: by default every size of the driver's
   *     page-size bitmap from 4 KiB to 1 GiB
   */
  protected Set<Long> pageSizesUnderTest() {
    long bitmap = driver().pageSizeBitmap();
    TreeSet<Long> sizes = new TreeSet<>();
    for (long s = 1L << 12; s <= 1L << 30; s <<= 1) {
      if ((bitmap & s) != 0) {
        sizes.add(s);
      }
    }
    return sizes;
  }

  /**
   * Returns the page sizes {@link IommuDomain#split} is asked to split to: by default the smallest
   * size under test.
   *
   * @return the page sizes {@link IommuDomain#split} is asked to split to: by default the smallest
   *     size under test
   */
  protected Set<Long> splitPageSizes() {
    return Set.of(sizes().get(0));
  }

  /**
   * Called after every step of every property with the domain under test; a subclass checks its
   * format's own invariants here (e.g. that the replicas of a run agree). Does nothing by default.
   *
   * @param domain the domain under test
   */
  protected void checkInvariants(IommuDomain domain) {}

  /**
   * Returns the level {@link IommuDomain#describeEntry} expects for the entry {@code
   * walk(iova)[index]} of {@code domain}: the engine's numbering, 0 for the smallest leaf, so
   * {@code top - index} for the table's current top (the mock and a 4-level VT-d table: {@code 3 -
   * index}; AMD v1: {@code dte().mode() - 1 - index}; LPAE: its format's top level minus {@code
   * index}), or -1 if unknown, the default: then walks are checked but entries not decoded.
   *
   * @param domain the domain under test
   * @param index the position in {@code walk(iova)}, 0 for the top level
   * @return the level, 0 for the smallest leaf, or -1 if unknown
   */
  protected int walkLevel(IommuDomain domain, int index) {
    return -1;
  }

  /**
   * Returns whether the domain unmaps as io-pgtable-arm does (in page-size pieces, a piece over a
   * table freeing the table whole, holes included) rather than as iommupt (stopping at the first
   * hole); false by default. See {@link #unmap_holesMidLeafStartsAndEmptyRanges_answerAsTheKernel}.
   *
   * @return true for io-pgtable-arm's unmap
   */
  protected boolean unmapsInPageSizePieces() {
    return false;
  }

  // --- map, unmap, translate ------------------------------------------------------------------

  /** One step of the map/unmap property: see {@link #mapUnmap_matchesReferencePageTable}. */
  private record MapOp(int kind, int region, int from, int count) {}

  private record MapCase(DomainPlan plan, List<MapOp> ops) {}

  /**
   * Maps a plan of regions, then unmaps what is left of whole regions, runs of whole leaves, and
   * maps regions again (or fails to, with {@link IllegalArgumentException} and no change, where
   * they still overlap a mapping); after every step translate, iovaToPhys and walk agree with the
   * reference page table, and unmap returns exactly the bytes of the leaves in its range. Unmaps
   * never span a hole (iommufd unmaps whole areas; a format may stop at a hole, as the kernel's
   * {@code iommu_unmap} does).
   */
  @Test
  public void mapUnmap_matchesReferencePageTable() {
    Gen<MapOp> op =
        src ->
            new MapOp(src.nextInt(0, 2), src.nextInt(0, 7), src.nextInt(0, 31), src.nextInt(0, 31));
    Gen<MapCase> cases =
        plans(1, 4, 0).flatMap(p -> Gen.lists(op, 0, 8).map(ops -> new MapCase(p, ops)));
    property("map/unmap/translate agree with the reference page table", 60)
        .forAll(
            cases,
            c -> {
              DomainFixture f = fixture(c.plan(), false);
              f.mapAll();
              f.checkTranslations();
              for (MapOp o : c.ops()) {
                Region r = c.plan().region(o.region());
                List<Leaf> leaves = f.reference.leaves(r.iova(), r.length());
                if (o.kind() == 0) {
                  unmapRuns(f, leaves);
                } else if (o.kind() == 1 && !leaves.isEmpty()) {
                  int from = o.from() % leaves.size();
                  int to = from + o.count() % (leaves.size() - from);
                  // Earlier unmaps may have left holes between these leaves: one call per run.
                  unmapRuns(f, leaves.subList(from, to + 1));
                } else if (leaves.isEmpty()) {
                  f.map(r);
                } else {
                  assertThrows(
                      IllegalArgumentException.class,
                      () -> f.domain.map(r.iova(), r.physical(), r.length(), r.prot()),
                      "map over a mapping");
                }
                f.checkTranslations();
                checkInvariants(f.domain);
              }
            });
  }

  /** Unmaps each run of contiguous leaves with one call, as iommufd unmaps whole areas. */
  private void unmapRuns(DomainFixture f, List<Leaf> leaves) {
    int i = 0;
    while (i < leaves.size()) {
      int j = i;
      while (j + 1 < leaves.size() && leaves.get(j + 1).iova() == leaves.get(j).last() + 1) {
        j++;
      }
      unmap(f, leaves.get(i).iova(), leaves.get(j).last() - leaves.get(i).iova() + 1);
      i = j + 1;
    }
  }

  private void unmap(DomainFixture f, long iova, long length) {
    long expected = f.reference.unmap(iova, length);
    assertEquals(
        expected,
        f.domain.unmap(iova, length),
        () -> "unmap" + DomainFixture.hex(iova) + "+" + DomainFixture.hex(length));
    f.domain.iotlbSync(gatherOf(iova, length));
    f.dirty.forget(iova, length);
    checkInvariants(f.domain);
  }

  private static IotlbGather gatherOf(long iova, long length) {
    IotlbGather g = new IotlbGather();
    g.addRange(iova, length);
    return g;
  }

  // --- dirty tracking through the hardware path -----------------------------------------------

  /** A round: writes, then a harvest of one region (kind 0 whole, 1 part, 2 unmap reading). */
  private record Round(List<DmaWrite> writes, int region, int kind, int from, int pages) {}

  private record DirtyCase(DomainPlan plan, List<Round> rounds) {}

  private Gen<DirtyCase> dirtyCases(int maxRounds, int maxWrites) {
    return plans(1, 4, 0)
        .flatMap(
            p -> {
              Gen<Round> round =
                  src ->
                      new Round(
                          Gen.lists(p.writes(), 0, maxWrites).generate(src),
                          src.nextInt(0, 7),
                          src.nextInt(0, 5) / 2,
                          src.nextInt(0, 1023),
                          src.nextInt(1, 1024));
              return Gen.lists(round, 1, maxRounds).map(rs -> new DirtyCase(p, rs));
            });
  }

  /**
   * DMA writes through the {@link DmaEngine} (faulting exactly on unmapped and read-only pages),
   * then clearing harvests of whole regions, of parts of regions (starting and ending on a multiple
   * of the smallest page size, as {@code iommufd_check_iova_range} demands through the IOAS's
   * {@code iova_alignment}) into bitmaps of 4 KiB or a larger page size, and unmaps that read the
   * dirty bits: each reports every leaf written since the leaf was last harvested, whole, and
   * nothing else (docs/fidelity.md, "Whole-leaf dirty reporting", "One flush per harvest", "Atomic
   * dirty clears"). For a format with {@link IommuCapability#HARVEST_RECORDS_FROM_START} or {@link
   * IommuCapability#HARVEST_CARRIES_START_OFFSET} a harvest that starts inside a leaf is held to
   * the records the reference dirty model predicts for that walk instead.
   */
  @Test
  public void dmaWrites_harvestReportsEveryWrittenLeafAndNothingElse() {
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    long unit = smallestPage();
    property("harvests report every written leaf", 80)
        .forAll(
            dirtyCases(4, 6),
            c -> {
              DomainFixture f = fixture(c.plan(), true);
              f.mapAll();
              f.enableTracking();
              for (Round round : c.rounds()) {
                f.writeAll(round.writes());
                Region r = c.plan().region(round.region());
                if (!f.isMapped(r)) {
                  continue;
                }
                if (round.kind() == 0) {
                  f.checkHarvest("harvest of " + r, r.iova(), r.length(), PAGE);
                } else if (round.kind() == 1) {
                  long pages = r.length() / unit;
                  long from = round.from() % pages;
                  long n = 1 + (round.pages() - 1) % (pages - from);
                  long iova = r.iova() + from * unit;
                  long pageSize = largestAlignment(iova, n * unit, round.from());
                  f.checkHarvest("partial harvest", iova, n * unit, pageSize);
                } else {
                  unmapReadingDirty(f, r);
                }
              }
              f.checkHarvestAll("final harvest");
            });
  }

  /** A power of two from 4 KiB to 2 MiB dividing iova and length, picked by {@code choice}. */
  private static long largestAlignment(long iova, long length, int choice) {
    long align = Long.lowestOneBit(iova | length | (2L << 20));
    int steps = Long.numberOfTrailingZeros(align) - 12;
    return PAGE << (choice % (steps + 1));
  }

  private void unmapReadingDirty(DomainFixture f, Region r) {
    IovaBitmap bitmap = IovaBitmap.allocate(r.iova(), r.length(), PAGE);
    IotlbGather gather = new IotlbGather();
    IovaBitmap must = f.dirty.expectedBitmap(r.iova(), r.length(), PAGE);
    IovaBitmap allowed = f.dirty.allowedBitmap(r.iova(), r.length(), PAGE);
    long expected = f.reference.unmap(r.iova(), r.length());
    long got =
        f.domain.unmapReadingDirty(r.iova(), r.length(), IommuDirtyBitmap.of(bitmap, gather));
    gather.addRange(r.iova(), r.length());
    f.domain.iotlbSync(gather);
    assertEquals(expected, got, "unmapReadingDirty of " + r);
    // The reference no longer has the leaves: compare with what was expected before the unmap.
    long[] g = bitmap.words();
    long[] m = must.words();
    long[] a = allowed.words();
    for (int i = 0; i < g.length; i++) {
      assertEquals(0, m[i] & ~g[i], "unmapReadingDirty of " + r + " lost dirty pages");
      assertEquals(0, g[i] & ~a[i], "unmapReadingDirty of " + r + " reported clean pages");
    }
    f.dirty.forget(r.iova(), r.length());
    checkInvariants(f.domain);
  }

  /**
   * {@code NO_CLEAR} reads give the same bits twice and clear nothing: a clearing harvest then
   * gives them again, and the next one nothing.
   */
  @Test
  public void noClear_readsTwiceThenClearingHarvestGivesSameBitsThenNothing() {
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    property("NO_CLEAR reads do not clear", 60)
        .forAll(
            dirtyCases(1, 8),
            c -> {
              DomainFixture f = fixture(c.plan(), true);
              f.mapAll();
              f.enableTracking();
              f.writeAll(c.rounds().get(0).writes());
              for (Region r : c.plan().regions()) {
                IovaBitmap first = f.harvest(r.iova(), r.length(), PAGE, false);
                f.assertDirty("NO_CLEAR read of " + r, first);
                IovaBitmap second = f.harvest(r.iova(), r.length(), PAGE, false);
                assertArrayEquals(first.words(), second.words(), "second NO_CLEAR read of " + r);
                IovaBitmap cleared = f.checkHarvest("clearing harvest", r.iova(), r.length(), PAGE);
                assertArrayEquals(first.words(), cleared.words(), "clearing harvest of " + r);
                assertEquals(
                    0,
                    f.checkHarvest("second clearing harvest", r.iova(), r.length(), PAGE)
                        .cardinality());
              }
            });
  }

  /**
   * A page written, harvested (cleared and flushed) and written again is reported again, round
   * after round: the flush after a clearing harvest must drop the translation cached dirty
   * (docs/fidelity.md, "Stale IOTLB"; catches a domain that forgets the invalidation).
   */
  @Test
  public void rewriteAfterClearingHarvest_isReportedAgain() {
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    property("a write after a clearing harvest is reported again", 60)
        .forAll(
            writesCases(1, 3, 0, 6),
            c -> {
              DomainFixture f = fixture(c.plan(), true);
              f.mapAll();
              f.enableTracking();
              for (int round = 0; round < 3; round++) {
                f.writeAll(c.writes());
                f.checkHarvestAll("round " + round);
              }
            });
  }

  /**
   * Enabling tracking as iommufd does (clear, flush, enable) starts from a clean state even after
   * writes while tracking was on and then off, and a write after enabling is reported even to a
   * page whose translation was cached while tracking was off (the toggle must invalidate,
   * docs/fidelity.md, "Stale IOTLB"). Skipped for formats that cannot turn tracking off.
   */
  @Test
  public void enable_clearsStaleStateAndRearmsCachedTranslations() {
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    assumeFalse(alwaysOn(), "DIRTY_TRACKING_ALWAYS_ON");
    property("enabling starts clean and re-arms", 60)
        .forAll(
            dirtyCases(3, 6),
            c -> {
              DomainFixture f = fixture(c.plan(), true);
              f.mapAll();
              f.enableTracking();
              f.writeAll(c.rounds().get(0).writes());
              f.domain.setDirtyTracking(false);
              assertFalse(f.domain.isDirtyTracking());
              List<DmaWrite> whileOff = c.rounds().get(c.rounds().size() - 1).writes();
              f.writeAll(whileOff);
              f.enableTracking();
              assertTrue(f.domain.isDirtyTracking());
              f.checkHarvestAll("first harvest after enabling");
              f.writeAll(whileOff);
              f.checkHarvestAll("harvest of writes through translations cached while off");
            });
  }

  // --- split and collapse ---------------------------------------------------------------------

  /**
   * A step: 0 writes, 1 split, 2 collapse, 3 harvest, 4 stale translation over a split or collapse.
   */
  private record SplitStep(int kind, int region, int choice, List<DmaWrite> writes) {}

  private record SplitCase(DomainPlan plan, List<SplitStep> steps) {}

  /**
   * Writes, splits, collapses and harvests in any order keep every translation (checked against the
   * reference page table, with each merge a collapse makes checked for legality) and every dirty
   * page: split leaves inherit the dirty state, a collapsed leaf is dirty if a child was, and a
   * translation walked before a split or collapse either fails its hardware dirty update or lands
   * in the next harvest (docs/fidelity.md, "Split and collapse"). Leaves up to 2 MiB, so that a
   * split stays small.
   */
  @Test
  public void splitCollapse_preserveTranslationsAndDirtyState() {
    assumeTrue(capable(IommuCapability.SPLIT_COLLAPSE), "no SPLIT_COLLAPSE");
    List<Long> splitSizes = List.copyOf(new TreeSet<>(splitPageSizes()));
    List<Long> upTo2M = sizes().stream().filter(ps -> ps <= DomainPlan.TABLE).toList();
    Gen<SplitCase> cases =
        DomainPlan.plans(upTo2M.isEmpty() ? sizes() : upTo2M, 1, 3, 0)
            .flatMap(
                p -> {
                  Gen<SplitStep> step =
                      src ->
                          new SplitStep(
                              src.nextInt(0, 4),
                              src.nextInt(0, 7),
                              src.nextInt(0, 1023),
                              Gen.lists(p.writes(), 0, 4).generate(src));
                  return Gen.lists(step, 1, 8).map(s -> new SplitCase(p, s));
                });
    boolean tracks = tracks();
    property("split and collapse keep translations and dirty state", 60)
        .forAll(
            cases,
            c -> {
              DomainFixture f = fixture(c.plan(), tracks);
              f.mapAll();
              if (tracks) {
                f.enableTracking();
              }
              for (SplitStep s : c.steps()) {
                Region r = c.plan().region(s.region());
                long pageSize = splitSizes.get(s.choice() % splitSizes.size());
                switch (s.kind()) {
                  case 0:
                    f.writeAll(s.writes());
                    break;
                  case 1:
                    split(f, r, pageSize);
                    break;
                  case 2:
                    collapse(f, r);
                    break;
                  case 3:
                    if (tracks && f.isMapped(r)) {
                      f.checkHarvest("harvest of " + r, r.iova(), r.length(), PAGE);
                    }
                    break;
                  default:
                    staleTranslation(f, r, s.choice(), pageSize, tracks);
                }
                f.checkTranslations();
              }
              if (tracks) {
                f.checkHarvestAll("final harvest");
              }
            });
  }

  /**
   * Example for docs/fidelity.md, "Split and collapse": one byte written into one child of a split
   * leaf, then a collapse and a split again. The collapse ORs the child's dirty bit into the merged
   * leaf and the split replicates it into every child, so the harvest reports the whole merged
   * leaf, not only the child written (the dirty oracle once forgot the merge and called this a
   * spurious report).
   */
  @Test
  public void collapseThenSplit_reportsEveryChildOfTheMergedDirtyLeaf() {
    assumeTrue(capable(IommuCapability.SPLIT_COLLAPSE), "no SPLIT_COLLAPSE");
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    List<Long> sizes = sizes();
    assumeTrue(sizes.size() >= 2, "one page size");
    long small = sizes.get(0);
    long cap = Math.max(DomainPlan.TABLE, sizes.get(1));
    long large = sizes.stream().filter(s -> s <= cap).max(Long::compare).orElseThrow();
    Region r = new Region(1L << 30, large, DomainPlan.MEMORY_BASE, large, DomainPlan.RW);
    DomainFixture f = fixture(new DomainPlan(List.of(r), large), true);
    f.mapAll();
    f.enableTracking();
    split(f, r, small);
    f.write(new DmaWrite(r.iova() + small, 1));
    collapse(f, r);
    assertEquals(
        Optional.of(new Leaf(r.iova(), large, r.physical(), r.prot())),
        f.reference.leaf(r.iova()),
        "collapse made one leaf");
    split(f, r, small);
    f.checkTranslations();
    IovaBitmap got = f.checkHarvest("harvest after collapse and split", r.iova(), large, PAGE);
    assertEquals(large / PAGE, got.cardinality(), "pages reported");
  }

  private void split(DomainFixture f, Region r, long pageSize) {
    f.domain.split(r.iova(), r.length(), pageSize);
    f.reference.split(r.iova(), r.length(), pageSize);
    checkInvariants(f.domain);
  }

  private void collapse(DomainFixture f, Region r) {
    f.domain.collapse(r.iova(), r.length());
    f.learnMerges(r.iova(), r.length());
    checkInvariants(f.domain);
  }

  /** Walks a writable page, splits or collapses its region, then makes the hardware update. */
  private void staleTranslation(
      DomainFixture f, Region r, int choice, long pageSize, boolean tracks) {
    long iova = r.iova() + (choice % (r.length() / PAGE)) * PAGE;
    Optional<Translation> walked = f.domain.translate(iova);
    if ((choice & 1) == 0) {
      split(f, r, pageSize);
    } else {
      collapse(f, r);
    }
    if (tracks && walked.isPresent() && walked.get().writable() && !walked.get().dirty()) {
      if (f.domain.setDirtyByHardware(walked.get())) {
        f.dirty.recordWrite(iova, 1); // the update went somewhere: the next harvest must show it
      }
      checkInvariants(f.domain);
    }
  }

  // --- holes ----------------------------------------------------------------------------------

  /**
   * A harvest over regions with unmapped holes between them skips the holes and reports the
   * regions' writes, or, for a format with {@link IommuCapability#HOLE_ABORTS_HARVEST}, fails with
   * {@code EINVAL}.
   */
  @Test
  public void harvestOverHoles_skipsThemOrAbortsAsDeclared() {
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    boolean aborts = capable(IommuCapability.HOLE_ABORTS_HARVEST);
    property("holes are skipped, or abort the harvest", 40)
        .forAll(
            writesCases(2, 4, 1, 8),
            c -> {
              DomainPlan plan = c.plan();
              DomainFixture f = fixture(plan, true);
              f.mapAll();
              f.enableTracking();
              f.writeAll(c.writes());
              long iova = plan.regions().get(0).iova();
              long length = plan.regions().get(plan.regions().size() - 1).last() - iova + 1;
              if (aborts) {
                UapiException e =
                    assertThrows(
                        UapiException.class,
                        () -> f.harvest(iova, length, PAGE, true),
                        "harvest over a hole");
                assertEquals(Errno.EINVAL, e.errno());
              } else {
                f.checkHarvest("harvest over holes", iova, length, PAGE);
                f.checkHarvestAll("final harvest");
              }
            });
  }

  // --- unmap, unmap reading dirty, split to every size, free -----------------------------------

  /**
   * Unmaps that start in a hole, run across a hole, start inside a leaf or cover nothing answer as
   * the kernel's ({@code drivers/iommu/generic_pt/iommu_pt.h}, {@code __unmap_range}): a range that
   * does not start on the first byte of a leaf unmaps nothing and returns 0; otherwise the leaves
   * from the start up to the first hole are removed and their bytes returned, and everything after
   * the hole stays mapped. With {@link #unmapsInPageSizePieces()}, as io-pgtable-arm's {@code
   * __arm_lpae_unmap} under {@code iommu_unmap} instead (one unmap per try: a table emptied by an
   * earlier unmap is invisible to the reference).
   */
  @Test
  public void unmap_holesMidLeafStartsAndEmptyRanges_answerAsTheKernel() {
    long unit = smallestPage();
    boolean piecewise = unmapsInPageSizePieces();
    Gen<List<UnmapAndFreeChecks.UnmapCase>> cases =
        plans(1, 4, 1)
            .flatMap(
                p ->
                    Gen.lists(
                        src ->
                            new UnmapAndFreeChecks.UnmapCase(
                                p, src.nextInt(0, 2), src.nextInt(0, 7), src.nextInt(0, 1023)),
                        1,
                        piecewise ? 1 : 3));
    property("unmap answers holes and partial leaves as the kernel", 60)
        .forAll(
            cases,
            steps -> {
              DomainFixture f = fixture(steps.get(0).plan(), false);
              f.mapAll();
              for (UnmapAndFreeChecks.UnmapCase c : steps) {
                UnmapAndFreeChecks.checkUnmap(f, c, unit, piecewise);
                checkInvariants(f.domain);
              }
            });
  }

  /**
   * {@link IommuDomain#unmapReadingDirty} raced by a device writing fresh pages: every page a write
   * reached before its leaf was removed is reported. The interface's default (a {@code NO_CLEAR}
   * read, then an unmap) loses the pages written between the two; a correct domain removes each
   * leaf with one atomic exchange and reads the dirty state from the old value. Bounded: each try
   * races over 16384 pages until the writer made progress during the call, at most 64 times.
   */
  @Test
  public void unmapReadingDirty_racingDmaWrites_losesNoWrite() {
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    long unit = smallestPage();
    property("unmapReadingDirty loses no write", 6)
        .withMaxShrinks(0)
        .forAll(
            Gen.longs(0, Long.MAX_VALUE),
            seed -> UnmapAndFreeChecks.raceUntilConclusive(driver(), seed, unit, 64));
  }

  /**
   * A leaf split to each smaller size under test (down to 1/512 of it) becomes leaves of exactly
   * that size, with its translations and, for a dirty leaf, every child reported dirty.
   */
  @Test
  public void split_toEverySmallerSize_givesLeavesOfThatSize() {
    assumeTrue(capable(IommuCapability.SPLIT_COLLAPSE), "no SPLIT_COLLAPSE");
    boolean tracks = tracks();
    List<Long> sizes = sizes();
    for (long large : sizes) {
      for (long small : sizes) {
        if (small >= large || large / small > 512) {
          continue;
        }
        Region r = new Region(4 * large, large, DomainPlan.MEMORY_BASE, large, DomainPlan.RW);
        DomainFixture f = fixture(new DomainPlan(List.of(r), large), tracks);
        f.mapAll();
        if (tracks) {
          f.enableTracking();
          f.write(new DmaWrite(r.iova() + large / 2, 1));
        }
        split(f, r, small);
        f.checkTranslations();
        assertEquals(
            large / small,
            f.reference.leaves(r.iova(), large).size(),
            "leaves of 0x" + Long.toHexString(small));
        if (tracks) {
          IovaBitmap got = f.checkHarvest("harvest after split", r.iova(), large, PAGE);
          assertEquals(large / PAGE, got.cardinality(), "children of the dirty leaf reported");
        }
        f.domain.free();
      }
    }
  }

  /**
   * Freeing a domain after maps, unmaps, splits and collapses returns every page-table frame it
   * held to its memory: the memory holds what it held before the domain was allocated.
   */
  @Test
  public void free_returnsEveryTableFrame() {
    boolean splits = capable(IommuCapability.SPLIT_COLLAPSE);
    long smallest = sizes().get(0);
    property("free returns every frame", 30)
        .forAll(plans(1, 4, 0), p -> UnmapAndFreeChecks.checkFree(driver(), p, splits, smallest));
  }

  // --- without dirty ops ----------------------------------------------------------------------

  /**
   * A domain allocated without dirty tracking has no dirty ops: turning tracking on and reading
   * dirty bits fail with {@code EOPNOTSUPP}; a driver without {@link
   * IommuCapability#DIRTY_TRACKING} refuses to allocate a dirty-tracking domain with {@code
   * EOPNOTSUPP}.
   */
  @Test
  public void withoutDirtyOps_dirtyCallsFailWithEopnotsupp() {
    IommuDriver driver = driver();
    IommuDomain plain = driver.allocateDomain(DomainConfig.PLAIN);
    long leaf = sizes().get(0);
    plain.map(1L << 30, DomainPlan.MEMORY_BASE, leaf, DomainPlan.RW);
    assertFalse(plain.hasDirtyOps());
    IovaBitmap bitmap = IovaBitmap.allocate(1L << 30, leaf, PAGE);
    IommuDirtyBitmap dirty = IommuDirtyBitmap.of(bitmap, new IotlbGather());
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(UapiException.class, () -> plain.setDirtyTracking(true)).errno());
    assertEquals(
        Errno.EOPNOTSUPP,
        assertThrows(UapiException.class, () -> plain.readAndClearDirty(1L << 30, leaf, 0, dirty))
            .errno());
    if (!driver.canTrackDirty()) {
      assertEquals(
          Errno.EOPNOTSUPP,
          assertThrows(
                  UapiException.class, () -> driver.allocateDomain(DomainConfig.DIRTY_TRACKING))
              .errno());
    }
    checkInvariants(plain);
  }

  // --- concurrency ----------------------------------------------------------------------------

  /**
   * Writer threads DMA through the engine while the test thread harvests (and splits and collapses,
   * if the driver can): every page a write touched appears in a harvest that started after the
   * write started. Bounded by iterations: 3 writers of 3000 writes each, in 30 phases that each
   * wait for one more harvest, so that harvests interleave.
   */
  @Test
  public void concurrentWritersRacingHarvests_loseNoWrite() {
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    property("concurrent writers lose no write", 2)
        .withMaxShrinks(0)
        .forAll(Gen.longs(0, Long.MAX_VALUE), this::race);
  }

  private static final int WRITERS = 3;
  private static final int WRITES = 3000;
  private static final int PHASES = 30;
  private static final long RACE_IOVA = 1L << 30;
  private static final long RACE_LENGTH = 8L << 20;
  private static final int RACE_PAGES = (int) (RACE_LENGTH / PAGE);

  private void race(long seed) throws Exception {
    IommuDomain domain = driver().allocateDomain(DomainConfig.DIRTY_TRACKING);
    GuestMemory memory = GuestMemory.create(DomainPlan.MEMORY_BASE, RACE_LENGTH, seed);
    DmaEngine engine = new DmaEngine(List.of(memory), 16);
    domain.map(RACE_IOVA, DomainPlan.MEMORY_BASE, RACE_LENGTH, DomainPlan.RW);
    IotlbGather clean = new IotlbGather();
    domain.readAndClearDirty(RACE_IOVA, RACE_LENGTH, 0, IommuDirtyBitmap.gatherOnly(clean));
    domain.iotlbSync(clean);
    domain.setDirtyTracking(true);
    boolean splits = capable(IommuCapability.SPLIT_COLLAPSE);
    long splitSize = sizes().get(0);

    int[][] firstPage = new int[WRITERS][WRITES];
    int[][] endPage = new int[WRITERS][WRITES];
    int[][] harvestsBefore = new int[WRITERS][WRITES];
    AtomicInteger completed = new AtomicInteger();
    AtomicInteger running = new AtomicInteger(WRITERS);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < WRITERS; w++) {
      int writer = w;
      SplittableRandom rnd = new SplittableRandom(seed + w + 1);
      Thread t =
          new Thread(
              () -> {
                try {
                  start.await();
                  for (int i = 0; i < WRITES; i++) {
                    while (completed.get() < i / (WRITES / PHASES)) {
                      Thread.onSpinWait(); // interleave: phase p starts after p harvests
                    }
                    int page = rnd.nextInt(RACE_PAGES);
                    long length = 1 + rnd.nextLong(Math.min(2, RACE_PAGES - page) * PAGE);
                    int before = completed.get();
                    DmaResult r =
                        engine.write(
                            writer, domain, RACE_IOVA + page * PAGE, length, DmaWriteListener.NONE);
                    if (r.bytes() != length || r.faults() != 0) {
                      throw new AssertionError("write " + i + " at page " + page + ": " + r);
                    }
                    firstPage[writer][i] = page;
                    endPage[writer][i] = (int) (page + (length + PAGE - 1) / PAGE);
                    harvestsBefore[writer][i] = before;
                  }
                } catch (Throwable e) {
                  failure.compareAndSet(null, e);
                } finally {
                  running.decrementAndGet();
                }
              },
              "contract-writer-" + w);
      threads.add(t);
      t.start();
    }
    int[] lastHarvestWith = new int[RACE_PAGES];
    SplittableRandom ops = new SplittableRandom(seed);
    start.countDown();
    int rounds = 0;
    try {
      while (running.get() > 0 || rounds == 0) {
        raceHarvest(domain, ++rounds, lastHarvestWith);
        completed.set(rounds);
        if (splits) {
          long block = RACE_IOVA + (2L << 20) * ops.nextInt(4);
          if (ops.nextBoolean()) {
            domain.split(block, 2L << 20, splitSize);
          } else {
            domain.collapse(block, 2L << 20);
          }
        }
      }
    } finally {
      for (Thread t : threads) {
        t.join();
      }
    }
    raceHarvest(domain, ++rounds, lastHarvestWith);
    if (failure.get() != null) {
      throw new AssertionError("a writer failed", failure.get());
    }
    checkInvariants(domain);
    for (int w = 0; w < WRITERS; w++) {
      for (int i = 0; i < WRITES; i++) {
        for (int p = firstPage[w][i]; p < endPage[w][i]; p++) {
          int k = harvestsBefore[w][i];
          int page = p;
          assertTrue(
              lastHarvestWith[p] > k,
              () ->
                  "page 0x"
                      + Long.toHexString(RACE_IOVA + page * PAGE)
                      + " written after harvest "
                      + k
                      + " never reported later");
        }
      }
    }
  }

  private static void raceHarvest(IommuDomain domain, int index, int[] lastHarvestWith) {
    IovaBitmap bitmap = IovaBitmap.allocate(RACE_IOVA, RACE_LENGTH, PAGE);
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(RACE_IOVA, RACE_LENGTH, 0, IommuDirtyBitmap.of(bitmap, gather));
    domain.iotlbSync(gather);
    BitSet dirty = BitSet.valueOf(bitmap.words());
    for (int p = dirty.nextSetBit(0); p >= 0; p = dirty.nextSetBit(p + 1)) {
      lastHarvestWith[p] = index;
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  /**
   * The driver's smallest page size, at least 4 KiB: iommufd aligns every range it hands to a
   * domain to it (the IOAS's {@code iova_alignment}).
   */
  private long smallestPage() {
    return Math.max(PAGE, Long.lowestOneBit(driver().pageSizeBitmap()));
  }

  private List<Long> sizes() {
    List<Long> sizes = List.copyOf(new TreeSet<>(pageSizesUnderTest()));
    if (sizes.isEmpty()) {
      throw new IllegalStateException("no page sizes under test");
    }
    return sizes;
  }

  private Gen<DomainPlan> plans(int minRegions, int maxRegions, int minGapPages) {
    return DomainPlan.plans(sizes(), minRegions, maxRegions, minGapPages);
  }

  private record WritesCase(DomainPlan plan, List<DmaWrite> writes) {}

  private Gen<WritesCase> writesCases(int minRegions, int maxRegions, int minGap, int maxWrites) {
    return plans(minRegions, maxRegions, minGap)
        .flatMap(p -> Gen.lists(p.writes(), 1, maxWrites).map(w -> new WritesCase(p, w)));
  }

  private boolean capable(IommuCapability c) {
    return driver().capabilities().contains(c);
  }

  private boolean tracks() {
    return capable(IommuCapability.DIRTY_TRACKING);
  }

  private boolean alwaysOn() {
    return capable(IommuCapability.DIRTY_TRACKING_ALWAYS_ON);
  }

  private DomainFixture fixture(DomainPlan plan, boolean dirtyTracking) {
    IommuDriver driver = driver();
    IommuDomain domain =
        driver.allocateDomain(dirtyTracking ? DomainConfig.DIRTY_TRACKING : DomainConfig.PLAIN);
    return new DomainFixture(
        domain,
        plan,
        dirtyTracking && alwaysOn(),
        driver.capabilities(),
        this::checkInvariants,
        i -> walkLevel(domain, i));
  }

  /**
   * The iommufd dirty-tracking scenario end to end, through core's {@link IommufdContext} model and
   * its DMA engine: map guest memory (offset by one page, so leaves of several sizes appear), a
   * write before enabling is not reported (docs/fidelity.md, "Enabling clears first"; not checked
   * where tracking is always on), then rounds of device writes each harvested with NO_CLEAR, then
   * clearing, then once more (nothing left), every harvest compared with the reference dirty model
   * at whole-leaf granularity; finally the unmap that returns the dirty state, after which the
   * range faults. The host's {@code PAGE_SIZE} is the format's smallest IO page when that is larger
   * than 4 KiB (an arm64 kernel with 16 KiB or 64 KiB pages), since {@code iopt_table_add_domain}
   * refuses a domain whose pages exceed {@code PAGE_SIZE}.
   */
  @Test
  public void iommufdEndToEnd_harvestsExactlyTheLeavesWritten() {
    assumeTrue(tracks(), "no DIRTY_TRACKING");
    long page = Math.max(PAGE, smallestPage());
    long mem = 0x1_0000_0000L;
    long iova = 0x4000_0000L;
    long len = 16L << 20;
    GuestMemory memory = GuestMemory.create(mem, len, 1);
    IommufdContext fd = IommufdContext.create(page, memory);
    int ioas = fd.ioasAlloc(0);
    int dev = fd.bindDevice(driver(), DmaWriteListener.NONE);
    int hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
    assertEquals(hwpt, fd.attach(dev, hwpt));
    long start = iova + page;
    long length = len - 2 * page;
    fd.ioasMap(ioas, IoasMap.fixed(mem + page, length, start));
    ReferencePageTable table = ReferencePageTable.create(driver().pageSizeBitmap());
    table.map(start, mem + page, length, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    ReferenceDirtyModel model = ReferenceDirtyModel.ofLeaves(table, driver().capabilities());
    fd.dmaWrite(dev, start, PAGE); // before enabling
    fd.hwptSetDirtyTracking(hwpt, IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
    if (alwaysOn()) {
      model.recordPossiblyDirty(start, length); // writable leaves may be mapped dirty
    }
    long seed = Property.named("e2e").seed();
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int round = 0; round < 8; round++) {
      for (int i = rnd.nextInt(12); i > 0; i--) {
        long at = start + rnd.nextLong(length);
        long n = Math.min(1 + rnd.nextLong(3 * PAGE), start + length - at);
        assertEquals(n, fd.dmaWrite(dev, at, n).bytes());
        model.recordWrite(at, n);
      }
      String where =
          getClass().getSimpleName()
              + " seed=0x"
              + Long.toHexString(seed)
              + " round "
              + round
              + " model "
              + model;
      checkIommufdHarvest(
          fd, hwpt, model, start, length, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, where);
      checkIommufdHarvest(fd, hwpt, model, start, length, 0, where);
      model.onHarvest(start, length);
      checkIommufdHarvest(fd, hwpt, model, start, length, 0, where);
    }
    long at = start + (6L << 20) + 7;
    fd.dmaWrite(dev, at, 1);
    model.recordWrite(at, 1);
    IovaBitmap bitmap = IovaBitmap.allocate(start, length, PAGE);
    assertEquals(length, fd.ioasUnmapGetDirty(ioas, start, length, bitmap));
    assertWithin(model, bitmap, start, length, "unmap-get-dirty");
    assertEquals(1, fd.dmaWrite(dev, at, 1).faults(), "the unmapped range faults");
  }

  private static void checkIommufdHarvest(
      IommufdContext fd,
      int hwpt,
      ReferenceDirtyModel model,
      long iova,
      long length,
      int flags,
      String where) {
    long[] data = new long[(int) IovaBitmap.wordCount(length, PAGE)];
    fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, flags, iova, length, PAGE), data);
    assertWithin(model, IovaBitmap.wrap(iova, length, PAGE, data), iova, length, where);
  }

  /** Every bit the model requires is set, and every bit set is one the model allows. */
  private static void assertWithin(
      ReferenceDirtyModel model, IovaBitmap got, long iova, long length, String where) {
    long[] must = model.expectedBitmap(iova, length, PAGE).words();
    long[] may = model.allowedBitmap(iova, length, PAGE).words();
    long[] bits = got.words();
    for (int w = 0; w < must.length; w++) {
      long word = w;
      assertEquals(
          must[w], bits[w] & must[w], () -> "missing dirty bits in word " + word + ": " + where);
      assertEquals(
          0, bits[w] & ~may[w], () -> "bits no write explains in word " + word + ": " + where);
    }
  }

  private Property property(String name, int baseTries) {
    Property p = Property.named(getClass().getSimpleName() + ": " + name);
    return p.withTries(Math.max(1, baseTries * p.tries() / Property.DEFAULT_TRIES))
        .withMaxShrinks(MAX_SHRINKS);
  }
}
