package org.jvfio.testkit.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.jvfio.core.UapiException;
import org.jvfio.core.bitmap.IovaBitmap;
import org.jvfio.core.vfio.DmaTracker;
import org.jvfio.core.vfio.VfioDevice;
import org.jvfio.core.vfio.VfioDeviceDriver;
import org.jvfio.testkit.Property;

/** Core's VFIO device refuses the generated invalid requests with the errno they carry. */
class CoreAgreementTest {
  static VfioDevice device() {
    return VfioDevice.create(VfioDeviceDriver.withoutMigration(Optional.of(DmaTracker.exact())));
  }

  @Test
  void invalidStarts_refusedByCoreWithTheExpectedErrno() {
    Property.check(
        "core refuses invalid STARTs",
        DmaLoggingGens.invalidStarts(),
        c ->
            assertEquals(
                c.expected().orElseThrow(),
                assertThrows(UapiException.class, () -> device().startDmaLogging(c.control()))
                    .errno()));
  }

  @Test
  void validStarts_acceptedByCore() {
    Property.check(
        "core accepts valid STARTs",
        DmaLoggingGens.validStarts(8),
        c -> assertEquals(true, device().startDmaLogging(c.control()).pageSize() > 0));
  }

  @Test
  void invalidReports_refusedByCoreWithTheExpectedErrno() {
    Property.check(
        "core refuses invalid REPORTs",
        DmaLoggingGens.invalidReports(),
        c ->
            assertEquals(
                c.expected().orElseThrow(),
                assertThrows(
                        UapiException.class,
                        () -> device().reportDmaLogging(c.report(), IovaBitmap.allocate(0, 1, 1)))
                    .errno()));
  }
}
