package org.jvfio.core.hw;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Simulated physical memory that holds IO page tables: 4 KiB frames of 512 little-endian 64-bit
 * entries, addressed by simulated physical addresses, so a table entry holds the real address bits
 * of its child table (design.md, "Page-table memory").
 *
 * <p>Frames live in chunks of {@value #FRAMES_PER_CHUNK} frames ({@code long[]} of 256 Ki entries),
 * allocated on demand; freed frames are zeroed and reused first. Physical addresses start at {@link
 * #BASE}, above any guest physical address jvfio hands out, and stay below 2^48 so that every
 * vendor format can encode them.
 *
 * <p><b>Memory ordering.</b> {@link #get} and {@link #set} are plain accesses for the control
 * plane, which is serialised per domain. {@link #getVolatile}, {@link #setVolatile}, {@link
 * #compareAndSet}, {@link #getAndBitwiseAnd} and {@link #getAndBitwiseOr} are volatile-mode
 * atomics, used where the hardware (the DMA engine) and software race on one entry: the IOMMU's
 * interlocked A/D update and the driver's read-and-clear. Frame allocation and freeing are
 * synchronised on this object.
 */
public final class PageTableMemory {
  /** Bytes per frame (a 4 KiB table). */
  public static final int FRAME_SIZE = 4096;

  /** Entries per frame. */
  public static final int ENTRIES_PER_FRAME = 512;

  /** The physical address of the first frame: 0xF000_0000_0000 (just below 2^48). */
  public static final long BASE = 0xF000_0000_0000L;

  static final int FRAMES_PER_CHUNK = 512;
  private static final int CHUNK_SHIFT = 21; // 512 frames * 4 KiB
  private static final int MAX_CHUNKS = 1 << 14; // 16 Ki chunks = 32 GiB of tables

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  private volatile long[][] chunks = new long[16][];
  private volatile long nextFrame; // frames ever handed out (high-water mark)
  private long[] freeList = new long[64];
  private int freeCount;
  private long framesInUse;

  /** Creates an empty memory. */
  public PageTableMemory() {}

  /**
   * Allocates a zeroed frame and returns its physical address (4 KiB-aligned).
   *
   * @throws IllegalStateException if the simulated table memory (32 GiB) is exhausted
   */
  public synchronized long allocateFrame() {
    framesInUse++;
    if (freeCount > 0) {
      return freeList[--freeCount];
    }
    long frame = nextFrame;
    int chunk = (int) (frame / FRAMES_PER_CHUNK);
    if (chunk >= MAX_CHUNKS) {
      framesInUse--;
      throw new IllegalStateException("page-table memory exhausted");
    }
    long[][] cs = chunks;
    if (chunk >= cs.length) {
      cs = Arrays.copyOf(cs, Math.min(MAX_CHUNKS, cs.length * 2));
    }
    if (cs[chunk] == null) {
      cs[chunk] = new long[FRAMES_PER_CHUNK * ENTRIES_PER_FRAME];
    }
    chunks = cs; // volatile publish after the chunk exists
    nextFrame = frame + 1;
    return BASE + frame * FRAME_SIZE;
  }

  /**
   * Returns a frame to the allocator after zeroing it. The caller guarantees that no table entry
   * and no cached translation refers to it any more.
   *
   * @throws IllegalArgumentException if {@code pa} is not a frame address of this memory
   */
  public synchronized void freeFrame(long pa) {
    checkFrame(pa);
    long[] chunk = chunk(pa);
    int i = index(pa);
    Arrays.fill(chunk, i, i + ENTRIES_PER_FRAME, 0L);
    if (freeCount == freeList.length) {
      freeList = Arrays.copyOf(freeList, freeList.length * 2);
    }
    freeList[freeCount++] = pa;
    framesInUse--;
  }

  /** Returns the number of frames currently allocated. */
  public synchronized long framesInUse() {
    return framesInUse;
  }

  /**
   * Returns the bytes of Java heap this memory holds for table frames (allocated chunks), to
   * compare with {@code framesInUse() * FRAME_SIZE}, what the hardware tables occupy.
   */
  public synchronized long bytesHeld() {
    long held = 0;
    for (long[] c : chunks) {
      if (c != null) {
        held += (long) c.length * Long.BYTES;
      }
    }
    return held;
  }

  /** Returns whether {@code pa} lies inside a frame this memory has handed out. */
  public boolean contains(long pa) {
    long off = pa - BASE;
    return off >= 0 && (off >>> 12) < nextFrame;
  }

  private void checkFrame(long pa) {
    if ((pa & (FRAME_SIZE - 1)) != 0 || !contains(pa)) {
      throw new IllegalArgumentException("not a frame address: 0x" + Long.toHexString(pa));
    }
  }

  // --- entry access (pa must be 8-byte aligned and inside an allocated frame) ------------------

  /** Returns the chunk array holding the entry at {@code pa}, for bulk loops over a frame. */
  long[] chunk(long pa) {
    return chunks[(int) ((pa - BASE) >>> CHUNK_SHIFT)];
  }

  /** Returns the index of the entry at {@code pa} within {@link #chunk(long)}. */
  static int index(long pa) {
    return (int) (((pa - BASE) & ((1L << CHUNK_SHIFT) - 1)) >>> 3);
  }

  /** Reads the entry at {@code pa} (plain mode). */
  public long get(long pa) {
    return chunk(pa)[index(pa)];
  }

  /** Writes the entry at {@code pa} (plain mode). */
  public void set(long pa, long value) {
    chunk(pa)[index(pa)] = value;
  }

  /** Reads the entry at {@code pa} with volatile semantics. */
  public long getVolatile(long pa) {
    return (long) LONGS.getVolatile(chunk(pa), index(pa));
  }

  /** Writes the entry at {@code pa} with volatile semantics (publishes a new table or leaf). */
  public void setVolatile(long pa, long value) {
    LONGS.setVolatile(chunk(pa), index(pa), value);
  }

  /** Atomically replaces the entry at {@code pa} if it equals {@code expected} (volatile). */
  public boolean compareAndSet(long pa, long expected, long value) {
    return LONGS.compareAndSet(chunk(pa), index(pa), expected, value);
  }

  /** Atomically ANDs {@code mask} into the entry at {@code pa}; returns the previous value. */
  public long getAndBitwiseAnd(long pa, long mask) {
    return (long) LONGS.getAndBitwiseAnd(chunk(pa), index(pa), mask);
  }

  /** Atomically ORs {@code mask} into the entry at {@code pa}; returns the previous value. */
  public long getAndBitwiseOr(long pa, long mask) {
    return (long) LONGS.getAndBitwiseOr(chunk(pa), index(pa), mask);
  }
}
