package org.jvfio.core.pt;

import java.util.Optional;
import java.util.OptionalLong;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;

/**
 * An {@link IommuDomain} whose table is a {@link PageTable}: every table operation is the engine's;
 * a vendor subclass adds its device context (DTE, PASID entry, context descriptor), its
 * dirty-tracking switch and its quirks by overriding the methods that differ. The counterpart of
 * {@code struct pt_iommu} embedded in a driver's domain in Linux.
 *
 * <p>Thread-safety as {@link IommuDomain}: the control plane is serialised by the caller, the
 * hardware path ({@link #translate}, {@link #setDirtyByHardware}) runs concurrently.
 */
public abstract class PtDomain implements IommuDomain {
  private final DomainConfig config;
  private final PageTableMemory memory;
  private final Iotlb iotlb = new Iotlb();
  private final PageTable table;
  private volatile boolean tracking;

  /**
   * Creates a domain with an empty table of {@code format}.
   *
   * @param format the table format
   * @param config the allocation flags
   * @param memory where the table frames live (shared by the domains of one IOMMU, or per domain)
   */
  protected PtDomain(PtFormat format, DomainConfig config, PageTableMemory memory) {
    this.config = config;
    this.memory = memory;
    this.table = new PageTable(format, memory, iotlb, this::topChanged);
  }

  /**
   * Called when the table grew to a new top (only formats whose max top exceeds the start); a
   * vendor rewrites its device context here (AMD: the DTE's root and Mode). Does nothing by
   * default.
   *
   * @param root the physical address of the new top table
   * @param topLevel the new top level
   */
  protected void topChanged(long root, int topLevel) {}

  /**
   * Returns the format of this domain's table.
   *
   * @return the format of {@link #table}
   */
  public final PtFormat format() {
    return table.format();
  }

  /**
   * Returns the engine's table.
   *
   * @return the table the domain maps into
   */
  protected final PageTable table() {
    return table;
  }

  /**
   * Returns the format of a guest's stage-1 table nested on this domain as a nest parent, which the
   * IOMMU walks with {@link NestedWalk}: VT-d's first stage (x86-64), SMMUv3's LPAE stage 1. Empty
   * by default: the vendor nests no stage 1 here (not a nest parent, or no nesting).
   *
   * @param inputBits the stage-1 input size in bits: VT-d the {@code addr_width} of {@code
   *     iommu_hwpt_vtd_s1} (57 for 5 levels, else 4), Arm {@code 64 - T0SZ}
   * @return the format, or empty
   */
  public Optional<PtFormat> nestedStage1Format(int inputBits) {
    return Optional.empty();
  }

  @Override
  public final DomainConfig config() {
    return config;
  }

  @Override
  public long pageSizeBitmap() {
    return table.format().pageSizeBitmap();
  }

  @Override
  public long apertureEnd() {
    return table.apertureEnd();
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: {@link PageTable#map}.
   */
  @Override
  public void map(long iova, long physical, long size, int prot) {
    table.map(iova, physical, size, prot);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: {@link PageTable#unmap} (iommupt's rules: 0 if the range starts inside a leaf, stops
   * at the first hole).
   */
  @Override
  public long unmap(long iova, long size) {
    return table.unmap(iova, size, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: {@link PageTable#unmap} with an atomic exchange per entry that records the old value's
   * dirty state.
   */
  @Override
  public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
    return table.unmap(iova, size, dirty);
  }

  @Override
  public OptionalLong iovaToPhys(long iova) {
    return table.iovaToPhys(iova);
  }

  /**
   * {@inheritDoc}
   *
   * <p>The default flips the state, tells the engine whether hardware updates dirty bits, and
   * invalidates the whole IOTLB (translations cached with the old setting must not survive, trap
   * T10). Vendors override to write their device context and issue its invalidations.
   */
  @Override
  public void setDirtyTracking(boolean enable) {
    requireDirtyOps();
    if (tracking != enable) {
      tracking = enable;
      table.setHardwareUpdates(enable, false);
      iotlb.invalidateAll();
    }
  }

  /**
   * Records the tracking state a vendor's own {@link #setDirtyTracking} has set.
   *
   * @param enable true once tracking is on, false once it is off
   */
  protected final void setTracking(boolean enable) {
    tracking = enable;
  }

  /** Throws {@code EOPNOTSUPP} unless the domain has dirty ops. */
  protected final void requireDirtyOps() {
    UapiException.check(hasDirtyOps(), Errno.EOPNOTSUPP, "domain has no dirty ops");
  }

  @Override
  public boolean isDirtyTracking() {
    return tracking;
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here: iommupt's walk ({@link
   * org.jvfio.core.spi.IommuCapability#HARVEST_RECORDS_FROM_START}); tracking being off is not
   * checked, as iommupt does not.
   *
   * @throws IllegalArgumentException if {@code flags} has bits other than {@code
   *     IOMMU_DIRTY_NO_CLEAR}, or the range is empty or wraps
   */
  @Override
  public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
    requireDirtyOps();
    PageTable.require(
        (flags & ~Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0, "unknown read-and-clear flags: " + flags);
    table.readAndClearDirty(iova, size, (flags & Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0, dirty);
  }

  @Override
  public void split(long iova, long length, long pageSize) {
    table.split(iova, length, pageSize);
  }

  @Override
  public void collapse(long iova, long length) {
    table.collapse(iova, length);
  }

  @Override
  public long[] walk(long iova) {
    return table.walk(iova);
  }

  /**
   * {@inheritDoc}
   *
   * <p>Here the level is the engine's: 0 is the smallest leaf.
   */
  @Override
  public String describeEntry(long entry, int level) {
    return table.format().describe(entry, level);
  }

  @Override
  public final Iotlb iotlb() {
    return iotlb;
  }

  @Override
  public void iotlbSync(IotlbGather gather) {
    table.iotlbSync(gather);
  }

  @Override
  public final PageTableMemory memory() {
    return memory;
  }

  @Override
  public void free() {
    table.free();
  }

  @Override
  public final Optional<Translation> translate(long iova) {
    return table.translate(iova);
  }

  @Override
  public final Translation translateOrNull(long iova) {
    return table.translateOrNull(iova);
  }

  @Override
  public final boolean setDirtyByHardware(Translation t) {
    return table.setDirtyByHardware(t);
  }
}
