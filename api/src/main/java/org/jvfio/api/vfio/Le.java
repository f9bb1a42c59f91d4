package org.jvfio.api.vfio;

import java.nio.BufferOverflowException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;

/*
 * Little-endian windows on a caller's buffer, shared by the struct records of this package.
 *
 * Every record encodes and decodes through a window: a slice of exactly SIZE bytes at the
 * caller's position, set to LITTLE_ENDIAN. The window is taken (and the caller's position moved
 * past it) only after the bounds and read-only checks pass, so a refused call leaves the
 * caller's buffer as it was, and the caller's byte order is never touched because the order is
 * set on the slice, not on the caller's buffer. Records then put or get their fields in C order
 * with relative operations, so the code reads like the struct; holes are written as zeros and
 * skipped on decode. A nested struct encodes into its parent's window the same way, which keeps
 * its offsets relative to the parent. (The iommufd package has its own copy of this class: the
 * api module exports no helper package.)
 */
final class Le {
  private Le() {}

  /** A writable little-endian window of {@code size} bytes at {@code buf}'s position. */
  static ByteBuffer out(ByteBuffer buf, int size) {
    if (buf.isReadOnly()) {
      throw new ReadOnlyBufferException();
    }
    if (buf.remaining() < size) {
      throw new BufferOverflowException();
    }
    return window(buf, size);
  }

  /** A readable little-endian window of {@code size} bytes at {@code buf}'s position. */
  static ByteBuffer in(ByteBuffer buf, int size) {
    if (buf.remaining() < size) {
      throw new BufferUnderflowException();
    }
    return window(buf, size);
  }

  private static ByteBuffer window(ByteBuffer buf, int size) {
    int pos = buf.position();
    ByteBuffer window = buf.slice(pos, size).order(ByteOrder.LITTLE_ENDIAN);
    buf.position(pos + size);
    return window;
  }

  /** Writes {@code n} zero bytes (a hole) and returns {@code out}. */
  static ByteBuffer zeros(ByteBuffer out, int n) {
    for (int i = 0; i < n; i++) {
      out.put((byte) 0);
    }
    return out;
  }

  /** Skips {@code n} bytes (a hole) of {@code in}. */
  static void skip(ByteBuffer in, int n) {
    in.position(in.position() + n);
  }
}
