package org.jvfio.testkit.fake;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.GuestTables;
import org.jvfio.core.hw.NestedFault;
import org.jvfio.core.hw.NestedTranslator;
import org.jvfio.core.hw.Stage1Format;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * A guest for tests of nested translation: RAM at guest-physical 0, a mock nest parent with dirty
 * tracking on that maps all of it read-write, the guest's table words, a bump allocator of table
 * pages and the faults the translators report. Not thread-safe.
 */
public final class FakeNestedGuest {
  private final long ram;
  private final GuestMemory memory;
  private final GuestTables tables = new GuestTables();
  private final IommuDomain parent =
      MockIommuDriver.create(true, false).allocateDomain(new DomainConfig(true, true));
  private final List<NestedFault> faults = new ArrayList<>();
  private long nextTable;

  /**
   * Creates the guest.
   *
   * @param hostAddress the host address of guest RAM (stage 2 maps guest-physical {@code g} there
   *     plus {@code g})
   * @param ram the bytes of guest RAM, a multiple of 4 KiB
   * @param tablePool the guest-physical address {@link #allocateTable} starts at
   */
  public FakeNestedGuest(long hostAddress, long ram, long tablePool) {
    this.ram = ram;
    this.memory = GuestMemory.create(hostAddress, ram, 1);
    this.nextTable = tablePool;
    parent.map(0, hostAddress, ram, IommuDomain.IOMMU_READ | IommuDomain.IOMMU_WRITE);
    parent.setDirtyTracking(true);
  }

  /**
   * Returns guest RAM.
   *
   * @return the memory stage 2 translates into
   */
  public GuestMemory memory() {
    return memory;
  }

  /**
   * Returns the guest's table words.
   *
   * @return the store the stage-1 walks read
   */
  public GuestTables tables() {
    return tables;
  }

  /**
   * Returns the nest parent.
   *
   * @return the mock stage-2 domain
   */
  public IommuDomain parent() {
    return parent;
  }

  /**
   * Returns the faults reported so far.
   *
   * @return the live list of faults, oldest first
   */
  public List<NestedFault> faults() {
    return faults;
  }

  /**
   * Returns the next free 4 KiB table page.
   *
   * @return its guest-physical address
   */
  public long allocateTable() {
    long p = nextTable;
    nextTable += 4096;
    return p;
  }

  /**
   * Returns a translator of {@code format} over the parent, reporting into {@link #faults}.
   *
   * @param format the stage-1 configuration
   * @return a new translator
   */
  public NestedTranslator translator(Stage1Format format) {
    return new NestedTranslator(parent, format, tables, List.of(memory), faults::add);
  }

  /**
   * Harvests and clears the parent's dirty pages over all of RAM.
   *
   * @return the guest-physical addresses of the dirty 4 KiB pages, ascending
   */
  public Set<Long> harvest() {
    return harvest(parent, ram);
  }

  /**
   * Harvests and clears {@code [0, length)} of {@code domain}, with the IOTLB flush after.
   *
   * @param domain a domain with dirty tracking on
   * @param length the bytes harvested from IOVA 0
   * @return the IOVAs of the dirty 4 KiB pages, ascending
   */
  public static Set<Long> harvest(IommuDomain domain, long length) {
    IovaBitmap bitmap = IovaBitmap.allocate(0, length, 4096);
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(0, length, 0, IommuDirtyBitmap.of(bitmap, gather));
    domain.iotlbSync(gather);
    Set<Long> pages = new TreeSet<>();
    bitmap.forEachDirty(pages::add);
    return pages;
  }
}
