package org.jvfio.core.hw;

import com.google.common.base.Preconditions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;
import org.jvfio.core.pt.NestedWalk;
import org.jvfio.core.spi.IommuDomain;

/**
 * The IOMMU's nested (two-stage) translation for the devices attached to one nested HWPT: the
 * guest's stage-1 table, read from {@link GuestTables} <em>through</em> the nest parent's stage-2
 * domain, then the final access through stage 2 (VT-d 3.8, "Nested Translation"; SMMUv3 3.3.2,
 * "Stage 1 and stage 2 translation").
 *
 * <p>On a miss of its stage-1 IOTLB, a DMA walks stage 1 from the root (x86-64) or from the context
 * descriptor's TTB0 (Arm) with the page-table engine's nested walk, which classifies and decodes
 * every entry with the vendor's own page-table format (the one its host tables use); this class is
 * the stage-2 side of that walk and the DMA around it. Every stage-1 table word, and the context
 * descriptor, is a guest-physical address that is first translated by the parent ({@link
 * IommuDomain#translate}, which sets stage-2 accessed bits where the vendor does): a hole or a
 * missing read permission there is a stage-2 fault of the table walk. Where the x86-64 format needs
 * its accessed bit (every level) or its dirty bit (a leaf written through) set, the hardware writes
 * the guest's table: that is a write through stage 2, so it needs stage-2 write permission and sets
 * the stage-2 dirty bit of the table page ({@link IommuDomain#setDirtyByHardware}) before the entry
 * is updated and the page's content token changes. The final access is translated and checked by
 * stage 2 the same way, and a write sets the stage-2 dirty bit of the data page: dirty tracking is
 * on the nest parent and indexed by guest-physical address. Faults name their stage ({@link
 * NestedFault}).
 *
 * <p><b>Caches.</b> The stage-1 IOTLB caches, per 4 KiB guest IOVA page, the combined translation
 * and whether its stage-2 dirty update was done, as {@link Iotlb} does for one stage. It is cleared
 * by the guest's invalidations ({@link #invalidateRange}, {@link #invalidateAll}, reached through
 * {@code IOMMU_HWPT_INVALIDATE}), and also by every invalidation of the parent's IOTLB: a nest
 * parent's flush flushes the nested translations built on it (VT-d's cache tags of nested domains,
 * {@code drivers/iommu/intel/cache.c}; SMMUv3's {@code CMDQ_OP_TLBI_NH_ALL} for a nest parent,
 * {@code arm_smmu_tlb_inv_range_domain}). So after a dirty harvest's flush the next write through a
 * cached translation sets the stage-2 dirty bit again. A DMA also holds a ticket of the parent's
 * IOTLB drain, so a harvest's flush waits for nested DMA in flight. A guest that changes its tables
 * without invalidating keeps using the old translation, as on hardware. SMMUv3 context descriptors
 * are not cached (every miss reads the descriptor), so {@code CMDQ_OP_CFGI_CD} has nothing more to
 * drop.
 *
 * <p><b>Thread-safety.</b> {@link #write} and {@link #read} may run from many threads at once,
 * concurrently with invalidations and with the control plane of the parent.
 */
public final class NestedTranslator {
  private static final long PAGE = 4096;
  private static final int SLOTS = 1024;

  private final IommuDomain parent;
  private final Stage1Format format;
  private final GuestTables tables;
  private final GuestMemory[] memories;
  private final Consumer<NestedFault> faults;
  private final AtomicReferenceArray<Entry> slots = new AtomicReferenceArray<>(SLOTS);
  private final AtomicLong generation = new AtomicLong();
  private final AtomicLong invalidations = new AtomicLong();

  /** A cached combined translation of one 4 KiB guest IOVA page. */
  private static final class Entry {
    final long page; // iova >>> 12
    final long leafIova; // the stage-1 leaf this page belongs to
    final long leafSize;
    final long gpa; // the guest-physical page
    final boolean s1Writable;
    final boolean s1Dirty; // x86-64: the stage-1 leaf's D bit was set (or is not needed)
    final Translation s2; // the parent's leaf for gpa
    final long parentGeneration;
    volatile boolean s2Dirty; // the stage-2 dirty update was done (or is not needed)

