package org.jvfio.bench;

import static org.jvfio.bench.Fixture.PAGE;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.spi.IommuDomain;

/**
 * The memory figure of the report: bytes of Java heap a {@link PageTableMemory} holds for a mapped
 * range, per mapped leaf, against what the hardware tables occupy (8 bytes per entry plus the table
 * frames: {@code framesInUse() * 4 KiB}), and the heap the JVM actually gave the mapping.
 */
final class MemoryReport {
  private MemoryReport() {}

  /** Maps 64 GiB at 4 KiB and 256 GiB at 2 MiB leaves per driver and returns the table. */
  static String report(List<String> drivers) {
    List<String> lines = new ArrayList<>();
    lines.add(
        String.format(
            Locale.ROOT,
            "%-22s %12s %12s %12s %12s %9s %12s",
            "memory [model, mapped]",
            "leaves",
            "held B/leaf",
            "hw B/leaf",
            "heap B/leaf",
            "held/hw",
            "heap/hw"));
    for (String driver : drivers) {
      lines.add(line(driver, PAGE, 64L << 30, "64 GiB at 4 KiB"));
      lines.add(line(driver, 1L << 21, 256L << 30, "256 GiB at 2 MiB"));
    }
    return String.join(System.lineSeparator(), lines);
  }

  private static String line(String driver, long leaf, long length, String what) {
    long before = usedHeapAfterGc();
    IommuDomain domain = Fixture.mapped(driver, leaf, length);
    long heap = usedHeapAfterGc() - before;
    PageTableMemory m = domain.memory();
    long leaves = length / leaf;
    double hw = m.framesInUse() * (double) PageTableMemory.FRAME_SIZE;
    String row =
        String.format(
            Locale.ROOT,
            "%-22s %12d %12.3f %12.3f %12.3f %8.3fx %11.3fx",
            driver + ", " + what,
            leaves,
            m.bytesHeld() / (double) leaves,
            hw / leaves,
            heap / (double) leaves,
            m.bytesHeld() / hw,
            heap / hw);
    domain.unmap(Fixture.BASE_IOVA, length); // keep the domain reachable until here
    return row;
  }

  private static long usedHeapAfterGc() {
    Runtime rt = Runtime.getRuntime();
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return rt.totalMemory() - rt.freeMemory();
  }
}
