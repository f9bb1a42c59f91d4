package org.jvfio.iommu.smmuv3;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;

/**
 * One Arm SMMUv3 instance as the Linux {@code arm-smmu-v3} driver and io-pgtable-arm drive it,
 * registered with {@link IommuDriver#named} as {@value #NAME} (Arm columns).
 *
 * <p>The no-argument constructor (what {@link java.util.ServiceLoader} uses) gives the default
 * instance: 4 KiB granule, 48-bit input and output sizes, {@code IDR0.HTTU = 2} (access and dirty
 * flag updates), coherent table walks, {@code IDR3.BBML = 2}, and the architectural post-harvest
 * invalidation. {@link #builder()} configures the others: the granule (4/16/64 KiB), the input
 * size, HTTU 0/1/2, non-coherent walks, the BBM level, {@link PostHarvestSync} and the contiguous
 * hint (off by default, as in Linux).
 *
 * <p>Dirty tracking ({@link IommuCapability#DIRTY_TRACKING}) is offered only with {@code IDR0.HTTU
 * = 2} <em>and</em> coherent walks ({@code arm_smmu_dbm_capable}). When offered, it comes with
 * {@link IommuCapability#DIRTY_TRACKING_ALWAYS_ON} (hardware updates run from domain creation on;
 * {@code set_dirty_tracking} does nothing; writable pages are dirty from the moment they are
 * mapped), {@link IommuCapability#HOLE_ABORTS_HARVEST} and {@link
 * IommuCapability#HARVEST_CARRIES_START_OFFSET} (the walker's position keeps the offset of a start
 * inside a block). Split/collapse ({@link IommuCapability#SPLIT_COLLAPSE}), a model feature without
 * upstream equivalent, follows the BBM level ({@code SMMU_IDR3.BBML}).
 *
 * <p>Domains: {@link DomainConfig#PLAIN} and {@link DomainConfig#DIRTY_TRACKING} get stage-1 tables
 * ({@code ARM_64_LPAE_S1}); {@code nestParent} gets a stage-2 table ({@code ARM_64_LPAE_S2}, no
 * dirty ops); asking for both is refused as the driver does.
 *
 * <p>Thread-safe: the configuration is immutable; domains share this instance's {@link
 * PageTableMemory}, which is thread-safe.
 */
public final class SmmuV3Driver implements IommuDriver {
  /** The registered name. */
  public static final String NAME = "smmuv3";

  private final Granule granule;
  private final int ias;
  private final int httu;
  private final boolean coherentWalk;
  private final int bbml;
  private final boolean contiguousHint;
  private final PostHarvestSync postHarvestSync;
  private final Set<IommuCapability> capabilities;
  private final PageTableMemory memory = new PageTableMemory();
  private final AtomicInteger lastAsid = new AtomicInteger();

  /** Creates the default instance (see the class comment), as the service loader does. */
  public SmmuV3Driver() {
    this(new Builder());
  }

  private SmmuV3Driver(Builder b) {
    this.granule = b.granule;
    this.ias = b.ias;
    this.httu = b.httu;
    this.coherentWalk = b.coherentWalk;
    this.bbml = b.bbml;
    this.contiguousHint = b.contiguousHint;
    this.postHarvestSync = b.postHarvestSync;
    EnumSet<IommuCapability> caps = EnumSet.of(IommuCapability.SPLIT_COLLAPSE);
    if (dbmCapable()) {
      caps.add(IommuCapability.DIRTY_TRACKING);
      caps.add(IommuCapability.DIRTY_TRACKING_ALWAYS_ON);
      caps.add(IommuCapability.HOLE_ABORTS_HARVEST);
      caps.add(IommuCapability.HARVEST_CARRIES_START_OFFSET);
    }
    this.capabilities = Set.copyOf(caps);
  }

  /**
   * Returns a builder starting from the default configuration.
   *
   * @return a new builder: 4 KiB granule, 48-bit input, HTTU 2, coherent walks, BBML 2
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns an otherwise default instance with {@code granule}.
   *
   * @param granule the translation granule of every domain
   * @return a new driver, default in every other setting
   */
  public static SmmuV3Driver withGranule(Granule granule) {
    return builder().granule(granule).build();
  }

