package org.jvfio.core.kernel;

import com.google.common.base.Preconditions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;

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
 * next. Like {@code munmap} and {@code mprotect}, {@link #free(long, long)} unmaps and {@link
 * #protect} makes read-only (or writable again) any page-aligned part of the address space: a read
 * of an unmapped byte, or a kernel write ({@link #write}, {@link #orBytes}) into a read-only one,
 * is {@code EFAULT}, as {@code copy_to_user} and {@code pin_user_pages(FOLL_WRITE)} fail there. The
 * caller's own accessors obey the same protection. Thread-safe (synchronised).
 *
 * <p>It is the {@link UserAddressSpace} of a {@link FakeKernel} unless its builder plugs in
 * another, and the {@link org.jvfio.core.vfio.UserAccess} through which a device's {@code
 * VFIO_DEVICE_FEATURE} follows the pointers of its structs (DMA-logging ranges and report bitmaps).
 */
public final class UserMemory implements UserAddressSpace {
  /** The first address handed out: 0x5555_0000_0000, inside the x86-64 user half. */
  public static final long BASE = 0x5555_0000_0000L;

  private static final long PAGE = 4096;

  /** A mapped, contiguous piece of one allocation's bytes. */
  private static final class Segment {
    final byte[] bytes; // the whole allocation's backing array
    final long base; // user address of bytes[0]
    final long start;
    final long end;
    final boolean writable;

    Segment(byte[] bytes, long base, long start, long end, boolean writable) {
      this.bytes = bytes;
      this.base = base;
      this.start = start;
      this.end = end;
      this.writable = writable;
    }
  }

  private final TreeMap<Long, Segment> segments = new TreeMap<>();
  private final Map<Long, byte[]> allocations = new HashMap<>();
  private long next = BASE;
  private boolean live = true;

  /** Creates an empty address space. */
  public UserMemory() {}

  /**
   * Allocates {@code size} zeroed, writable bytes at an address that is {@code alignment}-aligned
   * plus {@code offset}, and returns the address.
   *
   * @param size the bytes to allocate, positive
   * @param alignment a power of two
   * @param offset added to the aligned address, {@code 0 <= offset < alignment}
   * @return the user address of the first byte
   * @throws IllegalArgumentException if the arguments are out of range or {@code size} exceeds 2
   *     GiB
   * @throws IllegalStateException after {@link #exit}
   */
  public synchronized long allocate(long size, long alignment, long offset) {
    Preconditions.checkArgument(size > 0 && size <= Integer.MAX_VALUE - 8, "bad size %s", size);
    Preconditions.checkArgument(
        alignment > 0 && Long.bitCount(alignment) == 1, "alignment not a power of two");
    Preconditions.checkArgument(offset >= 0 && offset < alignment, "offset out of range");
    Preconditions.checkState(live, "the process has exited");
    long addr = ((next + alignment - 1) & -alignment) + offset;
    byte[] bytes = new byte[(int) size];
    allocations.put(addr, bytes);
    segments.put(addr, new Segment(bytes, addr, addr, addr + size, true));
    next = ((addr + size + PAGE) + PAGE - 1) & -PAGE;
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
   * Frees the allocation starting at {@code addr}, whatever of it is still mapped; later accesses
   * to it fault.
   *
   * @param addr an address {@link #allocate} returned
   * @throws IllegalArgumentException if no allocation starts there
   */
  public synchronized void free(long addr) {
    byte[] bytes = allocations.remove(addr);
    Preconditions.checkArgument(bytes != null, "not an allocation: 0x%s", Long.toHexString(addr));
    split(addr, addr + bytes.length, null);
  }

  /**
   * Ends the process this address space belongs to, as its {@code exit} does ({@code exit_mm}):
   * every allocation is unmapped, later allocations are refused, and {@link #isLive} is false, so
   * the pages of its maps that nothing pins can no longer be pinned ({@code EFAULT}). Pages a
   * domain or an access pinned before stay reachable.
   */
  public synchronized void exit() {
    live = false;
    allocations.clear();
    segments.clear();
  }

  /** Returns false once {@link #exit} has ended the process. */
  @Override
  public synchronized boolean isLive() {
    return live;
  }

  /**
   * Unmaps {@code [addr, addr + length)} rounded out to whole pages, as {@code munmap}: any part of
   * any allocation there faults from now on; pages with nothing mapped are ignored.
   *
   * @param addr the first user address, page-aligned
   * @param length the bytes to unmap (positive), rounded up to whole pages
   * @throws IllegalArgumentException if {@code addr} is not page-aligned or {@code length <= 0}
   */
  public synchronized void free(long addr, long length) {
    split(pageStart(addr, length), pageEnd(addr, length), null);
  }

  /**
   * Changes the protection of the mapped bytes in {@code [addr, addr + length)}, rounded out to
   * whole pages, as {@code mprotect(PROT_READ)} ({@code writable} false) or {@code
   * mprotect(PROT_READ | PROT_WRITE)}; unmapped pages stay unmapped.
   *
   * @param addr the first user address, page-aligned
   * @param length the bytes to change (positive), rounded up to whole pages
   * @param writable true for {@code PROT_READ | PROT_WRITE}, false for {@code PROT_READ}
   * @throws IllegalArgumentException if {@code addr} is not page-aligned or {@code length <= 0}
   */
  public synchronized void protect(long addr, long length, boolean writable) {
    split(pageStart(addr, length), pageEnd(addr, length), writable);
  }

  private static long pageStart(long addr, long length) {
    Preconditions.checkArgument(
        (addr & (PAGE - 1)) == 0 && length > 0, "unaligned address or empty length");
    return addr;
  }

  private static long pageEnd(long addr, long length) {
    return addr + ((length + PAGE - 1) & -PAGE);
  }

  /** Cuts the segments at {@code from} and {@code to}; drops or re-protects what lies between. */
  private void split(long from, long to, Boolean writable) {
    Map.Entry<Long, Segment> e = segments.lowerEntry(to);
    while (e != null && e.getValue().end > from) {
      Segment s = e.getValue();
      segments.remove(s.start);
      if (s.start < from) {
        segments.put(s.start, new Segment(s.bytes, s.base, s.start, from, s.writable));
      }
      if (s.end > to) {
        segments.put(to, new Segment(s.bytes, s.base, to, s.end, s.writable));
      }
      if (writable != null) {
        long a = Math.max(s.start, from);
        segments.put(a, new Segment(s.bytes, s.base, a, Math.min(s.end, to), writable));
      }
      e = segments.lowerEntry(Math.max(s.start, from));
    }
  }

  /**
   * Copies {@code dst.remaining()} bytes from user address {@code addr} into {@code dst}, as {@code
   * copy_from_user}.
   *
   * @throws UapiException {@code EFAULT} if any byte is unmapped (nothing copied)
   */
  @Override
  public synchronized void read(long addr, ByteBuffer dst) {
    int n = dst.remaining();
    check(addr, n, false);
    for (long a = addr; a < addr + n; ) {
      Segment s = segments.floorEntry(a).getValue();
      int k = (int) (Math.min(s.end, addr + n) - a);
      dst.put(s.bytes, (int) (a - s.base), k);
      a += k;
    }
  }

  /**
   * Copies {@code src.remaining()} bytes from {@code src} to user address {@code addr}, as {@code
   * copy_to_user}.
   *
   * @throws UapiException {@code EFAULT} if any byte is unmapped or read-only (nothing copied)
   */
  @Override
  public synchronized void write(long addr, ByteBuffer src) {
    int n = src.remaining();
    check(addr, n, true);
    for (long a = addr; a < addr + n; ) {
      Segment s = segments.floorEntry(a).getValue();
      int k = (int) (Math.min(s.end, addr + n) - a);
      src.get(s.bytes, (int) (a - s.base), k);
      a += k;
    }
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
   * Reads a little-endian u32 at {@code addr} ({@code EFAULT}).
   *
   * @param addr the user address of the u32
   * @return the u32 read
   */
  public int readInt(long addr) {
    return read(addr, 4).getInt();
  }

  /**
   * Writes a little-endian u32 at {@code addr} ({@code EFAULT}).
   *
   * @param addr the user address of the u32
   * @param value the u32 to write
   */
  public void writeInt(long addr, int value) {
    write(addr, ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, value));
  }

  /**
   * ORs the bytes of {@code bits} into user memory at {@code addr}, as the kernel's bitmap writes
   * do (bits are set, never cleared).
   *
   * @throws UapiException {@code EFAULT} if any byte is unmapped or read-only (nothing written)
   */
  @Override
  public synchronized void orBytes(long addr, byte[] bits) {
    check(addr, bits.length, true);
    for (int i = 0; i < bits.length; i++) {
      Segment s = segments.floorEntry(addr + i).getValue();
      s.bytes[(int) (addr + i - s.base)] |= bits[i];
    }
  }

  /** Returns whether every byte of {@code [addr, addr + length)} is mapped (readable). */
  @Override
  public synchronized boolean isAccessible(long addr, long length) {
    return covered(addr, length, false);
  }

  /** Returns whether every byte of {@code [addr, addr + length)} is mapped and writable. */
  @Override
  public synchronized boolean isWritable(long addr, long length) {
    return covered(addr, length, true);
  }

  private boolean covered(long addr, long length, boolean write) {
    if (length < 0 || addr + length < addr) {
      return false;
    }
    Map.Entry<Long, Segment> e = segments.floorEntry(addr);
    if (length == 0) {
      return e != null && e.getValue().end >= addr;
    }
    for (long a = addr; a < addr + length; e = segments.ceilingEntry(a)) {
      Segment s = e == null ? null : e.getValue();
      if (s == null || s.start > a || s.end <= a || (write && !s.writable)) {
        return false;
      }
      a = s.end;
    }
    return true;
  }

  private void check(long addr, long length, boolean write) {
    if (!covered(addr, length, write)) {
      throw new UapiException(
          Errno.EFAULT,
          "bad user address 0x"
              + Long.toHexString(addr)
              + " (+"
              + length
              + " bytes"
              + (write ? ", for writing)" : ")"));
    }
  }
}
