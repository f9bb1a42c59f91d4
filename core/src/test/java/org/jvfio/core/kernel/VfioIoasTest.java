package org.jvfio.core.kernel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_DESTROY;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_CLEAR;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_GET;
import static org.jvfio.api.iommufd.Iommufd.IOMMU_VFIO_IOAS_SET;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_READ;
import static org.jvfio.api.vfio.Vfio.VFIO_DMA_MAP_FLAG_WRITE;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_MAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_IOMMU_UNMAP_DMA;
import static org.jvfio.api.vfio.Vfio.VFIO_SET_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1_IOMMU;
import static org.jvfio.api.vfio.Vfio.VFIO_TYPE1v2_IOMMU;
import static org.jvfio.core.kernel.Syscalls.assertErrno;
import static org.jvfio.core.kernel.Syscalls.ok;

import org.junit.jupiter.api.Test;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.IommuDestroy;
import org.jvfio.api.iommufd.IommuVfioIoas;
import org.jvfio.api.vfio.VfioIommuType1DmaMap;
import org.jvfio.api.vfio.VfioIommuType1DmaUnmap;
import org.jvfio.core.iommufd.IoasMap;

/**
 * {@code IOMMU_VFIO_IOAS} through the fake kernel's system calls, as {@code iommufd_vfio_ioas} in
 * {@code drivers/iommu/iommufd/vfio_compat.c} answers it, and the VFIO type1 ioctls on the iommufd
 * acting on the IOAS it chose; the selftest's {@code TEST_F(iommufd, vfio_ioas)} is the first case.
 */
class VfioIoasTest {
  private static final long PAGE = 4096;
  private final FakeKernel kernel = FakeKernel.builder().guestMemory(1L << 24).build();
  private final Syscalls s = new Syscalls(kernel);
  private final int fd = s.open(FakeKernel.IOMMU_PATH);
  private final long base = kernel.guestMemory(0).base();

  private long cmd(int op, int ioasId, int reserved) {
    return s.put(IommuVfioIoas.SIZE, new IommuVfioIoas(12, ioasId, op, reserved)::encode);
  }

  private int vfioIoas(int op, int ioasId) {
    return s.ioctl(fd, IOMMU_VFIO_IOAS, cmd(op, ioasId, 0));
  }

  /** GET's reply: {@code ioas_id}, or the errno. */
  private int get() {
    long arg = cmd(IOMMU_VFIO_IOAS_GET, 0, 0);
    int rc = s.ioctl(fd, IOMMU_VFIO_IOAS, arg);
    return rc < 0 ? rc : s.get(arg, IommuVfioIoas.SIZE, IommuVfioIoas::decode).ioasId();
  }

  private int mapDma(long iova, long size) {
    int rw = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
    long arg = s.put(32, new VfioIommuType1DmaMap(32, rw, base + iova, iova, size)::encode);
    return s.ioctl(fd, VFIO_IOMMU_MAP_DMA, arg);
  }

  /** {@code {rc, size copied back}}. */
  private long[] unmapDma(long iova, long size) {
    long arg = s.put(24, new VfioIommuType1DmaUnmap(24, 0, iova, size)::encode);
    int rc = s.ioctl(fd, VFIO_IOMMU_UNMAP_DMA, arg);
    return new long[] {rc, s.get(arg, 24, VfioIommuType1DmaUnmap::decode).size()};
  }

  private int destroy(int id) {
    return s.ioctl(fd, IOMMU_DESTROY, s.put(8, new IommuDestroy(8, id)::encode));
  }

  @Test
  void vfioIoas_getSetClear_asTheSelftest() {
    assertErrno(Errno.ENODEV, get()); // no compatibility IOAS
    assertErrno(Errno.ENOENT, vfioIoas(IOMMU_VFIO_IOAS_SET, 0));
    int ioas = s.ioasAlloc(fd);
    ok(vfioIoas(IOMMU_VFIO_IOAS_SET, ioas));
    assertEquals(ioas, get());
    ok(vfioIoas(IOMMU_VFIO_IOAS_CLEAR, 0));
    assertErrno(Errno.ENODEV, get());
    ok(destroy(ioas)); // CLEAR forgets the IOAS, it does not destroy it
  }

  /** The errnos in the kernel's order: {@code __reserved} first, then the op. */
  @Test
  void vfioIoas_errnos_inTheKernelsOrder() {
    int ioas = s.ioasAlloc(fd);
    assertErrno(Errno.EOPNOTSUPP, s.ioctl(fd, IOMMU_VFIO_IOAS, cmd(IOMMU_VFIO_IOAS_SET, ioas, 1)));
    assertErrno(Errno.EOPNOTSUPP, s.ioctl(fd, IOMMU_VFIO_IOAS, cmd(3, ioas, 0))); // unknown op
    assertErrno(Errno.EOPNOTSUPP, s.ioctl(fd, IOMMU_VFIO_IOAS, cmd(3, 0, 1)));
    assertErrno(Errno.ENOENT, vfioIoas(IOMMU_VFIO_IOAS_SET, ioas + 1)); // no such object
    assertErrno(Errno.ENODEV, get()); // none of them set anything
    ok(vfioIoas(IOMMU_VFIO_IOAS_CLEAR, 0)); // CLEAR with none is a success
    ok(vfioIoas(IOMMU_VFIO_IOAS_CLEAR, 12345)); // its ioas_id is not read
  }