  /** Builds {@link SmmuV3Driver} configurations. Not thread-safe. */
  public static final class Builder {
    private Granule granule = Granule.G4K;
    private int ias = 48;
    private int httu = 2;
    private boolean coherentWalk = true;
    private int bbml = 2;
    private boolean contiguousHint;
    private PostHarvestSync postHarvestSync = PostHarvestSync.ARCHITECTURAL;

    private Builder() {}

    /**
     * Sets the translation granule of every domain (default 4 KiB).
     *
     * @param granule 4 KiB, 16 KiB or 64 KiB
     * @return this builder
     */
    public Builder granule(Granule granule) {
      this.granule = granule;
      return this;
    }

    /**
     * Sets the input (IOVA) size in bits, 32 to 48 (default 48); it decides the number of levels.
     *
     * @param ias the input size in bits, 32 to 48
     * @return this builder
     * @throws IllegalArgumentException if {@code ias} is outside 32..48
     */
    public Builder inputBits(int ias) {
      if (ias < 32 || ias > 48) {
        throw new IllegalArgumentException("input size must be 32..48 bits: " + ias);
      }
      this.ias = ias;
      return this;
    }

    /**
     * Sets {@code SMMU_IDR0.HTTU} (bits 7:6): 0 none, 1 access flag, 2 access and dirty state.
     *
     * @param httu 0, 1 or 2 (default 2)
     * @return this builder
     * @throws IllegalArgumentException if {@code httu} is not 0, 1 or 2
     */
    public Builder httu(int httu) {
      if (httu < 0 || httu > 2) {
        throw new IllegalArgumentException("IDR0.HTTU must be 0, 1 or 2: " + httu);
      }
      this.httu = httu;
      return this;
    }

    /**
     * Sets whether table walks are cache-coherent ({@code IDR0.COHACC}); a non-coherent SMMU cannot
     * track dirty state.
     *
     * @param coherentWalk true for a coherent SMMU (default true)
     * @return this builder
     */
    public Builder coherentWalk(boolean coherentWalk) {
      this.coherentWalk = coherentWalk;
      return this;
    }

    /**
     * Sets {@code SMMU_IDR3.BBML} (bits 12:11): 0 requires break-before-make to replace a live
     * block by a table or back; 1 and 2 allow the direct replacement.
     *
     * @param bbml 0, 1 or 2 (default 2)
     * @return this builder
     * @throws IllegalArgumentException if {@code bbml} is not 0, 1 or 2
     */
    public Builder bbml(int bbml) {
      if (bbml < 0 || bbml > 2) {
        throw new IllegalArgumentException("IDR3.BBML must be 0, 1 or 2: " + bbml);
      }
      this.bbml = bbml;
      return this;
    }

    /**
     * Sets whether maps may write contiguous runs (the descriptors' Contiguous bit 52, Arm ARM
     * chapter D8): 16 entries at a 4 KiB granule, 128 pages or 32 blocks at 16 KiB, 32 at 64 KiB,
     * each with its own output address, added to the page sizes (default false: Linux's
     * io-pgtable-arm never sets the bit). A hardware dirty update may land on any entry of a run;
     * the harvest reports the whole run dirty if one entry is and cleans every entry.
     *
     * @param hint true to map with the contiguous hint
     * @return this builder
     */
    public Builder contiguousHint(boolean hint) {
      this.contiguousHint = hint;
      return this;
    }

    /**
     * Sets what {@code iotlbSync} does after a harvest (default {@code ARCHITECTURAL}).
     *
     * @param postHarvestSync the post-harvest sync behaviour, not null
     * @return this builder
     */
    public Builder postHarvestSync(PostHarvestSync postHarvestSync) {
      this.postHarvestSync = postHarvestSync;
      return this;
    }

    /**
     * Returns the configured instance.
     *
     * @return a new driver with this builder's settings
     * @throws IllegalArgumentException if the granule or the post-harvest sync is null
     */
    public SmmuV3Driver build() {
      if (granule == null || postHarvestSync == null) {
        throw new IllegalArgumentException("granule and postHarvestSync must be set");
      }
      return new SmmuV3Driver(this);
    }
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<IommuCapability> capabilities() {
    return capabilities;
  }

