package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMUFD_PAGE_RESP_INVALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMUFD_PAGE_RESP_SUCCESS;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_FAULT_QUEUE_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_NEST_PARENT;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_ALLOC_PASID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_HWPT_FAULT_ID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_FLAGS_LAST_PAGE;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_FLAGS_PASID_VALID;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_PERM_READ;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_PGFAULT_PERM_WRITE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_HWPT_DATA_SELFTEST;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_ATTACH;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_PASID_REPLACE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_TRIGGER_IOPF;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_DEVICE_PASID;
import static org.jvfio.core.kernel.FakeKernel.POLLIN;
import static org.jvfio.core.kernel.FakeKernel.POLLOUT;
import static org.jvfio.core.kernel.FakeKernel.POLLRDNORM;
import static org.jvfio.core.kernel.FakeKernel.POLLWRNORM;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuFaultAlloc;
import org.jvfio.api.iommufd.IommuHwptAlloc;
import org.jvfio.api.iommufd.IommuHwptPageResponse;
import org.jvfio.api.iommufd.IommuHwptPgfault;
import org.jvfio.core.iommufd.HwptAlloc;
import org.jvfio.core.iommufd.IommufdContext;
import org.jvfio.core.iommufd.IopfResponse;

/**
 * The fault queue through the fake kernel's system calls: {@code IOMMU_FAULT_QUEUE_ALLOC}, {@code
 * IOMMU_HWPT_ALLOC} with {@code IOMMU_HWPT_FAULT_ID_VALID}, {@code IOMMU_TEST_OP_TRIGGER_IOPF} and
 * the queue fd's read and write, example by example with the errnos of {@code
 * drivers/iommu/iommufd/eventq.c}, {@code hw_pagetable.c} and {@code selftest.c}.
 */
class FaultQueueSelftestTest {
  private static final long ADDR = 0xdeadbeafL; // the selftest's address
  private static final int PERM = IOMMU_PGFAULT_PERM_READ | IOMMU_PGFAULT_PERM_WRITE;

  private Syscalls sys;
  private SelftestSyscalls st;
  private int fd;
  private int ioas;
  private int[] mock; // {stdev, hwpt, idev}

  @BeforeEach
  void setUp() {
    st = new SelftestSyscalls();
    sys = st.sys;
    fd = st.fd;
    ioas = sys.ioasAlloc(fd);
    mock = st.mockDomain(ioas, MOCK_FLAGS_DEVICE_PASID);
  }

