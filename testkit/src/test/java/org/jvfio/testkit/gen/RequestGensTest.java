package org.jvfio.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.testkit.Property;

class RequestGensTest {
  private static void assertValid(Map<String, Errno> violations, Optional<Errno> expected) {
    assertEquals(Map.of(), violations);
    assertEquals(Optional.empty(), expected);
  }

  private static void assertExactlyOne(Map<String, Errno> violations, Optional<Errno> expected) {
    assertEquals(1, violations.size(), "violations " + violations);
    assertEquals(expected, Optional.of(violations.values().iterator().next()));
  }

  @Test
  void validStarts_passEveryStartCheck() {
    Set<String> seen = new HashSet<>();
    Property.check(
        "valid DMA logging START",
        DmaLoggingGens.validStarts(256),
        c -> {
          assertValid(SpecChecks.start(c), c.expected());
          assertEquals(Optional.empty(), SpecChecks.startInKernelOrder(c));
          assertTrue(SpecChecks.powerOfTwo(c.pageSize()) && c.pageSize() >= 4096);
          if (c.ranges().stream().anyMatch(r -> Long.compareUnsigned(r.iova(), 1L << 63) > 0)) {
            seen.add("high");
          }
          if (c.numRanges() > 128) {
            seen.add("many");
          }
        });
    assertEquals(Set.of("high", "many"), seen);
  }

  @Test
  void invalidStarts_violateExactlyTheClaimedCheck() {
    Set<String> seen = new HashSet<>();
    Property.check(
        "invalid DMA logging START",
        DmaLoggingGens.invalidStarts(),
        c -> {
          Map<String, Errno> v = SpecChecks.start(c);
          assertExactlyOne(v, c.expected());
          assertEquals(c.expected(), SpecChecks.startInKernelOrder(c));
          seen.addAll(v.keySet());
          if (c.ranges().stream().anyMatch(r -> r.iova() + r.length() == 0 && r.length() != 0)) {
            seen.add("ends at 2^64-1");
          }
        });
    assertEquals(
        Set.of(
            "num_ranges == 0",
            "num_ranges > LOG_MAX_RANGES",
            "range not aligned to page_size",
            "iova + length overflows",
            "ranges overlap",
            "ends at 2^64-1"),
        seen);
  }

  @Test
  void validReports_passEveryReportCheck() {
    Property.check(
        "valid DMA logging REPORT",
        DmaLoggingGens.validReports(),
        c -> {
          assertValid(SpecChecks.report(c), c.expected());
          assertTrue(c.length() != 0 && c.range().isAlignedTo(c.pageSize()));
        });
  }

  @Test
  void invalidReports_violateExactlyTheClaimedCheck() {
    Set<String> seen = new HashSet<>();
    Property.check(
        "invalid DMA logging REPORT",
        DmaLoggingGens.invalidReports(),
        c -> {
          Map<String, Errno> v = SpecChecks.report(c);
          assertExactlyOne(v, c.expected());
          seen.addAll(v.keySet());
        });
    assertEquals(Set.of("page_size < 4K or not a power of two", "iova + length overflows"), seen);
  }

  @Test
  void validGetDirtyBitmap_passesEveryCheck_includingRangesEndingAtTheTop() {
    for (long alignment : new long[] {1, 4096, 1L << 21}) {
      boolean[] top = {false};
      Property.check(
          "valid GET_DIRTY_BITMAP, iova_alignment " + alignment,
          DirtyBitmapGens.valid(alignment),
          c -> {
            assertValid(SpecChecks.getDirtyBitmap(c), c.expected());
            assertTrue(c.length() != 0 && SpecChecks.powerOfTwo(c.pageSize()));
            top[0] |= c.range().last() == -1L;
          });
      assertTrue(top[0], "no range ending at 2^64-1");
    }
  }

  @Test
  void invalidGetDirtyBitmap_violatesExactlyTheClaimedCheck() {
    for (long alignment : new long[] {2, 4096, 1L << 21}) {
      Set<String> seen = new HashSet<>();
      Property.check(
          "invalid GET_DIRTY_BITMAP, iova_alignment " + alignment,
          DirtyBitmapGens.invalid(alignment),
          c -> {
            Map<String, Errno> v = SpecChecks.getDirtyBitmap(c);
            assertExactlyOne(v, c.expected());
            seen.addAll(v.keySet());
          });
      assertEquals(
          Set.of(
              "unknown flags or __reserved",
              "iova + length - 1 overflows",
              "not aligned to iova_alignment",
              "page_size == 0",
              "not aligned to page_size"),
          seen);
    }
  }

  @Test
  void specChecks_catchBrokenCases() {
    // The checks above are only worth something if they can fail.
    IovaRange top = new IovaRange(-4096L, 4096);
    assertEquals(
        Map.of("iova + length overflows", Errno.EOVERFLOW),
        SpecChecks.start(new DmaLoggingStartCase(4096, java.util.List.of(top), Optional.empty())));
    assertEquals(
        Map.of(),
        SpecChecks.getDirtyBitmap(
            new GetDirtyBitmapCase(0, 0, -4096L, 4096, 4096, 4096, Optional.empty())));
    assertEquals(
        Map.of("ranges overlap", Errno.EINVAL),
        SpecChecks.start(
            new DmaLoggingStartCase(
                4096,
                java.util.List.of(new IovaRange(0, 8192), new IovaRange(4096, 4096)),
                Optional.empty())));
    assertEquals(
        Set.of(Errno.EINVAL),
        Set.copyOf(
            SpecChecks.report(new DmaLoggingReportCase(0, 4096, 4096 * 3, Optional.empty()))
                .values()));
  }
}
