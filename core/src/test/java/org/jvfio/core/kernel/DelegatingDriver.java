package org.jvfio.core.kernel;

import java.nio.ByteBuffer;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.VfioDeviceDriver;

/** A driver that forwards everything to another, for tests that override one method. */
class DelegatingDriver implements VfioDeviceDriver {
  private final VfioDeviceDriver d;

  DelegatingDriver(VfioDeviceDriver d) {
    this.d = d;
  }

  @Override
  public java.util.Set<org.jvfio.core.vfio.MigrationFlag> migrationFlags() {
    return d.migrationFlags();
  }

  @Override
  public void executeArc(MigrationArc arc) {
    d.executeArc(arc);
  }

  @Override
  public int save(ByteBuffer dst) {
    return d.save(dst);
  }

  @Override
  public org.jvfio.core.vfio.PrecopyInfo precopyInfo() {
    return d.precopyInfo();
  }

  @Override
  public void resume(ByteBuffer src) {
    d.resume(src);
  }

  @Override
  public long stopCopyLength() {
    return d.stopCopyLength();
  }

  @Override
  public void reset() {
    d.reset();
  }

  @Override
  public java.util.Optional<org.jvfio.core.vfio.DmaTracker> dmaTracker() {
    return d.dmaTracker();
  }
}
