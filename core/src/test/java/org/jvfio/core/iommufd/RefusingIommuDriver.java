package org.jvfio.core.iommufd;

import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.jvfio.api.Errno;
import org.jvfio.core.UapiException;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuCapability;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;
import org.jvfio.core.spi.MockIommuDriver;

/**
 * A mock IOMMU whose domains refuse one chosen {@code map} call with {@code ENOMEM}, as the
 * kernel's {@code iommu_map} does when it cannot allocate a table: so that a test can make an
 * {@code IOMMU_IOAS_MAP}, {@code IOMMU_IOAS_COPY} or a domain fill fail half-way and check the
 * unwinding of {@code iopt_map_pages}, {@code iopt_fill_domains_pages}, {@code
 * iopt_table_add_domain} and {@code batch_iommu_map_small} ({@code drivers/iommu/iommufd/}). A
 * refused call maps nothing, as {@code iommu_map} unmaps what it mapped before it returns an error.
 */
final class RefusingIommuDriver implements IommuDriver {
  private final MockIommuDriver mock;
  private int mapCalls;
  private int refuseCall; // 1-based count of the map call to refuse; 0: none

  RefusingIommuDriver(MockIommuDriver mock) {
    this.mock = mock;
  }

  /** Refuses the {@code n}-th map call from now on, over all of this driver's domains (0: none). */
  void refuseMapCall(int n) {
    mapCalls = 0;
    refuseCall = n;
  }

  /** The map calls made since the last {@link #refuseMapCall}, the refused one included. */
  int mapCalls() {
    return mapCalls;
  }

  PageTableMemory memory() {
    return mock.memory();
  }

  @Override
  public String name() {
    return "refusing-mock";
  }

  @Override
  public Set<IommuCapability> capabilities() {
    return mock.capabilities();
  }

  @Override
  public long pageSizeBitmap() {
    return mock.pageSizeBitmap();
  }

  @Override
  public IommuDomain allocateDomain(DomainConfig config) {
    return new Domain(mock.allocateDomain(config));
  }

  /** Every method but {@link #map} and {@link #driver} is the mock domain's. */
  private final class Domain implements IommuDomain {
    private final IommuDomain d;

    Domain(IommuDomain d) {
      this.d = d;
    }

    @Override
    public void map(long iova, long physical, long size, int prot) {
      if (++mapCalls == refuseCall) {
        throw new UapiException(Errno.ENOMEM, "map call " + mapCalls + " refused");
      }
      d.map(iova, physical, size, prot);
    }

    @Override
    public IommuDriver driver() {
      return RefusingIommuDriver.this;
    }

    @Override
    public DomainConfig config() {
      return d.config();
    }

    @Override
    public long pageSizeBitmap() {
      return d.pageSizeBitmap();
    }

    @Override
    public long unmap(long iova, long size) {
      return d.unmap(iova, size);
    }

    @Override
    public long unmapReadingDirty(long iova, long size, IommuDirtyBitmap dirty) {
      return d.unmapReadingDirty(iova, size, dirty);
    }

    @Override
    public long apertureEnd() {
      return d.apertureEnd();
    }

    @Override
    public long apertureStart() {
      return d.apertureStart();
    }

    @Override
    public OptionalLong iovaToPhys(long iova) {
      return d.iovaToPhys(iova);
    }

    @Override
    public boolean hasDirtyOps() {
      return d.hasDirtyOps();
    }

    @Override
    public void setDirtyTracking(boolean enable) {
      d.setDirtyTracking(enable);
    }

    @Override
    public boolean isDirtyTracking() {
      return d.isDirtyTracking();
    }

    @Override
    public void readAndClearDirty(long iova, long size, int flags, IommuDirtyBitmap dirty) {
      d.readAndClearDirty(iova, size, flags, dirty);
    }

    @Override
    public void split(long iova, long length, long pageSize) {
      d.split(iova, length, pageSize);
    }

    @Override
    public void collapse(long iova, long length) {
      d.collapse(iova, length);
    }

    @Override
    public long[] walk(long iova) {
      return d.walk(iova);
    }

    @Override
    public String describeEntry(long entry, int level) {
      return d.describeEntry(entry, level);
    }

    @Override
    public Iotlb iotlb() {
      return d.iotlb();
    }

    @Override
    public void iotlbSync(IotlbGather gather) {
      d.iotlbSync(gather);
    }

    @Override
    public PageTableMemory memory() {
      return d.memory();
    }

    @Override
    public void free() {
      d.free();
    }

    @Override
    public Optional<Translation> translate(long iova) {
      return d.translate(iova);
    }

    @Override
    public boolean setDirtyByHardware(Translation t) {
      return d.setDirtyByHardware(t);
    }
  }
}
