package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.jvfio.api.iommufd.IommuHwInfo;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptGetDirtyBitmap;
import org.jvfio.api.iommufd.IommuIoasCopy;
import org.jvfio.api.iommufd.IommuIoasIovaRanges;
import org.jvfio.api.iommufd.IommuIoasMap;
import org.jvfio.api.iommufd.IommuIovaRange;

/**
 * Round trips between the typed iommufd records and their {@code org.jvfio.api.iommufd} structs:
 * typed → struct → bytes → struct → typed gives the same record; struct → typed → struct gives the
 * same struct whenever the struct only carries what the typed record represents.
 */
class StructConversionTest {
  private static final long SEED = Long.decode(System.getProperty("jvfio.seed", "0x5EEDF00D"));
  private static final int TRIES = Integer.getInteger("jvfio.tries", 200);

  private static <S> S throughBytes(
      S struct, int size, BiConsumer<S, ByteBuffer> encode, Function<ByteBuffer, S> decode) {
    ByteBuffer buf = ByteBuffer.allocate(size);
    encode.accept(struct, buf);
    assertEquals(size, buf.position());
    return decode.apply(buf.flip());
  }

  @Test
  void ioasMap_roundTrip_keepsEveryInputAndTheIoas() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      IoasMap m =
          new IoasMap(
              random.nextInt(),
              random.nextInt(),
              random.nextLong(),
              random.nextLong(),
              random.nextLong());
      int ioas = random.nextInt();
      IommuIoasMap s =
          throughBytes(
              m.toStruct(ioas), IommuIoasMap.SIZE, IommuIoasMap::encode, IommuIoasMap::decode);
      assertEquals(IommuIoasMap.SIZE, s.size());
      assertEquals(ioas, s.ioasId());
      assertEquals(m, IoasMap.fromStruct(s), "seed " + SEED + " case " + m);
      assertEquals(s, IoasMap.fromStruct(s).toStruct(s.ioasId()), "seed " + SEED);
    }
  }

  @Test
  void ioasCopy_roundTrip_isIdentity() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      IoasCopy c =
          new IoasCopy(
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextLong(),
              random.nextLong(),
              random.nextLong());
      IommuIoasCopy s =
          throughBytes(
              c.toStruct(), IommuIoasCopy.SIZE, IommuIoasCopy::encode, IommuIoasCopy::decode);
      assertEquals(c, IoasCopy.fromStruct(s), "seed " + SEED + " case " + c);
      assertEquals(s, IoasCopy.fromStruct(s).toStruct(), "seed " + SEED);
    }
  }

  @Test
  void hwptAlloc_roundTrip_keepsInputsAndZeroesOutputs() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      HwptAlloc a =
          new HwptAlloc(
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextInt());
      IommuHwptAlloc s =
          throughBytes(
              a.toStruct(), IommuHwptAlloc.SIZE, IommuHwptAlloc::encode, IommuHwptAlloc::decode);
      assertEquals(IommuHwptAlloc.SIZE, s.size());
      assertEquals(0, s.outHwptId());
      assertEquals(0, s.dataUptr());
      assertEquals(0, s.reserved2());
      assertEquals(a, HwptAlloc.fromStruct(s), "seed " + SEED + " case " + a);
      assertEquals(s, HwptAlloc.fromStruct(s).toStruct(), "seed " + SEED);
    }
  }

  @Test
  void getDirtyBitmap_roundTrip_keepsTheBitmapPointer() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      GetDirtyBitmap g =
          new GetDirtyBitmap(
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextLong(),
              random.nextLong(),
              random.nextLong());
      long data = random.nextLong();
      IommuHwptGetDirtyBitmap s =
          throughBytes(
              g.toStruct(data),
              IommuHwptGetDirtyBitmap.SIZE,
              IommuHwptGetDirtyBitmap::encode,
              IommuHwptGetDirtyBitmap::decode);
      assertEquals(data, s.data());
      assertEquals(g, GetDirtyBitmap.fromStruct(s), "seed " + SEED + " case " + g);
      assertEquals(s, GetDirtyBitmap.fromStruct(s).toStruct(s.data()), "seed " + SEED);
    }
  }

  @Test
  void hwInfo_toStructOfARequest_fillsOutputsAndEchoesTheRest() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      HwInfo h = new HwInfo(random.nextInt(), random.nextInt(256), random.nextLong());
      IommuHwInfo request =
          new IommuHwInfo(
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextLong(),
              random.nextInt(),
              0,
              random.nextInt(1 << 24),
              0);
      IommuHwInfo s =
          throughBytes(
              h.toStruct(request), IommuHwInfo.SIZE, IommuHwInfo::encode, IommuHwInfo::decode);
      String message = "seed " + SEED + " case " + h + " " + request;
      assertEquals(h, HwInfo.fromStruct(s), message);
      assertEquals(
          new IommuHwInfo(
              request.size(),
              request.flags(),
              request.devId(),
              0,
              request.dataUptr(),
              h.outDataType(),
              h.outMaxPasidLog2(),
              request.reserved(),
              h.outCapabilities()),
          s,
          message);
    }
  }

  @Test
  void iovaRange_roundTrip_isIdentity() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      IovaRange r = new IovaRange(random.nextLong(), random.nextLong());
      IommuIovaRange s =
          throughBytes(
              r.toStruct(), IommuIovaRange.SIZE, IommuIovaRange::encode, IommuIovaRange::decode);
      assertEquals(r, IovaRange.fromStruct(s), "seed " + SEED + " case " + r);
      assertEquals(s, IovaRange.fromStruct(s).toStruct(), "seed " + SEED);
    }
  }

  @Test
  void iovaRanges_toStructOfARequest_reportsTotalAndAlignment() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < TRIES; i++) {
      List<IovaRange> ranges = new ArrayList<>();
      for (int n = random.nextInt(5); n > 0; n--) {
        ranges.add(new IovaRange(random.nextLong(), random.nextLong()));
      }
      IovaRanges r = new IovaRanges(ranges, 1L << random.nextInt(13));
      IommuIoasIovaRanges request =
          new IommuIoasIovaRanges(
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextInt(),
              random.nextLong(),
              random.nextLong());
      IommuIoasIovaRanges s =
          throughBytes(
              r.toStruct(request),
              IommuIoasIovaRanges.SIZE,
              IommuIoasIovaRanges::encode,
              IommuIoasIovaRanges::decode);
      String message = "seed " + SEED + " case " + r + " " + request;
      assertEquals(
          new IommuIoasIovaRanges(
              request.size(),
              request.ioasId(),
              ranges.size(),
              request.reserved(),
              request.allowedIovas(),
              r.iovaAlignment()),
          s,
          message);
      assertEquals(r, IovaRanges.fromStruct(s, ranges), message);
    }
  }
}
