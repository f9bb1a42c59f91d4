package org.jvfio.testkit.gen;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jvfio.testkit.Gen;
import org.jvfio.testkit.Source;

/**
 * Generators of {@link DmaWorkload}s over a {@link MappingLayout}: sparse writes, dense
 * page-by-page sweeps, sequential runs, hot sets written again and again, and one stream per
 * thread; and writes to unmapped IOVAs, which must fault instead of dirtying anything.
 *
 * <p>Every write of the valid workloads lies inside one mapping of the layout. Shapes are counted
 * in 4 KiB pages, the granule of guest memory. Single-stream generators return one stream.
 */
public final class DmaWorkloadGens {
  private DmaWorkloadGens() {}

  private static final long PAGE = PageSizeGens.SZ_4K;

  /**
   * Returns {@code 1..maxWrites} small writes (1 byte to 2 pages) anywhere in the layout.
   *
   * @param layout the mappings the writes land in
   * @param maxWrites the most writes
   * @return {@code 1..maxWrites} small writes (1 byte to 2 pages) anywhere in the layout
   */
  public static Gen<DmaWorkload> sparse(MappingLayout layout, int maxWrites) {
    Gen<List<DmaWrite>> stream = Gen.lists(src -> write(layout, src, 2 * PAGE), 1, maxWrites);
    return stream.map(s -> new DmaWorkload(List.of(s)));
  }

  /**
   * Returns a sweep writing every 4 KiB page of a window of {@code 1..maxPages} pages inside one
   * mapping, in order, each write a whole page.
   *
   * @param layout the mappings the writes land in
   * @param maxPages the most 4 KiB pages
   * @return a sweep writing every 4 KiB page of a window of {@code 1..maxPages} pages inside one
   *     mapping, in order, each write a whole page
   */
  public static Gen<DmaWorkload> dense(MappingLayout layout, int maxPages) {
    return src -> {
      Mapping m = mapping(layout, src);
      long pagesInMapping = m.length() / PAGE;
      long n = src.nextLong(1, Math.min(maxPages, pagesInMapping));
      long first = m.iova() + src.nextLong(0, pagesInMapping - n) * PAGE;
      List<DmaWrite> writes = new ArrayList<>();
      for (long i = 0; i < n; i++) {
        writes.add(new DmaWrite(first + i * PAGE, PAGE));
      }
      return new DmaWorkload(List.of(writes));
    };
  }

  /**
   * Returns {@code 1..maxRuns} sequential runs: single writes of up to 64 pages from an arbitrary
   * byte offset, each touching several consecutive pages.
   *
   * @param layout the mappings the writes land in
   * @param maxRuns the most runs
   * @return {@code 1..maxRuns} sequential runs: single writes of up to 64 pages from an arbitrary
   *     byte offset, each touching several consecutive pages
   */
  public static Gen<DmaWorkload> runs(MappingLayout layout, int maxRuns) {
    Gen<List<DmaWrite>> stream = Gen.lists(src -> write(layout, src, 64 * PAGE), 1, maxRuns);
    return stream.map(s -> new DmaWorkload(List.of(s)));
  }

