package org.jvfio.testkit.gen;

import java.util.List;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * DMA writes grouped in streams, one stream per device thread; the writes of a stream happen in
 * order, different streams concurrently.
 *
 * @param streams the writes of each thread, in order
 */
public record DmaWorkload(List<List<DmaWrite>> streams) {
  /**
   * Copies the streams deeply.
   *
   * @param streams the write streams, each meant for one thread
   */
  public DmaWorkload {
    streams = streams.stream().map(List::copyOf).toList();
  }

  /**
   * Returns every write, stream after stream.
   *
   * @return every write, stream after stream
   */
  public List<DmaWrite> writes() {
    return streams.stream().flatMap(List::stream).toList();
  }

  /**
   * Returns the IOVAs of the {@code pageSize}-aligned pages some write touches, in unsigned order:
   * the dirty set a correct tracker reports at that granularity after the whole workload.
   *
   * @param pageSize a power of two
   * @return the IOVAs of the {@code pageSize}-aligned pages some write touches, in unsigned order:
   *     the dirty set a correct tracker reports at that granularity after the whole workload
   */
  public NavigableSet<Long> touchedPages(long pageSize) {
    TreeSet<Long> pages = new TreeSet<>(Long::compareUnsigned);
    long mask = -pageSize;
    for (List<DmaWrite> stream : streams) {
      for (DmaWrite w : stream) {
        long last = (w.iova() + w.length() - 1) & mask;
        for (long p = w.iova() & mask; ; p += pageSize) {
          pages.add(p);
          if (p == last) {
            break;
          }
        }
      }
    }
    return pages;
  }
}
