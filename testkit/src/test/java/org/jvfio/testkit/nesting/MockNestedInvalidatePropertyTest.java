package org.jvfio.testkit.nesting;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_INVALIDATE_FLAG_ALL;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_NESTED_DOMAIN_IOTLB_ID_MAX;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_NESTED_DOMAIN_IOTLB_NUM;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptInvalidateSelftest;
import org.jvfio.api.iommufd.IommuHwptSelftest;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.nesting.HwptInvalidateResult;
import org.jvfio.core.nesting.MockNestedDomain;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.nesting.UserDataArray;
import org.jvfio.core.spi.MockIommuDriver;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Property;
import org.opentest4j.AssertionFailedError;

/**
 * {@code IOMMU_HWPT_INVALIDATE} on the selftest mock's nested HWPT against a reference model, an
 * array of {@code MOCK_NESTED_DOMAIN_IOTLB_NUM} (4) ints: for random sequences of calls (the right
 * data type or another, {@code entry_len} 8 or not, entries with good and bad flags and {@code
 * iotlb_id}s, arrays that end before {@code entry_num}), each call's {@code entry_num} written back
 * and errno, and every mock IOTLB entry after it, equal the reference's ({@code
 * iommufd_hwpt_invalidate}'s generic checks, then {@code mock_domain_cache_invalidate_user} entry
 * by entry, stopping at the first bad one). A broken twin that lets {@code
 * IOMMU_TEST_INVALIDATE_FLAG_ALL} skip the {@code iotlb_id} range check must fail the property.
 */
class MockNestedInvalidatePropertyTest {
  private static final int SIZE = IommuHwptInvalidateSelftest.SIZE;

  /** One {@code IOMMU_HWPT_INVALIDATE}: its readable entries; {@code entryNum} may count more. */
  record Call(int type, int entryLen, int entryNum, List<IommuHwptInvalidateSelftest> entries) {}

  /** A scenario: the allocation's {@code iotlb} value and the calls in order. */
  record Scenario(int iotlb, List<Call> calls) {}

  private static final Gen<IommuHwptInvalidateSelftest> ENTRIES =
      Gen.zip(
          Gen.frequency(
              Map.entry(6, Gen.constant(0)),
              Map.entry(3, Gen.constant(IOMMU_TEST_INVALIDATE_FLAG_ALL)),
              Map.entry(1, Gen.oneOf(2, IOMMU_TEST_INVALIDATE_FLAG_ALL | 4, 1 << 31, -1))),
          Gen.frequency(
              Map.entry(8, Gen.ints(0, MOCK_NESTED_DOMAIN_IOTLB_ID_MAX)),
              Map.entry(2, Gen.oneOf(MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1, 1 << 31, -1))),
          IommuHwptInvalidateSelftest::new);

  private record Shape(int type, int entryLen) {}

  /** The readable entries, and whether {@code entry_num} counts one more past them. */
  private record Entries(List<IommuHwptInvalidateSelftest> entries, int pastTheEnd) {}

  private static final Gen<Call> CALLS =
      Gen.zip(
          Gen.zip(
              Gen.frequency(
                  Map.entry(9, Gen.constant(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST)),
                  Map.entry(1, Gen.constant(IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID))),
              Gen.frequency(
                  Map.entry(8, Gen.constant(SIZE)), Map.entry(2, Gen.oneOf(0, 1, 7, 9, 16))),
              Shape::new),
          Gen.zip(Gen.lists(ENTRIES, 0, 4), Gen.ints(0, 1), Entries::new),
          (shape, e) ->
              new Call(
                  shape.type(),
                  shape.entryLen(),
                  e.entries().size() + e.pastTheEnd(),
                  e.entries()));

  private static final Gen<Scenario> SCENARIOS =
      Gen.zip(Gen.oneOf(0xbadbeef, 1, -1), Gen.lists(CALLS, 1, 12), Scenario::new);