  /** GET writes the struct back with {@code ioas_id}; SET and CLEAR write nothing. */
  @Test
  void vfioIoas_onlyGetReplies() {
    int ioas = s.ioasAlloc(fd);
    ok(vfioIoas(IOMMU_VFIO_IOAS_SET, ioas));
    long get = cmd(IOMMU_VFIO_IOAS_GET, 99, 0);
    ok(s.ioctl(fd, IOMMU_VFIO_IOAS, get));
    assertEquals(
        new IommuVfioIoas(12, ioas, IOMMU_VFIO_IOAS_GET, 0),
        s.get(get, IommuVfioIoas.SIZE, IommuVfioIoas::decode));
    long clear = cmd(IOMMU_VFIO_IOAS_CLEAR, 99, 0);
    ok(s.ioctl(fd, IOMMU_VFIO_IOAS, clear));
    assertEquals(
        new IommuVfioIoas(12, 99, IOMMU_VFIO_IOAS_CLEAR, 0),
        s.get(clear, IommuVfioIoas.SIZE, IommuVfioIoas::decode));
  }

  /** Destroying the compatibility IOAS forgets it: a new IOAS under its id is not it. */
  @Test
  void destroyingTheCompatIoas_forgetsIt_evenWhenItsIdComesBack() {
    int ioas = s.ioasAlloc(fd);
    ok(vfioIoas(IOMMU_VFIO_IOAS_SET, ioas));
    ok(destroy(ioas));
    assertErrno(Errno.ENODEV, get());
    assertEquals(ioas, s.ioasAlloc(fd), "the lowest free id again");
    assertErrno(Errno.ENODEV, get());
    assertErrno(Errno.ENODEV, mapDma(0, PAGE));
    assertErrno(Errno.ENODEV, s.ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
  }

  /** MAP_DMA and UNMAP_DMA act on the IOAS that SET chose, from the next call on. */
  @Test
  void type1Ioctls_actOnTheIoasSet() {
    int a = s.ioasAlloc(fd);
    int b = s.ioasAlloc(fd);
    ok(vfioIoas(IOMMU_VFIO_IOAS_SET, a));
    ok(mapDma(0, 4 * PAGE));
    ok(vfioIoas(IOMMU_VFIO_IOAS_SET, b));
    ok(mapDma(0, 4 * PAGE)); // b is empty: no EEXIST
    assertArrayEquals(new long[] {0, 4 * PAGE}, unmapDma(0, 4 * PAGE));
    assertArrayEquals(new long[] {-Errno.ENOENT.code(), 0}, unmapDma(0, 4 * PAGE));
    ok(vfioIoas(IOMMU_VFIO_IOAS_SET, a));
    assertErrno(Errno.EEXIST, s.ioasMap(fd, a, IoasMap.fixed(base, PAGE, 0)));
    assertArrayEquals(new long[] {0, 4 * PAGE}, unmapDma(0, 4 * PAGE));
    ok(s.ioasMap(fd, a, IoasMap.fixed(base, PAGE, 0))); // a is empty now
  }

  /**
   * TYPE1 turns the IOAS's huge pages off, and its unmaps then cut the mapping at the range's ends
   * ({@code iopt_cut_iova}); TYPE1v2 keeps the IOAS rule ({@code ENOENT}, 0 copied back).
   */
  @Test
  void unmapDma_insideAMapping_cutsUnderType1Only() {
    int ioas = s.ioasAlloc(fd);
    ok(vfioIoas(IOMMU_VFIO_IOAS_SET, ioas));
    ok(s.ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
    ok(mapDma(0, 8 * PAGE));
    assertArrayEquals(new long[] {-Errno.ENOENT.code(), 0}, unmapDma(2 * PAGE, 2 * PAGE));
    ok(s.ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
    assertArrayEquals(new long[] {0, 2 * PAGE}, unmapDma(2 * PAGE, 2 * PAGE));
    assertArrayEquals(new long[] {0, PAGE}, unmapDma(7 * PAGE, PAGE)); // the tail
    assertArrayEquals(new long[] {0, 2 * PAGE}, unmapDma(0, 2 * PAGE)); // from 0: one cut
    assertArrayEquals(new long[] {0, 3 * PAGE}, unmapDma(4 * PAGE, 3 * PAGE)); // what is left
    assertArrayEquals(new long[] {-Errno.ENOENT.code(), 0}, unmapDma(0, 8 * PAGE));
  }

  /** Cuts on both ends of a range; a refused unmap's cuts stay. */
  @Test
  void unmapDma_type1Cuts_stayWhenTheUnmapIsRefused() {
    int ioas = s.ioasAlloc(fd);
    ok(vfioIoas(IOMMU_VFIO_IOAS_SET, ioas));
    ok(s.ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
    ok(mapDma(0, 4 * PAGE));
    ok(mapDma(8 * PAGE, 4 * PAGE));
    // cut after page 9 and after page 0: pages 1-3 and 8-9 are whole areas, the gap is allowed
    assertArrayEquals(new long[] {0, 5 * PAGE}, unmapDma(PAGE, 9 * PAGE));
    assertArrayEquals(new long[] {0, PAGE}, unmapDma(0, PAGE));
    assertArrayEquals(new long[] {0, 2 * PAGE}, unmapDma(10 * PAGE, 2 * PAGE));
    // a zero size: both cuts fall after iova - 1, then the unmap is EINVAL with 0 copied back
    ok(mapDma(0, 4 * PAGE));
    assertArrayEquals(new long[] {-Errno.EINVAL.code(), 0}, unmapDma(2 * PAGE, 0));
    assertArrayEquals(new long[] {0, 2 * PAGE}, unmapDma(0, 2 * PAGE), "cut by the refused one");
  }
}
