package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_IOAS_UNMAP;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ACCESS_PAGES;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ACCESS_REPLACE_IOAS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ACCESS_RW;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_CREATE_ACCESS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_DESTROY_ACCESS_PAGES;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MD_CHECK_REFS;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_ACCESS_RW_SLOW_PATH;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_ACCESS_RW_WRITE;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_ACCESS_SYZ;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_FLAGS_ACCESS_WRITE;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuIoasUnmap;
import org.jvfio.core.iommufd.IoasMap;

/**
 * The selftest's access ops of {@code IOMMU_TEST_CMD} ({@code drivers/iommu/iommufd/selftest.c},
 * {@code iommufd_test_create_access} and its siblings) through the system calls: the access fd,
 * each op's errnos in the kernel's order, item ids, the unmap callback and the pin counts that
 * {@code MD_CHECK_REFS} sees.
 */
class SelftestAccessTest {
  private static final long PAGE = 4096;
  private static final long IOVA = 1L << 24;

  private FakeKernel kernel;
  private Syscalls sys;
  private int fd;
  private int ioas;
  private long buffer; // guest memory: pinnable

  @BeforeEach
  void setUp() {
    kernel = FakeKernel.builder().iommufdTest().guestMemory(1L << 24).build();
    sys = new Syscalls(kernel);
    fd = sys.open(FakeKernel.IOMMU_PATH);
    ioas = sys.ioasAlloc(fd);
    buffer = kernel.guestMemory(0).base();
  }

  private long cmd(int op, int id, Consumer<ByteBuffer> union) {
    ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(IOMMU_TEST_CMD_SIZE).putInt(op).putInt(id).putInt(0);
    union.accept(b);
    return sys.mem.allocate(b.array());
  }

  private int test(long arg) {
    return sys.ioctl(fd, IOMMU_TEST_CMD, arg);
  }

  /** {@code test_cmd_create_access}: returns the access fd. */
  private int createAccess(int ioasId, int flags) {
    long arg = cmd(IOMMU_TEST_OP_CREATE_ACCESS, ioasId, b -> b.putInt(20, flags));
    ok(test(arg));
    return sys.mem.readInt(arg + 16);
  }

  private long accessPagesCmd(int access, int flags, long iova, long length, long uptr) {
    return cmd(
        IOMMU_TEST_OP_ACCESS_PAGES,
        access,
        b -> b.putInt(16, flags).putLong(24, iova).putLong(32, length).putLong(40, uptr));
  }

  /** ACCESS_PAGES; returns the item id. */
  private int accessPages(int access, long iova, long length, long uptr) {
    long arg = accessPagesCmd(access, 0, iova, length, uptr);
    ok(test(arg));
    return sys.mem.readInt(arg + 20);
  }

  private int destroyItem(int access, int item) {
    return test(cmd(IOMMU_TEST_OP_DESTROY_ACCESS_PAGES, access, b -> b.putInt(16, item)));
  }

  private int rw(int access, long iova, long length, long uptr, int flags) {
    return test(
        cmd(
            IOMMU_TEST_OP_ACCESS_RW,
            access,
            b -> b.putLong(16, iova).putLong(24, length).putLong(32, uptr).putInt(40, flags)));
  }

  private int refs(long uptr, long length, int refs) {
    return test(
        cmd(
            IOMMU_TEST_OP_MD_CHECK_REFS,
            0,
            b -> b.putLong(16, length).putLong(24, uptr).putInt(32, refs)));
  }

  private int unmap(int ioasId, long iova, long length) {
    return sys.ioctl(
        fd,
        IOMMU_IOAS_UNMAP,
        sys.put(
            IommuIoasUnmap.SIZE,
            new IommuIoasUnmap(IommuIoasUnmap.SIZE, ioasId, iova, length)::encode));
  }

  private int destroy(int id) {
    return sys.ioctl(
        fd,
        IOMMU_DESTROY,
        sys.put(IommuDestroy.SIZE, new IommuDestroy(IommuDestroy.SIZE, id)::encode));
  }

  @Test
  void createAccess_returnsAnFd_andTheAccessTakesAnObjectId() {
    int access = createAccess(ioas, 0);
    assertTrue(access > fd);
    assertErrno(Errno.EBUSY, destroy(ioas + 1)); // the access object
    assertErrno(Errno.EBUSY, destroy(ioas)); // the access holds its IOAS
    ok(kernel.close(access));
    ok(destroy(ioas));
  }

