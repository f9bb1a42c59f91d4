package org.jvfio.core.spi;

import java.util.Optional;
import java.util.OptionalLong;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;

/**
 * One IO page table with its IOTLB: an {@code iommu_domain} of a paging kind, as a vendor module
 * implements it (docs/architecture.md, "The front doors"; {@code struct iommu_domain_ops} and
 * {@code struct iommu_dirty_ops} in {@code include/linux/iommu.h}).
 *
 * <p>The control plane ({@link #map}, {@link #unmap}, {@link #setDirtyTracking}, {@link
 * #readAndClearDirty}, {@link #split}, {@link #collapse}, {@link #iotlbSync}) is called by one
 * thread at a time per domain, as the kernel serialises it with the IOAS locks. The hardware path
 * ({@link #translate}, {@link #setDirtyByHardware}) is called by the DMA engine from many threads
 * at once, concurrently with the control plane: implementations update entries with the atomics of
 * {@link PageTableMemory} so that no DMA write is ever lost from the dirty record
 * (docs/architecture.md, "Concurrency").
 *
 * <p>Sizes and IOVAs are unsigned 64-bit values. Arguments a correct caller (the iommufd model)
 * never passes — misaligned or zero sizes, sizes the format cannot map — are rejected with {@link
 * IllegalArgumentException}; uAPI-level refusals are {@link UapiException}s.
 */
public interface IommuDomain {
  /** {@code IOMMU_READ}: DMA may read through the mapping. */
  int IOMMU_READ = 1;

  /** {@code IOMMU_WRITE}: DMA may write through the mapping. */
  int IOMMU_WRITE = 2;

  /**
   * Returns the driver (IOMMU instance) that allocated this domain.
   *
   * @return the allocating driver
   */
  IommuDriver driver();

  /**
   * Returns the configuration the domain was allocated with.
   *
   * @return the configuration given to {@link IommuDriver#allocateDomain}
   */
  DomainConfig config();

  /**
   * Returns the leaf sizes this domain can map, as {@link IommuDriver#pageSizeBitmap()}.
   *
   * @return bit {@code n} set when leaves of {@code 2^n} bytes can be mapped
   */
  long pageSizeBitmap();

  /**
   * Maps {@code [iova, iova + size)} to {@code [physical, physical + size)} with {@code prot},
   * using the largest leaves the alignment of both addresses and the size allow (as {@code
   * iommu_map} splits a request into {@code pgsize_bitmap} pieces). New leaves are write-clean,
   * except where the format says otherwise (Arm with HTTU maps writable leaves dirty;
   * docs/fidelity.md, "Arm SMMUv3").
   *
   * @param iova the first IOVA, aligned to the smallest page size
   * @param physical the first physical address, aligned like {@code iova}
   * @param size the bytes to map, a multiple of the smallest page size
   * @param prot {@link #IOMMU_READ} and/or {@link #IOMMU_WRITE}
   * @throws IllegalArgumentException if the range is not aligned to the smallest page size, is
   *     empty, or overlaps an existing mapping
   */
  void map(long iova, long physical, long size, int prot);

  /**
   * Unmaps the leaves that start inside {@code [iova, iova + size)} and returns the bytes unmapped,
   * which may exceed {@code size} when a large leaf is only partly covered (AMD, VT-d) or be 0 when
   * the format refuses a partial unmap (Arm). Like the kernel's {@code iommu_unmap} loop, an
   * implementation may stop at the first hole (AMD, VT-d and Arm do; the mock domain skips holes):
   * callers unmap whole mapped areas, as iommufd does, never across a hole. Does not flush the
   * IOTLB: the caller syncs afterwards.
   *
   * @param iova the first IOVA to unmap
   * @param size the bytes to unmap
   * @return the bytes unmapped (whole leaves; 0 if nothing was mapped at {@code iova})
   */
  long unmap(long iova, long size);

