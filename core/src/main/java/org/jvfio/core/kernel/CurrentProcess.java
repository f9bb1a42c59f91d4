package org.jvfio.core.kernel;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * The memory of whichever process makes the current call, for a {@link FakeKernel} that several
 * processes share (a parent and the children it forks, each with its own {@link UserMemory}): what
 * {@code current->mm} is to the kernel. Plug it in with {@link FakeKernel.Builder#userAddressSpace}
 * and make a call as another process with {@link #callAs}; every other call is the first process's.
 *
 * <p>Every access goes to the calling thread's current process, and {@link #currentProcess} names
 * it, so an {@code IOMMU_IOAS_MAP} made in {@link #callAs} keeps that process's memory as its
 * pages' {@code source_mm}: later pins go through it, and once it has {@link UserMemory#exit
 * exited} they are {@code EFAULT} (see {@link org.jvfio.core.iommufd.UserMm}).
 *
 * <p>Thread-safe: the current process is per thread.
 */
public final class CurrentProcess implements UserAddressSpace {
  private final ThreadLocal<UserAddressSpace> current;

  /**
   * Creates the switch with {@code first} as every thread's current process.
   *
   * @param first the process whose calls are made outside {@link #callAs}
   */
  public CurrentProcess(UserAddressSpace first) {
    Objects.requireNonNull(first);
    this.current = ThreadLocal.withInitial(() -> first);
  }

  /**
   * Runs {@code call} (a system call of the fake kernel) as process {@code process} on this thread,
   * and returns what it returns.
   *
   * @param process the calling process's memory; not a {@code CurrentProcess}
   * @param call the call, typically {@code () -> kernel.ioctl(fd, request, arg)}
   * @return the call's result
   * @throws IllegalArgumentException if {@code process} is a {@code CurrentProcess}
   */
  public int callAs(UserAddressSpace process, IntSupplier call) {
    Preconditions.checkArgument(!(process instanceof CurrentProcess), "a process, not a switch");
    UserAddressSpace before = current.get();
    current.set(process);
    try {
      return call.getAsInt();
    } finally {
      current.set(before);
    }
  }

  /** Returns the calling thread's current process. */
  @Override
  public UserAddressSpace currentProcess() {
    return current.get().currentProcess();
  }

  @Override
  public void read(long addr, ByteBuffer dst) {
    current.get().read(addr, dst);
  }

  @Override
  public void write(long addr, ByteBuffer src) {
    current.get().write(addr, src);
  }

  @Override
  public boolean isAccessible(long addr, long length) {
    return current.get().isAccessible(addr, length);
  }

  @Override
  public boolean isWritable(long addr, long length) {
    return current.get().isWritable(addr, length);
  }

  @Override
  public void orBytes(long addr, byte[] bits) {
    current.get().orBytes(addr, bits);
  }

  @Override
  public boolean isLive() {
    return current.get().isLive();
  }
}