    Entry(long page, NestedWalk.Leaf s1, Translation s2, long pg) {
      this.page = page;
      this.leafIova = s1.leafIova();
      this.leafSize = s1.leafSize();
      this.gpa = s1.gpa();
      this.s1Writable = s1.writable();
      this.s1Dirty = s1.dirty();
      this.s2 = s2;
      this.parentGeneration = pg;
      this.s2Dirty = s2.dirty();
    }
  }

  /**
   * Creates the translator of one nested HWPT.
   *
   * @param parent the nest parent's stage-2 domain
   * @param format where and how the guest's stage-1 table is found
   * @param tables the guest's table words, by guest-physical address
   * @param memories the host memory that stage-2 output addresses point into
   * @param faults told of every fault, from the DMA's thread
   */
  public NestedTranslator(
      IommuDomain parent,
      Stage1Format format,
      GuestTables tables,
      List<GuestMemory> memories,
      Consumer<NestedFault> faults) {
    this.parent = parent;
    this.format = format;
    this.tables = tables;
    this.memories = memories.toArray(new GuestMemory[0]);
    this.faults = faults;
  }

  /**
   * Returns the stage-1 configuration.
   *
   * @return the stage-1 format and configuration the translator walks
   */
  public Stage1Format format() {
    return format;
  }

  /**
   * Returns the nest parent (stage 2).
   *
   * @return the nest-parent domain that translates guest-physical addresses
   */
  public IommuDomain parent() {
    return parent;
  }

  /**
   * Writes {@code [iova, iova + length)} from device {@code deviceId} through both stages and tells
   * {@code tracker} of every page written, by guest IOVA (what the device emitted).
   *
   * @param deviceId the requester id the access enters the parent IOTLB with
   * @param iova the first guest IOVA written
   * @param length the bytes written (positive)
   * @param tracker told of every page written, by guest IOVA; not null
   * @return the bytes written and the number of 4 KiB pages that faulted
   * @throws IllegalArgumentException if {@code length} is not positive or the range wraps
   */
  public DmaResult write(int deviceId, long iova, long length, DmaWriteListener tracker) {
    return access(deviceId, iova, length, true, tracker);
  }

  /**
   * Reads {@code [iova, iova + length)} by device {@code deviceId} through both stages: walks,
   * checks and accessed/dirty updates of the stage-1 tables; no data page changes.
   *
   * @param deviceId the requester id the access enters the parent IOTLB with
   * @param iova the first guest IOVA read
   * @param length the bytes read (positive)
   * @return the bytes read and the number of 4 KiB pages that faulted
   * @throws IllegalArgumentException if {@code length} is not positive or the range wraps
   */
  public DmaResult read(int deviceId, long iova, long length) {
    return access(deviceId, iova, length, false, null);
  }

  /** Drops every cached translation: a guest's invalidate-all. */
  public void invalidateAll() {
    generation.incrementAndGet();
    invalidations.incrementAndGet();
    for (int i = 0; i < SLOTS; i++) {
      slots.set(i, null);
    }
  }

  /**
   * Drops the cached translations whose stage-1 leaf intersects {@code [iova, iova + length)} (a
   * large leaf goes whole, as an IOTLB entry of that size would); a range that wraps drops
   * everything, an empty one nothing.
   *
   * @param iova the first guest IOVA of the range
   * @param length the bytes of the range
   */
  public void invalidateRange(long iova, long length) {
    if (length == 0) {
      return;
    }
    long last = iova + length - 1;
    if (Long.compareUnsigned(last, iova) < 0) {
      invalidateAll();
      return;
    }
    generation.incrementAndGet();
    invalidations.incrementAndGet();
    for (int i = 0; i < SLOTS; i++) {
      Entry e = slots.get(i);
      if (e != null
          && Long.compareUnsigned(e.leafIova, last) <= 0
          && Long.compareUnsigned(iova, e.leafIova + e.leafSize - 1) <= 0) {
        slots.compareAndSet(i, e, null);
      }
    }
  }

