package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMUFD_PAGE_RESP_INVALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMUFD_PAGE_RESP_SUCCESS;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_FLAGS_LAST_PAGE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_FLAGS_PASID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_PERM_READ;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuHwptPageResponse;
import org.jvfio.api.iommufd.IommuHwptPgfault;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.nesting.UserData;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * {@link IommufdFaults} at the edges, example by example: which attachments keep a device's IOPF on
 * ({@code iommufd_fault_iopf_enable} and {@code _disable} count them per device in {@code
 * drivers/iommu/iommufd/eventq.c}; the last disable reaches {@code iopf_queue_remove_device} of
 * {@code drivers/iommu/io-pgfault.c}, which frees the device's partial faults), the groups a PASID
 * attachment leaves behind ({@code iommufd_auto_response_faults}), a read that faults after some
 * records ({@code iommufd_fault_fops_read}), where a fault without {@code PASID_VALID} goes ({@code
 * find_fault_handler} of {@code io-pgfault.c}), and the snapshot's view of a queue.
 */
class IommufdFaultsEdgesTest {
  static final int GRPID = 2;
  static final int PASID = 1;
  static final long PARTIAL_ADDR = 0x1000;
  static final long LAST_ADDR = 0x2000;

  final IommufdContext ctx = IommufdContext.create(GuestMemory.create(1L << 32, 1L << 20, 1));
  final IommufdFaults faults = ctx.faults();
  final IommufdPasid pasids = ctx.pasid();
  final int dev = ctx.bindDevice(MockIommuDriver.createSelftest(true), DmaWriteListener.NONE);
  final int ioas = ctx.ioasAlloc(0);
  final int queue = faults.alloc(0);

  IommufdFaultsEdgesTest() {
    pasids.setMaxPasids(dev, 1 << 20);
  }

  /** A PASID-compatible paging HWPT with the queue. */
  int faultHwpt() {
    return ctx.hwptAlloc(
        new HwptAlloc(
            IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID, dev, ioas, 0, 0, 0, queue));
  }

  /** A mock nested HWPT with the queue, on a new nest parent. */
  int nestedFaultHwpt() {
    int parent = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_NEST_PARENT, dev, ioas));
    return ctx.hwptAlloc(
        new HwptAlloc(
            IOMMU_HWPT_FAULT_ID_VALID, dev, parent, 0, IOMMU_HWPT_DATA_SELFTEST, 4, queue),
        UserData.of(IOMMU_HWPT_DATA_SELFTEST, new byte[4]));
  }

  /** A fault of group {@link #GRPID} that is not its last, at {@code pasid} (0 for the RID). */
  boolean partial(int pasid) {
    int flags = pasid != 0 ? IOMMU_PGFAULT_FLAGS_PASID_VALID : 0;
    return faults.reportDeviceFault(
        dev, new IopfFault(flags, pasid, GRPID, IOMMU_PGFAULT_PERM_READ, PARTIAL_ADDR));
  }

  /** The last fault of group {@link #GRPID} at {@code pasid} (0 for the RID). */
  boolean last(int pasid) {
    return faults.reportDeviceFault(
        dev, IopfFault.lastPage(pasid, GRPID, IOMMU_PGFAULT_PERM_READ, LAST_ADDR));
  }

  /** Reads up to 16 records. */
  List<IommuHwptPgfault> read() {
    List<IommuHwptPgfault> out = new ArrayList<>();
    long n = faults.read(queue, 16L * IommuHwptPgfault.SIZE, (off, r) -> out.add(r));
    assertEquals(out.size() * (long) IommuHwptPgfault.SIZE, n);
    return out;
  }

  List<Long> addrs(List<IommuHwptPgfault> records) {
    return records.stream().map(IommuHwptPgfault::addr).toList();
  }

  IopfResponse invalid(int pasid) {
    return new IopfResponse(dev, pasid, GRPID, IOMMUFD_PAGE_RESP_INVALID);
  }

  // --- which attachments keep IOPF on: the device's partial faults -------------------------------

  /** Attached to {@code hwpt} alone, a partial fault does not outlive a detach. */
  void assertDetachDropsThePartialFault(int hwpt) {
    ctx.attach(dev, hwpt);
    assertTrue(partial(0));
    ctx.detach(dev);
    ctx.attach(dev, hwpt);
    assertTrue(last(0));
    assertEquals(List.of(LAST_ADDR), addrs(read()), "the partial fault went with the detach");
  }

  @Test
  void detach_theOnlyFaultCapableAttachment_dropsThePartialFaults() {
    assertDetachDropsThePartialFault(faultHwpt());
    assertTrue(partial(0));
    assertTrue(last(0));
    assertEquals(List.of(PARTIAL_ADDR, LAST_ADDR), addrs(read()), "while attached they group");
  }

  @Test
  void detach_aNestedFaultCapableHwpt_dropsThePartialFaults() {
    assertDetachDropsThePartialFault(nestedFaultHwpt());
  }

  @Test
  void detachRid_whileAPasidIsOnAFaultCapableHwpt_keepsThePartialFaults() {
    int h = faultHwpt();
    ctx.attach(dev, h);
    pasids.attach(dev, PASID, h);
    assertTrue(partial(PASID));
    ctx.detach(dev); // the PASID's attachment keeps IOPF on
    assertTrue(last(PASID));
    assertEquals(List.of(PARTIAL_ADDR, LAST_ADDR), addrs(read()));
  }

  @Test
  void pasidReplace_ontoAFaultCapableHwpt_thenDetach_dropsThePartialFaults() {
    int plain = ctx.hwptAlloc(HwptAlloc.paging(IOMMU_HWPT_ALLOC_PASID, dev, ioas));
    int h = faultHwpt();
    pasids.attach(dev, PASID, plain);
    pasids.replace(dev, PASID, h);
    assertTrue(partial(PASID));
    pasids.detach(dev, PASID); // the replace's attachment was the only one
    pasids.attach(dev, PASID, h);
    assertTrue(last(PASID));
    assertEquals(List.of(LAST_ADDR), addrs(read()));
  }

  // --- groups a PASID attachment leaves behind are answered INVALID ------------------------------

  /** PASID's two groups in the queue: one read and unanswered (cookie 1), one unread. */
  void twoGroupsAtThePasid() {
    pasids.attach(dev, PASID, faultHwpt());
    assertTrue(last(PASID));
    assertEquals(1, read().get(0).cookie());
    assertTrue(last(PASID));
  }

  @Test
  void pasidDetach_answersTheAttachmentsGroupsInvalid() {
    twoGroupsAtThePasid();
    pasids.detach(dev, PASID);
    assertEquals(List.of(invalid(PASID), invalid(PASID)), faults.pageResponses());
    assertEquals(List.of(), read());
    UapiException e =
        assertThrows(
            UapiException.class,
            () -> faults.write(queue, 8, off -> new IommuHwptPageResponse(1, 0)));
    assertEquals(Errno.EINVAL, e.errno(), "cookie 1 was answered already");
  }

  @Test
  void unbind_answersThePasidsGroupsInvalid() {
    twoGroupsAtThePasid();
    ctx.unbindDevice(dev);
    assertEquals(List.of(invalid(PASID), invalid(PASID)), faults.pageResponses());
    assertEquals(List.of(), read());
  }

  // --- reading and reporting ---------------------------------------------------------------------

  @Test
  void read_recordThatFaultsAfterOthers_returnsTheBytesBefore_andKeepsItsGroupForTheNextRead() {
    ctx.attach(dev, faultHwpt());
    assertTrue(last(0));
    assertTrue(last(0));
    List<Integer> cookies = new ArrayList<>();
    long n =
        faults.read(
            queue,
            2L * IommuHwptPgfault.SIZE,
            (off, r) -> {
              if (off >= IommuHwptPgfault.SIZE) {
                throw new UapiException(Errno.EFAULT, "unwritable");
              }
              cookies.add(r.cookie());
            });
    assertEquals(IommuHwptPgfault.SIZE, n);
    assertEquals(List.of(1), cookies);
    List<IommuHwptPgfault> rest = read();
    assertEquals(1, rest.size(), "the second group is read again");
    assertEquals(2, rest.get(0).cookie(), "its cookie was given back; 1 still waits");
    assertEquals(8, faults.write(queue, 8, off -> new IommuHwptPageResponse(1, 0)));
  }

  @Test
  void report_withNoFaultCapableAttachment_isFalse_andTheDeviceIsAnsweredInvalid() {
    ctx.attach(dev, ctx.hwptAlloc(HwptAlloc.paging(0, dev, ioas)));
    assertFalse(last(0));
    assertEquals(List.of(invalid(0)), faults.pageResponses());
    assertEquals(List.of(), read());
  }

  /** Without PASID_VALID the fault is the RID's, whatever its pasid field holds. */
  @Test
  void report_withoutPasidValid_goesToTheRid_andItsPasidFieldIsCopied() {
    ctx.attach(dev, faultHwpt());
    IopfFault f = new IopfFault(IOMMU_PGFAULT_FLAGS_LAST_PAGE, 5, GRPID, 0, LAST_ADDR);
    assertTrue(faults.reportDeviceFault(dev, f));
    IommuHwptPgfault r = read().get(0);
    assertEquals(IOMMU_PGFAULT_FLAGS_LAST_PAGE, r.flags());
    assertEquals(5, r.pasid());
    assertEquals(List.of(), faults.pageResponses());
  }

  // --- the snapshot ------------------------------------------------------------------------------

  /**
   * The snapshot (what the tests compare before and after a refused call) tells apart a queue's
   * states: a group unread, read and unanswered, answered, and the fd closed.
   */
  @Test
  void snapshot_tellsTheQueuesStatesApart() {
    ctx.attach(dev, faultHwpt());
    Set<String> seen = new HashSet<>();
    seen.add(ctx.snapshot());
    assertTrue(last(0));
    seen.add(ctx.snapshot());
    read();
    seen.add(ctx.snapshot());
    faults.write(queue, 8, off -> new IommuHwptPageResponse(1, IOMMUFD_PAGE_RESP_SUCCESS));
    faults.closeFd(queue);
    seen.add(ctx.snapshot());
    assertEquals(4, seen.size(), String.join("\n", seen));
  }
}
