package org.jvfio.iommu.intel;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.pt.PtDomain;
import org.jvfio.core.pt.PtFormat;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDriver;

/*
 * A VT-d paging domain: a table of one VtdFormat on the page-table engine (map, unmap, walks,
 * harvest, split, collapse and the hardware A/D update are PtDomain's), plus what is VT-d's own:
 *
 * - the device context: the scalable-mode PASID entries this domain programmed, whose SSADE is
 *   the dirty-tracking switch (drivers/iommu/intel/pasid.c, intel_pasid_setup_dirty_tracking),
 *   each change followed by the PASID-cache, IOTLB and device-TLB flushes;
 * - the second stage's hardware updates: with SSADE on, the walk sets A and a write sets D (and A);
 *   the first stage never updates anything (A and D are pre-set, tracking is never on);
 * - the quirks of intel_iommu_map: a mapping needs IOMMU_READ or IOMMU_WRITE (the second stage has
 *   no present bit), and a nest parent refuses read-only maps (ERRATA_772415_SPR17).
 *
 * Attachment state is guarded by the unit's monitor (the kernel's iommu->lock); the table's
 * control plane is serialised by the caller; the hardware path runs concurrently (PtDomain).
 */
final class VtdDomain extends PtDomain implements IntelDomain {
  private final IommuDriver driver;
  private final VtdIommu unit;
  private final boolean secondStage;
  private final int domainId;

  /** (device, PASID) key -> the PASID entry this domain programmed there; guarded by unit. */
  private final Map<Long, PasidEntry> attachments = new LinkedHashMap<>();

  private final AtomicLong pasidCacheInvalidations = new AtomicLong();
  private final AtomicLong deviceTlbInvalidations = new AtomicLong();

  VtdDomain(
      IommuDriver driver,
      VtdIommu unit,
      PtFormat format,
      boolean secondStage,
      DomainConfig config) {
    super(format, config, new PageTableMemory());
    this.driver = driver;
    this.unit = unit;
    this.secondStage = secondStage;
    this.domainId = unit.allocateDomainId();
  }

  private int levels() {
    return format().startTop() + 1;
  }

  @Override
  public IommuDriver driver() {
    return driver;
  }

  @Override
  public int domainId() {
    return domainId;
  }

  /**
   * {@inheritDoc}
   *
   * <p>VT-d, as {@code intel_iommu_map}: {@code EINVAL} without {@code IOMMU_READ} or {@code
   * IOMMU_WRITE}, and for a read-only mapping on a nest parent.
   */
  @Override
  public void map(long iova, long physical, long size, int prot) {
    UapiException.check(
        (prot & (IOMMU_READ | IOMMU_WRITE)) != 0,
        Errno.EINVAL,
        "a VT-d mapping needs IOMMU_READ or IOMMU_WRITE (no present bit)");
    UapiException.check(
        !config().nestParent() || (prot & IOMMU_WRITE) != 0,
        Errno.EINVAL,
        "Read-only mapping is disallowed on the domain which serves as the parent in a nested"
            + " configuration, due to HW errata (ERRATA_772415_SPR17)");
    super.map(iova, physical, size, prot);
  }

  /**
   * {@inheritDoc}
   *
   * <p>VT-d: on a second-stage nest parent, the first-stage (x86-64) format a nested domain's
   * {@code pgtbl_addr} is walked in: 5 levels for an {@code addr_width} of 57, else 4 ({@code
   * intel_pasid_setup_nested} sets FLPM only for 57), with 1 GiB leaves if the unit has CAP.FS1GP.
   */
  @Override
  public Optional<PtFormat> nestedStage1Format(int inputBits) {
    if (!secondStage || !config().nestParent()) {
      return Optional.empty();
    }
    long sizes = (1L << 12) | (1L << 21);
    if ((unit.registers.cap() & VtdRegisters.CAP_FS1GP) != 0) {
      sizes |= 1L << 30;
    }
    return Optional.of(
        inputBits == 57 ? VtdFormat.firstStage(5, sizes, 57) : VtdFormat.firstStage(4, sizes, 48));
  }

  // --- dirty tracking ---------------------------------------------------------------------------