  @Test
  void createAccess_errnoTable_andAFailureLeavesNoFd() {
    long badFlags = cmd(IOMMU_TEST_OP_CREATE_ACCESS, ioas, b -> b.putInt(20, 2));
    assertErrno(Errno.EOPNOTSUPP, test(badFlags));
    long noIoas = cmd(IOMMU_TEST_OP_CREATE_ACCESS, ioas + 7, b -> {});
    assertErrno(Errno.ENOENT, test(noIoas));
    sys.ioasMapFixed(fd, ioas, buffer, 2048, IOVA);
    long misaligned =
        cmd(
            IOMMU_TEST_OP_CREATE_ACCESS,
            ioas,
            b -> b.putInt(20, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES));
    assertErrno(Errno.EADDRINUSE, test(misaligned));
    assertEquals(fd + 1, createAccess(ioas, 0), "the failures left no fd behind");
  }

  @Test
  void accessPages_errnoTable_inTheKernelsOrder() {
    int pin = createAccess(ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    int noPin = createAccess(ioas, 0);
    sys.ioasMapFixed(fd, ioas, buffer, 4 * PAGE, IOVA);
    long big = (16L << 20) + 1;
    assertErrno(Errno.ENOMEM, test(accessPagesCmd(99, 8, IOVA, big, 0)));
    assertErrno(Errno.EOPNOTSUPP, test(accessPagesCmd(99, 8, IOVA, PAGE, 0)));
    assertErrno(Errno.EBADFD, test(accessPagesCmd(99, 0, IOVA, PAGE, 0)));
    assertErrno(Errno.EBADFD, test(accessPagesCmd(fd, 0, IOVA, PAGE, 0)));
    assertErrno(Errno.EOPNOTSUPP, test(accessPagesCmd(noPin, 0, IOVA, PAGE, 0)));
    assertErrno(Errno.EINVAL, test(accessPagesCmd(pin, 0, IOVA, 0, 0)));
    assertErrno(Errno.ENOENT, test(accessPagesCmd(pin, 0, IOVA, 5 * PAGE, 0)));
    assertErrno(Errno.EBADE, test(accessPagesCmd(pin, 0, IOVA, PAGE, buffer + PAGE)));
    long userPage = sys.mem.allocate(PAGE, PAGE, 0);
    assertErrno(Errno.EBADE, test(accessPagesCmd(pin, 0, IOVA, PAGE, userPage)));
    sys.mem.free(userPage);
    assertErrno(Errno.EFAULT, test(accessPagesCmd(pin, 0, IOVA, PAGE, userPage)));
    ok(refs(buffer, 4 * PAGE, 0)); // every refused pin was undone
  }

  @Test
  void accessPages_itemIdsCountFromZero_destroyUnpins() {
    int access = createAccess(ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    sys.ioasMapFixed(fd, ioas, buffer, 4 * PAGE, IOVA);
    assertEquals(0, accessPages(access, IOVA, PAGE, buffer));
    long write = accessPagesCmd(access, MOCK_FLAGS_ACCESS_WRITE, IOVA + PAGE, 1, buffer + PAGE);
    ok(test(write));
    assertEquals(1, sys.mem.readInt(write + 20));
    ok(refs(buffer, 2 * PAGE, 1));
    ok(refs(buffer + 2 * PAGE, 2 * PAGE, 0));
    ok(destroyItem(access, 0));
    assertErrno(Errno.ENOENT, destroyItem(access, 0));
    assertErrno(Errno.EBADFD, destroyItem(fd, 1));
    ok(refs(buffer, PAGE, 0));
    ok(kernel.close(access)); // releases item 1
    ok(refs(buffer, 4 * PAGE, 0));
  }

  /** {@code cmd}'s bytes copied into a page of its own that is then made read-only. */
  private long readOnly(long cmd) {
    long page = sys.mem.allocate(PAGE, PAGE, 0);
    sys.mem.write(page, sys.mem.read(cmd, IOMMU_TEST_CMD_SIZE));
    sys.mem.protect(page, PAGE, false);
    return page;
  }

  @Test
  void respondFault_undoesThePin_andTheAccess() {
    int access = createAccess(ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    sys.ioasMapFixed(fd, ioas, buffer, PAGE, IOVA);
    assertErrno(Errno.EFAULT, test(readOnly(accessPagesCmd(access, 0, IOVA, PAGE, buffer))));
    ok(refs(buffer, PAGE, 0));
    assertEquals(1, accessPages(access, IOVA, PAGE, buffer), "item 0 was used");
    ok(kernel.close(access));
    long create = cmd(IOMMU_TEST_OP_CREATE_ACCESS, ioas, b -> {});
    assertErrno(Errno.EFAULT, test(readOnly(create)));
    assertEquals(access, createAccess(ioas, 0), "the faulted access's fd was closed");
  }

  @Test
  void accessPinUnmap_theUnmapCallbackRemovesTheItem() {
    int access = createAccess(ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    sys.ioasMapFixed(fd, ioas, buffer, 16 * PAGE, IOVA);
    int item = accessPages(access, IOVA, 16 * PAGE, buffer);
    ok(unmap(ioas, IOVA, 16 * PAGE));
    assertErrno(Errno.ENOENT, destroyItem(access, item));
    ok(refs(buffer, 16 * PAGE, 0));
  }

  @Test
  void accessPages_syz_namesTheNthAreaAndAnOffset() {
    int access = createAccess(ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    sys.ioasMapFixed(fd, ioas, buffer, PAGE, IOVA);
    sys.ioasMapFixed(fd, ioas, buffer + 4 * PAGE, 2 * PAGE, IOVA + 8 * PAGE);
    long syz = 1 | (PAGE << 32); // area 1, offset PAGE
    ok(test(accessPagesCmd(access, MOCK_FLAGS_ACCESS_SYZ, syz, PAGE, buffer + 5 * PAGE)));
    ok(refs(buffer + 5 * PAGE, PAGE, 1));
  }

  @Test
  void accessRw_roundTripsTheUserBytes_bothPaths() {
    int access = createAccess(ioas, 0);
    long mapped = sys.mem.allocate(2 * PAGE, PAGE, 0);
    ok(sys.ioasMap(fd, ioas, IoasMap.fixed(mapped, 2 * PAGE, IOVA)));
    byte[] data = new byte[100];
    for (int i = 0; i < data.length; i++) {
      data[i] = (byte) (3 * i + 1);
    }
    long src = sys.mem.allocate(data);
    ok(rw(access, IOVA + PAGE - 50, 100, src, MOCK_ACCESS_RW_WRITE));
    assertArrayEquals(data, sys.mem.read(mapped + PAGE - 50, 100).array());
    long dst = sys.mem.allocate(100);
    ok(rw(access, IOVA + PAGE - 50, 100, dst, MOCK_ACCESS_RW_SLOW_PATH));
    assertArrayEquals(data, sys.mem.read(dst, 100).array());
  }

  @Test
  void accessRw_errnoTable_inTheKernelsOrder() {
    int access = createAccess(ioas, 0);
    long mapped = sys.mem.allocate(PAGE, PAGE, 0);
    ok(sys.ioasMap(fd, ioas, IoasMap.fixed(mapped, PAGE, IOVA)));
    long ubuf = sys.mem.allocate(PAGE);
    long gone = sys.mem.allocate(PAGE, PAGE, 0);
    sys.mem.free(gone);
    assertErrno(Errno.ENOMEM, rw(99, IOVA, (16L << 20) + 1, ubuf, 8));
    assertErrno(Errno.EOPNOTSUPP, rw(99, IOVA, 1, ubuf, 8));
    assertErrno(Errno.EBADFD, rw(99, IOVA, 1, ubuf, 0));
    assertErrno(Errno.EFAULT, rw(access, IOVA + PAGE, 1, gone, MOCK_ACCESS_RW_WRITE));
    assertErrno(Errno.EINVAL, rw(access, IOVA, 0, ubuf, 0));
    assertErrno(Errno.EOVERFLOW, rw(access, -1L, 2, ubuf, 0));
    assertErrno(Errno.ENOENT, rw(access, IOVA + PAGE, 1, ubuf, 0));
    assertErrno(Errno.EFAULT, rw(access, IOVA, 1, gone, 0));
  }

  @Test
  void replaceIoas_movesTheAccess_andUnpinsTheOld() {
    int access = createAccess(ioas, MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
    sys.ioasMapFixed(fd, ioas, buffer, PAGE, IOVA);
    accessPages(access, IOVA, PAGE, buffer);
    int other = sys.ioasAlloc(fd);
    long replace = cmd(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, access, b -> b.putInt(16, other));
    assertErrno(
        Errno.ENOENT, test(cmd(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, access, b -> b.putInt(16, 99))));
    assertErrno(Errno.EBADFD, test(cmd(IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, fd, b -> {})));
    ok(refs(buffer, PAGE, 1));
    ok(test(replace));
    ok(refs(buffer, PAGE, 0));
    ok(destroy(ioas));
    assertErrno(Errno.EBUSY, destroy(other));
  }
}
