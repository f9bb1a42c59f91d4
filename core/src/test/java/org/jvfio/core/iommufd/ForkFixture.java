package org.jvfio.core.iommufd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.HostMemory;
import org.jvfio.core.kernel.CurrentProcess;
import org.jvfio.core.kernel.UserMemory;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * A parent and the child it forked over one iommufd context, as the selftest's {@code fork_gone}
 * and {@code fork_present} have them: each process has its own {@link UserMemory} with a {@link
 * #PAGES}-page buffer at the same address (the parent's bytes 1, the child's 2), and the context
 * sees the caller through a {@link CurrentProcess}.
 */
final class ForkFixture {
  static final long PAGE = 4096;
  static final int PAGES = 16;
  static final long IOVA = 1L << 24;

  final UserMemory parent = new UserMemory();
  final UserMemory child = new UserMemory();
  final CurrentProcess procs = new CurrentProcess(parent);
  final IommufdContext ctx;
  final long buf;
  final int ioas;

  /**
   * The fixture; {@code pinThroughCaller} builds the broken twin, a kernel whose maps do not keep
   * their process (the {@link UserPages#currentMm} default): every later pin, read and write goes
   * through the caller's memory ({@code current->mm}) instead of the source mm.
   */
  ForkFixture(boolean pinThroughCaller) {
    buf = parent.allocate(PAGES * PAGE, PAGE, 0);
    assertEquals(buf, child.allocate(PAGES * PAGE, PAGE, 0));
    fill(parent, (byte) 1);
    fill(child, (byte) 2);
    UserPages pages = pinThroughCaller ? procs::canPin : pagesOf(procs);
    ctx = IommufdContext.create(PAGE, new GuestTables(), pages, new HostMemory());
    ioas = ctx.ioasAlloc(0);
  }

  /** The pages of the calling process, which names itself as {@code current->mm}. */
  static UserPages pagesOf(CurrentProcess procs) {
    return new UserPages() {
      @Override
      public boolean canPin(long userVa, long length, boolean write) {
        return procs.canPin(userVa, length, write);
      }

      @Override
      public UserMm currentMm() {
        return procs.currentProcess();
      }
    };
  }

  ForkFixture() {
    this(false);
  }

  private void fill(UserMemory m, byte b) {
    byte[] bytes = new byte[(int) (PAGES * PAGE)];
    java.util.Arrays.fill(bytes, b);
    m.write(buf, ByteBuffer.wrap(bytes));
  }

  /** Runs {@code call} as the child. */
  void asChild(Runnable call) {
    procs.callAs(
        child,
        () -> {
          call.run();
          return 0;
        });
  }

  /** The child maps {@code pages} pages of its buffer from page {@code first} at {@code iova}. */
  void childMaps(int first, int pages, long iova) {
    asChild(() -> ctx.ioasMap(ioas, IoasMap.fixed(buf + first * PAGE, pages * PAGE, iova)));
  }

  /** Binds a mock device and attaches it to the IOAS: a new domain to fill; returns the device. */
  int attachDomain() {
    int dev = ctx.bindDevice(MockIommuDriver.create(), DmaWriteListener.NONE);
    try {
      ctx.attach(dev, ioas);
    } catch (RuntimeException e) {
      ctx.unbindDevice(dev);
      throw e;
    }
    return dev;
  }

  /** An access without pinning, attached to the IOAS (the selftest's {@code access_rw}). */
  IommufdAccess rwAccess() {
    IommufdAccess a = IommufdAccess.create(ctx, false, (iova, length) -> {});
    a.attach(ioas);
    return a;
  }

  /** The bytes an access reads at {@code iova}, as the parent. */
  byte[] read(IommufdAccess a, long iova, int length) {
    ByteBuffer dst = ByteBuffer.allocate(length);
    a.read(iova, dst, procs);
    return dst.array();
  }
}
