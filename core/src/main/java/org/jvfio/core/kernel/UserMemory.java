package org.jvfio.core.kernel;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.UserAccess;

/**
 * The calling process's memory as the fake kernel sees it: buffers that callers allocate, fill and
 * read, each at a user virtual address that ioctl arguments point to.
 *
 * <p>Every access the kernel makes through a user pointer goes through {@link #read} or {@link
 * #write}, which behave like {@code copy_from_user}/{@code copy_to_user}: any byte outside a live
 * allocation makes the whole access fail with {@code EFAULT} and copy nothing. Allocations can be
 * given any alignment and an offset from it, so tests can place a bitmap at an address that is not
 * 8-byte aligned (the u64-unaligned bitmaps of the iommufd selftests).
 *
 * <p>Addresses start at {@link #BASE} and grow upwards with a guard gap of one page between
 * allocations, so an access that runs off the end of one buffer faults instead of reaching the
 * next. Thread-safe (synchronised).
 *
 * <p>It is the {@link UserAccess} through which a device's {@code VFIO_DEVICE_FEATURE} follows the
 * pointers of its structs (DMA-logging ranges and report bitmaps).
 */
public final class UserMemory implements UserAccess {
  /** The first address handed out: 0x5555_0000_0000, inside the x86-64 user half. */
  public static final long BASE = 0x5555_0000_0000L;

  private static final long GUARD = 4096;

  private final TreeMap<Long, byte[]> allocations = new TreeMap<>();
  private long next = BASE;

  /** Creates an empty address space. */
  public UserMemory() {}

  /**
   * Allocates {@code size} zeroed bytes at an address that is {@code alignment}-aligned plus {@code
   * offset}, and returns the address.
   *
   * @param size the bytes to allocate, positive
   * @param alignment a power of two
   * @param offset added to the aligned address, {@code 0 <= offset < alignment}
   * @return the user address of the first byte
   * @throws IllegalArgumentException if the arguments are out of range or {@code size} exceeds 2
   *     GiB
   */
  public synchronized long allocate(long size, long alignment, long offset) {
    Preconditions.checkArgument(size > 0 && size <= Integer.MAX_VALUE - 8, "bad size %s", size);
    Preconditions.checkArgument(
        alignment > 0 && Long.bitCount(alignment) == 1, "alignment not a power of two");
    Preconditions.checkArgument(offset >= 0 && offset < alignment, "offset out of range");
    long addr = ((next + alignment - 1) & -alignment) + offset;
    allocations.put(addr, new byte[(int) size]);
    next = ((addr + size + GUARD) + GUARD - 1) & -GUARD;
    return addr;
  }

  /**
   * Allocates {@code size} zeroed bytes at a 4 KiB-aligned address.
   *
   * @param size the bytes to allocate, positive
   * @return the user address of the first byte
   */
  public long allocate(long size) {
    return allocate(size, 4096, 0);
  }

  /**
   * Allocates a buffer holding {@code bytes} and returns its address.
   *
   * @param bytes the initial contents
   * @return the user address of the first byte
   */
  public long allocate(byte[] bytes) {
    long addr = allocate(bytes.length, 8, 0);
    write(addr, ByteBuffer.wrap(bytes));
    return addr;
  }

  /**
   * Frees the allocation starting at {@code addr}; later accesses to it fault.
   *
   * @param addr an address {@link #allocate} returned
   * @throws IllegalArgumentException if no allocation starts there
   */
  public synchronized void free(long addr) {
    Preconditions.checkArgument(
        allocations.remove(addr) != null, "not an allocation: 0x%s", Long.toHexString(addr));
  }

  /**
   * Copies {@code dst.remaining()} bytes from user address {@code addr} into {@code dst}, as {@code
   * copy_from_user}.
   *
   * @param addr the user address to read from
   * @param dst the buffer to fill, from its position to its limit
   * @throws UapiException {@code EFAULT} if any byte is outside a live allocation (nothing copied)
   */
  public synchronized void read(long addr, ByteBuffer dst) {
    int n = dst.remaining();
    Map.Entry<Long, byte[]> a = locate(addr, n);
    dst.put(a.getValue(), (int) (addr - a.getKey()), n);
  }

  /**
   * Returns {@code length} bytes at {@code addr} in a new little-endian buffer ({@code EFAULT}).
   */
  @Override
  public ByteBuffer read(long addr, int length) {
    ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
    read(addr, buf);
    return buf.flip();
  }

  /**
   * Copies {@code src.remaining()} bytes from {@code src} to user address {@code addr}, as {@code
   * copy_to_user}.
   *
   * @throws UapiException {@code EFAULT} if any byte is outside a live allocation (nothing copied)
   */
  @Override
  public synchronized void write(long addr, ByteBuffer src) {
    int n = src.remaining();
    Map.Entry<Long, byte[]> a = locate(addr, n);
    src.get(a.getValue(), (int) (addr - a.getKey()), n);
  }

  /**
   * Reads a little-endian u64 at {@code addr} ({@code EFAULT}).
   *
   * @param addr the user address of the value
   * @return the value
   */
  public long readLong(long addr) {
    return read(addr, 8).getLong();
  }

  /**
   * Writes a little-endian u64 at {@code addr} ({@code EFAULT}).
   *
   * @param addr the user address of the value
   * @param value the value to store
   */
  public void writeLong(long addr, long value) {
    write(addr, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, value));
  }

  /**
   * ORs the bytes of {@code bits} into user memory at {@code addr}, as the kernel's bitmap writes
   * do (bits are set, never cleared).
   *
   * @param addr the user address of the first byte
   * @param bits the bytes to OR in
   * @throws UapiException {@code EFAULT} if any byte is outside a live allocation (nothing written)
   */
  public synchronized void orBytes(long addr, byte[] bits) {
    Map.Entry<Long, byte[]> a = locate(addr, bits.length);
    byte[] mem = a.getValue();
    int off = (int) (addr - a.getKey());
    for (int i = 0; i < bits.length; i++) {
      mem[off + i] |= bits[i];
    }
  }

  /**
   * Returns whether {@code [addr, addr + length)} lies inside one live allocation.
   *
   * @param addr the first user address
   * @param length the bytes
   * @return true if the range is inside one live allocation
   */
  public synchronized boolean isAccessible(long addr, long length) {
    Map.Entry<Long, byte[]> a = allocations.floorEntry(addr);
    return a != null
        && length >= 0
        && addr - a.getKey() <= a.getValue().length
        && length <= a.getValue().length - (addr - a.getKey());
  }

  private Map.Entry<Long, byte[]> locate(long addr, long length) {
    Map.Entry<Long, byte[]> a = allocations.floorEntry(addr);
    if (!isAccessible(addr, length)) {
      throw new UapiException(
          Errno.EFAULT,
          "bad user address 0x" + Long.toHexString(addr) + " (+" + length + " bytes)");
    }
    return a;
  }
}
