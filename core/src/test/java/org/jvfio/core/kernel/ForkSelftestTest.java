package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_CMD_SIZE;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_ACCESS_RW;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_CREATE_ACCESS;
import static org.jvfio.api.iommufd.IommufdTest.IOMMU_TEST_OP_MOCK_DOMAIN;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_ACCESS_RW_SLOW_PATH;
import static org.jvfio.api.iommufd.IommufdTest.MOCK_ACCESS_RW_WRITE;
import static org.jvfio.core.kernel.Syscalls.ok;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.jvfio.api.Errno;
import org.jvfio.core.iommufd.IoasMap;

/**
 * The selftest's {@code fork_gone} and {@code fork_present} ({@code
 * tools/testing/selftests/iommu/iommufd.c}, FIXTURE {@code iommufd_ioas} with 0, 1 and 2 mock
 * domains) through the system calls, with the parent and the child as two {@link UserMemory}s
 * behind a {@link CurrentProcess}: each has the 16-page buffer at the same address, the parent's
 * bytes 1 and the child's 2, so a read through the access tells whose memory it reached.
 */
class ForkSelftestTest {
  private static final long PAGE = 4096;
  private static final long BUFFER_SIZE = 16 * PAGE;
  private static final long MOCK_APERTURE_START = 1L << 24;

  private final UserMemory parent = new UserMemory();
  private final UserMemory child = new UserMemory();
  private final long buffer = parent.allocate(BUFFER_SIZE, PAGE, 0); // the first in both
  private final CurrentProcess procs = new CurrentProcess(parent);
  private final FakeKernel kernel =
      FakeKernel.builder().iommufdTest().userAddressSpace(procs).build();
  private final Syscalls sys = new Syscalls(kernel, parent);
  private final Syscalls childSys = new Syscalls(kernel, child);
  private final int fd = sys.open(FakeKernel.IOMMU_PATH);
  private final int ioas = sys.ioasAlloc(fd);

  /** The fixture's setup: the buffers, and {@code mockDomains} mock domains on the IOAS. */
  private void setUp(int mockDomains) {
    assertEquals(buffer, child.allocate(BUFFER_SIZE, PAGE, 0)); // as fork leaves it
    parent.write(buffer, ByteBuffer.wrap(filled((int) BUFFER_SIZE, 1)));
    child.write(buffer, ByteBuffer.wrap(filled((int) BUFFER_SIZE, 2)));
    for (int i = 0; i < mockDomains; i++) {
      ok(mockDomain());
    }
  }

  private static byte[] filled(int length, int value) {
    byte[] b = new byte[length];
    Arrays.fill(b, (byte) value);
    return b;
  }

  private long cmd(int op, int id, Consumer<ByteBuffer> union) {
    ByteBuffer b = ByteBuffer.allocate(IOMMU_TEST_CMD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(IOMMU_TEST_CMD_SIZE).putInt(op).putInt(id).putInt(0);
    union.accept(b);
    return parent.allocate(b.array());
  }

  private int mockDomain() {
    return sys.ioctl(fd, IOMMU_TEST_CMD, cmd(IOMMU_TEST_OP_MOCK_DOMAIN, ioas, b -> {}));
  }

  private int createAccess() {
    long arg = cmd(IOMMU_TEST_OP_CREATE_ACCESS, ioas, b -> {});
    ok(sys.ioctl(fd, IOMMU_TEST_CMD, arg));
    return parent.readInt(arg + 16);
  }

  /** ACCESS_RW of {@code length} bytes at {@code iova} through the parent's {@code uptr}. */
  private int accessRw(int access, long iova, long length, long uptr, int flags) {
    long arg =
        cmd(
            IOMMU_TEST_OP_ACCESS_RW,
            access,
            b -> b.putLong(16, iova).putLong(24, length).putLong(32, uptr).putInt(40, flags));
    return sys.ioctl(fd, IOMMU_TEST_CMD, arg);
  }

  private byte[] read(int access, long iova, int length, int flags) {
    long tmp = parent.allocate(length);
    ok(accessRw(access, iova, length, tmp, flags));
    return parent.read(tmp, length).array();
  }

  /** The child maps the buffer at MOCK_APERTURE_START with its own mm. */
  private void childMaps() {
    ok(
        procs.callAs(
            child,
            () ->
                childSys.ioasMap(
                    fd, ioas, IoasMap.fixed(buffer, BUFFER_SIZE, MOCK_APERTURE_START))));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void forkGone_domainBefore_copiesFromIt_noDomain_efault(int mockDomains) {
    setUp(mockDomains);
    int access = createAccess();
    childMaps();
    child.exit();
    if (mockDomains > 0) {
      // pinned within the fork: a new domain copies from the old one, the access reaches the
      // pinned pages (the parent's bytes at the same address: jvfio keeps none of its own)
      ok(mockDomain());
      for (int flags : new int[] {0, MOCK_ACCESS_RW_SLOW_PATH}) {
        assertArrayEquals(
            filled(100, 1), read(access, MOCK_APERTURE_START + PAGE - 50, 100, flags));
        assertArrayEquals(
            filled((int) BUFFER_SIZE, 1),
            read(access, MOCK_APERTURE_START, (int) BUFFER_SIZE, flags));
      }
    } else {
      // pinning needs the child's mm, which has gone
      assertEquals(-Errno.EFAULT.code(), mockDomain());
      long tmp = parent.allocate(8);
      assertEquals(-Errno.EFAULT.code(), accessRw(access, MOCK_APERTURE_START, 8, tmp, 0));
    }
    ok(kernel.close(access));
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 2})
  void forkPresent_readsAndWritesTheChildPages(int mockDomains) {
    setUp(mockDomains);
    int access = createAccess();
    childMaps();
    ok(mockDomain()); // pins through the child's mm where its map did not
    assertArrayEquals(filled(100, 2), read(access, MOCK_APERTURE_START + PAGE - 50, 100, 0));
    long src = parent.allocate(filled(10, 7));
    ok(accessRw(access, MOCK_APERTURE_START + PAGE, 10, src, MOCK_ACCESS_RW_WRITE));
    assertArrayEquals(filled(10, 7), child.read(buffer + PAGE, 10).array());
    assertArrayEquals(filled(10, 1), parent.read(buffer + PAGE, 10).array());
    ok(kernel.close(access));
  }
}
