package org.jvfio.iommu.smmuv3;

import java.util.Optional;
import org.jvfio.api.Errno;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.UapiException;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IotlbGather;

/*
 * One SMMUv3 paging domain: an io-pgtable-arm LPAE table (stage 1, or stage 2 for a nest parent)
 * on the page-table engine, in the driver's PageTableMemory, with its context descriptor. The
 * format is LpaeFormat; map, lookups, the hardware walk and its HTTU update (AF and the DBM
 * dirty update by CAS), split and collapse (break-before-make at IDR3.BBML 0) are the engine's.
 *
 * What stays here is Arm's own behaviour:
 *  - dirty updates run from domain creation on: arm_smmu_set_dirty_tracking does nothing;
 *  - the harvest is io-pgtable-arm's position-carrying walk, a hole ending it with EINVAL
 *    (LpaeHarvest);
 *  - unmap follows arm_lpae_unmap_pages under iommu_unmap's page-size loop (the engine's
 *    PageTable.unmapPieces): a piece that meets an entry of its own size removes it, a table with
 *    everything below it (holes included), freed after the synchronous walk invalidation Linux
 *    issues; a piece smaller than the leaf it meets is refused (0 bytes, as since v6.13) and a
 *    piece that meets an invalid entry ends the loop;
 *  - with PostHarvestSync.UPSTREAM, a gather without a page size is not invalidated.
 *
 * Threading: control-plane calls are serialised by the caller; translate/setDirtyByHardware run
 * concurrently from DMA threads.
 */
final class SmmuV3Domain extends PtDomain {
  private static final int MAIR = 0xF404FF44; // NC 0x44, WBRWA 0xff, DEVICE 0x04, INC-OWBRWA 0xf4

  private final SmmuV3Driver driver;
  private final boolean stage2;
  private final boolean hd; // CD.HD and CD.HA: stage 1 allocated with dirty tracking
  private final Optional<ContextDescriptor> cd;

  SmmuV3Domain(SmmuV3Driver driver, DomainConfig config, int asid) {
    super(
        LpaeFormat.of(
            driver.granule(),
            driver.inputBits(),
            config.nestParent(),
            config.dirtyTracking(),
            driver.idr3Bbml() == 0,
            driver.contiguousHint()),
        config,
        driver.memory());
    this.driver = driver;
    this.stage2 = config.nestParent();
    this.hd = config.dirtyTracking();
    table().setHardwareUpdates(hd, hd);
    this.cd = stage2 ? Optional.empty() : Optional.of(buildContextDescriptor(asid));
  }

  /** The CD as arm_smmu_make_s1_cd fills it from the io-pgtable TCR/TTBR/MAIR. */
  private ContextDescriptor buildContextDescriptor(int asid) {
    boolean coherent = driver.coherentWalk();
    long rgn = coherent ? 1 : 0; // WBWA or NC
    long sh = coherent ? 3 : 2; // IS or OS
    long d0 =
        (64 - driver.inputBits())
            | (long) driver.granule().tg0() << ContextDescriptor.TG0_SHIFT
            | rgn << ContextDescriptor.IRGN0_SHIFT
            | rgn << ContextDescriptor.ORGN0_SHIFT
            | sh << ContextDescriptor.SH0_SHIFT
            | ContextDescriptor.EPD1
            | ContextDescriptor.V
            | 5L << ContextDescriptor.IPS_SHIFT // 48-bit output
            | ContextDescriptor.AA64
            | ContextDescriptor.R
            | ContextDescriptor.A
            | ContextDescriptor.ASET
            | (long) asid << ContextDescriptor.ASID_SHIFT;
    if (hd) {
      d0 |= ContextDescriptor.TCR_HA | ContextDescriptor.TCR_HD;
    }
    long ttb0 = table().root() & ContextDescriptor.TTB0_MASK;
    return new ContextDescriptor(d0, ttb0, 0, MAIR & 0xFFFF_FFFFL);
  }

