package org.jvfio.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;

class ShapeGensTest {
  private static final long K4 = 4096;

  private record Case(MappingLayout layout, DmaWorkload workload) {}

  @Test
  void iovaGens_produceTheShapesTheyName() {
    for (long a : new long[] {2, K4, 1L << 21, 1L << 62}) {
      Property.check(
          "aligned " + a,
          IovaGens.aligned(a, 64),
          r -> {
            assertTrue(r.isAlignedTo(a) && r.length() != 0, r.toString());
            assertFalse(r.endOverflows());
          });
      Property.check(
          "unaligned " + a,
          IovaGens.unaligned(a, 64),
          r -> {
            assertFalse(r.isAlignedTo(a), r.toString());
            assertTrue(r.length() != 0 && !r.endOverflows());
          });
      boolean[] atTop = {false};
      Property.check(
          "ending at top " + a,
          IovaGens.endingAtTop(a, 64),
          r -> {
            assertTrue(r.isAlignedTo(a) && !r.lastOverflows(), r.toString());
            long below = -1L - r.last();
            assertTrue(below % a == 0 && below / a <= 2, r.toString());
            atTop[0] |= r.last() == -1L && r.endOverflows();
          });
      assertTrue(atTop[0]);
      Property.check(
          "wrapping " + a,
          IovaGens.wrapping(a, 64),
          r -> assertTrue(r.isAlignedTo(a) && r.lastOverflows(), r.toString()));
      Property.check(
          "fitting " + a,
          IovaGens.fitting(a, 64),
          r -> assertTrue(r.isAlignedTo(a) && !r.endOverflows(), r.toString()));
    }
  }

  @Test
  void iovaRange_overflowPredicates_atTheBoundary() {
    assertTrue(new IovaRange(-4096L, 4096).endOverflows());
    assertFalse(new IovaRange(-4096L, 4096).lastOverflows());
    assertTrue(new IovaRange(-4096L, 8192).lastOverflows());
    assertFalse(new IovaRange(-8192L, 4096).endOverflows());
  }

  @Test
  void pageSizeGens_validAndInvalid() {
    Set<Long> standard = new HashSet<>();
    Property.check("standard", PageSizeGens.standard(), standard::add);
    assertEquals(Set.of(K4, 1L << 21, 1L << 30), standard);
    Property.check(
        "powers of two",
        PageSizeGens.powersOfTwo(),
        p -> assertTrue(Long.bitCount(p) == 1 && p >= K4, Long.toHexString(p)));
    Property.check(
        "invalid",
        PageSizeGens.invalid(),
        p -> assertTrue(Long.bitCount(p) != 1 || p < K4, Long.toHexString(p)));
  }

  @Test
  void layouts_areSortedDisjointAlignedAndMixSizes() {
    Set<Long> sizes = new HashSet<>();
    boolean[] adjacent = {false};
    Property.check(
        "layouts",
        LayoutGens.layouts(16, 8),
        l -> {
          List<Mapping> ms = l.mappings();
          for (int i = 0; i < ms.size(); i++) {
            Mapping m = ms.get(i);
            assertTrue(m.range().isAlignedTo(m.pageSize()), m.toString());
            assertTrue(Long.compareUnsigned(m.range().last(), 1L << 48) < 0);
            sizes.add(m.pageSize());
            if (i > 0) {
              long prevEnd = ms.get(i - 1).iova() + ms.get(i - 1).length();
              assertTrue(Long.compareUnsigned(prevEnd, m.iova()) <= 0, l.toString());
              adjacent[0] |= prevEnd == m.iova();
            }
          }
        });
    assertEquals(Set.of(K4, 1L << 21, 1L << 30), sizes);
    assertTrue(adjacent[0]);
  }

  @Test
  void workloads_stayInsideMappings_unmappedOnesOutside() {
    Gen<MappingLayout> layouts = LayoutGens.layouts(8, 4);
    Property.check(
        "workloads inside the layout",
        layouts.flatMap(
            l ->
                Gen.choose(DmaWorkloadGens.any(l, 32), DmaWorkloadGens.perThread(l, 3, 16))
                    .map(w -> new Case(l, w))),
        c -> {
          assertFalse(c.workload().writes().isEmpty());
          for (DmaWrite d : c.workload().writes()) {
            Mapping m =
                c.layout().find(d.iova()).orElseThrow(() -> new AssertionError("unmapped " + d));
            assertTrue(Long.compareUnsigned(d.iova() + d.length() - 1, m.range().last()) <= 0);
          }
        });
    Property.check(
        "unmapped writes",
        layouts.flatMap(l -> DmaWorkloadGens.unmapped(l, 8).map(w -> new Case(l, w))),
        c -> {
          for (DmaWrite d : c.workload().writes()) {
            assertTrue(c.layout().find(d.iova()).isEmpty(), d.toString());
            assertTrue(c.layout().find(d.iova() + d.length() - 1).isEmpty(), d.toString());
          }
        });
  }

  @Test
  void workloadShapes_haveTheirShape() {
    MappingLayout l =
        new MappingLayout(
            List.of(new Mapping(0, 64 * K4, K4), new Mapping(1L << 21, 1L << 21, 1L << 21)));
    Property.check(
        "dense sweeps whole consecutive pages",
        DmaWorkloadGens.dense(l, 16),
        w -> {
          List<DmaWrite> ws = w.writes();
          for (int i = 0; i < ws.size(); i++) {
            assertEquals(K4, ws.get(i).length());
            assertEquals(ws.get(0).iova() + i * K4, ws.get(i).iova());
          }
        });
    Property.check(
        "hot set touches at most 4 pages",
        DmaWorkloadGens.hotSet(l, 64),
        w -> assertTrue(w.touchedPages(K4).size() <= 4, w.toString()));
    Property.check(
        "one stream per thread",
        DmaWorkloadGens.perThread(l, 4, 8),
        w -> assertEquals(4, w.streams().size()));
  }

  @Test
  void touchedPages_countsStraddlingWrites() {
    DmaWorkload w =
        new DmaWorkload(
            List.of(
                List.of(new DmaWrite(K4 - 1, 2), new DmaWrite(5 * K4, K4)),
                List.of(new DmaWrite(-1L, 1))));
    assertEquals(List.of(0L, K4, 5 * K4, -K4), List.copyOf(w.touchedPages(K4)));
    assertEquals(List.of(0L, -(1L << 21)), List.copyOf(w.touchedPages(1L << 21)));
  }
}