  /** The reference: the result of {@code c} on {@code tlb}, which it updates. */
  static HwptInvalidateResult reference(int[] tlb, Call c) {
    if (c.entryNum() != 0 && c.entryLen() == 0) {
      return HwptInvalidateResult.failed(0, Errno.EINVAL);
    }
    if (c.type() != IOMMU_HWPT_INVALIDATE_DATA_SELFTEST) {
      return HwptInvalidateResult.failed(0, Errno.EINVAL);
    }
    for (int i = 0; i < c.entryNum(); i++) {
      if (c.entryLen() != SIZE) {
        return HwptInvalidateResult.failed(i, Errno.EINVAL);
      }
      if (i >= c.entries().size()) {
        return HwptInvalidateResult.failed(i, Errno.EFAULT);
      }
      IommuHwptInvalidateSelftest e = c.entries().get(i);
      if ((e.flags() & ~IOMMU_TEST_INVALIDATE_FLAG_ALL) != 0) {
        return HwptInvalidateResult.failed(i, Errno.EOPNOTSUPP);
      }
      if (e.iotlbId() < 0 || e.iotlbId() > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX) {
        return HwptInvalidateResult.failed(i, Errno.EINVAL);
      }
      if (e.flags() == IOMMU_TEST_INVALIDATE_FLAG_ALL) {
        Arrays.fill(tlb, 0);
      } else {
        tlb[e.iotlbId()] = 0;
      }
    }
    return HwptInvalidateResult.ok(c.entryNum());
  }

  /** The array of a call: its entries at a stride of {@code entry_len}, readable to the end. */
  static UserDataArray array(Call c) {
    int stride = Math.max(c.entryLen(), 1);
    ByteBuffer b = ByteBuffer.allocate(stride * c.entries().size()).order(ByteOrder.LITTLE_ENDIAN);
    ByteBuffer one = ByteBuffer.allocate(Math.max(SIZE, stride)).order(ByteOrder.LITTLE_ENDIAN);
    for (IommuHwptInvalidateSelftest e : c.entries()) {
      e.encode(one.clear());
      b.put(one.array(), 0, stride);
    }
    return UserDataArray.of(c.type(), c.entryLen(), c.entryNum(), b.array());
  }

  /** Runs a scenario on a fresh context through {@code rewrite}, checking every call. */
  static void check(Scenario s, UnaryOperator<Call> rewrite) {
    IommufdContext ctx = IommufdContext.create(GuestMemory.create(0x10_0000_0000L, 1L << 20, 1));
    int ioas = ctx.ioasAlloc(0);
    int dev = ctx.bindDevice(MockIommuDriver.createSelftest(true), DmaWriteListener.NONE);
    int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
    ByteBuffer data = ByteBuffer.allocate(IommuHwptSelftest.SIZE);
    new IommuHwptSelftest(s.iotlb(), 0).encode(data);
    UserData user = UserData.of(IOMMU_HWPT_DATA_SELFTEST, data.array());
    int nested =
        ctx.hwptAlloc(new HwptAlloc(0, dev, parent, 0, user.type(), (int) user.length(), 0), user);
    MockNestedDomain domain = (MockNestedDomain) ctx.nesting().domain(nested);
    int[] tlb = new int[MOCK_NESTED_DOMAIN_IOTLB_NUM];
    Arrays.fill(tlb, s.iotlb());
    for (Call c : s.calls()) {
      HwptInvalidateResult want = reference(tlb, c);
      HwptInvalidateResult got = ctx.nesting().hwptInvalidate(nested, array(rewrite.apply(c)), 0);
      assertEquals(want, got, () -> "call " + c);
      int[] entries = new int[MOCK_NESTED_DOMAIN_IOTLB_NUM];
      Arrays.setAll(entries, domain::iotlb);
      assertArrayEquals(tlb, entries, () -> "the mock IOTLB after " + c);
    }
  }

  @Test
  void hwptInvalidate_matchesTheReferenceIotlb() {
    Property.named("mock nested IOTLB invalidation")
        .forAll(SCENARIOS, s -> check(s, UnaryOperator.identity()));
  }

  /** The twin: a {@code FLAG_ALL} entry's {@code iotlb_id} never reaches the range check. */
  @Test
  void brokenTwin_flagAllSkippingTheIotlbIdCheck_isCaught() {
    UnaryOperator<Call> flagAllIgnoresId =
        c ->
            new Call(
                c.type(),
                c.entryLen(),
                c.entryNum(),
                c.entries().stream()
                    .map(
                        e ->
                            e.flags() == IOMMU_TEST_INVALIDATE_FLAG_ALL
                                ? new IommuHwptInvalidateSelftest(e.flags(), 0)
                                : e)
                    .toList());
    assertThrows(
        AssertionFailedError.class,
        () ->
            Property.named("twin: FLAG_ALL skips the iotlb_id check")
                .forAll(SCENARIOS, s -> check(s, flagAllIgnoresId)));
  }
}
