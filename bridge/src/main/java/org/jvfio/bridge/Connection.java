package org.jvfio.bridge;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.kernel.FakeKernel;

/*
 * One client connection: a loop that reads a request, runs it on the FakeKernel on this thread, and
 * answers RESULT. While the call runs, the kernel reaches the client's memory and fd table through
 * RemoteProcess, which finds this connection as the current thread's and sends the callbacks on
 * the same socket.
 *
 * A Java exception other than UapiException out of the kernel is a defect: it is printed and the
 * call fails with EIO, so the client never hangs. An I/O error on the socket (the client died) ends
 * the connection.
 */
final class Connection implements Runnable {
  private static final ThreadLocal<Connection> CURRENT = new ThreadLocal<>();
  private static final int MAX_FD_TRIES = 64;

  private final SocketChannel channel;
  private final FakeKernel kernel;
  private final ProcessTable processes;
  private long pid = -1; // the client process, from HELLO
  private final ByteBuffer header = ByteBuffer.allocateDirect(Protocol.HEADER);
  private final long[] args = new long[4];
  private int type;
  private int length;
  private ByteBuffer prefetch; // the bytes at prefetchAddr an IOCTL sent along, during that call
  private long prefetchAddr;
  private ByteBuffer reply; // data sent with RESULT (HELLO only)

  Connection(SocketChannel channel, FakeKernel kernel, ProcessTable processes) {
    this.channel = channel;
    this.kernel = kernel;
    this.processes = processes;
    header.order(ByteOrder.LITTLE_ENDIAN);
  }

  /** Returns the connection whose call this thread is running. */
  static Connection current() {
    Connection c = CURRENT.get();
    if (c == null) {
      throw new UapiException(Errno.EFAULT, "no client process on this thread");
    }
    return c;
  }

  @Override
  public void run() {
    CURRENT.set(this);
    try {
      while (receiveHeader()) {
        long rc = serve();
        send(Protocol.RESULT, rc, 0, 0, 0, reply);
        reply = null;
      }
    } catch (IOException | UncheckedIOException e) {
      // the client went away (a thread's connection ends when its process exits)
    } finally {
      CURRENT.remove();
      if (pid >= 0) {
        processes.disconnected(pid); // the process exited: its files close
      }
      try {
        channel.close(); // only now: a client that waits for the end knows its files are closed
      } catch (IOException e) {
        // nothing to do
      }
    }
  }

  private long serve() throws IOException {
    if (pid < 0 && type != Protocol.HELLO) {
      throw new IOException("a request before HELLO");
    }
    ByteBuffer data = length > 0 ? receiveData(length) : ByteBuffer.allocate(0);
    try {
      switch (type) {
        case Protocol.HELLO:
          if (pid >= 0) {
            throw new IOException("HELLO twice");
          }
          pid = args[0];
          processes.hello(pid, args[1]);
          reply = guestMemories(kernel.guestMemories());
          return 0;
        case Protocol.OPEN:
          return kernel.open(StandardCharsets.UTF_8.decode(data).toString());
        case Protocol.CLOSE:
          return processes.close(pid, (int) args[0]);
        case Protocol.POLL:
          return processes.holds(pid, (int) args[0])
              ? kernel.poll((int) args[0], (int) args[1])
              : FakeKernel.POLLNVAL;
        default:
          break;
      }
      if (!processes.holds(pid, (int) args[0])) {
        return -Errno.EBADF.code();
      }
      switch (type) {
        case Protocol.IOCTL:
          prefetch = data;
          prefetchAddr = args[2]; // args[] is overwritten by the callbacks' answers
          try {
            return kernel.ioctl((int) args[0], (int) args[1], args[2]);
          } finally {
            prefetch = null;
          }
        case Protocol.READ:
          return kernel.read((int) args[0], args[1], args[2]);
        case Protocol.WRITE:
          return kernel.write((int) args[0], args[1], args[2]);
        case Protocol.PREAD:
          return kernel.pread((int) args[0], args[1], args[2], args[3]);
        case Protocol.PWRITE:
          return kernel.pwrite((int) args[0], args[1], args[2], args[3]);
        case Protocol.DUP:
          return processes.dup(pid, (int) args[0], (int) args[1]);
        default:
          throw new IOException("unknown request " + type);
      }
    } catch (UncheckedIOException e) {
      throw e.getCause();
    } catch (RuntimeException e) {
      System.err.println("jvfio-kernel: a call failed inside the model (reported as EIO):");
      e.printStackTrace();
      return -Errno.EIO.code();
    }
  }

