package org.jvfio.core.hw;

import com.google.common.base.Preconditions;
import com.google.common.collect.ImmutableList;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.jvfio.core.spi.IommuDomain;

/**
 * The device side of the IOMMU: performs a device's DMA read or write of {@code (iova, length)}
 * through a domain, as the hardware does (docs/architecture.md, "How the hardware is modelled").
 *
 * <p>Per leaf-sized chunk of a write: IOTLB lookup; on a miss, a page walk ({@link
 * IommuDomain#translateOrNull}) cached under the IOTLB generation read before the walk; no
 * translation or no write permission records an {@link IoPageFault} and skips that 4 KiB page
 * (nothing is written); if the cached translation is not dirty, the IOMMU's interlocked A/D update
 * ({@link IommuDomain#setDirtyByHardware}), and on a stale slot the entry is dropped and the walk
 * repeated; then the guest memory write; then the device's DMA-logging tracker. A translation
 * cached dirty writes without touching the page table until the IOTLB entry is invalidated
 * (docs/fidelity.md, "Stale IOTLB"). A read checks the read permission and changes nothing.
 *
 * <p><b>Thread-safety.</b> {@link #write} and {@link #read} may run from many threads at once and
 * concurrently with the control plane reading-and-clearing, splitting or collapsing; the hot path
 * allocates nothing on IOTLB hits. A read or write is one transaction for the domain's {@link
 * Iotlb}: an invalidation that starts while it is under way returns only after it has finished
 * (walks done, memory written, tracker told), as the hardware's invalidation completion drains
 * outstanding requests. Page-table frames a split or collapse retires after its invalidation are
 * therefore no longer read by any DMA walk when they are freed. The fault log is bounded to its
 * capacity (oldest dropped) and synchronised; {@link #faultCount()} counts every fault ever
 * recorded.
 */
public final class DmaEngine {
  private static final long PAGE = 4096;

  private final GuestMemory[] memories;
  private final HostMemory host; // null: every translation lands in a guest memory
  private final int faultCapacity;
  private final ArrayDeque<IoPageFault> faultLog = new ArrayDeque<>();
  private final AtomicLong faultCount = new AtomicLong();

  /**
   * Creates an engine whose DMA lands in {@code memories} (translations' output addresses are
   * addresses in these memories).
   *
   * @param memories the guest memories a translation's output address may fall into
   * @param faultCapacity how many recent faults {@link #recentFaults()} keeps (at least 1)
   */
  public DmaEngine(List<GuestMemory> memories, int faultCapacity) {
    this(memories, null, faultCapacity);
  }

  /**
   * Creates an engine whose DMA lands in {@code memories}, or in {@code host} where a translation's
   * output address is in none of them (a mapping of user memory that is not guest memory).
   *
   * @param memories the guest memories a translation's output address may fall into
   * @param host the host pages every other output address lands in
   * @param faultCapacity how many recent faults {@link #recentFaults()} keeps (at least 1)
   */
  public DmaEngine(List<GuestMemory> memories, HostMemory host, int faultCapacity) {
    Preconditions.checkArgument(faultCapacity > 0, "faultCapacity must be positive");
    this.memories = memories.toArray(new GuestMemory[0]);
    this.host = host;
    this.faultCapacity = faultCapacity;
  }

  /**
   * Writes {@code [iova, iova + length)} from device {@code deviceId} through {@code domain} and
   * tells {@code tracker} of every chunk written.
   *
   * @param deviceId the requester id recorded in faults
   * @param domain the domain the device is attached to
   * @param iova the first IOVA written
   * @param length the bytes written (positive)
   * @param tracker told of every page written (the device's DMA-logging tracker, or a no-op)
   * @return the bytes written and the number of 4 KiB pages that faulted
   * @throws IllegalArgumentException if {@code length} is 0 or the range wraps
   */
  public DmaResult write(
      int deviceId, IommuDomain domain, long iova, long length, DmaWriteListener tracker) {
    checkRange(iova, length);
    Iotlb tlb = domain.iotlb();
    int ticket = tlb.enter(deviceId); // an invalidation from now on waits for this write to finish
    try {
      return write(deviceId, domain, tlb, ticket, iova, length, tracker);
    } finally {
      tlb.exit(ticket);
    }
  }

  private DmaResult write(
      int deviceId,
      IommuDomain domain,
      Iotlb tlb,
      int ticket,
      long iova,
      long length,
      DmaWriteListener tracker) {
    long cur = iova;
    long remaining = length;
    long bytes = 0;
    int faults = 0;
    while (remaining > 0) {
      Iotlb.Entry e = lookupOrWalk(tlb, ticket, domain, cur);
      if (e == null || !e.translation.writable()) {
        fault(deviceId, cur, true, e == null);
        faults++;
        long step = Math.min(remaining, PAGE - (cur & (PAGE - 1)));
        cur += step;
        remaining -= step;
        continue;
      }
      Translation t = e.translation;
      if (!e.dirty) {
        if (!domain.setDirtyByHardware(t)) {
          tlb.drop(e); // the walked leaf is gone (unmapped, split or collapsed): walk again
          continue;
        }
        e.dirty = true;
      }
      long chunk = Math.min(remaining, t.iova() + t.size() - cur);
      writeMemory(t.physicalOf(cur), chunk);
      tracker.recordWrite(cur, chunk);
      bytes += chunk;
      cur += chunk;
      remaining -= chunk;
    }
    return new DmaResult(bytes, faults);
  }