  /**
   * Returns how many guest invalidations this translator has seen.
   *
   * @return the count of {@link #invalidateAll} calls and non-empty {@link #invalidateRange} calls
   */
  public long invalidations() {
    return invalidations.get();
  }

  private DmaResult access(
      int deviceId, long iova, long length, boolean write, DmaWriteListener tracker) {
    Preconditions.checkArgument(
        length > 0 && Long.compareUnsigned(iova + length - 1, iova) >= 0, "bad DMA range");
    Iotlb parentTlb = parent.iotlb();
    int ticket = parentTlb.enter(deviceId); // a parent flush waits for this access
    try {
      long cur = iova;
      long remaining = length;
      long bytes = 0;
      int faulted = 0;
      while (remaining > 0) {
        long step = Math.min(remaining, PAGE - (cur & (PAGE - 1)));
        if (page(deviceId, cur, step, write, tracker, parentTlb)) {
          bytes += step;
        } else {
          faulted++;
        }
        cur += step;
        remaining -= step;
      }
      return new DmaResult(bytes, faulted);
    } finally {
      parentTlb.exit(ticket);
    }
  }

  /** One access within one 4 KiB page; false if it faulted (the fault is reported). */
  private boolean page(
      int deviceId, long iova, long step, boolean write, DmaWriteListener tracker, Iotlb ptlb) {
    boolean needWalk = false;
    while (true) {
      Entry e = needWalk ? null : lookup(iova, ptlb);
      if (e == null) {
        e = walk(deviceId, iova, write, ptlb);
        if (e == null) {
          return false;
        }
      }
      if (write && !e.s1Writable) {
        return fault(deviceId, iova, true, 1, NestedFault.Cause.PERMISSION, 0, false);
      }
      Translation s2 = e.s2;
      if (write ? !s2.writable() : !s2.readable()) {
        return fault(deviceId, iova, write, 2, NestedFault.Cause.PERMISSION, e.gpa, false);
      }
      if (!write) {
        return true;
      }
      if (!e.s1Dirty) {
        needWalk = true; // cached from a read: walk again to set the stage-1 dirty bit
        continue;
      }
      if (!e.s2Dirty) {
        if (!parent.setDirtyByHardware(s2)) {
          drop(e);
          needWalk = true;
          continue;
        }
        e.s2Dirty = true;
      }
      long pa = s2.physicalOf(e.gpa + (iova & (PAGE - 1)));
      memoryOf(pa, step).write(pa, step);
      tracker.recordWrite(iova, step);
      return true;
    }
  }

  private Entry lookup(long iova, Iotlb ptlb) {
    long page = iova >>> 12;
    Entry e = slots.get((int) (page & (SLOTS - 1)));
    return e != null && e.page == page && e.parentGeneration == ptlb.generation() ? e : null;
  }

  private void drop(Entry e) {
    slots.compareAndSet((int) (e.page & (SLOTS - 1)), e, null);
  }

