package org.jvfio.testkit.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.IntUnaryOperator;
import org.jvfio.api.iommufd.Iommufd;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.hw.DmaEngine;
import org.jvfio.core.hw.DmaResult;
import org.jvfio.core.hw.DmaWriteListener;
import org.jvfio.core.hw.GuestMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.testkit.contract.DomainPlan.Region;
import org.jvfio.testkit.gen.DmaWrite;
import org.jvfio.testkit.oracle.ReferenceDirtyModel;
import org.jvfio.testkit.oracle.ReferencePageTable;
import org.jvfio.testkit.oracle.ReferencePageTable.Leaf;

/*
 * One domain under test with its oracles: the reference page table (what map, unmap, split and
 * collapse must leave), the reference dirty model over it (what a harvest must report), and the
 * guest memory and DMA engine through which the hardware path is driven, exactly as the iommufd
 * model drives it (docs/architecture.md, "DMA"). Every mutation goes to the domain and to the oracles;
 * every observation is compared with them and followed by the subclass's invariant hook.
 */
final class DomainFixture {
  static final long PAGE = DomainPlan.PAGE;

  final IommuDomain domain;
  final DomainPlan plan;
  final ReferencePageTable reference;
  final ReferenceDirtyModel dirty;
  final DmaEngine engine;
  private final boolean mapsDirty;
  private final Consumer<IommuDomain> invariants;
  private final IntUnaryOperator walkLevel;

  DomainFixture(
      IommuDomain domain,
      DomainPlan plan,
      boolean mapsDirty,
      Set<IommuCapability> capabilities,
      Consumer<IommuDomain> invariants,
      IntUnaryOperator walkLevel) {
    this.domain = domain;
    this.plan = plan;
    this.reference = ReferencePageTable.create(domain.pageSizeBitmap());
    this.dirty = ReferenceDirtyModel.ofLeaves(reference, capabilities);
    GuestMemory memory =
        GuestMemory.create(DomainPlan.MEMORY_BASE, Math.max(plan.memorySize(), PAGE), 1);
    this.engine = new DmaEngine(List.of(memory), 16);
    this.mapsDirty = mapsDirty;
    this.invariants = invariants;
    this.walkLevel = walkLevel;
  }

  void mapAll() {
    for (Region r : plan.regions()) {
      map(r);
    }
  }

  void map(Region r) {
    domain.map(r.iova(), r.physical(), r.length(), r.prot());
    reference.map(r.iova(), r.physical(), r.length(), r.prot());
    if (mapsDirty) {
      dirty.recordPossiblyDirty(r.iova(), r.length());
    }
    invariants.accept(domain);
  }

  boolean isMapped(Region r) {
    return !reference.leaves(r.iova(), r.length()).isEmpty();
  }

  /**
   * Turns tracking on as iommufd does: clear every mapped leaf, flush, then enable
   * (docs/fidelity.md, "Enabling clears first").
   */
  void enableTracking() {
    IotlbGather gather = new IotlbGather();
    IommuDirtyBitmap clean = IommuDirtyBitmap.gatherOnly(gather);
    for (Region r : plan.regions()) {
      if (isMapped(r)) {
        domain.readAndClearDirty(r.iova(), r.length(), 0, clean);
      }
    }
    domain.iotlbSync(gather);
    domain.setDirtyTracking(true);
    dirty.onHarvest();
    invariants.accept(domain);
  }

  /**
   * Writes through the DMA engine and checks the result against the reference: a 4 KiB page faults
   * if and only if it has no writable leaf.
   */
  void write(DmaWrite w) {
    long bytes = 0;
    int faults = 0;
    long end = w.iova() + w.length();
    for (long cur = w.iova(); cur != end; ) {
      long next = Math.min(end, (cur & -PAGE) + PAGE);
      Optional<Leaf> l = reference.leaf(cur);
      if (l.isPresent() && l.get().writable()) {
        bytes += next - cur;
      } else {
        faults++;
      }
      cur = next;
    }
    DmaResult r = engine.write(1, domain, w.iova(), w.length(), DmaWriteListener.NONE);
    assertEquals(new DmaResult(bytes, faults), r, () -> "DMA " + w + " over " + reference);
    dirty.recordWrite(w.iova(), w.length());
    invariants.accept(domain);
  }

  void writeAll(List<DmaWrite> writes) {
    for (DmaWrite w : writes) {
      write(w);
    }
  }

  /** Reads (and, without NO_CLEAR, clears and flushes) the dirty bits of a range. */
  IovaBitmap harvest(long iova, long length, long pageSize, boolean clear) {
    IovaBitmap bitmap = IovaBitmap.allocate(iova, length, pageSize);
    IotlbGather gather = new IotlbGather();
    domain.readAndClearDirty(
        iova,
        length,
        clear ? 0 : Iommufd.IOMMU_DIRTY_NO_CLEAR,
        IommuDirtyBitmap.of(bitmap, gather));
    if (clear) {
      domain.iotlbSync(gather);
    }
    invariants.accept(domain);
    return bitmap;
  }

