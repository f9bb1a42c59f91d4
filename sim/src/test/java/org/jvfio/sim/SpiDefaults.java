package org.jvfio.sim;

import java.util.Optional;
import java.util.OptionalLong;
import org.jvfio.core.hw.Iotlb;
import org.jvfio.core.hw.PageTableMemory;
import org.jvfio.core.hw.Translation;
import org.jvfio.core.spi.DomainConfig;
import org.jvfio.core.spi.IommuDirtyBitmap;
import org.jvfio.core.spi.IommuDomain;
import org.jvfio.core.spi.IommuDriver;
import org.jvfio.core.spi.IotlbGather;

/**
 * A view of a domain that delegates every abstract method and keeps the {@link IommuDomain}
 * interface's default methods, so a test can run the SPI's defaults (such as {@link
 * IommuDomain#unmapReadingDirty}) against a real format.
 */
final class SpiDefaults implements IommuDomain {
  private final IommuDomain d;
  private final Runnable beforeUnmap;

  SpiDefaults(IommuDomain d) {
    this(d, () -> {});
  }

  /** A view that runs {@code beforeUnmap} (say, a DMA write) before each delegated unmap. */
  SpiDefaults(IommuDomain d, Runnable beforeUnmap) {
    this.d = d;
    this.beforeUnmap = beforeUnmap;
  }

  @Override
  public void free() {
    d.free();
  }

  @Override
  public IommuDriver driver() {
    return d.driver();
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
  public void map(long iova, long physical, long size, int prot) {
    d.map(iova, physical, size, prot);
  }

  @Override
  public long unmap(long iova, long size) {
    beforeUnmap.run();
    return d.unmap(iova, size);
  }

  @Override
  public OptionalLong iovaToPhys(long iova) {
    return d.iovaToPhys(iova);
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
  public Optional<Translation> translate(long iova) {
    return d.translate(iova);
  }

  @Override
  public boolean setDirtyByHardware(Translation t) {
    return d.setDirtyByHardware(t);
  }
}