  /**
   * Returns {@code 1..maxWrites} small writes, each inside one page of a hot set of 1 to 4 pages.
   *
   * @param layout the mappings the writes land in
   * @param maxWrites the most writes
   * @return {@code 1..maxWrites} small writes, each inside one page of a hot set of 1 to 4 pages
   */
  public static Gen<DmaWorkload> hotSet(MappingLayout layout, int maxWrites) {
    return src -> {
      List<Long> hot = new ArrayList<>();
      int size = src.nextInt(1, 4);
      for (int i = 0; i < size; i++) {
        hot.add(write(layout, src, 1).iova() & -PAGE);
      }
      int n = src.nextInt(1, maxWrites);
      List<DmaWrite> writes = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long page = hot.get(src.nextInt(0, hot.size() - 1));
        long offset = src.nextLong(0, PAGE - 1);
        writes.add(new DmaWrite(page + offset, src.nextLong(1, PAGE - offset)));
      }
      return new DmaWorkload(List.of(writes));
    };
  }

  /**
   * Returns one stream of any of the shapes above, with up to {@code maxWrites} writes.
   *
   * @param layout the mappings the writes land in
   * @param maxWrites the most writes
   * @return one stream of any of the shapes above, with up to {@code maxWrites} writes
   */
  public static Gen<DmaWorkload> any(MappingLayout layout, int maxWrites) {
    return Gen.choose(
        sparse(layout, maxWrites),
        dense(layout, maxWrites),
        runs(layout, maxWrites),
        hotSet(layout, maxWrites));
  }

  /**
   * Returns {@code threads} streams, each of {@link #any} shape, meant to run on one thread each.
   *
   * @param layout the mappings the writes land in
   * @param threads the number of streams, one per thread
   * @param maxWrites the most writes
   * @return {@code threads} streams, each of {@link #any} shape, meant to run on one thread each
   * @throws IllegalArgumentException if {@code threads < 1}
   */
  public static Gen<DmaWorkload> perThread(MappingLayout layout, int threads, int maxWrites) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be positive: " + threads);
    }
    Gen<DmaWorkload> one = any(layout, maxWrites);
    return src -> {
      List<List<DmaWrite>> streams = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        streams.add(one.generate(src).streams().get(0));
      }
      return new DmaWorkload(streams);
    };
  }

  /**
   * Returns {@code 1..maxWrites} writes of 1 byte to 2 pages entirely outside every mapping (in a
   * gap, below the first or above the last mapping): each must raise an IO page fault and dirty
   * nothing.
   *
   * @param layout the mappings the writes land in
   * @param maxWrites the most writes
   * @return {@code 1..maxWrites} writes of 1 byte to 2 pages entirely outside every mapping (in a
   *     gap, below the first or above the last mapping): each must raise an IO page fault and dirty
   *     nothing
   */
  public static Gen<DmaWorkload> unmapped(MappingLayout layout, int maxWrites) {
    List<IovaRange> holes = holes(layout);
    Gen<DmaWrite> write =
        src -> {
          IovaRange h = holes.get(src.nextInt(0, holes.size() - 1));
          long length = src.nextLong(1, Math.min(2 * PAGE, h.length()));
          return new DmaWrite(h.iova() + src.nextLong(0, h.length() - length), length);
        };
    return Gen.lists(write, 1, maxWrites).map(s -> new DmaWorkload(List.of(s)));
  }

  /** The unmapped gaps of the layout, plus up to 1 GiB above its end and below its start. */
  private static List<IovaRange> holes(MappingLayout layout) {
    List<IovaRange> holes = new ArrayList<>();
    List<Mapping> ms = layout.mappings();
    if (ms.isEmpty()) {
      holes.add(new IovaRange(0, PageSizeGens.SZ_1G));
      return holes;
    }
    long first = ms.get(0).iova();
    if (first != 0) {
      long len = Math.min(first, PageSizeGens.SZ_1G);
      holes.add(new IovaRange(first - len, len));
    }
    for (int i = 1; i < ms.size(); i++) {
      long gapStart = ms.get(i - 1).iova() + ms.get(i - 1).length();
      if (gapStart != ms.get(i).iova()) {
        holes.add(new IovaRange(gapStart, ms.get(i).iova() - gapStart));
      }
    }
    Mapping lastMapping = ms.get(ms.size() - 1);
    long end = lastMapping.iova() + lastMapping.length();
    if (end != 0 && Long.compareUnsigned(end, -PageSizeGens.SZ_1G) <= 0) {
      holes.add(new IovaRange(end, PageSizeGens.SZ_1G));
    }
    if (holes.isEmpty()) {
      throw new IllegalArgumentException("layout leaves no IOVA unmapped");
    }
    return holes;
  }

  private static Mapping mapping(MappingLayout layout, Source src) {
    List<Mapping> ms = Objects.requireNonNull(layout, "layout").mappings();
    if (ms.isEmpty()) {
      throw new IllegalArgumentException("empty layout");
    }
    return ms.get(src.nextInt(0, ms.size() - 1));
  }

  /** Draws a write of 1..maxLength bytes inside one mapping. */
  private static DmaWrite write(MappingLayout layout, Source src, long maxLength) {
    Mapping m = mapping(layout, src);
    long length = src.nextLong(1, Math.min(maxLength, m.length()));
    return new DmaWrite(m.iova() + src.nextLong(0, m.length() - length), length);
  }
}
