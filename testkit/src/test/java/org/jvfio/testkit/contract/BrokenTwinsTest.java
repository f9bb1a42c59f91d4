package org.jvfio.testkit.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.testkit.contract.BrokenTwins.broken;
import static org.jvfio.testkit.contract.BrokenTwins.domainContract;
import static org.jvfio.testkit.contract.BrokenTwins.lossyContract;
import static org.jvfio.testkit.contract.BrokenTwins.lossyLogContract;
import static org.jvfio.testkit.contract.ContractRunner.Outcome.FAILED;
import static org.jvfio.testkit.contract.ContractRunner.Outcome.PASSED;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.core.pt.PageTable;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.testkit.contract.ContractRunner.Outcome;

/**
 * A contract that cannot fail is worth nothing: each contract must fail, in the properties that
 * target the defect and only there, for deliberately broken twins of correct implementations.
 */
class BrokenTwinsTest {
  static final String HARVEST = "dmaWrites_harvestReportsEveryWrittenLeafAndNothingElse";
  static final String NO_CLEAR = "noClear_readsTwiceThenClearingHarvestGivesSameBitsThenNothing";
  static final String CONCURRENT = "concurrentWritersRacingHarvests_loseNoWrite";
  static final String MAP = "mapUnmap_matchesReferencePageTable";
  static final String REWRITE = "rewriteAfterClearingHarvest_isReportedAgain";
  static final String ROUND_TRIP = "saveResume_roundTripYieldsEqualState";
  static final String STATES = "setState_followsFsmPathsAndRefusalsChangeNothing";
  static final String LOGGING = "dmaLogging_reportsExactlyTheGranulesWrittenSinceTheLastReport";

  @Test
  void contract_failsForDomainDroppingTheLastEntryOfATable() throws Exception {
    Map<String, Outcome> outcomes =
        ContractRunner.run(
            domainContract(broken("drops-511", BrokenTwins.DropsLastEntryOfTable::new)),
            HARVEST,
            NO_CLEAR,
            CONCURRENT,
            MAP);
    assertEquals(
        Map.of(HARVEST, FAILED, NO_CLEAR, FAILED, CONCURRENT, FAILED, MAP, PASSED), outcomes);
  }

  @Test
  void contract_failsForDomainForgettingTheInvalidation() throws Exception {
    // Deterministic catches only: the concurrent property may or may not catch it, by scheduling.
    Map<String, Outcome> outcomes =
        ContractRunner.run(
            domainContract(broken("no-invalidation", BrokenTwins.ForgetsInvalidation::new)),
            REWRITE,
            HARVEST,
            MAP);
    assertEquals(Map.of(REWRITE, FAILED, HARVEST, FAILED, MAP, PASSED), outcomes);
  }

  /**
   * The mock realigns its harvest walk to leaf boundaries; claiming that it carries the start
   * offset (as Arm's walker does) must make the partial harvests disagree with the oracle, and only
   * them.
   */
  @Test
  void contract_failsForDomainClaimingACarriedStartOffsetItDoesNotHave() throws Exception {
    Map<String, Outcome> outcomes =
        ContractRunner.run(
            domainContract(
                broken(
                    "claims-carried-offset",
                    BrokenTwins.DelegatingDomain::new,
                    Set.of(IommuCapability.HARVEST_CARRIES_START_OFFSET))),
            HARVEST,
            NO_CLEAR,
            MAP);
    assertEquals(Map.of(HARVEST, FAILED, NO_CLEAR, PASSED, MAP, PASSED), outcomes);
  }

  static final String UNMAP = "unmap_holesMidLeafStartsAndEmptyRanges_answerAsTheKernel";
  static final String UNMAP_DIRTY = "unmapReadingDirty_racingDmaWrites_losesNoWrite";
  static final String SPLIT_EVERY = "split_toEverySmallerSize_givesLeavesOfThatSize";
  static final String SPLIT = "splitCollapse_preserveTranslationsAndDirtyState";
  static final String FREE = "free_returnsEveryTableFrame";

  /** The interface's default unmap-reading-dirty loses writes that race it. */
  @Test
  void contract_failsForDomainReadingDirtyThenUnmapping() throws Exception {
    assertEquals(
        Map.of(UNMAP_DIRTY, FAILED, HARVEST, PASSED, UNMAP, PASSED),
        ContractRunner.run(
            domainContract(broken("reads-then-unmaps", BrokenTwins.ReadsThenUnmaps::new)),
            UNMAP_DIRTY,
            HARVEST,
            UNMAP));
  }

  @Test
  void contract_failsForDomainSkippingHolesOnUnmap() throws Exception {
    assertEquals(
        Map.of(UNMAP, FAILED, MAP, PASSED),
        ContractRunner.run(
            domainContract(broken("skips-holes", BrokenTwins.SkipsHoles::new)), UNMAP, MAP));
  }

  /** Over a mock with 4 KiB, 2 MiB and 1 GiB leaves, so that the smallest is not the only size. */
  @Test
  void contract_failsForDomainSplittingOnlyToTheSmallestSize() throws Exception {
    assertEquals(
        Map.of(SPLIT_EVERY, FAILED, SPLIT, PASSED),
        ContractRunner.run(
            domainContract(
                broken(
                    "splits-to-smallest",
                    MockIommuDriver.createWithGiantPages(),
                    BrokenTwins.SplitsToTheSmallest::new,
                    Set.of())),
            SPLIT_EVERY,
            SPLIT));
  }

  @Test
  void contract_failsForDomainLeakingFramesOnFree() throws Exception {
    assertEquals(
        Map.of(FREE, FAILED, MAP, PASSED),
        ContractRunner.run(
            domainContract(broken("leaks", BrokenTwins.LeaksOnFree::new)), FREE, MAP));
  }

  @Test
  void contract_failsForDeviceLosingAChunkOfItsState() throws Exception {
    assertEquals(
        Map.of(ROUND_TRIP, FAILED, STATES, PASSED),
        ContractRunner.run(lossyContract(), ROUND_TRIP, STATES));
  }

  @Test
  void contract_failsForTrackerMissingWrites() throws Exception {
    assertEquals(
        Map.of(LOGGING, FAILED, ROUND_TRIP, PASSED),
        ContractRunner.run(lossyLogContract(), LOGGING, ROUND_TRIP));
  }

  static final String RUN_DIRTY = "dirty_anyItemOfALeafMakesItDirtyAndClearingCleansEveryItem";
  static final String LEAF = "leaf_addressAndSizeRoundTripForEverySizeAndBoundary";
  static final String BEST = "bestPageSize_equalsBruteForce";

  /**
   * A harvest that reads a contiguous run's dirty state from its first entry only misses a dirty
   * update landing on any other entry; with the engine's harvest the same contract passes.
   */
  @Test
  void formatContract_failsForHarvestReadingOnlyTheFirstEntryOfARun() throws Exception {
    assertEquals(
        Map.of(RUN_DIRTY, PASSED, LEAF, PASSED, BEST, PASSED),
        ContractRunner.run(
            new BrokenTwins.ContiguousFormatContract(PageTable::readAndClearDirty),
            RUN_DIRTY,
            LEAF,
            BEST));
    assertEquals(
        Map.of(RUN_DIRTY, FAILED, LEAF, PASSED, BEST, PASSED),
        ContractRunner.run(
            new BrokenTwins.ContiguousFormatContract(BrokenTwins::readsFirstEntryOfRunOnly),
            RUN_DIRTY,
            LEAF,
            BEST));
  }
}