  @Override
  public void setDirtyTracking(boolean enable) {
    requireDirtyOps();
    synchronized (unit) {
      if (isDirtyTracking() == enable) {
        return;
      }
      for (PasidEntry pe : attachments.values()) {
        UapiException.check(
            pe.pgtt() == PasidEntry.PGTT_SL_ONLY || pe.pgtt() == PasidEntry.PGTT_NESTED,
            Errno.EOPNOTSUPP,
            "PASID entry PGTT " + pe.pgtt() + " has no second stage");
      }
      // Hardware sees the new SSADE once the PASID cache is flushed; the model's walker reads the
      // engine's switch, so it flips before the IOTLB flush that drops translations of the old
      // state.
      setTracking(enable);
      table().setHardwareUpdates(enable, enable);
      for (Map.Entry<Long, PasidEntry> a : attachments.entrySet()) {
        a.setValue(a.getValue().withSsade(enable));
        flushForPasidEntryChange();
      }
      if (attachments.isEmpty()) {
        iotlb().invalidateAll(); // the model's IOTLB is per domain; no translation of the old state
      }
    }
  }

  /**
   * The flushes after an in-place PASID-entry change (drivers/iommu/intel/pasid.c, {@code
   * intel_pasid_setup_dirty_tracking}): PASID cache (PASID-selective within domain), IOTLB
   * (domain-selective), device TLB unless caching mode.
   */
  private void flushForPasidEntryChange() {
    pasidCacheInvalidations.incrementAndGet();
    iotlb().invalidateAll();
    if (!unit.registers.cachingMode()) {
      deviceTlbInvalidations.incrementAndGet();
    }
  }

  // --- attachment (IntelDomain) -----------------------------------------------------------------

  @Override
  public void attach(int device, int pasid) {
    long key = VtdIommu.key(device, pasid);
    VtdRegisters regs = unit.registers;
    if (pasid != IOMMU_NO_PASID) {
      UapiException.check(regs.pasidSupported(), Errno.EOPNOTSUPP, "no PASID support");
      UapiException.check(
          !hasDirtyOps(),
          Errno.EINVAL,
          "dirty tracking domains cannot be attached to a non-zero PASID");
    }
    if (!regs.smSupported()) {
      return; // legacy mode: a context entry, not modelled
    }
    boolean pwsnp = (regs.ecap() & VtdRegisters.ECAP_SMPWC) != 0;
    long root = table().root();
    PasidEntry pe =
        secondStage
            ? PasidEntry.secondStage(domainId, levels() - 2, root, pwsnp, isDirtyTracking())
            : PasidEntry.firstStage(domainId, regs.agaw(), root, pwsnp, levels() == 5);
    program(key, pe);
  }

  @Override
  public void attachNested(int device, int pasid, long firstStageRoot) {
    long key = VtdIommu.key(device, pasid);
    UapiException.check(config().nestParent(), Errno.EINVAL, "domain is not a nest parent");
    VtdRegisters regs = unit.registers;
    if (pasid != IOMMU_NO_PASID) {
      UapiException.check(regs.pasidSupported(), Errno.EOPNOTSUPP, "no PASID support");
    }
    boolean pwsnp = (regs.ecap() & VtdRegisters.ECAP_SMPWC) != 0;
    synchronized (unit) {
      program(
          key,
          PasidEntry.nested(
              unit.allocateDomainId(),
              levels() - 2,
              table().root(),
              firstStageRoot,
              pwsnp,
              isDirtyTracking()));
    }
  }

  private void program(long key, PasidEntry pe) {
    synchronized (unit) {
      unit.claim(key, this);
      attachments.put(key, pe);
      flushForPasidEntryChange(); // pasid_flush_caches on setup
    }
  }

  @Override
  public void detach(int device, int pasid) {
    long key = VtdIommu.key(device, pasid);
    synchronized (unit) {
      if (attachments.remove(key) != null) {
        unit.release(key, this);
        flushForPasidEntryChange();
      }
    }
  }

  /** Called by the unit, under its lock, when another domain took {@code key}. */
  void forget(long key) {
    attachments.remove(key);
  }

  @Override
  public Optional<PasidEntry> pasidEntry(int device, int pasid) {
    long key = VtdIommu.key(device, pasid);
    synchronized (unit) {
      return Optional.ofNullable(attachments.get(key));
    }
  }

  @Override
  public long pasidCacheInvalidations() {
    return pasidCacheInvalidations.get();
  }

  @Override
  public long deviceTlbInvalidations() {
    return deviceTlbInvalidations.get();
  }

  @Override
  public String toString() {
    return String.format(
        "VtdDomain[%s, did %d, root %#x, %s]",
        format(), domainId, table().root(), isDirtyTracking() ? "tracking" : "not tracking");
  }
}