  private static ByteBuffer guestMemories(List<GuestMemory> memories) {
    ByteBuffer b = ByteBuffer.allocate(memories.size() * 16).order(ByteOrder.LITTLE_ENDIAN);
    for (GuestMemory m : memories) {
      b.putLong(m.base()).putLong(m.size());
    }
    return b.flip();
  }

  // --- callbacks (called by RemoteProcess on this thread, during serve) --------------------------

  /**
   * copy_from_user of {@code dst.remaining()} bytes, from the ioctl's prefetched bytes where they
   * cover the range; false if the client answered EFAULT.
   */
  boolean readMemory(long addr, ByteBuffer dst) {
    return readMemory(pid, addr, dst);
  }

  /** As {@link #readMemory(long, ByteBuffer)} in the memory of process {@code target}. */
  boolean readMemory(long target, long addr, ByteBuffer dst) {
    long other = other(target);
    long off = addr - prefetchAddr;
    if (other == 0 && prefetch != null && off >= 0 && off <= prefetch.limit() - dst.remaining()) {
      dst.put(prefetch.slice((int) off, dst.remaining()));
      return true;
    }
    try {
      while (dst.hasRemaining()) {
        int n = Math.min(dst.remaining(), Protocol.MAX_DATA);
        send(Protocol.MEM_READ, addr, n, 0, other, null);
        expect(Protocol.DATA);
        if (args[0] != 0) {
          return false;
        }
        if (length != n) {
          throw new IOException("short DATA");
        }
        ByteBuffer slice = dst.slice();
        slice.limit(n);
        receiveInto(slice);
        dst.position(dst.position() + n);
        addr += n;
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * copy_to_user of {@code src.remaining()} bytes; false if the client answered EFAULT. Prefetched
   * bytes the write covers are updated, so a later read in the same call sees the write.
   */
  boolean writeMemory(long addr, ByteBuffer src) {
    return writeMemory(pid, addr, src);
  }

  /** As {@link #writeMemory(long, ByteBuffer)} in the memory of process {@code target}. */
  boolean writeMemory(long target, long addr, ByteBuffer src) {
    long other = other(target);
    if (other == 0 && prefetch != null) {
      long from = Math.max(addr, prefetchAddr);
      long to = Math.min(addr + src.remaining(), prefetchAddr + prefetch.limit());
      for (long at = from; at < to; at++) {
        prefetch.put((int) (at - prefetchAddr), src.get(src.position() + (int) (at - addr)));
      }
    }
    try {
      while (src.hasRemaining()) {
        int n = Math.min(src.remaining(), Protocol.MAX_DATA);
        ByteBuffer slice = src.slice();
        slice.limit(n);
        send(Protocol.MEM_WRITE, addr, n, 0, other, slice);
        if (status() != 0) {
          return false;
        }
        src.position(src.position() + n);
        addr += n;
      }
      return true;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Whether the client can read every byte of the range, and with {@code write} whether the range
   * also lies in mappings with write permission.
   */
  boolean probeMemory(long addr, long len, boolean write) {
    return probeMemory(pid, addr, len, write);
  }

  /**
   * As {@link #probeMemory(long, long, boolean)} in the memory of process {@code target}; for
   * another process, a length of 0 asks whether it still has an address space.
   */
  boolean probeMemory(long target, long addr, long len, boolean write) {
    try {
      send(Protocol.MEM_PROBE, addr, len, write ? 1 : 0, other(target), null);
      return status() == 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The a3 of a memory callback: 0 for this connection's process, else the pid of the other. */
  private long other(long target) {
    return target == pid ? 0 : target;
  }

  /**
   * The calling process's memory as a handle that keeps naming it after the call ({@code
   * current->mm}).
   */
  ProcessMemory process() {
    return new ProcessMemory(pid, processes);
  }

  /**
   * A new fd number in the client's own table that no other client process uses for a kernel file
   * (the kernel has one fd table for all of them), or -errno.
   */
  int allocateFd() {
    try {
      for (int tries = 0; tries < MAX_FD_TRIES; tries++) {
        send(Protocol.FD_ALLOC, 0, 0, 0, 0, null);
        int fd = (int) status();
        if (fd < 0 || processes.install(pid, fd)) {
          return fd;
        }
        // another client process uses this number for another file: the client keeps it
        // reserved (so it cannot come back) and the kernel asks for the next one
      }
      return -Errno.EMFILE.code();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * What the client's fstat, fstatfs and /proc/self/maps say of its fd for IOMMU_IOAS_MAP_FILE:
   * {shmem (1 or 0), size, the address of start in a shared mapping of the whole range or 0,
   * st_dev, st_ino}, or null if the fd is not open (EBADF).
   */
  long[] fileInfo(int fd, long start, long len) {
    try {
      send(Protocol.FILE_INFO, fd, start, len, 0, null);
      expect(Protocol.DATA);
      if (args[0] != 0) {
        return null;
      }
      if (length != Protocol.FILE_INFO_SIZE) {
        throw new IOException("bad FILE_INFO answer");
      }
      ByteBuffer b = receiveData(Protocol.FILE_INFO_SIZE).order(ByteOrder.LITTLE_ENDIAN);
      long[] info = new long[Protocol.FILE_INFO_SIZE / 8];
      for (int i = 0; i < info.length; i++) {
        info[i] = b.getLong();
      }
      return info;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private long status() throws IOException {
    expect(Protocol.STATUS);
    return args[0];
  }

  // --- framing ----------------------------------------------------------------------------------

  private void expect(int want) throws IOException {
    if (!receiveHeader() || type != want) {
      throw new IOException("expected message " + want + ", got " + type);
    }
  }

  private boolean receiveHeader() throws IOException {
    header.clear();
    while (header.hasRemaining()) {
      if (channel.read(header) < 0) {
        if (header.position() == 0) {
          return false;
        }
        throw new EOFException();
      }
    }
    header.flip();
    type = header.getInt();
    length = header.getInt();
    for (int i = 0; i < 4; i++) {
      args[i] = header.getLong();
    }
    if (length < 0 || length > Protocol.MAX_DATA) {
      throw new IOException("bad length " + length);
    }
    return true;
  }

  private ByteBuffer receiveData(int n) throws IOException {
    ByteBuffer b = ByteBuffer.allocate(n);
    receiveInto(b);
    return b.flip();
  }

  private void receiveInto(ByteBuffer dst) throws IOException {
    while (dst.hasRemaining()) {
      if (channel.read(dst) < 0) {
        throw new EOFException();
      }
    }
  }

  private void send(int msgType, long a0, long a1, long a2, long a3, ByteBuffer data)
      throws IOException {
    header.clear();
    header.putInt(msgType).putInt(data == null ? 0 : data.remaining());
    header.putLong(a0).putLong(a1).putLong(a2).putLong(a3).flip();
    if (data == null) {
      while (header.hasRemaining()) {
        channel.write(header);
      }
    } else {
      ByteBuffer[] both = {header, data};
      while (data.hasRemaining() || header.hasRemaining()) {
        channel.write(both);
      }
    }
  }
}
