package org.jvfio.sim;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import org.jvfio.core.kernel.FakeKernel;
import org.jvfio.core.kernel.UserMemory;

/**
 * One system call of a fuzz program, replayable on a fresh {@link FakeKernel}: the call is data, so
 * a failing program can be shrunk by dropping calls and printed as a reproducer.
 *
 * <p>An ioctl's {@code arg} bytes are copied into a fresh allocation of {@code argAlloc} bytes
 * (fewer than the struct to make its tail unreadable, or -1 for an unmapped address); each {@link
 * Aux} buffer is allocated and its address written into the struct at its offset (an aux without
 * bytes stands for a pointer to unmapped memory). Nothing refers to an address of an earlier call,
 * so any subsequence replays.
 */
record FuzzCall(
    Kind kind,
    int fd,
    String path,
    int request,
    byte[] arg,
    int argAlloc,
    List<Aux> aux,
    long n,
    long offset) {
  /** What the call does. */
  enum Kind {
    OPEN,
    CLOSE,
    IOCTL,
    READ,
    WRITE,
    PREAD,
    PWRITE,
    POLL,
    DMA
  }

  /** A user buffer a struct points to: {@code bytes} at the struct's {@code offset}. */
  record Aux(int offset, byte[] bytes) {}

  /** An address nothing is ever allocated at (below {@link UserMemory#BASE}). */
  static final long UNMAPPED = 0x10_0000L;

  static FuzzCall open(String path) {
    return new FuzzCall(Kind.OPEN, -1, path, 0, null, 0, List.of(), 0, 0);
  }

  static FuzzCall close(int fd) {
    return new FuzzCall(Kind.CLOSE, fd, null, 0, null, 0, List.of(), 0, 0);
  }

  static FuzzCall ioctl(int fd, int request, byte[] arg, int argAlloc, List<Aux> aux) {
    return new FuzzCall(Kind.IOCTL, fd, null, request, arg, argAlloc, aux, 0, 0);
  }

  /** {@code read(fd, buf, count)} into a buffer of {@code bufferSize} bytes (0: unmapped). */
  static FuzzCall read(int fd, int bufferSize, long count) {
    return new FuzzCall(Kind.READ, fd, null, 0, null, bufferSize, List.of(), count, 0);
  }

  /** {@code write(fd, buf, count)} from a buffer holding {@code bytes}. */
  static FuzzCall write(int fd, byte[] bytes, long count) {
    return new FuzzCall(Kind.WRITE, fd, null, 0, bytes, bytes.length, List.of(), count, 0);
  }

  /**
   * {@code pread(fd, buf, count, offset)} into a buffer of {@code bufferSize} bytes (0: unmapped).
   */
  static FuzzCall pread(int fd, int bufferSize, long count, long offset) {
    return new FuzzCall(Kind.PREAD, fd, null, 0, null, bufferSize, List.of(), count, offset);
  }

  /** {@code pwrite(fd, buf, count, offset)} from a buffer holding {@code bytes}. */
  static FuzzCall pwrite(int fd, byte[] bytes, long count, long offset) {
    return new FuzzCall(Kind.PWRITE, fd, null, 0, bytes, bytes.length, List.of(), count, offset);
  }

  /** {@code poll} of one {@code struct pollfd {fd, events}}, without waiting. */
  static FuzzCall poll(int fd, int events) {
    return new FuzzCall(Kind.POLL, fd, null, 0, null, 0, List.of(), events, 0);
  }

  /** Runs the call on {@code kernel} and returns what the syscall returns. */
  long run(FakeKernel kernel) {
    UserMemory mem = kernel.userMemory();
    switch (kind) {
      case OPEN:
        return kernel.open(path);
      case CLOSE:
        return kernel.close(fd);
      case READ:
        return kernel.read(fd, argAlloc == 0 ? UNMAPPED : mem.allocate(argAlloc, 8, 0), n);
      case WRITE:
        return kernel.write(fd, arg.length == 0 ? UNMAPPED : mem.allocate(arg), n);
      case PREAD:
        return kernel.pread(fd, argAlloc == 0 ? UNMAPPED : mem.allocate(argAlloc, 8, 0), n, offset);
      case PWRITE:
        return kernel.pwrite(fd, arg.length == 0 ? UNMAPPED : mem.allocate(arg), n, offset);
      case POLL:
        return kernel.poll(fd, (int) n);
      case DMA:
        kernel.dmaWrite(fd, offset, n);
        return 0;
      case IOCTL:
      default:
        ByteBuffer struct = ByteBuffer.wrap(arg.clone()).order(ByteOrder.LITTLE_ENDIAN);
        for (Aux a : aux) {
          long address = a.bytes().length == 0 ? UNMAPPED : mem.allocate(a.bytes());
          if (a.offset() + 8 <= arg.length) {
            struct.putLong(a.offset(), address);
          }
        }
        if (argAlloc < 0) {
          return kernel.ioctl(fd, request, UNMAPPED);
        }
        long address = mem.allocate(Math.max(argAlloc, 1), 8, 0);
        mem.write(address, ByteBuffer.wrap(struct.array(), 0, Math.min(argAlloc, arg.length)));
        return kernel.ioctl(fd, request, address);
    }
  }

  /** The hardware hook: device {@code index} writes {@code [iova, iova + length)} by DMA. */
  static FuzzCall dma(int index, long iova, long length) {
    return new FuzzCall(Kind.DMA, index, null, 0, null, 0, List.of(), length, iova);
  }

  private static String hex(byte[] bytes) {
    int shown = Math.min(bytes.length, 64);
    String h = HexFormat.of().formatHex(bytes, 0, shown);
    return shown == bytes.length ? h : h + "... (" + bytes.length + " bytes)";
  }

  @Override
  public String toString() {
    switch (kind) {
      case OPEN:
        return "open(\"" + path + "\")";
      case CLOSE:
        return "close(" + fd + ")";
      case READ:
        return "read(" + fd + ", buf[" + argAlloc + "], " + Long.toUnsignedString(n) + ")";
      case WRITE:
        return "write(" + fd + ", {" + hex(arg) + "}, " + Long.toUnsignedString(n) + ")";
      case PREAD:
        return "pread("
            + fd
            + ", buf["
            + argAlloc
            + "], "
            + Long.toUnsignedString(n)
            + ", "
            + offset
            + ")";
      case PWRITE:
        return "pwrite("
            + fd
            + ", {"
            + hex(arg)
            + "}, "
            + Long.toUnsignedString(n)
            + ", "
            + offset
            + ")";
      case POLL:
        return "poll({" + fd + ", 0x" + Long.toHexString(n) + "})";
      case DMA:
        return "dmaWrite(vfio"
            + fd
            + ", 0x"
            + Long.toHexString(offset)
            + ", 0x"
            + Long.toHexString(n)
            + ")";
      case IOCTL:
      default:
        StringBuilder b = new StringBuilder("ioctl(").append(fd).append(", 0x");
        b.append(Integer.toHexString(request)).append(", ");
        b.append(argAlloc < 0 ? "UNMAPPED" : "{" + hex(arg) + "}");
        if (argAlloc >= 0 && argAlloc < arg.length) {
          b.append(" only ").append(argAlloc).append(" bytes readable");
        }
        for (Aux a : aux) {
          b.append(", @").append(a.offset()).append("->");
          b.append(a.bytes().length == 0 ? "UNMAPPED" : "{" + hex(a.bytes()) + "}");
        }
        return b.append(')').toString();
    }
  }
}
