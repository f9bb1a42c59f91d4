package org.jvfio.bridge;

import java.nio.ByteBuffer;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.kernel.UserAddressSpace;

/*
 * The calling client process as the FakeKernel sees it: its memory (UserAddressSpace) and its fd
 * numbers (the kernel's unusedFd supplier), both reached through the connection whose call the
 * current thread runs. A range longer than MAX_PROBE is reported inaccessible without asking: no
 * user buffer the modelled calls take is that large, and the probe would read it all.
 */
final class RemoteProcess implements UserAddressSpace {
  private static final long MAX_PROBE = 1L << 30;

  @Override
  public void read(long addr, ByteBuffer dst) {
    if (dst.hasRemaining() && !Connection.current().readMemory(addr, dst)) {
      throw fault(addr);
    }
  }

  @Override
  public void write(long addr, ByteBuffer src) {
    if (src.hasRemaining() && !Connection.current().writeMemory(addr, src)) {
      throw fault(addr);
    }
  }

  @Override
  public boolean isAccessible(long addr, long length) {
    if (length < 0 || length > MAX_PROBE || Long.compareUnsigned(addr + length, addr) < 0) {
      return false;
    }
    return Connection.current().probeMemory(addr, length);
  }

  /** {@code get_unused_fd_flags} in the client's own fd table. */
  int unusedFd() {
    return Connection.current().allocateFd();
  }

  private static UapiException fault(long addr) {
    return new UapiException(Errno.EFAULT, "client address 0x" + Long.toHexString(addr));
  }
}
