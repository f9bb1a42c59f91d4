package org.jvfio.testkit.contract;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jvfio.core.UapiException;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.MigrationArc;
import org.jvfio.core.vfio.MigrationFlag;
import org.jvfio.core.vfio.MigrationState;
import org.jvfio.core.vfio.PrecopyInfo;
import org.jvfio.core.vfio.VfioDeviceDriver;

/* A driver that delegates everything and records the arcs the device asked it to execute. */
final class RecordingDriver implements VfioDeviceDriver {
  final VfioDeviceDriver delegate;
  final List<MigrationArc> arcs = new ArrayList<>();

  RecordingDriver(VfioDeviceDriver delegate) {
    this.delegate = delegate;
  }

  @Override
  public Set<MigrationFlag> migrationFlags() {
    return delegate.migrationFlags();
  }

  @Override
  public void executeArc(MigrationArc arc) {
    arcs.add(arc);
    delegate.executeArc(arc);
  }

  @Override
  public MigrationState stateAfterFailedArc(MigrationArc arc, UapiException failure) {
    return delegate.stateAfterFailedArc(arc, failure);
  }

  @Override
  public int save(ByteBuffer dst) {
    return delegate.save(dst);
  }

  @Override
  public PrecopyInfo precopyInfo() {
    return delegate.precopyInfo();
  }

  @Override
  public void resume(ByteBuffer src) {
    delegate.resume(src);
  }

  @Override
  public long stopCopyLength() {
    return delegate.stopCopyLength();
  }

  @Override
  public void reset() {
    delegate.reset();
  }

  @Override
  public Optional<DmaTracker> dmaTracker() {
    return delegate.dmaTracker();
  }
}
