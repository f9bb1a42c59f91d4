package org.jvfio.core.vfio;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingControl;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingRange;
import org.jvfio.api.vfio.VfioDeviceFeatureDmaLoggingReport;
import org.jvfio.api.vfio.VfioDeviceFeatureMigDataSize;
import org.jvfio.api.vfio.VfioPrecopyInfo;

/**
 * Round trips between the typed VFIO records and their {@code org.jvfio.api.vfio} structs: typed →
 * struct → bytes → struct → typed gives the same record, and struct → typed → struct the same
 * struct for every struct the typed record can represent.
 */
class StructConversionTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);

  /** Encodes {@code struct} into {@code size} bytes and decodes it again. */
  private static <S> S throughBytes(
      S struct, int size, BiConsumer<S, ByteBuffer> encode, Function<ByteBuffer, S> decode) {
    ByteBuffer buf = ByteBuffer.allocate(size);
    encode.accept(struct, buf);
    assertEquals(size, buf.position());
    return decode.apply(buf.flip());
  }

  @Test
  void dmaLoggingRange_roundTrip_isIdentity() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      DmaLoggingRange r = new DmaLoggingRange(random.nextLong(), random.nextLong());
      VfioDeviceFeatureDmaLoggingRange s =
          throughBytes(
              r.toStruct(),
              VfioDeviceFeatureDmaLoggingRange.SIZE,
              VfioDeviceFeatureDmaLoggingRange::encode,
              VfioDeviceFeatureDmaLoggingRange::decode);
      assertEquals(r, DmaLoggingRange.fromStruct(s), "seed " + SEED + " case " + r);
      assertEquals(s, DmaLoggingRange.fromStruct(s).toStruct(), "seed " + SEED);
    }
  }

  @Test
  void dmaLoggingControl_roundTrip_keepsPageSizeRangesAndPointer() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      List<DmaLoggingRange> ranges = new ArrayList<>();
      for (int n = random.nextInt(4); n > 0; n--) {
        ranges.add(new DmaLoggingRange(random.nextLong(), random.nextLong()));
      }
      DmaLoggingControl c = new DmaLoggingControl(random.nextLong(), ranges);
      long pointer = random.nextLong();
      VfioDeviceFeatureDmaLoggingControl s =
          throughBytes(
              c.toStruct(pointer),
              VfioDeviceFeatureDmaLoggingControl.SIZE,
              VfioDeviceFeatureDmaLoggingControl::encode,
              VfioDeviceFeatureDmaLoggingControl::decode);
      String message = "seed " + SEED + " case " + c;
      assertEquals(ranges.size(), s.numRanges(), message);
      assertEquals(0, s.reserved(), message);
      assertEquals(pointer, s.ranges(), message);
      assertEquals(c, DmaLoggingControl.fromStruct(s, ranges), message);
    }
  }

  @Test
  void dmaLoggingControl_fromStructWithWrongRangeCount_isRefused() {
    VfioDeviceFeatureDmaLoggingControl s = new VfioDeviceFeatureDmaLoggingControl(4096, 2, 0, 0);
    assertThrows(
        IllegalArgumentException.class,
        () -> DmaLoggingControl.fromStruct(s, List.of(new DmaLoggingRange(0, 4096))));
  }

  @Test
  void dmaLoggingReport_roundTrip_keepsBitmapPointer() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      DmaLoggingReport r =
          new DmaLoggingReport(random.nextLong(), random.nextLong(), random.nextLong());
      long bitmap = random.nextLong();
      VfioDeviceFeatureDmaLoggingReport s =
          throughBytes(
              r.toStruct(bitmap),
              VfioDeviceFeatureDmaLoggingReport.SIZE,
              VfioDeviceFeatureDmaLoggingReport::encode,
              VfioDeviceFeatureDmaLoggingReport::decode);
      assertEquals(bitmap, s.bitmap(), "seed " + SEED);
      assertEquals(r, DmaLoggingReport.fromStruct(s), "seed " + SEED + " case " + r);
      assertEquals(s, DmaLoggingReport.fromStruct(s).toStruct(s.bitmap()), "seed " + SEED);
    }
  }

  @Test
  void precopyInfo_roundTrip_setsArgszAndZeroFlags() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      PrecopyInfo p = new PrecopyInfo(random.nextLong(), random.nextLong());
      VfioPrecopyInfo s =
          throughBytes(
              p.toStruct(), VfioPrecopyInfo.SIZE, VfioPrecopyInfo::encode, VfioPrecopyInfo::decode);
      assertEquals(new VfioPrecopyInfo(24, 0, p.initialBytes(), p.dirtyBytes()), s);
      assertEquals(p, PrecopyInfo.fromStruct(s), "seed " + SEED + " case " + p);
    }
  }

  @Test
  void migDataSize_roundTrip_isIdentity() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      MigDataSize m = new MigDataSize(random.nextLong());
      VfioDeviceFeatureMigDataSize s =
          throughBytes(
              m.toStruct(),
              VfioDeviceFeatureMigDataSize.SIZE,
              VfioDeviceFeatureMigDataSize::encode,
              VfioDeviceFeatureMigDataSize::decode);
      assertEquals(m, MigDataSize.fromStruct(s), "seed " + SEED + " case " + m);
      assertEquals(s, MigDataSize.fromStruct(s).toStruct(), "seed " + SEED);
    }
  }
}