  /** Walks both stages for the page of {@code iova}; caches and returns it, or null on a fault. */
  private Entry walk(int deviceId, long iova, boolean write, Iotlb ptlb) {
    long parentGen = ptlb.generation();
    long gen = generation.get();
    NestedWalk.Leaf s1;
    if (format == Stage1Format.abort()) {
      fault(deviceId, iova, write, 1, NestedFault.Cause.NOT_PRESENT, 0, false);
      return null;
    } else if (format == Stage1Format.bypass()) {
      s1 = new NestedWalk.Leaf(iova & -PAGE, true, true, iova & -PAGE, PAGE);
    } else {
      s1 = ((NestedWalk) format).walk(iova, write, new Port(deviceId, iova, write));
    }
    if (s1 == null) {
      return null;
    }
    if (write && !s1.writable()) {
      fault(deviceId, iova, true, 1, NestedFault.Cause.PERMISSION, 0, false); // before stage 2
      return null;
    }
    Optional<Translation> s2 = parent.translate(s1.gpa());
    if (s2.isEmpty()) {
      fault(deviceId, iova, write, 2, NestedFault.Cause.NOT_PRESENT, s1.gpa(), false);
      return null;
    }
    long page = iova >>> 12;
    Entry e = new Entry(page, s1, s2.get(), parentGen);
    int i = (int) (page & (SLOTS - 1));
    slots.set(i, e);
    if (generation.get() != gen) {
      slots.compareAndSet(i, e, null); // an invalidation ran during the walk: use it once only
    }
    return e;
  }

  /** The stage-2 side of one access's stage-1 walk. */
  private final class Port implements NestedWalk.Stage2 {
    private final int deviceId;
    private final long iova;
    private final boolean write;

    Port(int deviceId, long iova, boolean write) {
      this.deviceId = deviceId;
      this.iova = iova;
      this.write = write;
    }

    @Override
    public Translation tableRead(long gpa) {
      return tableStage2(deviceId, iova, write, gpa);
    }

    @Override
    public long word(long gpa) {
      return tables.read(gpa);
    }

    @Override
    public int update(long gpa, long expected, long update, Translation t) {
      return hardwareUpdate(deviceId, iova, write, gpa, expected, update, t);
    }

    @Override
    public void fault(NestedFault.Cause cause, long gpa) {
      NestedTranslator.this.fault(deviceId, iova, write, 1, cause, gpa, false);
    }
  }

  /** Translates a stage-1 table word's address by stage 2 for reading; null after a fault. */
  private Translation tableStage2(int deviceId, long iova, boolean write, long slot) {
    Optional<Translation> t = parent.translate(slot & -PAGE);
    if (t.isEmpty()) {
      fault(deviceId, iova, write, 2, NestedFault.Cause.NOT_PRESENT, slot, true);
      return null;
    }
    if (!t.get().readable()) {
      fault(deviceId, iova, write, 2, NestedFault.Cause.PERMISSION, slot, true);
      return null;
    }
    return t.get();
  }

  /**
   * The hardware's locked update of a stage-1 entry: a write through stage 2, so stage 2 must
   * permit it and its dirty bit is set first; then the entry is replaced and the table page's
   * content changes. Returns 1 when done, 0 if the entry changed meanwhile, -1 after a fault.
   */
  private int hardwareUpdate(
      int deviceId,
      long iova,
      boolean write,
      long slot,
      long expected,
      long update,
      Translation ts) {
    Translation t = ts;
    while (true) {
      if (!t.writable()) {
        fault(deviceId, iova, write, 2, NestedFault.Cause.PERMISSION, slot, true);
        return -1;
      }
      if (t.dirty() || parent.setDirtyByHardware(t)) {
        break;
      }
      t = tableStage2(deviceId, iova, write, slot); // the parent's leaf changed: walk it again
      if (t == null) {
        return -1;
      }
    }
    if (!tables.compareAndSet(slot, expected, update)) {
      return 0;
    }
    long pa = t.physicalOf(slot);
    memoryOf(pa, 8).write(pa, 8);
    return 1;
  }

  private boolean fault(
      int deviceId,
      long iova,
      boolean write,
      int stage,
      NestedFault.Cause cause,
      long gpa,
      boolean tableWalk) {
    faults.accept(new NestedFault(deviceId, iova, write, stage, cause, gpa, tableWalk));
    return false;
  }

  private GuestMemory memoryOf(long pa, long length) {
    for (GuestMemory m : memories) {
      if (m.contains(pa, length)) {
        return m;
      }
    }
    throw new IllegalStateException(
        "translation outside guest memory: 0x" + Long.toHexString(pa) + "+" + length);
  }
}
