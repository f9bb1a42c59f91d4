package org.jvfio.core.hw;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Arrays;

/**
 * Simulated physical memory that holds IO page tables: 4 KiB frames of 512 little-endian 64-bit
 * entries, addressed by simulated physical addresses, so a table entry holds the real address bits
 * of its child table (docs/architecture.md, "Page-table memory").
 *
 * <p>Frames live in chunks of {@value #FRAMES_PER_CHUNK} frames ({@code long[]} of 32 Ki entries,
 * 256 KiB), allocated on demand; freed frames are zeroed and reused first. The chunk size keeps
 * each array below half of G1's smallest region, so the collector packs chunks into regions instead
 * of giving each a humongous region of its own (which for 2 MiB arrays would hold up to twice their
 * size, or more on large heaps): the heap used stays within one chunk of {@link #bytesHeld()},
 * itself within one chunk of the frames in use. Tables larger than a frame take a naturally aligned
 * run of contiguous frames ({@link #allocateFrames}). Physical addresses start at {@link #BASE},
 * above any guest physical address jvfio hands out, and stay below 2^48 so that every vendor format
 * can encode them.
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

  static final int FRAMES_PER_CHUNK = 64;
  private static final int CHUNK_SHIFT = 18; // 64 frames * 4 KiB
  private static final int MAX_CHUNKS = 1 << 17; // 128 Ki chunks = 32 GiB of tables

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  private volatile long[][] chunks = new long[16][];
  private volatile long nextFrame; // frames ever handed out (high-water mark)
  private long[] freeList = new long[64];
  private int freeCount;
  private final long[][] freeRuns = new long[7][]; // by log2(run size), runs of 2..64 frames
  private final int[] freeRunCount = new int[7];
  private long framesInUse;

  /** Creates an empty memory. */
  public PageTableMemory() {}

  /**
   * Allocates a zeroed frame and returns its physical address (4 KiB-aligned).
   *
   * @return the simulated physical address of the new frame
   * @throws IllegalStateException if the simulated table memory (32 GiB) is exhausted
   */
  public synchronized long allocateFrame() {
    if (freeCount > 0) {
      framesInUse++;
      return freeList[--freeCount];
    }
    long frame = nextFrame;
    ensureChunk(frame);
    nextFrame = frame + 1;
    framesInUse++;
    return BASE + frame * FRAME_SIZE;
  }

  /**
   * Allocates {@code count} physically contiguous zeroed frames, aligned to {@code count * 4 KiB},
   * and returns the physical address of the first: a table larger than 4 KiB (an Arm LPAE table at
   * the 16 KiB or 64 KiB granule, a concatenated stage-2 top level) lives in one such run.
   *
   * <p>A run never crosses a chunk: {@code count} is at most {@value #FRAMES_PER_CHUNK}, a power of
   * two, and runs are naturally aligned. The largest table of the vendor formats is 64 frames (16
   * concatenated 16 KiB-granule stage-2 tables); 64 KiB-granule tables take 16. Runs freed with
   * {@link #freeFrames} are reused for runs of the same size only; frames skipped to align a new
   * run join the single-frame free list.
   *
   * @param count the number of 4 KiB frames, a power of two
   * @return the simulated physical address of the first frame
   * @throws IllegalArgumentException unless {@code count} is a power of two from 1 to {@value
   *     #FRAMES_PER_CHUNK}
   * @throws IllegalStateException if the simulated table memory (32 GiB) is exhausted
   */
  public synchronized long allocateFrames(int count) {
    int order = runOrder(count);
    if (order == 0) {
      return allocateFrame();
    }
    if (freeRunCount[order] > 0) {
      framesInUse += count;
      return freeRuns[order][--freeRunCount[order]];
    }
    long first = (nextFrame + count - 1) & -(long) count;
    ensureChunk(first);
    for (long f = nextFrame; f < first; f++) {
      pushFree(BASE + f * FRAME_SIZE); // never handed out, hence already zero
    }
    nextFrame = first + count;
    framesInUse += count;
    return BASE + first * FRAME_SIZE;
  }

  /**
   * Returns a run of {@code count} frames from {@link #allocateFrames} to the allocator after
   * zeroing it. The caller guarantees that no table entry and no cached translation refers to it
   * any more.
   *
   * @param pa the physical address {@link #allocateFrames} returned
   * @param count the number of frames it was given
   * @throws IllegalArgumentException if {@code count} is not a valid run size or {@code pa} is not
   *     the address of such a run in this memory
   */
  public synchronized void freeFrames(long pa, int count) {
    int order = runOrder(count);
    if (order == 0) {
      freeFrame(pa);
      return;
    }
    if ((pa & ((long) count * FRAME_SIZE - 1)) != 0 || !contains(pa)) { // BASE is aligned
      throw new IllegalArgumentException(
          "not a run of " + count + " frames: 0x" + Long.toHexString(pa));
    }
    long[] chunk = chunk(pa);
    int i = index(pa);
    Arrays.fill(chunk, i, i + count * ENTRIES_PER_FRAME, 0L);
    if (freeRuns[order] == null) {
      freeRuns[order] = new long[8];
    } else if (freeRunCount[order] == freeRuns[order].length) {
      freeRuns[order] = Arrays.copyOf(freeRuns[order], freeRunCount[order] * 2);
    }
    freeRuns[order][freeRunCount[order]++] = pa;
    framesInUse -= count;
  }

  private static int runOrder(int count) {
    if (count < 1 || count > FRAMES_PER_CHUNK || Integer.bitCount(count) != 1) {
      throw new IllegalArgumentException(
          "run size must be a power of two <= " + FRAMES_PER_CHUNK + ": " + count);
    }
    return Integer.numberOfTrailingZeros(count);
  }

  /** Makes sure the chunk holding {@code frame} exists (caller holds the lock). */
  private void ensureChunk(long frame) {
    int chunk = (int) (frame / FRAMES_PER_CHUNK);
    if (chunk >= MAX_CHUNKS) {
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
  }

  private void pushFree(long pa) {
    if (freeCount == freeList.length) {
      freeList = Arrays.copyOf(freeList, freeList.length * 2);
    }
    freeList[freeCount++] = pa;
  }

  /**
   * Returns a frame to the allocator after zeroing it. The caller guarantees that no table entry
   * and no cached translation refers to it any more.
   *
   * @param pa the physical address of a frame from {@link #allocateFrame}
   * @throws IllegalArgumentException if {@code pa} is not a frame address of this memory
   */
  public synchronized void freeFrame(long pa) {
    checkFrame(pa);
    long[] chunk = chunk(pa);
    int i = index(pa);
    Arrays.fill(chunk, i, i + ENTRIES_PER_FRAME, 0L);
    pushFree(pa);
    framesInUse--;
  }

  /**
   * Returns the number of frames currently allocated.
   *
   * @return the number of 4 KiB frames allocated and not yet freed
   */
  public synchronized long framesInUse() {
    return framesInUse;
  }

  /**
   * Returns the bytes of Java heap this memory holds for table frames (allocated chunks), to
   * compare with {@code framesInUse() * FRAME_SIZE}, what the hardware tables occupy.
   *
   * @return the heap bytes held for frames
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

  /**
   * Returns whether {@code pa} lies inside a frame this memory has handed out.
   *
   * @param pa a simulated physical address
   * @return true if {@code pa} is inside an allocated frame
   */
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

  /**
   * Reads the entry at {@code pa} (plain mode).
   *
   * @param pa the 8-byte-aligned physical address of an entry
   * @return the entry word
   */
  public long get(long pa) {
    return chunk(pa)[index(pa)];
  }

  /**
   * Writes the entry at {@code pa} (plain mode).
   *
   * @param pa the 8-byte-aligned physical address of an entry
   * @param value the new entry word
   */
  public void set(long pa, long value) {
    chunk(pa)[index(pa)] = value;
  }

  /**
   * Reads the entry at {@code pa} with volatile semantics.
   *
   * @param pa the 8-byte-aligned physical address of an entry
   * @return the entry word
   */
  public long getVolatile(long pa) {
    return (long) LONGS.getVolatile(chunk(pa), index(pa));
  }

  /**
   * Writes the entry at {@code pa} with volatile semantics (publishes a new table or leaf).
   *
   * @param pa the 8-byte-aligned physical address of an entry
   * @param value the new entry word
   */
  public void setVolatile(long pa, long value) {
    LONGS.setVolatile(chunk(pa), index(pa), value);
  }

  /**
   * Atomically replaces the entry at {@code pa} if it equals {@code expected} (volatile).
   *
   * @param pa the 8-byte-aligned physical address of an entry
   * @param expected the entry word the caller last read
   * @param value the new entry word
   * @return true if the entry held {@code expected} and now holds {@code value}
   */
  public boolean compareAndSet(long pa, long expected, long value) {
    return LONGS.compareAndSet(chunk(pa), index(pa), expected, value);
  }

  /**
   * Atomically ANDs {@code mask} into the entry at {@code pa}; returns the previous value.
   *
   * @param pa the 8-byte-aligned physical address of an entry
   * @param mask the bits to keep
   * @return the entry word before the AND
   */
  public long getAndBitwiseAnd(long pa, long mask) {
    return (long) LONGS.getAndBitwiseAnd(chunk(pa), index(pa), mask);
  }

  /**
   * Atomically ORs {@code mask} into the entry at {@code pa}; returns the previous value.
   *
   * @param pa the 8-byte-aligned physical address of an entry
   * @param mask the bits to set
   * @return the entry word before the OR
   */
  public long getAndBitwiseOr(long pa, long mask) {
    return (long) LONGS.getAndBitwiseOr(chunk(pa), index(pa), mask);
  }
}
