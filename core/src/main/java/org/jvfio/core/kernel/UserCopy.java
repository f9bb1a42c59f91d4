package org.jvfio.core.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.function.Consumer;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

/*
 * The kernel's user-copy helpers over the UserAddressSpace, shared by the files of the fake kernel.
 *
 * Structs are read into a buffer of the kernel's size, zero-extended when the user's is shorter
 * (copy_struct_from_user), so the api records decode them whatever size the user passed; a larger
 * user struct must be zero beyond the kernel's size (E2BIG) and readable (EFAULT). Replies are
 * encoded by the api records into a buffer of the kernel's size and the first min(user size,
 * kernel size) bytes are copied back, as iommufd_ucmd_respond() does.
 */
final class UserCopy {
  private static final int CHUNK = 4096;

  private UserCopy() {}

  /** {@code get_user} of a u32, widened unsigned ({@code EFAULT}). */
  static long readU32(UserAddressSpace memory, long addr) {
    return Integer.toUnsignedLong(memory.read(addr, Integer.BYTES).getInt());
  }

  /** {@code put_user} of a u32 ({@code EFAULT}). */
  static void writeU32(UserAddressSpace memory, long addr, int value) {
    memory.write(
        addr, ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
  }

  /**
   * {@code copy_from_user} of the first {@code copyLength} bytes of a struct into a zeroed buffer
   * of {@code size} bytes (position 0, limit {@code size}, little-endian).
   */
  static ByteBuffer readStruct(UserAddressSpace memory, long addr, long copyLength, int size) {
    ByteBuffer buf = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    buf.limit((int) Math.min(copyLength, size));
    memory.read(addr, buf);
    return buf.clear();
  }

  /**
   * {@code copy_struct_from_user}: reads a struct the user says is {@code userSize} bytes into a
   * buffer of the kernel's {@code size}.
   *
   * @throws UapiException {@code EFAULT} if a byte to read is not readable; {@code E2BIG} if the
   *     user's struct is larger and a byte beyond {@code size} is not zero
   */
  static ByteBuffer copyStructFromUser(
      UserAddressSpace memory, long addr, long userSize, int size) {
    if (userSize > size) {
      long tail = addr + size;
      long length = userSize - size;
      UapiException.check(
          memory.isAccessible(tail, length), Errno.EFAULT, "struct tail unreadable");
      for (long off = 0; off < length; off += CHUNK) {
        ByteBuffer chunk = memory.read(tail + off, (int) Math.min(CHUNK, length - off));
        while (chunk.hasRemaining()) {
          UapiException.check(chunk.get() == 0, Errno.E2BIG, "non-zero bytes past the struct");
        }
      }
    }
    return readStruct(memory, addr, userSize, size);
  }

  /** {@code clear_user}: zeroes {@code length} bytes at {@code addr} ({@code EFAULT}). */
  static void clear(UserAddressSpace memory, long addr, long length) {
    if (length == 0) {
      return;
    }
    UapiException.check(memory.isWritable(addr, length), Errno.EFAULT, "buffer unwritable");
    for (long off = 0; off < length; off += CHUNK) {
      memory.write(addr + off, ByteBuffer.allocate((int) Math.min(CHUNK, length - off)));
    }
  }

  /** Returns the {@code size} bytes that {@code encoder} writes (an api record's encode). */
  static ByteBuffer encode(int size, Consumer<ByteBuffer> encoder) {
    ByteBuffer buf = ByteBuffer.allocate(size);
    encoder.accept(buf);
    return buf.flip();
  }

  /**
   * Copies a reply struct back to the user: the first {@code min(userSize, size)} bytes that {@code
   * encoder} writes ({@code EFAULT}).
   */
  static void respond(
      UserAddressSpace memory, long addr, long userSize, int size, Consumer<ByteBuffer> encoder) {
    ByteBuffer reply = encode(size, encoder);
    reply.limit((int) Math.min(userSize, size));
    memory.write(addr, reply);
  }
}
