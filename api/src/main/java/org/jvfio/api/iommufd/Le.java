package org.jvfio.api.iommufd;

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
 * with relative operations, so the code reads like the struct. A byte array field such as
 * __reserved[3] travels as one little-endian 24-bit value. (The vfio package has its own copy of
 * this class: the api module exports no helper package.)
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

  /** Writes the low 24 bits of {@code value} as three little-endian bytes; returns {@code out}. */
  static ByteBuffer putU24(ByteBuffer out, int value) {
    return out.put((byte) value).put((byte) (value >>> 8)).put((byte) (value >>> 16));
  }

  /** Reads three little-endian bytes as an unsigned 24-bit value. */
  static int getU24(ByteBuffer in) {
    int b0 = Byte.toUnsignedInt(in.get());
    int b1 = Byte.toUnsignedInt(in.get());
    int b2 = Byte.toUnsignedInt(in.get());
    return b0 | (b1 << 8) | (b2 << 16);
  }
}