  /** A clearing harvest of the range, checked against the dirty model, which then forgets it. */
  IovaBitmap checkHarvest(String what, long iova, long length, long pageSize) {
    IovaBitmap got = harvest(iova, length, pageSize, true);
    assertDirty(what, got);
    dirty.onHarvest(iova, length);
    return got;
  }

  /** Checks every mapped region with a clearing harvest at 4 KiB. */
  void checkHarvestAll(String what) {
    for (Region r : plan.regions()) {
      if (isMapped(r)) {
        checkHarvest(what, r.iova(), r.length(), PAGE);
      }
    }
  }

  /** Checks that {@code got} holds every bit the model expects and none it does not allow. */
  void assertDirty(String what, IovaBitmap got) {
    IovaBitmap must = dirty.expectedBitmap(got.iova(), got.length(), got.pageSize());
    IovaBitmap allowed = dirty.allowedBitmap(got.iova(), got.length(), got.pageSize());
    long[] g = got.words();
    long[] m = must.words();
    long[] a = allowed.words();
    for (int i = 0; i < g.length; i++) {
      long missing = m[i] & ~g[i];
      long extra = g[i] & ~a[i];
      if (missing != 0 || extra != 0) {
        long bit = ((long) i << 6) + Long.numberOfTrailingZeros(missing != 0 ? missing : extra);
        long page = got.iova() + bit * got.pageSize();
        fail(
            what
                + ": "
                + (missing != 0 ? "lost the dirty page 0x" : "reported the clean page 0x")
                + Long.toHexString(page)
                + " (bitmap at 0x"
                + Long.toHexString(got.iova())
                + "+0x"
                + Long.toHexString(got.length())
                + " by 0x"
                + Long.toHexString(got.pageSize())
                + ")\n  entries: "
                + describe(page)
                + "\n  leaf: "
                + reference.leaf(page)
                + "\n  model: "
                + dirty);
      }
    }
  }

  /**
   * Checks translate and iovaToPhys against the reference for every leaf (first, last and a middle
   * byte) and for the bytes around every region, and walk and describeEntry at region edges.
   */
  void checkTranslations() {
    for (Leaf l : reference.leaves()) {
      Translation t =
          domain.translate(l.iova()).orElseThrow(() -> new AssertionError("lost " + l + entry(l)));
      assertEquals(
          l,
          new Leaf(
              t.iova(),
              t.size(),
              t.physical(),
              (t.readable() ? IommuDomain.IOMMU_READ : 0)
                  | (t.writable() ? IommuDomain.IOMMU_WRITE : 0)),
          () -> "translate(0x" + Long.toHexString(l.iova()) + ")" + entry(l));
      for (long a : new long[] {l.iova(), l.iova() + l.size() / 2 + 8, l.last()}) {
        assertEquals(OptionalLong.of(l.physicalOf(a)), domain.iovaToPhys(a), () -> hex(a));
      }
    }
    for (Region r : plan.regions()) {
      for (long a : new long[] {r.iova() - 1, r.iova(), r.last(), r.last() + 1}) {
        if (reference.leaf(a).isEmpty()) {
          assertEquals(OptionalLong.empty(), domain.iovaToPhys(a), () -> hex(a) + describe(a));
          assertTrue(domain.translate(a).isEmpty(), () -> "translate" + hex(a) + describe(a));
        }
        checkWalk(a);
      }
    }
  }

  /** walk returns at least one word and describeEntry decodes each, if the levels are known. */
  void checkWalk(long iova) {
    long[] words = domain.walk(iova);
    assertTrue(words.length >= 1, () -> "walk" + hex(iova) + " returned no entry");
    describe(iova);
  }

  /** Records the merges a collapse of the range made, checking each against the reference. */
  void learnMerges(long iova, long length) {
    for (Leaf l : reference.leaves(iova, length)) {
      if (!reference.leaf(l.iova()).equals(Optional.of(l))) {
        continue; // merged already
      }
      Translation t =
          domain.translate(l.iova()).orElseThrow(() -> new AssertionError("lost " + l + entry(l)));
      if (t.size() != l.size()) {
        assertTrue(
            Long.compareUnsigned(t.iova(), iova) >= 0
                && Long.compareUnsigned(t.iova() + t.size() - 1, iova + length - 1) <= 0,
            () -> "collapse of" + hex(iova) + "+" + hex(length) + " made a leaf outside: " + t);
        try {
          reference.merge(t.iova(), t.size());
        } catch (IllegalArgumentException e) {
          throw new AssertionError("collapse made an illegal leaf " + t + ": " + e.getMessage(), e);
        }
      }
    }
  }

  private String entry(Leaf l) {
    return describe(l.iova());
  }

  String describe(long iova) {
    StringBuilder b = new StringBuilder(" walk" + hex(iova) + ":");
    long[] words = domain.walk(iova);
    for (int i = 0; i < words.length; i++) {
      int level = walkLevel.applyAsInt(i);
      String entry =
          level < 0 ? "0x" + Long.toHexString(words[i]) : domain.describeEntry(words[i], level);
      assertNotNull(entry);
      b.append(" [").append(entry).append(']');
    }
    return b.toString();
  }

  static String hex(long v) {
    return "(0x" + Long.toHexString(v) + ")";
  }
}
