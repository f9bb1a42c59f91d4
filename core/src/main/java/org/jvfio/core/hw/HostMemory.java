package org.jvfio.core.hw;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The host RAM behind user memory that is not guest memory: the pages an {@code IOMMU_IOAS_MAP} of
 * a {@code malloc} or {@code mmap} buffer pins, as the page tokens of {@link GuestMemory} describe
 * them, so that device DMA into such a mapping lands somewhere and changes a token as it does in
 * guest RAM.
 *
 * <p>As for guest memory, a page's physical address is its user virtual address (pinning is the
 * identity): two maps of the same user address reach the same page, and a pinned page stays where
 * it is after the process unmaps it, until the kernel unpins it. The tokens live in {@link
 * GuestMemory} chunks of {@value #CHUNK} bytes, created on the first access, so any address of the
 * 64-bit space can be written; an address never written reads token 0.
 *
 * <p>Thread-safe: chunks are created atomically; writes behave as {@link GuestMemory#write}.
 */
public final class HostMemory {
  /** The bytes of one chunk of tokens, 2 MiB. */
  public static final long CHUNK = 2L << 20;

  private final ConcurrentHashMap<Long, GuestMemory> chunks = new ConcurrentHashMap<>();
  // each chunk takes the next token seed, from 2^31: above the seeds guest memories take by default
  private final AtomicLong nextSeed = new AtomicLong(1L << 31);

  /** Creates host memory whose pages all hold token 0. */
  public HostMemory() {}

  /**
   * Returns the chunk of tokens that holds physical address {@code pa}, creating it if needed.
   *
   * @param pa a physical address (the user virtual address of a pinned page)
   * @return the {@link GuestMemory} of the {@value #CHUNK}-byte chunk around {@code pa}
   */
  public GuestMemory chunk(long pa) {
    return chunks.computeIfAbsent(
        pa & -CHUNK, base -> GuestMemory.create(base, CHUNK, nextSeed.getAndIncrement()));
  }

  /**
   * Returns the token of the 4 KiB page at {@code pa}: 0 until a write reaches it.
   *
   * @param pa any byte of the page
   * @return the page's content token
   */
  public long token(long pa) {
    GuestMemory c = chunks.get(pa & -CHUNK);
    return c == null ? 0 : c.token(pa);
  }
}
