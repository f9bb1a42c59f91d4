package org.jvfio.testkit.fake;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_DIRTY_TRACKING;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.GetDirtyBitmap;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IoasMap;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.testkit.Property;
import org.jvfio.testkit.gen.DmaWorkload;
import org.jvfio.testkit.gen.DmaWorkloadGens;
import org.jvfio.testkit.gen.DmaWrite;
import org.jvfio.testkit.gen.Mapping;
import org.jvfio.testkit.gen.MappingLayout;
import org.jvfio.testkit.oracle.ReferenceDirtyModel;

class FakeGuestTest {
  static final long MEM = 1L << 32;
  static final long IOVA = 1L << 30;
  static final long LEN = 1L << 20;
  static final long PAGE = 4096;
  static final MappingLayout LAYOUT = new MappingLayout(List.of(new Mapping(IOVA, LEN, PAGE)));

  /** An iommufd with one device behind a 4 KiB-only mock, tracking dirty IOVA over LEN. */
  static final class Setup {
    final IommufdContext fd = IommufdContext.create(GuestMemory.create(MEM, LEN, 1));
    final int dev = fd.bindDevice(MockIommuDriver.create(true, false), DmaWriteListener.NONE);
    final int hwpt;

    Setup() {
      int ioas = fd.ioasAlloc(0);
      hwpt = fd.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, dev, ioas));
      fd.attach(dev, hwpt);
      fd.ioasMap(ioas, IoasMap.fixed(MEM, LEN, IOVA));
      fd.hwptSetDirtyTracking(hwpt, 1);
    }

    long[] harvest() {
      long[] data = new long[(int) IovaBitmap.wordCount(LEN, PAGE)];
      fd.hwptGetDirtyBitmap(GetDirtyBitmap.of(hwpt, 0, IOVA, LEN, PAGE), data);
      return data;
    }
  }

  @Test
  void run_throughIommufd_harvestEqualsTheModel() {
    Property.named("a guest's DMA is what iommufd harvests")
        .withTries(50)
        .forAll(
            DmaWorkloadGens.perThread(LAYOUT, 2, 20),
            workload -> {
              Setup s = new Setup();
              ReferenceDirtyModel model = ReferenceDirtyModel.atGranule(PAGE);
              FakeGuest guest = FakeGuest.of(s.fd, s.dev).recordingInto(model);
              DmaResult r = guest.runConcurrently(workload);
              assertEquals(0, r.faults());
              assertEquals(workload.writes().stream().mapToLong(DmaWrite::length).sum(), r.bytes());
              assertArrayEquals(model.expectedBitmap(IOVA, LEN, PAGE).words(), s.harvest());
              guest.checkInvariants();
            });
  }

  @Test
  void write_unmapped_countsFaultsAndRecordsOnlyPossiblyDirty() {
    Setup s = new Setup();
    ReferenceDirtyModel model = ReferenceDirtyModel.atGranule(PAGE);
    FakeGuest guest = FakeGuest.of(s.fd, s.dev).recordingInto(model);
    DmaResult r = guest.write(IOVA + LEN - PAGE, 2 * PAGE); // the second page is unmapped
    assertEquals(new DmaResult(PAGE, 1), r);
    assertEquals(0, model.expectedBitmap(IOVA, LEN, PAGE).cardinality());
    assertEquals(1, model.allowedBitmap(IOVA, LEN, PAGE).cardinality());
    assertEquals(1, guest.faults());
    guest.run(new DmaWorkload(List.of(List.of(new DmaWrite(IOVA, 1)))));
    assertEquals(2, guest.writes());
    guest.checkInvariants();
  }

  @Test
  void checkInvariants_inconsistentResult_fails() {
    FakeGuest guest = FakeGuest.of((iova, length) -> new DmaResult(length - 1, 0));
    guest.write(0, 10);
    assertThrows(AssertionError.class, guest::checkInvariants);
  }
}