  @Override
  public long pageSizeBitmap() {
    return LpaeFormat.pageSizes(granule, contiguousHint);
  }

  /**
   * Allocates an empty domain, as {@code arm_smmu_domain_alloc_paging_flags}: stage 1 unless {@code
   * nestParent} asks for a stage-2 table. With dirty tracking the stage-1 table gets the {@code
   * IO_PGTABLE_QUIRK_ARM_HD} behaviour (DBM in writable leaves) and the context descriptor HA and
   * HD.
   *
   * @throws UapiException {@code EOPNOTSUPP} if dirty tracking is asked of an instance that is not
   *     dirty-capable (HTTU &lt; 2 or non-coherent walks) or of a stage-2 (nest parent) domain
   */
  @Override
  public IommuDomain allocateDomain(DomainConfig config) {
    if (config.dirtyTracking()) {
      UapiException.check(
          !config.nestParent(), Errno.EOPNOTSUPP, "no dirty tracking on a stage-2 domain");
      UapiException.check(
          dbmCapable(),
          Errno.EOPNOTSUPP,
          "SMMU is not dirty-capable (IDR0.HTTU=" + httu + ", coherent=" + coherentWalk + ")");
    }
    int asid = config.nestParent() ? 0 : lastAsid.incrementAndGet() & 0xFFFF;
    return new SmmuV3Domain(this, config, asid);
  }

  /**
   * Returns the context descriptor of a stage-1 domain this instance allocated, or empty for a
   * stage-2 domain (which has a stream table entry instead).
   *
   * @param domain a domain from {@link #allocateDomain}
   * @return the domain's CD (V, TCR fields, ASID, TTB0), empty for a stage-2 domain
   * @throws IllegalArgumentException if {@code domain} was not allocated by this instance
   */
  public Optional<ContextDescriptor> contextDescriptorOf(IommuDomain domain) {
    if (!(domain instanceof SmmuV3Domain) || domain.driver() != this) {
      throw new IllegalArgumentException("not a domain of this SMMU: " + domain);
    }
    return ((SmmuV3Domain) domain).contextDescriptor();
  }

  /**
   * Returns the translation granule.
   *
   * @return the granule every domain's tables use
   */
  public Granule granule() {
    return granule;
  }

  /**
   * Returns the input (IOVA) size in bits.
   *
   * @return 32 to 48
   */
  public int inputBits() {
    return ias;
  }

  /**
   * Returns the output (physical) size in bits: always 48 in this model.
   *
   * @return 48
   */
  public int outputBits() {
    return 48;
  }

  /**
   * Returns {@code SMMU_IDR0.HTTU}.
   *
   * @return 0 (none), 1 (access flag) or 2 (access flag and dirty state)
   */
  public int idr0Httu() {
    return httu;
  }

  /**
   * Returns {@code SMMU_IDR3.BBML}.
   *
   * @return 0, 1 or 2
   */
  public int idr3Bbml() {
    return bbml;
  }

  /**
   * Returns whether table walks are coherent.
   *
   * @return the {@code SMMU_IDR0.COHACC} setting
   */
  public boolean coherentWalk() {
    return coherentWalk;
  }

  /**
   * Returns the post-harvest sync behaviour.
   *
   * @return what {@code iotlbSync} does after a harvest
   */
  public PostHarvestSync postHarvestSync() {
    return postHarvestSync;
  }

  /**
   * Returns {@code arm_smmu_dbm_capable()}: HTTU includes dirty-state updates and walks are
   * coherent.
   *
   * @return true if {@code SMMU_IDR0.HTTU} is 2 and walks are coherent
   */
  public boolean dbmCapable() {
    return httu == 2 && coherentWalk;
  }

  PageTableMemory memory() {
    return memory;
  }

  boolean contiguousHint() {
    return contiguousHint;
  }

  @Override
  public String toString() {
    return NAME
        + "["
        + granule
        + ", ias="
        + ias
        + ", HTTU="
        + httu
        + ", coherent="
        + coherentWalk
        + ", BBML"
        + bbml
        + (contiguousHint ? ", contiguous hint" : "")
        + ", sync="
        + postHarvestSync
        + "]";
  }
}
