package org.jvfio.bridge;

import java.nio.ByteBuffer;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.kernel.UserAddressSpace;

/*
 * The memory of one client process, named by its pid: what a map keeps as its pages' source_mm
 * (RemoteProcess#currentProcess), to pin them later and for an access's reads and writes. The
 * bytes are reached through the connection whose call the current thread runs: its own process's
 * as RemoteProcess does, another's (a fork's child, blocked in a system call of its own) by the
 * caller with process_vm_readv/process_vm_writev on that pid, and the write permission from
 * /proc/PID/maps. A process is live while it has a connection and, seen from another process,
 * while /proc/PID/maps lists a mapping (a zombie has none), so an exit the server has not noticed
 * yet is not taken for a live mm. Any failure is EFAULT. Two handles are equal when their pids are.
 */
record ProcessMemory(long pid, ProcessTable processes) implements UserAddressSpace {
  @Override
  public void read(long addr, ByteBuffer dst) {
    if (dst.hasRemaining() && !Connection.current().readMemory(pid, addr, dst)) {
      throw fault(addr);
    }
  }

  @Override
  public void write(long addr, ByteBuffer src) {
    if (src.hasRemaining() && !Connection.current().writeMemory(pid, addr, src)) {
      throw fault(addr);
    }
  }

  @Override
  public boolean isAccessible(long addr, long length) {
    return RemoteProcess.probeable(addr, length)
        && Connection.current().probeMemory(pid, addr, length, false);
  }

  @Override
  public boolean isWritable(long addr, long length) {
    return RemoteProcess.probeable(addr, length)
        && Connection.current().probeMemory(pid, addr, length, true);
  }

  @Override
  public boolean isLive() {
    if (!processes.isConnected(pid)) {
      return false;
    }
    Connection caller = Connection.current();
    return caller.process().equals(this) || caller.probeMemory(pid, 0, 0, false);
  }

  private UapiException fault(long addr) {
    return new UapiException(
        Errno.EFAULT, "address 0x" + Long.toHexString(addr) + " of client process " + pid);
  }
}
