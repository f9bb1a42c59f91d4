package org.jvfio.core.hw;

import com.google.common.base.Preconditions;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * A guest's RAM as the migration oracle sees it: one 64-bit content token per 4 KiB page
 * (docs/architecture.md, "Guest memory tokens").
 *
 * <p>The memory covers {@code [base, base + size)} of simulated physical address space; jvfio uses
 * the VMM's user virtual address of the RAM as its physical address (pinning is the identity), so
 * {@code IOMMU_IOAS_MAP}'s {@code user_va} is directly an address here. A write (by DMA or by a
 * simulated CPU) gives each page it touches a fresh token; a migration copies tokens; at the end
 * the destination must equal the source, page for page. A lost dirty bit anywhere in the stack
 * leaves a page with a stale token.
 *
 * <p>Storage is sparse: chunks of 512 pages (2 MiB) are allocated on first write; a page never
 * written has token 0. Thread-safe: writes may come from many DMA threads at once (tokens are
 * written with opaque atomicity, never torn); {@link #copyFrom} and {@link #diffCount} are meant to
 * run while the writers of the pages concerned are quiescent.
 */
public final class GuestMemory {
  /** The bytes one token stands for. */
  public static final long PAGE_SIZE = 4096;

  private static final int PAGE_SHIFT = 12;
  private static final int CHUNK_PAGES_SHIFT = 9;
  private static final int CHUNK_PAGES = 1 << CHUNK_PAGES_SHIFT;
  private static final VarHandle TOKENS = MethodHandles.arrayElementVarHandle(long[].class);

  private final long base;
  private final long size;
  private final AtomicReferenceArray<long[]> chunks;
  private final AtomicLong nextToken;

  private GuestMemory(long base, long size, long tokenSeed) {
    this.base = base;
    this.size = size;
    long pages = size >>> PAGE_SHIFT;
    long nchunks = (pages + CHUNK_PAGES - 1) >>> CHUNK_PAGES_SHIFT;
    Preconditions.checkArgument(nchunks <= Integer.MAX_VALUE, "guest memory too large");
    this.chunks = new AtomicReferenceArray<>((int) nchunks);
    this.nextToken = new AtomicLong(tokenSeed);
  }

  /**
   * Creates zeroed guest memory at {@code [base, base + size)}.
   *
   * @param base the first address, 4 KiB-aligned
   * @param size the size in bytes, a non-zero multiple of 4 KiB
   * @param tokenSeed distinguishes the tokens this memory writes from another memory's (a
   *     simulation passes its seed)
   * @return a new guest memory whose pages all hold token 0
   * @throws IllegalArgumentException if base or size is misaligned, size is zero, or the range
   *     wraps
   */
  public static GuestMemory create(long base, long size, long tokenSeed) {
    Preconditions.checkArgument((base & (PAGE_SIZE - 1)) == 0, "base not 4 KiB-aligned");
    Preconditions.checkArgument(size > 0 && (size & (PAGE_SIZE - 1)) == 0, "bad size %s", size);
    Preconditions.checkArgument(Long.compareUnsigned(base + size - 1, base) >= 0, "range wraps");
    return new GuestMemory(base, size, tokenSeed << 32);
  }

  /**
   * Returns the first address.
   *
   * @return the guest physical address of the first byte
   */
  public long base() {
    return base;
  }

  /**
   * Returns the size in bytes.
   *
   * @return the size in bytes
   */
  public long size() {
    return size;
  }

  /**
   * Returns whether {@code [addr, addr + length)} lies inside this memory ({@code length > 0}).
   *
   * @param addr the first guest physical address
   * @param length the bytes (positive)
   * @return true if the whole range is inside this memory
   */
  public boolean contains(long addr, long length) {
    long off = addr - base;
    return length > 0 && off >= 0 && off < size && length <= size - off;
  }

  /**
   * Returns the token of the page containing {@code addr}; 0 for a page never written.
   *
   * @param addr a guest physical address inside this memory
   * @return the page's 64-bit content token
   */
  public long token(long addr) {
    long page = page(addr);
    long[] chunk = chunks.get((int) (page >>> CHUNK_PAGES_SHIFT));
    return chunk == null ? 0 : (long) TOKENS.getOpaque(chunk, (int) (page & (CHUNK_PAGES - 1)));
  }

  /**
   * Writes {@code [addr, addr + length)}: every page it touches gets a fresh token.
   *
   * @param addr the first guest physical address written
   * @param length the bytes written (positive)
   * @throws IllegalArgumentException if the range is empty or not inside this memory
   */
  public void write(long addr, long length) {
    Preconditions.checkArgument(contains(addr, length), "outside guest memory");
    long first = page(addr);
    long last = page(addr + length - 1);
    long token = nextToken.getAndAdd(last - first + 1) + 1;
    for (long p = first; p <= last; p++) {
      TOKENS.setOpaque(chunkFor(p), (int) (p & (CHUNK_PAGES - 1)), token++);
    }
  }

  /**
   * Copies the tokens of {@code [addr, addr + length)} from {@code source} (a migration sending
   * those pages). The two memories must cover the same range.
   *
   * @param source the memory to copy from (same base and size)
   * @param addr the first guest physical address copied
   * @param length the bytes copied (positive)
   * @throws IllegalArgumentException if the memories differ in range or the range is outside them
   */
  public void copyFrom(GuestMemory source, long addr, long length) {
    Preconditions.checkArgument(source.base == base && source.size == size, "different layouts");
    Preconditions.checkArgument(contains(addr, length), "outside guest memory");
    long last = page(addr + length - 1);
    for (long p = page(addr); p <= last; p++) {
      int c = (int) (p >>> CHUNK_PAGES_SHIFT);
      long[] src = source.chunks.get(c);
      long t = src == null ? 0 : (long) TOKENS.getOpaque(src, (int) (p & (CHUNK_PAGES - 1)));
      long[] dst = chunks.get(c);
      if (t != 0 || dst != null) {
        TOKENS.setOpaque(chunkFor(p), (int) (p & (CHUNK_PAGES - 1)), t);
      }
    }
  }

  /**
   * Returns the number of pages whose token differs from {@code other}'s: 0 means the two memories
   * are equal. Chunks absent on both sides are skipped, so the cost follows what was written.
   *
   * @param other a memory with the same base and size
   * @return the number of 4 KiB pages whose tokens differ
   * @throws IllegalArgumentException if the memories differ in range
   */
  public long diffCount(GuestMemory other) {
    long[] count = {0};
    scanDifferences(
        other,
        addr -> {
          count[0]++;
          return false;
        });
    return count[0];
  }

  /**
   * Returns the address of the first page whose token differs from {@code other}'s, or -1 if equal.
   *
   * @param other a memory with the same base and size
   * @return the guest physical address of the first differing page, or -1
   * @throws IllegalArgumentException if the memories differ in range
   */
  public long firstDifference(GuestMemory other) {
    long[] first = {-1};
    scanDifferences(
        other,
        addr -> {
          first[0] = addr;
          return true;
        });
    return first[0];
  }

  /** Calls {@code visitor} with each differing page's address until it returns true (stop). */
  private void scanDifferences(GuestMemory other, java.util.function.LongPredicate visitor) {
    Preconditions.checkArgument(other.base == base && other.size == size, "different layouts");
    for (int c = 0; c < chunks.length(); c++) {
      long[] a = chunks.get(c);
      long[] b = other.chunks.get(c);
      if (a == null && b == null) {
        continue;
      }
      for (int i = 0; i < CHUNK_PAGES; i++) {
        long ta = a == null ? 0 : (long) TOKENS.getOpaque(a, i);
        long tb = b == null ? 0 : (long) TOKENS.getOpaque(b, i);
        if (ta != tb
            && visitor.test(base + ((((long) c << CHUNK_PAGES_SHIFT) + i) << PAGE_SHIFT))) {
          return;
        }
      }
    }
  }

  private long page(long addr) {
    return (addr - base) >>> PAGE_SHIFT;
  }

  private long[] chunkFor(long page) {
    int c = (int) (page >>> CHUNK_PAGES_SHIFT);
    long[] chunk = chunks.get(c);
    if (chunk == null) {
      long[] fresh = new long[CHUNK_PAGES];
      chunk = chunks.compareAndExchange(c, null, fresh);
      if (chunk == null) {
        chunk = fresh;
      }
    }
    return chunk;
  }
}