  Optional<ContextDescriptor> contextDescriptor() {
    return cd;
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: on a stage-2 nest parent, the LPAE stage-1 format (4 KiB granule) a guest's context
   * descriptor of T0SZ {@code 64 - inputBits} points to, without hardware access-flag or dirty
   * updates (Linux offers no HTTU to a nested guest).
   */
  @Override
  public Optional<PtFormat> nestedStage1Format(int inputBits) {
    if (!stage2) {
      return Optional.empty();
    }
    return Optional.of(LpaeFormat.of(Granule.G4K, inputBits, false, false, false, false));
  }

  /** Test seam: runs inside the split and collapse race windows, before publishing. */
  void setRaceWindow(Runnable window) {
    table().setRaceWindow(window);
  }

  @Override
  public SmmuV3Driver driver() {
    return driver;
  }

  // --- unmap ------------------------------------------------------------------------------------

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: the request is cut into page-size pieces as {@code iommu_unmap} does; each piece
   * must hit an entry of exactly its size — a leaf, or a table which is then freed with everything
   * below it. A piece that meets a larger leaf is refused ({@code "Unmap of a partial large IOPTE
   * is not allowed"}, v6.13 on) and a piece that meets an empty entry stops the unmap: the bytes
   * unmapped before are returned, possibly 0.
   *
   * @throws IllegalArgumentException if the range is empty, not aligned to the granule, or beyond
   *     the input size
   */
  @Override
  public long unmap(long iova, long size) {
    return table().unmapPieces(iova, size, null);
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: as {@link #unmap}, each removed leaf taken out by an atomic exchange and recorded at
   * its full size if it was writable-dirty, the leaves below a removed table too. Holes end the
   * unmap as in {@link #unmap}; they never raise {@code EINVAL} here.
   *
   * @throws UapiException {@code EOPNOTSUPP} without dirty ops
   */
  @Override
  public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
    requireDirtyOps();
    return table().unmapPieces(iova, size, dirty);
  }

  // --- dirty tracking ---------------------------------------------------------------------------

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: {@code arm_smmu_set_dirty_tracking} does nothing and succeeds — hardware dirty
   * updates run from domain creation on, whatever is asked here.
   */
  @Override
  public void setDirtyTracking(boolean enable) {
    requireDirtyOps();
  }

  /** {@inheritDoc} SMMUv3: true for every domain with dirty ops, from creation on. */
  @Override
  public boolean isDirtyTracking() {
    return hasDirtyOps();
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3 ({@code arm_lpae_read_and_clear_dirty}): dirty = DBM set and AP[2] clear; cleaning
   * atomically sets AP[2]. Leaves are recorded at the walk position with their full size (see
   * {@code LpaeHarvest}). An invalid entry inside the range ends the walk with {@code EINVAL}; what
   * was recorded (and cleaned) before it stays recorded, and {@code dirty.gather()} still needs its
   * sync. Flags other than {@code IOMMU_DIRTY_NO_CLEAR} are ignored.
   *
   * @throws UapiException {@code EOPNOTSUPP} without dirty ops; {@code EINVAL} if {@code size} is
   *     0, the range ends beyond the input size, or a hole is met
   */
  @Override
  public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
    requireDirtyOps();
    UapiException.check(size != 0, Errno.EINVAL, "size is 0");
    long last = iova + size - 1;
    UapiException.check(
        Long.compareUnsigned(last, iova) >= 0 && Long.compareUnsigned(last, apertureEnd()) <= 0,
        Errno.EINVAL,
        "range beyond the input size");
    boolean clear = (flags & Iommufd.IOMMU_DIRTY_NO_CLEAR) == 0;
    LpaeHarvest h = new LpaeHarvest(format(), memory(), iova, iova + size, clear, dirty);
    if (!h.walk(table().root(), table().topLevel())) {
      throw new UapiException(
          Errno.EINVAL, String.format("harvest met an invalid entry at 0x%x", h.position()));
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>SMMUv3: with {@link PostHarvestSync#UPSTREAM}, a gather without a page size (every gather a
   * harvest fills) is not invalidated, as {@code arm_smmu_iotlb_sync} returns early. An unmap's
   * gather carries a page size (the kernel's unmap path adds its pages with {@code
   * io_pgtable_tlb_add_page}, and the iommufd model records them with {@link IotlbGather#addPage}),
   * so it is always invalidated.
   */
  @Override
  public void iotlbSync(IotlbGather gather) {
    if (driver.postHarvestSync() == PostHarvestSync.UPSTREAM && gather.pageSize() == 0) {
      return;
    }
    super.iotlbSync(gather);
  }

  @Override
  public String toString() {
    return "SmmuV3Domain[" + (stage2 ? "S2 " : "S1 ") + driver + ", dirty=" + hd + "]";
  }
}
