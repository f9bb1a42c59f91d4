package org.jvfio.core.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.iommufd.UserMm;

/**
 * The user address space of the process that makes the system calls, as the fake kernel reaches it:
 * every access the kernel makes through a user pointer ({@code copy_from_user}, {@code
 * copy_to_user}, {@code clear_user}, a bitmap write) goes through this interface.
 *
 * <p>{@link UserMemory} is the in-process implementation, where Java callers allocate buffers. A
 * different implementation (for instance the memory of a C process reached over a socket) is
 * plugged in with {@link FakeKernel.Builder#userAddressSpace}. Every method either moves all the
 * bytes or fails with {@code EFAULT} and moves none; an implementation must never let another
 * exception out for a bad address.
 *
 * <p>It is also the {@link UserMm} of its process: an {@code IOMMU_IOAS_MAP} made by the process
 * keeps {@link #currentProcess} as its pages' {@code source_mm}, and pins them through it later,
 * {@code EFAULT} once it is no longer {@link #isLive live}. An address space that serves several
 * processes (a parent and the children it forks: {@link CurrentProcess}, or the bridge's clients)
 * answers each call in the caller's, and returns the caller's as {@link #currentProcess}.
 */
public interface UserAddressSpace extends UserMm {
  /**
   * Copies {@code dst.remaining()} bytes from user address {@code addr} into {@code dst}, as {@code
   * copy_from_user}.
   *
   * @param addr the first user address read
   * @param dst the buffer filled from its position to its limit
   * @throws UapiException {@code EFAULT} if any byte is not readable (nothing copied)
   */
  void read(long addr, ByteBuffer dst);

  /**
   * Returns {@code length} bytes at {@code addr} in a new little-endian buffer.
   *
   * @throws UapiException {@code EFAULT} if any byte is not readable
   */
  @Override
  default ByteBuffer read(long addr, int length) {
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    read(addr, buf);
    return buf.flip();
  }

  /**
   * Returns whether every byte of {@code [addr, addr + length)} can be accessed, as {@code
   * access_ok} followed by a fault-in would find. A length of 0 is accessible wherever {@code addr}
   * is.
   */
  @Override
  boolean isAccessible(long addr, long length);

  /**
   * Returns whether every byte of {@code [addr, addr + length)} is mapped and writable, as {@code
   * pin_user_pages(FOLL_WRITE)} would find it. An address space that cannot tell read-only pages
   * from writable ones answers as {@link #isAccessible}; a write into a read-only page then fails
   * with {@code EFAULT} when it is made.
   *
   * @param addr the first user address
   * @param length the number of bytes
   * @return whether the kernel could write the whole range
   */
  default boolean isWritable(long addr, long length) {
    return isAccessible(addr, length);
  }

  /**
   * ORs the bytes of {@code bits} into user memory at {@code addr}, as the kernel's bitmap writes
   * do (bits are set, never cleared). The default reads, ORs and writes back; it is not atomic
   * against the process's own writes to those bytes.
   *
   * @param addr the first user address written
   * @param bits the bytes ORed in, {@code bits[i]} into {@code addr + i}
   * @throws UapiException {@code EFAULT} if any byte is not accessible (nothing written)
   */
  default void orBytes(long addr, byte[] bits) {
    UapiException.check(isAccessible(addr, bits.length), Errno.EFAULT, "bitmap unwritable");
    ByteBuffer cur = read(addr, bits.length);
    for (int i = 0; i < bits.length; i++) {
      cur.put(i, (byte) (cur.get(i) | bits[i]));
    }
    write(addr, cur);
  }

  /**
   * Returns the address space of the process making the current call ({@code current->mm}), as a
   * handle that keeps naming that process after the call. The default is this address space.
   *
   * @return the caller's address space; equal for calls of the same process
   */
  default UserAddressSpace currentProcess() {
    return this;
  }

  /**
   * Returns whether the process still has its address space ({@code mmget_not_zero}). The default
   * is true.
   *
   * @return false once the process has exited
   */
  @Override
  default boolean isLive() {
    return true;
  }

  /**
   * Returns whether {@code pin_user_pages} could pin the range here: {@link #isWritable} for a
   * write pin, else {@link #isAccessible}.
   *
   * @param userVa the first user address
   * @param length the bytes, positive
   * @param write whether the pin is for writing ({@code FOLL_WRITE})
   * @return whether every page could be pinned
   */
  @Override
  default boolean canPin(long userVa, long length, boolean write) {
    return write ? isWritable(userVa, length) : isAccessible(userVa, length);
  }
}