  /**
   * Reads {@code [iova, iova + length)} by device {@code deviceId} through {@code domain}: checks
   * translations and read permission, recording faults; changes no memory and no dirty state.
   *
   * @param deviceId the requester id recorded in faults
   * @param domain the domain the device is attached to
   * @param iova the first IOVA read
   * @param length the bytes read (positive)
   * @return the bytes read and the number of 4 KiB pages that faulted
   * @throws IllegalArgumentException if {@code length} is 0 or the range wraps
   */
  public DmaResult read(int deviceId, IommuDomain domain, long iova, long length) {
    checkRange(iova, length);
    Iotlb tlb = domain.iotlb();
    int ticket = tlb.enter(deviceId); // its walks, too, finish before an invalidation completes
    try {
      return read(deviceId, domain, tlb, ticket, iova, length);
    } finally {
      tlb.exit(ticket);
    }
  }

  private DmaResult read(
      int deviceId, IommuDomain domain, Iotlb tlb, int ticket, long iova, long length) {
    long cur = iova;
    long remaining = length;
    long bytes = 0;
    int faults = 0;
    while (remaining > 0) {
      Iotlb.Entry e = lookupOrWalk(tlb, ticket, domain, cur);
      long step;
      if (e == null || !e.translation.readable()) {
        fault(deviceId, cur, false, e == null);
        faults++;
        step = Math.min(remaining, PAGE - (cur & (PAGE - 1)));
      } else {
        step = Math.min(remaining, e.translation.iova() + e.translation.size() - cur);
        bytes += step;
      }
      cur += step;
      remaining -= step;
    }
    return new DmaResult(bytes, faults);
  }

  /**
   * Records the faults of a DMA by a device attached to no domain (blocked): every page faults.
   *
   * @param deviceId the requester id recorded in faults
   * @param iova the first IOVA accessed
   * @param length the bytes accessed (positive)
   * @param write true for a write, false for a read
   * @return 0 bytes and one fault per 4 KiB page of the range
   * @throws IllegalArgumentException if {@code length} is 0 or the range wraps
   */
  public DmaResult blocked(int deviceId, long iova, long length, boolean write) {
    checkRange(iova, length);
    int faults = 0;
    for (long cur = iova, remaining = length; remaining > 0; faults++) {
      fault(deviceId, cur, write, true);
      long step = Math.min(remaining, PAGE - (cur & (PAGE - 1)));
      cur += step;
      remaining -= step;
    }
    return new DmaResult(0, faults);
  }

  /**
   * Returns the most recent faults, oldest first (at most the capacity given at creation).
   *
   * @return up to the capacity's most recent faults, oldest first
   */
  public List<IoPageFault> recentFaults() {
    synchronized (faultLog) {
      return ImmutableList.copyOf(faultLog);
    }
  }

  /**
   * Returns how many faults were ever recorded.
   *
   * @return the total number of faults recorded, including those dropped from the log
   */
  public long faultCount() {
    return faultCount.get();
  }

  private static Iotlb.Entry lookupOrWalk(Iotlb tlb, int ticket, IommuDomain domain, long iova) {
    Iotlb.Entry e = tlb.lookup(iova, ticket);
    if (e != null) {
      return e;
    }
    long gen = tlb.generation();
    Translation t = domain.translateOrNull(iova);
    return t != null ? tlb.insert(t, gen) : null;
  }

  private void writeMemory(long pa, long length) {
    for (GuestMemory m : memories) {
      if (m.contains(pa, length)) {
        m.write(pa, length);
        return;
      }
    }
    if (host == null) {
      throw new IllegalStateException(
          "translation outside guest memory: 0x" + Long.toHexString(pa) + "+" + length);
    }
    // a leaf over host pages (or over host pages and a guest memory's edge): page by page
    for (long off = 0; off < length; ) {
      long n = Math.min(length - off, PAGE - ((pa + off) & (PAGE - 1)));
      GuestMemory m = guestMemoryOf(pa + off);
      (m != null ? m : host.chunk(pa + off)).write(pa + off, n);
      off += n;
    }
  }

  private GuestMemory guestMemoryOf(long pa) {
    for (GuestMemory m : memories) {
      if (m.contains(pa, 1)) {
        return m;
      }
    }
    return null;
  }

  private void fault(int deviceId, long iova, boolean write, boolean notPresent) {
    faultCount.incrementAndGet();
    IoPageFault f =
        new IoPageFault(
            deviceId,
            iova,
            write,
            notPresent ? IoPageFault.Cause.NOT_PRESENT : IoPageFault.Cause.PERMISSION);
    synchronized (faultLog) {
      if (faultLog.size() == faultCapacity) {
        faultLog.removeFirst();
      }
      faultLog.addLast(f);
    }
  }

  private static void checkRange(long iova, long length) {
    if (length <= 0 || Long.compareUnsigned(iova + length - 1, iova) < 0) {
      // Formatted only on failure: this runs on every DMA.
      throw new IllegalArgumentException(
          "bad DMA range 0x" + Long.toHexString(iova) + "+0x" + Long.toHexString(length));
    }
  }
}