  /** {@code _test_ioctl_fault_alloc}: {fault_id, fault_fd}. */
  private int[] faultAlloc() {
    long arg = sys.put(16, new IommuFaultAlloc(16, 0, 0, 0)::encode);
    ok(sys.ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, arg));
    IommuFaultAlloc out = sys.get(arg, 16, IommuFaultAlloc::decode);
    assertTrue(out.outFaultId() != 0 && out.outFaultFd() != 0);
    return new int[] {out.outFaultId(), out.outFaultFd()};
  }

  private int hwptAllocIopf(int flags, int ptId, int faultId, int[] out) {
    return sys.hwptAlloc(fd, new HwptAlloc(flags, mock[2], ptId, 0, 0, 0, faultId), out);
  }

  private int testCmd(int op, int id, int a, int b) {
    ByteBuffer c = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    c.putInt(IOMMU_TEST_CMD_SIZE).putInt(op).putInt(id).putInt(0).putInt(a).putInt(b);
    return sys.ioctl(fd, IOMMU_TEST_CMD, sys.mem.allocate(c.array()));
  }

  /** {@code IOMMU_TEST_OP_TRIGGER_IOPF} with the selftest's grpid 2, perm and address. */
  private int trigger(int devId, int pasid) {
    ByteBuffer c = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    c.putInt(IOMMU_TEST_CMD_SIZE).putInt(IOMMU_TEST_OP_TRIGGER_IOPF).putInt(0).putInt(0);
    c.putInt(devId).putInt(pasid).putInt(2).putInt(PERM).putLong(ADDR);
    return sys.ioctl(fd, IOMMU_TEST_CMD, sys.mem.allocate(c.array()));
  }

  private int destroy(int id) {
    return sys.ioctl(fd, IOMMU_DESTROY, sys.put(8, new IommuDestroy(8, id)::encode));
  }

  private long respond(int faultFd, int cookie, int code) {
    long buf = sys.put(8, new IommuHwptPageResponse(cookie, code)::encode);
    return sys.kernel.write(faultFd, buf, 8);
  }

  private List<IopfResponse> deviceResponses() {
    return context().faults().pageResponses();
  }

  private IommufdContext context() {
    return ((IommuFile) sys.kernel.file(fd)).ctx;
  }

  @Test
  void faultQueueAlloc_checksFlagsAndSize() {
    long arg = sys.put(16, new IommuFaultAlloc(16, 1, 0, 0)::encode);
    assertErrno(Errno.EOPNOTSUPP, sys.ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, arg));
    arg = sys.put(16, new IommuFaultAlloc(12, 0, 0, 0)::encode);
    assertErrno(Errno.EINVAL, sys.ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, arg)); // below min_size 16
    int[] f = faultAlloc();
    assertErrno(Errno.ENOTTY, sys.ioctl(f[1], IOMMU_FAULT_QUEUE_ALLOC, arg)); // the fd: no ioctl
  }

  @Test
  void faultQueueAlloc_unwritableReply_leavesNoObjectAndNoFd() {
    long arg = sys.put(16, new IommuFaultAlloc(16, 0, 0, 0)::encode);
    sys.mem.protect(arg, 16, false);
    assertErrno(Errno.EFAULT, sys.ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, arg));
    // ids 1 to 4 are the IOAS, the selftest object, its device and its auto domain; fd 3 is the
    // iommufd: the failed call gave back id 5 and fd 4
    int[] f = faultAlloc();
    assertEquals(5, f[0]);
    assertEquals(4, f[1]);
  }

  @Test
  void destroy_isBusyWhileTheFdIsOpenOrAHwptUsesTheQueue() {
    int[] f = faultAlloc();
    assertErrno(Errno.EBUSY, destroy(f[0]));
    int[] hwpt = new int[1];
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, f[0], hwpt));
    ok(sys.kernel.close(f[1]));
    assertErrno(Errno.EBUSY, destroy(f[0]));
    ok(destroy(hwpt[0]));
    ok(destroy(f[0]));
    assertErrno(Errno.ENOENT, destroy(f[0]));
  }

  @Test
  void hwptAlloc_faultIdValid_errnos() {
    int[] f = faultAlloc();
    int[] out = new int[1];
    assertErrno(
        Errno.EOPNOTSUPP,
        hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_NEST_PARENT, ioas, f[0], out));
    assertErrno(Errno.ENOENT, hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, -1, out));
    assertErrno(Errno.ENOENT, hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, ioas, out));
    ok(hwptAllocIopf(0, ioas, -1, out)); // fault_id is read only with the flag
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, f[0], out));
  }

  /** The selftest's {@code _test_cmd_trigger_iopf} on the RID (pasid 0): one record, answered. */
  @Test
  void triggerIopf_ridOfAFaultCapableHwpt_readsOneRecordAndTakesTheResponse() {
    int[] f = faultAlloc();
    int[] hwpt = new int[1];
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, f[0], hwpt));
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], hwpt[0], 0));
    assertErrno(Errno.EBUSY, destroy(hwpt[0]));
    ok(trigger(mock[2], 0));
    long buf = sys.mem.allocate(2 * IommuHwptPgfault.SIZE);
    assertEquals(IommuHwptPgfault.SIZE, sys.kernel.read(f[1], buf, 2 * IommuHwptPgfault.SIZE));
    IommuHwptPgfault r = sys.get(buf, IommuHwptPgfault.SIZE, IommuHwptPgfault::decode);
    assertEquals(
        new IommuHwptPgfault(IOMMU_PGFAULT_FLAGS_LAST_PAGE, mock[2], 0, 2, PERM, 0, ADDR, 0, 1), r);
    assertEquals(0, sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE)); // empty: 0, no blocking
    assertEquals(8, respond(f[1], 1, IOMMUFD_PAGE_RESP_SUCCESS));
    assertEquals(
        List.of(new IopfResponse(mock[2], 0, 2, IOMMUFD_PAGE_RESP_SUCCESS)), deviceResponses());
    assertErrno(Errno.EINVAL, respond(f[1], 1, IOMMUFD_PAGE_RESP_SUCCESS)); // answered already
  }

  /**
   * {@code iommufd_eventq_fops_poll} of a fault queue: POLLOUT always, POLLIN while a fault waits.
   */
  @Test
  void poll_readableWhileAFaultWaitsToBeRead() {
    int[] f = faultAlloc();
    int[] hwpt = new int[1];
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, f[0], hwpt));
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], hwpt[0], 0));
    int all = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
    assertEquals(POLLOUT, sys.kernel.poll(f[1], all));
    assertEquals(0, sys.kernel.poll(f[1], POLLIN));
    ok(trigger(mock[2], 0));
    assertEquals(POLLIN | POLLRDNORM | POLLOUT, sys.kernel.poll(f[1], all));
    assertEquals(POLLIN, sys.kernel.poll(f[1], POLLIN), "only what was asked for");
    long buf = sys.mem.allocate(IommuHwptPgfault.SIZE);
    assertEquals(IommuHwptPgfault.SIZE, sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE));
    assertEquals(POLLOUT, sys.kernel.poll(f[1], all), "read: nothing waits, the response may");
    ok(trigger(mock[2], 0));
    ok(sys.kernel.close(fd)); // the fault fd holds the context
    assertEquals(POLLIN | POLLRDNORM | POLLOUT, sys.kernel.poll(f[1], all));
  }

  @Test
  void triggerIopf_errnosAndDrops() {
    assertErrno(Errno.ENOENT, trigger(ioas, 0)); // not a device
    ok(trigger(mock[2], 0)); // attached to the auto domain, without a queue: answered INVALID
    assertEquals(
        List.of(new IopfResponse(mock[2], 0, 2, IOMMUFD_PAGE_RESP_INVALID)), deviceResponses());
    int[] f = faultAlloc();
    int[] hwpt = new int[1];
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, f[0], hwpt));
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], hwpt[0], 0));
    ok(trigger(mock[2], 1)); // PASID 1 is not attached and the RID's HWPT is not nested: dropped
    long buf = sys.mem.allocate(IommuHwptPgfault.SIZE);
    assertEquals(0, sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE));
    assertEquals(2, deviceResponses().size());
  }

  @Test
  void read_errnos() {
    int[] f = faultAlloc();
    int[] hwpt = new int[1];
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, f[0], hwpt));
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], hwpt[0], 0));
    ok(trigger(mock[2], 0));
    long buf = sys.mem.allocate(IommuHwptPgfault.SIZE);
    assertErrno(Errno.ESPIPE, sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE - 1));
    assertErrno(Errno.ESPIPE, sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE + 8));
    assertErrno(Errno.ESPIPE, sys.kernel.pread(f[1], buf, IommuHwptPgfault.SIZE, 0));
    assertEquals(0, sys.kernel.read(f[1], buf, 0)); // nothing fits in 0 bytes
    sys.mem.protect(buf, IommuHwptPgfault.SIZE, false);
    assertErrno(Errno.EFAULT, sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE));
    long good = sys.mem.allocate(IommuHwptPgfault.SIZE);
    assertEquals(IommuHwptPgfault.SIZE, sys.kernel.read(f[1], good, IommuHwptPgfault.SIZE));
    assertEquals(1, sys.get(good, IommuHwptPgfault.SIZE, IommuHwptPgfault::decode).cookie());
  }

  @Test
  void write_errnosAndQuirks() {
    int[] f = faultAlloc();
    int[] hwpt = new int[1];
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, f[0], hwpt));
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], hwpt[0], 0));
    ok(trigger(mock[2], 0));
    ok(trigger(mock[2], 0));
    long buf = sys.mem.allocate(2 * IommuHwptPgfault.SIZE);
    assertEquals(2 * IommuHwptPgfault.SIZE, sys.kernel.read(f[1], buf, 2 * IommuHwptPgfault.SIZE));
    long two = sys.mem.allocate(16);
    sys.mem.write(two, Syscalls.encode(8, new IommuHwptPageResponse(1, 0)::encode));
    sys.mem.write(two + 8, Syscalls.encode(8, new IommuHwptPageResponse(2, 2)::encode));
    assertErrno(Errno.ESPIPE, sys.kernel.write(f[1], two, 12));
    assertErrno(Errno.ESPIPE, sys.kernel.pwrite(f[1], two, 8, 0));
    assertErrno(Errno.EINVAL, respond(f[1], 0, IOMMUFD_PAGE_RESP_SUCCESS)); // cookies start at 1
    assertErrno(Errno.EINVAL, respond(f[1], 3, IOMMUFD_PAGE_RESP_SUCCESS));
    assertEquals(8, sys.kernel.write(f[1], two, 16)); // the second has code 2: stops after one
    assertErrno(Errno.EINVAL, sys.kernel.write(f[1], two + 8, 8));
    long gone = sys.mem.allocate(8);
    sys.mem.free(gone);
    assertEquals(8, sys.kernel.write(f[1], gone, 8)); // upstream: copy_from_user's remainder
    assertEquals(8, respond(f[1], 2, IOMMUFD_PAGE_RESP_INVALID));
    assertEquals(0, sys.kernel.write(f[1], two, 0));
  }

  @Test
  void readFreesCookies_lowestFirst() {
    int[] f = faultAlloc();
    int[] hwpt = new int[1];
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID, ioas, f[0], hwpt));
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], hwpt[0], 0));
    long buf = sys.mem.allocate(IommuHwptPgfault.SIZE);
    int[] cookies = new int[4];
    for (int i = 0; i < 3; i++) {
      ok(trigger(mock[2], 0));
      ok(sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE));
      cookies[i] = sys.get(buf, IommuHwptPgfault.SIZE, IommuHwptPgfault::decode).cookie();
    }
    assertEquals(8, respond(f[1], 2, IOMMUFD_PAGE_RESP_SUCCESS));
    ok(trigger(mock[2], 0));
    ok(sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE));
    cookies[3] = sys.get(buf, IommuHwptPgfault.SIZE, IommuHwptPgfault::decode).cookie();
    assertEquals(List.of(1, 2, 3, 2), List.of(cookies[0], cookies[1], cookies[2], cookies[3]));
  }

  /** alloc_hwpt_nested's IOPF steps: PASID 1, attached nowhere, goes to the RID's nested HWPT. */
  @Test
  void triggerIopf_unattachedPasid_goesToTheNestedHwptAtTheRid() {
    int[] f = faultAlloc();
    int parent = sys.hwptAlloc(fd, mock[2], ioas, IOMMU_HWPT_ALLOC_NEST_PARENT);
    long data = sys.mem.allocate(8); // struct iommu_hwpt_selftest, zeroed
    IommuHwptAlloc s =
        new IommuHwptAlloc(
            IommuHwptAlloc.SIZE,
            IOMMU_HWPT_FAULT_ID_VALID,
            mock[2],
            parent,
            0,
            0,
            IOMMU_HWPT_DATA_SELFTEST,
            4,
            data,
            f[0],
            0);
    long arg = sys.put(IommuHwptAlloc.SIZE, s::encode);
    ok(sys.ioctl(fd, IOMMU_HWPT_ALLOC, arg));
    int nested = sys.get(arg, IommuHwptAlloc.SIZE, IommuHwptAlloc::decode).outHwptId();
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], nested, 0));
    assertErrno(Errno.EBUSY, destroy(nested));
    ok(trigger(mock[2], 1));
    long buf = sys.mem.allocate(IommuHwptPgfault.SIZE);
    assertEquals(IommuHwptPgfault.SIZE, sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE));
    IommuHwptPgfault r = sys.get(buf, IommuHwptPgfault.SIZE, IommuHwptPgfault::decode);
    assertEquals(IOMMU_PGFAULT_FLAGS_LAST_PAGE | IOMMU_PGFAULT_FLAGS_PASID_VALID, r.flags());
    assertEquals(1, r.pasid());
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], parent, 0)); // read, unanswered
    assertEquals(
        List.of(new IopfResponse(mock[2], 1, 2, IOMMUFD_PAGE_RESP_INVALID)), deviceResponses());
    ok(destroy(nested));
    ok(sys.kernel.close(f[1]));
    ok(destroy(f[0]));
  }

  /** The pasid tests' iopf part on a paging HWPT: PASID 2048 of the device on an iopf HWPT. */
  @Test
  void triggerIopfPasid_attachedPasid_recordsThePasid_andReplaceAnswersTheRest() {
    int[] f = faultAlloc();
    int[] iopf = new int[1];
    ok(hwptAllocIopf(IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID, ioas, f[0], iopf));
    int s2 = sys.hwptAlloc(fd, mock[2], ioas, IOMMU_HWPT_ALLOC_PASID);
    ok(testCmd(IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, mock[0], s2, 0));
    ok(testCmd(IOMMU_TEST_OP_PASID_ATTACH, mock[0], 2048, iopf[0]));
    ok(trigger(mock[2], 2048));
    long buf = sys.mem.allocate(IommuHwptPgfault.SIZE);
    ok(sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE));
    IommuHwptPgfault r = sys.get(buf, IommuHwptPgfault.SIZE, IommuHwptPgfault::decode);
    assertEquals(IOMMU_PGFAULT_FLAGS_LAST_PAGE | IOMMU_PGFAULT_FLAGS_PASID_VALID, r.flags());
    assertEquals(2048, r.pasid());
    ok(trigger(mock[2], 2048)); // a second group, unread, and the first, unanswered
    ok(testCmd(IOMMU_TEST_OP_PASID_REPLACE, mock[0], 2048, s2));
    assertEquals(
        List.of(
            new IopfResponse(mock[2], 2048, 2, IOMMUFD_PAGE_RESP_INVALID),
            new IopfResponse(mock[2], 2048, 2, IOMMUFD_PAGE_RESP_INVALID)),
        deviceResponses());
    assertEquals(0, sys.kernel.read(f[1], buf, IommuHwptPgfault.SIZE));
    assertErrno(Errno.EINVAL, respond(f[1], r.cookie(), IOMMUFD_PAGE_RESP_SUCCESS));
    ok(destroy(iopf[0]));
    ok(sys.kernel.close(f[1]));
    ok(destroy(f[0]));
  }
}