  /**
   * Unmaps as {@link #unmap} and, in the same atomic step per leaf, records every leaf that was
   * write-dirty in {@code dirty}: the type1 {@code VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP} semantics
   * built from iommufd pieces. A hardware update that lands before a leaf is removed is recorded;
   * one after finds the slot empty and faults, so no write through the mapping escapes the record.
   *
   * <p>The default reads without clearing and then unmaps, which loses a write that dirties a leaf
   * between the two steps; formats override it with an atomic exchange per leaf.
   *
   * @param iova the first IOVA to unmap
   * @param size the bytes to unmap
   * @param dirty receives every write-dirty leaf removed, at its whole size
   * @return the bytes unmapped, as {@link #unmap}
   */
  default long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
    readAndClearDirty(iova, size, org.jvfio.api.iommufd.Iommufd.IOMMU_DIRTY_NO_CLEAR, dirty);
    return unmap(iova, size);
  }

  /**
   * Returns the last IOVA the domain can translate, inclusive ({@code
   * iommu_domain.geometry.aperture_end}); iommufd reserves everything above it in the IOAS. The
   * default is {@code ULONG_MAX} (-1L): no limit.
   *
   * @return the last translatable IOVA, inclusive
   */
  default long apertureEnd() {
    return -1L;
  }

  /**
   * Returns the first IOVA the domain can translate ({@code iommu_domain.geometry.aperture_start});
   * iommufd reserves everything below it in the IOAS ({@code iopt_table_add_domain} in {@code
   * drivers/iommu/iommufd/io_pagetable.c}). The default is 0: no limit.
   *
   * @return the first translatable IOVA
   */
  default long apertureStart() {
    return 0;
  }

  /**
   * Returns the physical address {@code iova} translates to, if mapped ({@code iova_to_phys}).
   *
   * @param iova any IOVA
   * @return the physical address, or empty if {@code iova} is not mapped
   */
  OptionalLong iovaToPhys(long iova);

  /**
   * Returns whether the domain has dirty ops: it was allocated with {@link
   * DomainConfig#dirtyTracking()} on a capable IOMMU.
   *
   * @return true if {@link #setDirtyTracking} and {@link #readAndClearDirty} are usable
   */
  default boolean hasDirtyOps() {
    return config().dirtyTracking();
  }

  /**
   * Turns hardware dirty updates on or off ({@code set_dirty_tracking}), with the invalidations the
   * driver issues (AMD: DTE flush and whole-domain flush; VT-d: PASID cache, IOTLB and device TLB;
   * SMMUv3: nothing). Turning it to the state it is in succeeds and does nothing.
   *
   * @param enable true to start hardware dirty updates, false to stop them
   * @throws UapiException {@code EOPNOTSUPP} if the domain has no dirty ops
   */
  void setDirtyTracking(boolean enable);

  /**
   * Returns whether hardware dirty updates are on.
   *
   * @return true while hardware dirty updates are on
   */
  boolean isDirtyTracking();

  /**
   * Walks {@code [iova, iova + size)} and records every write-dirty leaf in {@code dirty} at the
   * leaf's whole size (from the leaf's first IOVA, or, for a format with {@link
   * IommuCapability#HARVEST_RECORDS_FROM_START} or {@link
   * IommuCapability#HARVEST_CARRIES_START_OFFSET}, from the walk's position); unless {@code flags}
   * has {@code IOMMU_DIRTY_NO_CLEAR}, makes each such leaf write-clean (atomically: a concurrent
   * hardware update is never overwritten). Does not flush: the caller syncs {@code dirty.gather()}
   * once afterwards (docs/fidelity.md, "One flush per harvest"). The cost grows with the entries
   * present in the range, not with its span.
   *
   * @param iova the first IOVA to harvest
   * @param size the bytes to harvest
   * @param flags 0 or {@code Iommufd.IOMMU_DIRTY_NO_CLEAR}
   * @param dirty receives the dirty leaves and the ranges to invalidate
   * @throws UapiException {@code EOPNOTSUPP} if the domain has no dirty ops; {@code EINVAL} if a
   *     hole is met and the format aborts on holes ({@link IommuCapability#HOLE_ABORTS_HARVEST})
   */
  void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty);

  /**
   * Replaces every leaf larger than {@code pageSize} inside {@code [iova, iova + length)} with
   * leaves of {@code pageSize}, each inheriting the dirty state of the leaf it came from
   * (docs/fidelity.md, "Split and collapse"), and invalidates the old leaves' translations.
   *
   * @param iova the first IOVA, aligned to {@code pageSize}
   * @param length the bytes to split, a multiple of {@code pageSize}
   * @param pageSize the leaf size to split to, one of {@link #pageSizeBitmap()}
   * @throws UnsupportedOperationException if the driver lacks {@link
   *     IommuCapability#SPLIT_COLLAPSE}
   * @throws IllegalArgumentException if {@code pageSize} is not a size the format can map
   */
  void split(long iova, long length, long pageSize);

  /**
   * Replaces, inside {@code [iova, iova + length)}, every table whose leaves are contiguous with
   * identical permissions by the largest single leaf the format allows, dirty if any child was
   * dirty when re-read after the invalidation (docs/fidelity.md, "Split and collapse").
   *
   * @param iova the first IOVA, aligned to the smallest page size
   * @param length the bytes to collapse
   * @throws UnsupportedOperationException if the driver lacks {@link
   *     IommuCapability#SPLIT_COLLAPSE}
   */
  void collapse(long iova, long length);

  /**
   * Returns the raw entry words a hardware walk of {@code iova} reads, from the top level down to
   * the leaf or to the first non-present entry.
   *
   * @param iova the IOVA to walk
   * @return the entry words read, top level first
   */
  long[] walk(long iova);

  /**
   * Returns a human-readable decoding of one entry word at the given level, for test failures. The
   * level counts from 0, the level of the smallest leaf, upwards, as Linux's generic page table
   * ({@code drivers/iommu/generic_pt/}) numbers them; word {@code k} of {@link #walk} was read at
   * level {@code top - k}, {@code top} being the table's current top level. Every domain of the
   * vendor modules and the mock numbers them so (their descriptions name the manual's level).
   *
   * @param entry the raw entry word, e.g. from {@link #walk}
   * @param level the level it was read at, numbered as above
   * @return a one-line decoding of the entry
   */
  String describeEntry(long entry, int level);

  /**
   * Returns the IOTLB of this domain.
   *
   * @return the domain's IOTLB
   */
  Iotlb iotlb();

  /**
   * Issues the IOTLB invalidation for a gathered range and waits for it ({@code iotlb_sync}). An
   * empty gather does nothing.
   *
   * @param gather the range and page size to invalidate
   */
  void iotlbSync(IotlbGather gather);

  /**
   * Returns the memory holding this domain's tables.
   *
   * @return the page-table memory shared with the driver
   */
  PageTableMemory memory();

  /**
   * Frees the domain: invalidates its whole IOTLB (draining the DMA under way) and returns every
   * page-table frame it holds, the top table included, to {@link #memory()}, as the driver's {@code
   * domain_free} does when iommufd destroys the last reference. The caller has detached every
   * device; the domain must not be used afterwards (its methods may throw {@link
   * IllegalStateException}).
   */
  void free();

  // --- the hardware path ----------------------------------------------------------------------

  /**
   * Walks the table for a DMA access to {@code iova}, as the IOMMU's page walker does on an IOTLB
   * miss: returns the leaf translation (see {@link Translation#dirty()} for what its dirty flag
   * means), or empty if {@code iova} is not mapped (an IO page fault). May set the accessed bit.
   *
   * @param iova the IOVA accessed
   * @return the leaf translation, or empty if {@code iova} is not mapped
   */
  Optional<Translation> translate(long iova);

  /**
   * Walks the table as {@link #translate} does, without the {@code Optional}: the IOMMU's walk on
   * every IOTLB miss of {@link org.jvfio.core.hw.DmaEngine}. The default unwraps {@link
   * #translate}; a domain whose walk can answer without allocating the {@code Optional} overrides
   * it.
   *
   * @param iova the IOVA accessed
   * @return the leaf translation, or null if {@code iova} is not mapped (an IO page fault)
   */
  default Translation translateOrNull(long iova) {
    return translate(iova).orElse(null);
  }

  /**
   * Performs the IOMMU's interlocked dirty update for a write through {@code t}: compare-and-swap
   * the entry at {@code t.slot()} from a clean to a dirty value (AMD/VT-d: set D; Arm stage 1:
   * clear AP[2]). Returns true if the entry is now dirty (or already was); false if the slot no
   * longer holds the leaf {@code t} was walked from (unmapped, replaced by a table in a split, or
   * collapsed), in which case the caller drops {@code t} from the IOTLB and walks again
   * (docs/fidelity.md, "Split and collapse"). Never sets a dirty bit in a table descriptor.
   *
   * @param t the translation the IOTLB holds for the write
   * @return true if the entry is dirty now; false if the caller must drop {@code t} and walk again
   */
  boolean setDirtyByHardware(Translation t);
}
