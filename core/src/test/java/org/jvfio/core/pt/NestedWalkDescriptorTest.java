package org.jvfio.core.pt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.core.hw.NestedFault;
import org.jvfio.core.hw.Translation;

/**
 * Example tables for the Arm context descriptor checks of {@link NestedWalk} (SMMUv3 5.4, "Context
 * Descriptor"): V, AA64, a 4 KiB TG0, T0SZ 16 to 39, EPD0 and the input size. Stage 2 is the
 * identity over a map of guest words; a descriptor the walk accepts goes on to read the empty
 * stage-1 table and faults NOT_PRESENT there.
 */
class NestedWalkDescriptorTest {
  private static final long CD = 0x8000;
  private static final long TTB0 = 0x10_0000;
  private static final long V = 1L << 31;
  private static final long AA64 = 1L << 41;

  private final Map<Long, Long> words = new HashMap<>();
  private NestedFault.Cause cause;
  private long faultGpa;

  private final NestedWalk.Stage2 s2 =
      new NestedWalk.Stage2() {
        @Override
        public Translation tableRead(long gpa) {
          return new Translation(gpa & -4096L, 4096, gpa & -4096L, true, true, true, 0, 0);
        }

        @Override
        public long word(long gpa) {
          return words.getOrDefault(gpa, 0L);
        }

        @Override
        public int update(long gpa, long expected, long update, Translation t) {
          throw new AssertionError("no hardware updates on an Arm stage 1");
        }

        @Override
        public void fault(NestedFault.Cause c, long gpa) {
          cause = c;
          faultGpa = gpa;
        }
      };

  /** An LPAE-like stage 1 of {@code bits} input bits: 4 KiB granule, top as low as it fits. */
  private static Optional<PtFormat> format(int bits) {
    int top = (bits - 13) / 9;
    return Optional.of(
        PtFormat.builder("s1-" + bits)
            .geometry(12, 9, top, top, bits)
            .presentBit(1)
            .leaf(0, 3, 3, 3, 0x1000L)
            .dirty(1L << 51, 1L << 51, -1L, 0, -1L, 0)
            .describer((e, level) -> "L" + level)
            .build());
  }

  private NestedFault.Cause walk(long cd0, long iova) {
    words.put(CD, cd0);
    words.put(CD + 8, TTB0);
    cause = null;
    assertNull(
        NestedWalk.armContextDescriptor(NestedWalkDescriptorTest::format, CD)
            .walk(iova, false, s2));
    return cause;
  }

  @Test
  void walk_validDescriptorsAtBothT0szEnds_walkStage1() {
    for (int t0sz : new int[] {16, 39}) {
      assertEquals(NestedFault.Cause.NOT_PRESENT, walk(V | AA64 | t0sz, 0x1000), "T0SZ " + t0sz);
      assertEquals(TTB0, faultGpa & -4096L, "T0SZ " + t0sz + ": the stage-1 top table");
    }
  }

  @Test
  void walk_badDescriptor_faultsBadContextAtTheDescriptor() {
    long ok = V | AA64 | 25;
    for (long cd0 :
        new long[] {
          ok & ~V, ok & ~AA64, ok | (1L << 6), ok | (2L << 6), (ok & ~0x3F) | 15, (ok & ~0x3F) | 40
        }) {
      assertEquals(NestedFault.Cause.BAD_CONTEXT, walk(cd0, 0x1000), Long.toHexString(cd0));
      assertEquals(CD, faultGpa);
    }
  }

  @Test
  void walk_epd0_faultsNotPresentAtTheDescriptor() {
    assertEquals(NestedFault.Cause.NOT_PRESENT, walk(V | AA64 | 25 | (1L << 14), 0x1000));
    assertEquals(CD, faultGpa);
  }

  @Test
  void walk_iovaAboveTheInputSize_faultsAddressSize() {
    assertEquals(NestedFault.Cause.ADDRESS_SIZE, walk(V | AA64 | 25, 1L << 39));
    assertEquals(NestedFault.Cause.NOT_PRESENT, walk(V | AA64 | 25, (1L << 39) - 4096));
  }

  @Test
  void toString_namesTheKindOfWalkAndItsAddress() {
    assertEquals(
        "Arm context descriptor 0x8000",
        NestedWalk.armContextDescriptor(NestedWalkDescriptorTest::format, CD).toString());
    PtFormat x86 = format(39).orElseThrow();
    assertEquals("x86-64 " + x86 + " root 0x100000", NestedWalk.x86(x86, TTB0).toString());
  }
}
